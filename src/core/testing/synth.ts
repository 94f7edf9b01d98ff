/**
 * Deterministic synthetic QONNX models for tests and benchmarks, built only from the project's own IR
 * types and encoder. Same options + same seed => same bytes, on every machine.
 *
 *   makeCnn            ~300-node quantized CNN (Quant -> Conv -> BatchNorm -> Relu -> Quant, residual
 *                      Adds, GAP/Flatten/Gemm head) whose FLOAT weights total ~100 MB by default.
 *   makeHugeGraph      20,000-node graph in the same style with tiny weights.
 *   makeExternalDataModel / planExternalDataModel
 *                      the CNN with its large tensors in an external data file (4096-byte aligned
 *                      offsets). The plan variant streams the data file chunk by chunk, so a 1 GB file
 *                      never sits in memory (the file writing itself lives in bench/, since core code
 *                      does not touch the file system).
 *
 * Weight values are generated per tensor from their own seed, so a tensor can be produced lazily and in
 * pieces (what the streaming variant needs) and still be identical to the in-memory variant.
 */
import type Long from 'long';
import { encodeModel } from '../onnx/codec.js';
import type { Attribute, Model, Node, Tensor, TensorAnnotation, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';

export const QONNX_DOMAIN = 'qonnx.custom_op.general';
const FLOAT = 1;

// ---------------------------------------------------------------------------------------------------
// Seeded random numbers

export { mulberry32 } from './prng.js';
import { mulberry32 } from './prng.js';

// ---------------------------------------------------------------------------------------------------
// Tensor specs: what an initializer holds, without its bytes

/** How an initializer's FLOAT values are produced. */
export type Fill =
  | { kind: 'uniform'; lo: number; hi: number; seed: number }
  | { kind: 'const'; value: number };

export interface TensorSpec {
  name: string;
  dims: number[];
  fill: Fill;
}

export function specElementCount(s: TensorSpec): number {
  let n = 1;
  for (const d of s.dims) n *= d;
  return n;
}

export function specByteLength(s: TensorSpec): number {
  return specElementCount(s) * 4;
}

/** Produces a tensor's values sequentially, in as many pieces as the caller likes. */
export class FillStream {
  private readonly rng: (() => number) | undefined;
  constructor(private readonly fill: Fill) {
    this.rng = fill.kind === 'uniform' ? mulberry32(fill.seed) : undefined;
  }

  /** Fill `out` with the next out.length values. */
  next(out: Float32Array): void {
    const f = this.fill;
    if (f.kind === 'const') {
      out.fill(f.value);
      return;
    }
    const rng = this.rng!;
    const span = (f.hi - f.lo) / 4294967296;
    for (let i = 0; i < out.length; i++) out[i] = f.lo + span * rng();
  }
}

/** The raw_data bytes of a spec (FLOAT, little-endian). */
export function materialize(s: TensorSpec): Uint8Array {
  const values = new Float32Array(specElementCount(s));
  new FillStream(s.fill).next(values);
  return new Uint8Array(values.buffer);
}

// ---------------------------------------------------------------------------------------------------
// Small IR constructors

const i64 = (v: number): Long => int64From(v) as unknown as Long;
const utf8 = new TextEncoder();

export const attrInt = (name: string, v: number): Attribute => ({ name, type: 2, i: i64(v) });
export const attrFloat = (name: string, f: number): Attribute => ({ name, type: 1, f });
export const attrString = (name: string, s: string): Attribute => ({ name, type: 3, s: utf8.encode(s) });
export const attrInts = (name: string, vs: number[]): Attribute => ({ name, type: 7, ints: vs.map(i64) });

export function floatValueInfo(name: string, shape: number[]): ValueInfo {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: i64(d) })) } } } };
}

function finnAnnotation(tensorName: string, datatype: string): TensorAnnotation {
  return { tensorName, quantParameterTensorNames: [{ key: 'finn_datatype', value: datatype }] };
}

// ---------------------------------------------------------------------------------------------------
// Graph builder shared by the generators

type Shape = number[];

interface QuantParams {
  bits: number;
  signed: boolean;
  narrow: boolean;
  /** shape of the scale tensor ([] for per-tensor) */
  scaleDims: number[];
  scaleLo: number;
  scaleHi: number;
}

class QonnxBuilder {
  readonly nodes: Node[] = [];
  readonly specs: TensorSpec[] = [];
  readonly valueInfo: ValueInfo[] = [];
  readonly annotations: TensorAnnotation[] = [];
  private readonly seeds: () => number;
  private readonly counts = new Map<string, number>();

  constructor(seed: number) {
    this.seeds = mulberry32(seed ^ 0x5eed);
  }

  /** Node names in the style of exported models: Conv_0, Conv_1, ... per op type. */
  private nextName(op: string): string {
    const k = this.counts.get(op) ?? 0;
    this.counts.set(op, k + 1);
    return `${op}_${k}`;
  }

  init(name: string, dims: number[], fill: Omit<Extract<Fill, { kind: 'uniform' }>, 'seed'> | Extract<Fill, { kind: 'const' }>): string {
    const f: Fill = fill.kind === 'uniform' ? { ...fill, seed: this.seeds() } : fill;
    this.specs.push({ name, dims, fill: f });
    return name;
  }

  node(op: string, inputs: string[], attrs: Attribute[], outShape: Shape | null, domain = ''): string {
    const name = this.nextName(op);
    const out = `${name}_out0`;
    const n: Node = { input: inputs, output: [out], name, opType: op };
    if (attrs.length) n.attribute = attrs;
    if (domain) n.domain = domain;
    this.nodes.push(n);
    if (outShape) this.valueInfo.push(floatValueInfo(out, outShape));
    return out;
  }

  quant(x: string, xShape: Shape, p: QuantParams, prefix: string, annotate: string | null): string {
    const scale = this.init(`${prefix}.scale`, p.scaleDims, { kind: 'uniform', lo: p.scaleLo, hi: p.scaleHi });
    const zeropt = this.init(`${prefix}.zeropt`, [], { kind: 'const', value: 0 });
    const bitwidth = this.init(`${prefix}.bitwidth`, [], { kind: 'const', value: p.bits });
    const out = this.node(
      'Quant',
      [x, scale, zeropt, bitwidth],
      [attrInt('narrow', p.narrow ? 1 : 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', p.signed ? 1 : 0)],
      xShape,
      QONNX_DOMAIN,
    );
    if (annotate) this.annotations.push(finnAnnotation(out, annotate));
    return out;
  }

  /** Weight-quantized Conv (with bias) -> BatchNormalization -> Relu -> activation Quant. */
  convBlock(x: string, xShape: Shape, cout: number, stride: number, k: number, wBits: number, aBits: number, prefix: string): { out: string; shape: Shape } {
    const [nb, cin, h, w] = xShape;
    const pad = k >> 1;
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    const outShape = [nb, cout, oh, ow];
    const wDims = [cout, cin, k, k];
    const bound = 1 / Math.sqrt(cin * k * k);
    const wName = this.init(`${prefix}.conv.weight`, wDims, { kind: 'uniform', lo: -bound, hi: bound });
    const qmax = 2 ** (wBits - 1) - 1;
    const wq = this.quant(
      wName,
      wDims,
      { bits: wBits, signed: true, narrow: true, scaleDims: [cout, 1, 1, 1], scaleLo: (0.8 * bound) / qmax, scaleHi: (1.2 * bound) / qmax },
      `${prefix}.weight_quant`,
      `INT${wBits}`,
    );
    const bias = this.init(`${prefix}.conv.bias`, [cout], { kind: 'uniform', lo: -bound, hi: bound });
    const conv = this.node(
      'Conv',
      [x, wq, bias],
      [attrInts('dilations', [1, 1]), attrInt('group', 1), attrInts('kernel_shape', [k, k]), attrInts('pads', [pad, pad, pad, pad]), attrInts('strides', [stride, stride])],
      outShape,
    );
    const bn = this.node(
      'BatchNormalization',
      [
        conv,
        this.init(`${prefix}.bn.weight`, [cout], { kind: 'uniform', lo: 0.8, hi: 1.2 }),
        this.init(`${prefix}.bn.bias`, [cout], { kind: 'uniform', lo: -0.1, hi: 0.1 }),
        this.init(`${prefix}.bn.running_mean`, [cout], { kind: 'uniform', lo: -0.1, hi: 0.1 }),
        this.init(`${prefix}.bn.running_var`, [cout], { kind: 'uniform', lo: 0.5, hi: 1.5 }),
      ],
      [attrFloat('epsilon', 1e-5), attrFloat('momentum', 0.9)],
      outShape,
    );
    const relu = this.node('Relu', [bn], [], outShape);
    const aq = this.quant(
      relu,
      outShape,
      { bits: aBits, signed: false, narrow: false, scaleDims: [], scaleLo: 0.02, scaleHi: 0.1 },
      `${prefix}.act_quant`,
      `UINT${aBits}`,
    );
    return { out: aq, shape: outShape };
  }

  add(a: string, b: string, shape: Shape): string {
    return this.node('Add', [a, b], [], shape);
  }

  /** GlobalAveragePool -> Flatten -> weight-quantized Gemm (with bias). */
  head(x: string, xShape: Shape, classes: number, wBits: number): { out: string; shape: Shape } {
    const [nb, c] = xShape;
    const gap = this.node('GlobalAveragePool', [x], [], [nb, c, 1, 1]);
    const flat = this.node('Flatten', [gap], [attrInt('axis', 1)], [nb, c]);
    const bound = 1 / Math.sqrt(c);
    const wDims = [classes, c];
    const wName = this.init('fc.weight', wDims, { kind: 'uniform', lo: -bound, hi: bound });
    const qmax = 2 ** (wBits - 1) - 1;
    const wq = this.quant(
      wName,
      wDims,
      { bits: wBits, signed: true, narrow: true, scaleDims: [classes, 1], scaleLo: (0.8 * bound) / qmax, scaleHi: (1.2 * bound) / qmax },
      'fc.weight_quant',
      `INT${wBits}`,
    );
    const bias = this.init('fc.bias', [classes], { kind: 'uniform', lo: -bound, hi: bound });
    const out = this.node('Gemm', [flat, wq, bias], [attrFloat('alpha', 1), attrFloat('beta', 1), attrInt('transB', 1)], null);
    return { out, shape: [nb, classes] };
  }

  /** The model, with each initializer made by `tensor` (inline bytes, or an external reference). */
  finish(opts: { graphName: string; input: string; inputShape: Shape; output: string; outputShape: Shape }, tensor: (s: TensorSpec) => Tensor): Model {
    // The final node's output is the graph output; it needs no value_info entry.
    const valueInfo = this.valueInfo.filter((v) => v.name !== opts.output);
    return {
      irVersion: i64(8),
      opsetImport: [
        { domain: '', version: i64(13) },
        { domain: QONNX_DOMAIN, version: i64(1) },
      ],
      producerName: 'qonnx-studio-synth',
      producerVersion: '1',
      graph: {
        node: this.nodes,
        name: opts.graphName,
        initializer: this.specs.map(tensor),
        input: [floatValueInfo(opts.input, opts.inputShape)],
        output: [floatValueInfo(opts.output, opts.outputShape)],
        valueInfo,
        quantizationAnnotation: this.annotations,
      },
    };
  }
}

function inlineTensor(s: TensorSpec): Tensor {
  return { dims: s.dims.map(i64), dataType: FLOAT, name: s.name, rawData: materialize(s) };
}

// ---------------------------------------------------------------------------------------------------
// CNN

export interface CnnOptions {
  /** Approximate total bytes of all initializers (FLOAT raw data). Default 100e6. */
  targetWeightBytes?: number;
  /** Conv blocks (5 nodes each). Default 56, which gives a 301-node graph. */
  blocks?: number;
  /** Residual Add every this many blocks within a stage (0 = none). Default 3. */
  residualEvery?: number;
  stages?: number;
  inputSize?: number;
  classes?: number;
  seed?: number;
}

interface CnnPlan {
  builder: QonnxBuilder;
  io: { graphName: string; input: string; inputShape: Shape; output: string; outputShape: Shape };
}

function buildCnn(o: Required<CnnOptions>, width: number): CnnPlan {
  const b = new QonnxBuilder(o.seed);
  const inputShape = [1, 3, o.inputSize, o.inputSize];
  const input = 'global_in';
  let x = b.quant(input, inputShape, { bits: 8, signed: true, narrow: false, scaleDims: [], scaleLo: 1 / 128, scaleHi: 1 / 128 }, 'input_quant', 'INT8');
  let shape = inputShape;
  const perStage = Array.from({ length: o.stages }, (_, s) => Math.floor(o.blocks / o.stages) + (s < o.blocks % o.stages ? 1 : 0));
  let blockNo = 0;
  perStage.forEach((count, s) => {
    const cout = width * 2 ** s;
    let skip = '';
    for (let k = 0; k < count; k++) {
      const first = blockNo === 0;
      const last = blockNo === o.blocks - 1;
      const wBits = first || last ? 8 : blockNo % 10 === 9 ? 2 : 4;
      const aBits = first ? 8 : 4;
      const stride = k === 0 ? 2 : 1;
      const r = b.convBlock(x, shape, cout, stride, 3, wBits, aBits, `features.${s}.${k}`);
      x = r.out;
      shape = r.shape;
      blockNo++;
      if (o.residualEvery > 0 && k === 0) skip = x;
      else if (o.residualEvery > 0 && k % o.residualEvery === 0) {
        x = b.add(skip, x, shape);
        skip = x;
      }
    }
  });
  const h = b.head(x, shape, o.classes, 8);
  return { builder: b, io: { graphName: 'synthetic_qonnx_cnn', input, inputShape, output: h.out, outputShape: h.shape } };
}

function cnnDefaults(opts: CnnOptions): Required<CnnOptions> {
  return {
    targetWeightBytes: opts.targetWeightBytes ?? 100e6,
    blocks: opts.blocks ?? 56,
    residualEvery: opts.residualEvery ?? 3,
    stages: opts.stages ?? 4,
    inputSize: opts.inputSize ?? 224,
    classes: opts.classes ?? 1000,
    seed: opts.seed ?? 1,
  };
}

const planBytes = (p: CnnPlan) => p.builder.specs.reduce((s, t) => s + specByteLength(t), 0);

/** The base channel width whose total initializer bytes come closest to the target. */
function planCnn(opts: CnnOptions): CnnPlan {
  const o = cnnDefaults(opts);
  if (o.blocks < o.stages) throw new RangeError(`makeCnn needs at least ${o.stages} blocks`);
  let lo = 1;
  let hi = 1;
  while (planBytes(buildCnn(o, hi)) < o.targetWeightBytes && hi < 1 << 20) hi *= 2;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (planBytes(buildCnn(o, mid)) < o.targetWeightBytes) lo = mid;
    else hi = mid;
  }
  const pLo = buildCnn(o, lo);
  const pHi = buildCnn(o, hi);
  return Math.abs(planBytes(pLo) - o.targetWeightBytes) <= Math.abs(planBytes(pHi) - o.targetWeightBytes) ? pLo : pHi;
}

/** A realistic quantized CNN, ~300 nodes, weights (all initializers) totalling ~targetWeightBytes. */
export function makeCnn(opts: CnnOptions = {}): Model {
  const p = planCnn(opts);
  return p.builder.finish(p.io, inlineTensor);
}

// ---------------------------------------------------------------------------------------------------
// Huge graph

export interface HugeGraphOptions {
  /** Exact node count. Default 20,000. */
  nodes?: number;
  channels?: number;
  spatial?: number;
  residualEvery?: number;
  seed?: number;
}

/** A long stack of tiny quantized conv blocks with residual Adds: exactly `nodes` nodes. */
export function makeHugeGraph(opts: HugeGraphOptions = {}): Model {
  const total = opts.nodes ?? 20000;
  const c = opts.channels ?? 4;
  const sp = opts.spatial ?? 8;
  const every = opts.residualEvery ?? 3;
  const HEAD = 4;
  if (total < 1 + 5 + HEAD) throw new RangeError('makeHugeGraph needs at least 10 nodes');
  const b = new QonnxBuilder(opts.seed ?? 1);
  const inputShape = [1, c, sp, sp];
  const input = 'global_in';
  let x = b.quant(input, inputShape, { bits: 8, signed: true, narrow: false, scaleDims: [], scaleLo: 1 / 128, scaleHi: 1 / 128 }, 'input_quant', 'INT8');
  const shape = inputShape;
  let skip = x;
  for (let k = 1; ; k++) {
    const withAdd = every > 0 && k % every === 0;
    if (b.nodes.length + 5 + (withAdd ? 1 : 0) + HEAD > total) break;
    const wBits = k % 10 === 0 ? 2 : 4;
    x = b.convBlock(x, shape, c, 1, 3, wBits, 4, `blocks.${k}`).out;
    if (withAdd) {
      x = b.add(skip, x, shape);
      skip = x;
    }
  }
  // Pad to the exact count with (idempotent) Relus.
  while (b.nodes.length + HEAD < total) x = b.node('Relu', [x], [], shape);
  const h = b.head(x, shape, 10, 8);
  return b.finish({ graphName: 'synthetic_qonnx_huge', input, inputShape, output: h.out, outputShape: h.shape }, inlineTensor);
}

// ---------------------------------------------------------------------------------------------------
// External data

export interface ExternalDataOptions extends CnnOptions {
  /** Name of the data file, as written in external_data `location`. Default "model.data". */
  location?: string;
  /** Tensors of at least this many bytes go to the data file (onnx's default threshold: 1024). */
  sizeThreshold?: number;
  /** Offset alignment in the data file. Default 4096. */
  align?: number;
}

export interface ExternalDataPlan {
  /** The encoded model (.onnx), whose large tensors point into the data file. */
  model: Uint8Array;
  dataFileName: string;
  dataByteLength: number;
  /** Tensors stored externally, in file order. */
  entries: { spec: TensorSpec; offset: number; length: number }[];
  /**
   * The data file's bytes, in pieces of at most `chunkBytes` (default 8 MiB), generated on demand into
   * one reused buffer: a piece is valid only until the next one is requested (copy it to keep it), so
   * a 1 GB file streams through a few MiB of memory.
   */
  chunks(chunkBytes?: number): Generator<Uint8Array>;
}

/** The CNN of `makeCnn`, with every tensor >= sizeThreshold bytes stored in an external data file. */
export function planExternalDataModel(opts: ExternalDataOptions = {}): ExternalDataPlan {
  const location = opts.location ?? 'model.data';
  const threshold = opts.sizeThreshold ?? 1024;
  const align = opts.align ?? 4096;
  const p = planCnn(opts);
  const entries: ExternalDataPlan['entries'] = [];
  let end = 0;
  for (const s of p.builder.specs) {
    const length = specByteLength(s);
    if (length < threshold) continue;
    const offset = Math.ceil(end / align) * align;
    entries.push({ spec: s, offset, length });
    end = offset + length;
  }
  const byName = new Map(entries.map((e) => [e.spec.name, e]));
  const model = p.builder.finish(p.io, (s) => {
    const e = byName.get(s.name);
    if (!e) return inlineTensor(s);
    return {
      dims: s.dims.map(i64),
      dataType: FLOAT,
      name: s.name,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(e.offset) },
        { key: 'length', value: String(e.length) },
      ],
      dataLocation: 1,
    };
  });
  const dataByteLength = end;
  function* chunks(chunkBytes = 8 << 20): Generator<Uint8Array> {
    const size = Math.max(4096, chunkBytes - (chunkBytes % 4));
    const buf = new Uint8Array(size);
    let fill = 0; // bytes used in buf
    let pos = 0; // file position of buf[0]
    const flush = function* () {
      if (fill === 0) return;
      yield buf.subarray(0, fill);
      pos += fill;
      fill = 0;
    };
    for (const e of entries) {
      // zero padding up to the aligned offset
      while (pos + fill < e.offset) {
        const n = Math.min(e.offset - (pos + fill), size - fill);
        buf.fill(0, fill, fill + n);
        fill += n;
        if (fill === size) yield* flush();
      }
      const stream = new FillStream(e.spec.fill);
      let left = e.length;
      while (left > 0) {
        // fill is always a multiple of 4 here (offsets are aligned, lengths are whole floats)
        const n = Math.min(left, size - fill);
        stream.next(new Float32Array(buf.buffer, fill, n / 4));
        fill += n;
        left -= n;
        if (fill === size) yield* flush();
      }
    }
    yield* flush();
  }
  return { model: encodeModel(model), dataFileName: location, dataByteLength, entries, chunks };
}

/** In-memory external-data model: the .onnx bytes, the data file's bytes and its name. */
export function makeExternalDataModel(opts: ExternalDataOptions = {}): { model: Uint8Array; data: Uint8Array; dataFileName: string } {
  const plan = planExternalDataModel(opts);
  const data = new Uint8Array(plan.dataByteLength);
  let at = 0;
  for (const c of plan.chunks()) {
    data.set(c, at);
    at += c.length;
  }
  return { model: plan.model, data, dataFileName: plan.dataFileName };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

export const encodeSynthModel = (m: Model): Uint8Array => encodeModel(m);
export const makeCnnBytes = (opts: CnnOptions = {}): Uint8Array => encodeModel(makeCnn(opts));
export const makeHugeGraphBytes = (opts: HugeGraphOptions = {}): Uint8Array => encodeModel(makeHugeGraph(opts));

/** Bytes of tensor data of all initializers: raw_data length, or external `length`. */
export function initializerBytes(model: Model): number {
  let total = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation === 1) {
      const len = (t.externalData ?? []).find((e) => e.key === 'length')?.value;
      total += Number(len ?? 0);
    } else total += t.rawData?.byteLength ?? 0;
  }
  return total;
}
