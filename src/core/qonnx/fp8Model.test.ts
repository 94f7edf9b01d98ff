/**
 * End-to-end golden test on a real Brevitas FP8 export (qonnx's floatquant_exec test data):
 * FloatQuant on the input, FloatQuant on the weights, then Gemm. Our FloatQuant kernel plus a float32
 * Gemm written here must reproduce the output Brevitas itself computed.
 *
 * Result: EXACT equality (every output element bit for bit), with the Gemm accumulating the K
 * products in float32 in index order and adding beta * C last.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { int64ToNumber, type Node } from '../ir/types.js';
import { FLOAT32 } from './datatypes.js';
import type { AttrValue, F32Tensor } from './opTypes.js';
import { FloatQuantOp } from './ops/floatQuant.js';
import { resolveCustomOp } from './registry.js';
import { readNpy } from '../io/npyRead.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';


const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(MODELS, f)));
const f32 = Math.fround;

/** The node's attributes as the kernels take them (ints as numbers, strings decoded). */
function attrMap(n: Node): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of n.attribute ?? []) {
    switch (a.type) {
      case 1: out[a.name!] = a.f ?? 0; break;
      case 2: out[a.name!] = int64ToNumber(a.i); break;
      case 3: out[a.name!] = new TextDecoder().decode(a.s ?? new Uint8Array()); break;
      case 6: out[a.name!] = [...(a.floats ?? [])]; break;
      case 7: out[a.name!] = (a.ints ?? []).map((v) => int64ToNumber(v)); break;
      default: throw new Error(`attribute type ${a.type} not expected in this model`);
    }
  }
  return out;
}

/** Float32 Gemm: Y = alpha * A' @ B' + beta * C (C broadcast to [M, N]), sums in float32 in k order. */
function gemm(a: F32Tensor, b: F32Tensor, c: F32Tensor | undefined, attrs: Record<string, AttrValue>): F32Tensor {
  const alpha = (attrs.alpha as number | undefined) ?? 1;
  const beta = (attrs.beta as number | undefined) ?? 1;
  const transA = ((attrs.transA as number | undefined) ?? 0) !== 0;
  const transB = ((attrs.transB as number | undefined) ?? 0) !== 0;
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2) throw new Error(`Gemm: inner dimensions ${K} and ${K2} differ`);
  const A = (i: number, k: number) => (transA ? a.data[k * M + i] : a.data[i * K + k]);
  const B = (k: number, j: number) => (transB ? b.data[j * K + k] : b.data[k * N + j]);
  const C = (i: number, j: number): number => {
    if (!c) return 0;
    const s = c.shape;
    if (s.length === 0 || c.data.length === 1) return c.data[0];
    if (s.length === 1) return c.data[s[0] === 1 ? 0 : j];
    return c.data[(s[0] === 1 ? 0 : i) * s[1] + (s[1] === 1 ? 0 : j)];
  };
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc = f32(acc + f32(A(i, k) * B(k, j)));
      if (alpha !== 1) acc = f32(alpha * acc);
      const bias = beta === 1 ? C(i, j) : f32(beta * C(i, j));
      out[i * N + j] = c ? f32(acc + bias) : acc;
    }
  return { shape: [M, N], data: out };
}

describe('FP8 model (Brevitas FloatQuant export) end to end', () => {
  const model = decodeModel(read('qonnx_act_weight_fp8.onnx'));
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const inits = new Map<string, F32Tensor>();
  for (const t of graph.initializer ?? []) {
    const v = tensorValues(t);
    inits.set(t.name!, { shape: v.shape, data: Float32Array.from(toNumbers(v)) });
  }

  it('has the expected graph: FloatQuant (input), FloatQuant (weights), Gemm', () => {
    expect(nodes.map((n) => n.opType)).toEqual(['FloatQuant', 'FloatQuant', 'Gemm']);
    expect(nodes[0].domain).toBe('onnx.brevitas');
    expect(nodes[0].input![0]).toBe(graph.input![0].name);
    expect(nodes[1].input![0]).toBe('weight');
    expect(nodes[2].input).toEqual([nodes[0].output![0], nodes[1].output![0], 'bias']);
    for (const n of nodes.slice(0, 2)) {
      expect(resolveCustomOp(n, model)).toBe(FloatQuantOp);
      // FP8 E4M3 with bias 7 and max 448, NaN but no inf, saturating, ROUND
      const params = n.input!.slice(2).map((name) => inits.get(name)!.data[0]);
      expect(params).toEqual([4, 3, 7, 448]);
      const attrs = attrMap(n);
      expect(attrs).toMatchObject({ has_inf: 0, has_nan: 1, saturation: 1, rounding_mode: 'round' });
    }
    expect(attrMap(nodes[2])).toEqual({ alpha: 1, beta: 1, transB: 1 });
    expect(inits.get('weight')!.shape).toEqual([16, 3]);
  });

  it('FloatQuant datatype is FLOAT32 here (the scales are not 1)', () => {
    const n = nodes[0];
    const constInputs = n.input!.map((name) => inits.get(name));
    expect(FloatQuantOp.inferDatatypes({ inputTypes: n.input!.map(() => FLOAT32), attrs: attrMap(n), constInputs, allowScaledInt: true })).toEqual([FLOAT32]);
  });

  it('reproduces Brevitas\' output exactly', () => {
    const input = readNpy(read('qonnx_act_weight_fp8.input.npy'));
    const expected = readNpy(read('qonnx_act_weight_fp8.output.npy'));
    expect(input.descr).toBe('<f4');
    expect(input.shape).toEqual([1, 3]);
    expect(expected.shape).toEqual([1, 16]);

    const env = new Map<string, F32Tensor>(inits);
    env.set(graph.input![0].name!, { shape: input.shape, data: input.data as Float32Array });
    for (const n of nodes.slice(0, 2)) {
      const [y] = FloatQuantOp.execute(
        n.input!.map((name) => env.get(name)!),
        attrMap(n),
      );
      env.set(n.output![0], y);
    }
    // every quantized input is (up to the float32 rounding of the product) scale times an E4M3 number
    const qx = env.get(nodes[0].output![0])!;
    const scale = inits.get(nodes[0].input![1])!.data[0];
    expect(qx.shape).toEqual([1, 3]);
    for (const v of qx.data) {
      const r = v / scale;
      const step = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(r))), -6) - 3);
      expect(Math.abs(r - Math.round(r / step) * step)).toBeLessThan(1e-6 * Math.abs(r));
    }
    const y = gemm(env.get(nodes[2].input![0])!, env.get(nodes[2].input![1])!, env.get('bias'), attrMap(nodes[2]));
    expect(y.shape).toEqual(expected.shape);
    const want = Array.from(expected.data as Float32Array);
    const got = Array.from(y.data);
    const maxErr = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    expect(maxErr).toBe(0);
    expect(got).toEqual(want);
  });

  it('quantizing without the FloatQuant step would not match (the test is sensitive)', () => {
    const input = readNpy(read('qonnx_act_weight_fp8.input.npy'));
    const expected = readNpy(read('qonnx_act_weight_fp8.output.npy'));
    const y = gemm({ shape: input.shape, data: input.data as Float32Array }, inits.get('weight')!, inits.get('bias'), attrMap(nodes[2]));
    const want = Array.from(expected.data as Float32Array);
    expect(Math.max(...Array.from(y.data, (v, i) => Math.abs(v - want[i])))).toBeGreaterThan(1e-4);
  });
});

describe('npy reader', () => {
  it('reads the header and little-endian float32 body', () => {
    const a = readNpy(read('qonnx_act_weight_fp8.input.npy'));
    expect(a.descr).toBe('<f4');
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.data.length).toBe(3);
  });

  it('reads <f8 and <i8 and rejects other files', () => {
    const make = (descr: string, shape: string, body: ArrayBuffer) => {
      let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
      header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
      const bytes = new Uint8Array(10 + header.length + body.byteLength);
      bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
      for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
      bytes.set(new Uint8Array(body), 10 + header.length);
      return bytes;
    };
    const f8 = readNpy(make('<f8', '(2,)', Float64Array.from([0.1, -2]).buffer));
    expect(Array.from(f8.data as Float64Array)).toEqual([0.1, -2]);
    expect(f8.shape).toEqual([2]);
    const i8 = readNpy(make('<i8', '(1, 2)', BigInt64Array.from([5n, -7n]).buffer));
    expect(Array.from(i8.data as BigInt64Array)).toEqual([5n, -7n]);
    expect(i8.shape).toEqual([1, 2]);
    const s = readNpy(make('<f4', '()', Float32Array.from([3]).buffer));
    expect(s.shape).toEqual([]);
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a .npy file/);
    expect(() => readNpy(make('>f4', '(1,)', new ArrayBuffer(4)))).toThrow(/unsupported .npy dtype/);
  });
});
