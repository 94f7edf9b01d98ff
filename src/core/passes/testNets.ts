/**
 * Small models built with the IR for the pass tests: a row of Quant nodes with chosen parameters, and
 * a builder for little conv nets (weights from a seeded generator). Only tests import this file.
 */
import type { Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { mulberry32 } from '../testing/prng.js';
import { attrFloat, attrInt, attrInts, attrString, f32Tensor, FLOAT_T, int64Tensor, valueInfo } from './graphDraft.js';
import type { Attribute } from '../ir/types.js';

export interface QuantSpec {
  bits: number;
  signed: boolean;
  narrow: boolean;
  rounding?: string;
  zeropt?: number;
  scaleShape?: number[];
}

/** Uniform float32 values in [lo, hi) from a seed. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * r()) / 4294967296;
  return out;
}

const count = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Input x, then one Quant per spec reading x (named q0, q1, ...), each output a graph output. */
export function buildQuantNet(specs: QuantSpec[], xShape = [2, 3, 2]): Model {
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const outputs: ValueInfo[] = [];
  specs.forEach((s, k) => {
    const sShape = s.scaleShape ?? [];
    inits.push(f32Tensor(`q${k}_scale`, { shape: sShape, data: uniform(count(sShape), 100 + k, 0.05, 0.2) }));
    inits.push(f32Tensor(`q${k}_zeropt`, { shape: [], data: Float32Array.of(s.zeropt ?? 0) }));
    inits.push(f32Tensor(`q${k}_bitwidth`, { shape: [], data: Float32Array.of(s.bits) }));
    nodes.push({
      name: `q${k}`,
      opType: 'Quant',
      domain: 'qonnx.custom_op.general',
      input: ['x', `q${k}_scale`, `q${k}_zeropt`, `q${k}_bitwidth`],
      output: [`y${k}`],
      attribute: [attrInt('signed', s.signed ? 1 : 0), attrInt('narrow', s.narrow ? 1 : 0), attrString('rounding_mode', s.rounding ?? 'ROUND')],
    });
    outputs.push(valueInfo(`y${k}`, FLOAT_T, xShape));
  });
  return {
    irVersion: int64From(8),
    opsetImport: [{ domain: '', version: int64From(13) }, { domain: 'qonnx.custom_op.general', version: int64From(1) }],
    graph: { name: 'quants', node: nodes, initializer: inits, input: [valueInfo('x', FLOAT_T, xShape)], output: outputs },
  };
}

/** A tiny graph builder: tensors get names t0, t1, ...; weights come from a seed. */
export class NetBuilder {
  readonly nodes: Node[] = [];
  readonly inits: Tensor[] = [];
  private k = 0;
  private seed: number;
  constructor(seed = 1) {
    this.seed = seed;
  }

  weight(name: string, shape: number[], lo = -0.5, hi = 0.5): string {
    this.inits.push(f32Tensor(name, { shape, data: uniform(count(shape), this.seed++, lo, hi) }));
    return name;
  }

  constant(name: string, shape: number[], values: number[]): string {
    this.inits.push(f32Tensor(name, { shape, data: Float32Array.from(values) }));
    return name;
  }

  ints(name: string, values: number[]): string {
    this.inits.push(int64Tensor(name, values));
    return name;
  }

  op(opType: string, inputs: string[], attrs: Attribute[] = [], domain = '', name?: string): string {
    const out = `t${this.k++}`;
    this.nodes.push({ name: name ?? `${opType}_${this.nodes.length}`, opType, domain, input: inputs, output: [out], ...(attrs.length ? { attribute: attrs } : {}) });
    return out;
  }

  conv(x: string, w: string, b: string | undefined, opts: { pads?: number[]; strides?: number[]; group?: number; dilations?: number[]; kernel?: number[] } = {}): string {
    const attrs: Attribute[] = [];
    if (opts.kernel) attrs.push(attrInts('kernel_shape', opts.kernel));
    attrs.push(attrInts('pads', opts.pads ?? [0, 0, 0, 0]), attrInts('strides', opts.strides ?? [1, 1]), attrInt('group', opts.group ?? 1), attrInts('dilations', opts.dilations ?? [1, 1]));
    return this.op('Conv', b ? [x, w, b] : [x, w], attrs);
  }

  quant(x: string, prefix: string, scaleShape: number[], bits: number, signed: boolean, narrow = false, scaleLo = 0.02, scaleHi = 0.05): string {
    this.weight(`${prefix}_scale`, scaleShape, scaleLo, scaleHi);
    this.constant(`${prefix}_zeropt`, [], [0]);
    this.constant(`${prefix}_bitwidth`, [], [bits]);
    return this.op('Quant', [x, `${prefix}_scale`, `${prefix}_zeropt`, `${prefix}_bitwidth`], [attrInt('signed', signed ? 1 : 0), attrInt('narrow', narrow ? 1 : 0), attrString('rounding_mode', 'ROUND')], 'qonnx.custom_op.general', prefix);
  }

  bn(x: string, prefix: string, c: number, eps = 1e-5): string {
    const p = [this.weight(`${prefix}_gamma`, [c], 0.5, 1.5), this.weight(`${prefix}_beta`, [c], -0.2, 0.2), this.weight(`${prefix}_mean`, [c], -0.2, 0.2), this.weight(`${prefix}_var`, [c], 0.5, 1.5)];
    return this.op('BatchNormalization', [x, ...p], [attrFloat('epsilon', eps)]);
  }

  model(inputs: { name: string; shape: number[] }[], outputs: string[], opset = 13): Model {
    return {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(opset) }, { domain: 'qonnx.custom_op.general', version: int64From(1) }],
      graph: {
        name: 'net',
        node: this.nodes,
        initializer: this.inits,
        input: inputs.map((i) => valueInfo(i.name, FLOAT_T, i.shape)),
        output: outputs.map((o) => ({ name: o, type: { tensorType: { elemType: FLOAT_T } } })),
      },
    };
  }
}
