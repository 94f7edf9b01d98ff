/**
 * The quantizer rewrite: one-node models run by the engine (which rewrites what it can into standard
 * ops run by onnxruntime) against the QONNX kernels called directly, over the values where rounding is
 * delicate (exact halves at every magnitude, values next to halves, the clamp limits, ±Inf, NaN), for
 * each rounding mode, range and opset. Also what must NOT be rewritten stays a kernel step.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { int64From, type Attribute, type Model, type Node, type Tensor } from '../ir/types.js';
import { BipolarQuantOp } from '../qonnx/ops/bipolarQuant.js';
import { MultiThresholdOp } from '../qonnx/ops/multiThreshold.js';
import { QuantOp } from '../qonnx/ops/quant.js';
import { Engine, type OrtApi } from './engine.js';
import { lowerQuantizers, ROUND_MAGIC } from './lowerQuantizers.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;
const f32 = Math.fround;

const intAttr = (name: string, i: number): Attribute => ({ name, type: 2, i: int64From(i) });
const strAttr = (name: string, s: string): Attribute => ({ name, type: 3, s: new TextEncoder().encode(s) });
const fTensor = (name: string, dims: number[], values: number[]): Tensor => ({
  name,
  dims: dims.map((d) => int64From(d)),
  dataType: 1,
  rawData: new Uint8Array(Float32Array.from(values).buffer),
});

/** A model of one QONNX node reading graph input 'x' (float32, static shape) and initializers. */
function oneNodeModel(opset: number, node: Node, initializer: Tensor[], xShape: number[]): Model {
  return {
    irVersion: int64From(7),
    opsetImport: [
      { domain: '', version: int64From(opset) },
      { domain: 'qonnx.custom_op.general', version: int64From(1) },
    ],
    graph: {
      name: 'g',
      node: [node],
      initializer,
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: xShape.map((d) => ({ dimValue: int64From(d) })) } } } }],
      output: [{ name: 'y' }],
    },
  };
}

interface QuantCase {
  opset: number;
  signed: 0 | 1;
  narrow: 0 | 1;
  bits: number;
  mode: string;
  scale: { dims: number[]; values: number[] };
  zeropt: { dims: number[]; values: number[] };
}

function quantModel(c: QuantCase, xShape: number[]): Model {
  const n: Node = {
    opType: 'Quant',
    domain: 'qonnx.custom_op.general',
    name: 'q',
    input: ['x', 's', 'z', 'b'],
    output: ['y'],
    attribute: [intAttr('signed', c.signed), intAttr('narrow', c.narrow), strAttr('rounding_mode', c.mode)],
  };
  return oneNodeModel(c.opset, n, [fTensor('s', c.scale.dims, c.scale.values), fTensor('z', c.zeropt.dims, c.zeropt.values), fTensor('b', [], [c.bits])], xShape);
}

/** Values around every half from -2^(b+1) to 2^(b+1) (scaled), the limits, huge values, ±Inf. */
function delicateValues(scale: number, bits: number): Float32Array {
  const span = Math.min(2 ** (bits + 1), 2 ** 23);
  const out: number[] = [0, -0, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45];
  const step = Math.max(1, Math.floor(span / 400)); // at most ~1600 halves per case
  for (let k = -span; k <= span; k += step) {
    const h = k + 0.5;
    for (const v of [h, f32(h) + 2 ** -10, h - 2 ** -10, k, k + 0.25, k + 0.75]) out.push(f32(v * scale));
  }
  // the neighbours (next float32 up and down) of a few exact halves
  const buf = new Float32Array(1), bitsView = new Int32Array(buf.buffer);
  for (const h of [0.5, 1.5, 2.5, -0.5, -1.5, 7.5, -7.5, 126.5, 127.5, -128.5]) {
    buf[0] = f32(h * scale);
    for (const d of [-1, 1]) {
      const save = bitsView[0];
      bitsView[0] += d;
      out.push(buf[0]);
      bitsView[0] = save;
    }
  }
  return Float32Array.from(out);
}

const sameValues = (a: Float32Array, b: Float32Array) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
};

async function runBoth(model: Model, x: Float32Array, xShape: number[]) {
  const e = new Engine(model, ORT);
  const r = await e.run(new Map([['x', { dataType: 1, shape: xShape, data: x }]]));
  const got = r.tensors.get('y')!.data as Float32Array;
  const stats = e.stats();
  await e.release();
  return { got, stats };
}

function kernelQuant(c: QuantCase, x: Float32Array, xShape: number[]): Float32Array {
  const [y] = QuantOp.execute(
    [
      { shape: xShape, data: x },
      { shape: c.scale.dims, data: Float32Array.from(c.scale.values) },
      { shape: c.zeropt.dims, data: Float32Array.from(c.zeropt.values) },
      { shape: [], data: Float32Array.of(c.bits) },
    ],
    { signed: c.signed, narrow: c.narrow, rounding_mode: c.mode },
  );
  return y.data;
}

describe('Quant rewritten into standard ops equals the kernel', () => {
  const scalar = (v: number) => ({ dims: [], values: [v] });
  const cases: QuantCase[] = [];
  for (const opset of [9, 11, 13])
    for (const mode of ['ROUND', 'HALF_EVEN', 'FLOOR', 'CEIL'])
      for (const [signed, narrow, bits] of [
        [1, 0, 2],
        [1, 1, 4],
        [0, 0, 8],
        [0, 1, 3],
        [1, 0, 16],
        [0, 0, 1],
        [1, 1, 22],
      ] as const)
        cases.push({ opset, mode, signed, narrow, bits, scale: scalar(0.375), zeropt: scalar(0) });
  // a non-zero zero point (unsigned activations of asymmetric quantizers) and a negative scale
  cases.push({ opset: 13, mode: 'ROUND', signed: 0, narrow: 0, bits: 8, scale: scalar(0.02), zeropt: scalar(128) });
  cases.push({ opset: 9, mode: 'ROUND', signed: 1, narrow: 0, bits: 6, scale: scalar(-0.125), zeropt: scalar(3) });

  for (const c of cases) {
    const label = `opset ${c.opset} ${c.mode} ${c.signed ? 'signed' : 'unsigned'}${c.narrow ? ' narrow' : ''} ${c.bits}-bit, scale ${c.scale.values[0]}, zero point ${c.zeropt.values[0]}`;
    it(label, async () => {
      const x = delicateValues(Math.abs(c.scale.values[0]), c.bits);
      const shape = [x.length];
      const { got, stats } = await runBoth(quantModel(c, shape), x, shape);
      expect(stats).toEqual({ sessions: 1, kernelSteps: 0, lowered: 1 });
      const want = kernelQuant(c, x, shape);
      const bad = sameValues(got, want);
      expect(bad, `x = ${x[bad]}: rewritten ${got[bad]}, kernel ${want[bad]}`).toBe(-1);
    });
  }

  it('per-channel scale and zero point ([1, C, 1, 1] against NCHW)', async () => {
    const C = 4;
    const c: QuantCase = {
      opset: 13,
      mode: 'ROUND',
      signed: 1,
      narrow: 0,
      bits: 5,
      scale: { dims: [1, C, 1, 1], values: [0.5, 0.25, 0.1, 3] },
      zeropt: { dims: [1, C, 1, 1], values: [0, 1, -2, 0] },
    };
    const base = delicateValues(0.25, 5);
    const hw = Math.floor(base.length / C);
    const x = base.subarray(0, hw * C);
    const shape = [1, C, hw, 1];
    const { got, stats } = await runBoth(quantModel(c, shape), x, shape);
    expect(stats.lowered).toBe(1);
    expect(sameValues(got, kernelQuant(c, x, shape))).toBe(-1);
  });

  it('NaN stays NaN (the clamp does not turn it into a limit)', async () => {
    for (const opset of [9, 13]) {
      const c: QuantCase = { opset, mode: 'ROUND', signed: 1, narrow: 0, bits: 4, scale: scalar(1), zeropt: scalar(0) };
      const x = Float32Array.of(NaN, 1, NaN, -9);
      const { got } = await runBoth(quantModel(c, [4]), x, [4]);
      expect(Array.from(got)).toEqual(Array.from(kernelQuant(c, x, [4])));
    }
  });

  it('the opset-9 rounding constant rounds half to even exactly up to 2^22 and no further', () => {
    const magic = (y: number) => f32(f32(y + ROUND_MAGIC) - ROUND_MAGIC);
    for (const y of [0.5, 1.5, 2.5, -0.5, -2.5, 2 ** 22 - 0.5, -(2 ** 22) + 0.5, 4194303.5, 1234.5, 0.49999997])
      // (+ 0: the construction gives +0 where rounding a small negative value gives -0; same value)
      expect(magic(f32(y)) + 0, String(y)).toBe((Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y)) + 0);
    // beyond 2^22 the trick fails (3·2^22 + 1 is odd and lands on a spacing of 2): the reason the
    // rewrite requires the clamp range to stay within ±2^22
    expect(magic(2 ** 23 + 1)).not.toBe(2 ** 23 + 1);
  });
});

describe('what stays a kernel step', () => {
  const scalar = (v: number) => ({ dims: [], values: [v] });
  const base: QuantCase = { opset: 13, mode: 'ROUND', signed: 1, narrow: 0, bits: 4, scale: scalar(0.5), zeropt: scalar(0) };
  const notRewritten: [string, Model][] = [
    ['rounding mode HALF_UP (no standard op rounds half away from zero in one step)', quantModel({ ...base, mode: 'HALF_UP' }, [8])],
    ['rounding mode DOWN', quantModel({ ...base, mode: 'DOWN' }, [8])],
    ['a 23-bit range (beyond exact float32 rounding by the opset-9 construction)', quantModel({ ...base, bits: 24 }, [8])],
    ['signed 1-bit Quant (bipolar)', quantModel({ ...base, bits: 1 }, [8])],
    ['opset 6 (no numpy broadcasting in Div/Mul)', quantModel({ ...base, opset: 6 }, [8])],
  ];
  // a scale that is a graph input, not an initializer
  const dyn = quantModel(base, [8]);
  dyn.graph!.initializer = dyn.graph!.initializer!.filter((t) => t.name !== 's');
  dyn.graph!.input!.push({ name: 's', type: { tensorType: { elemType: 1, shape: { dim: [] } } } });
  notRewritten.push(['a scale computed at run time (a graph input)', dyn]);

  for (const [why, m] of notRewritten)
    it(why, () => {
      expect(lowerQuantizers(m).lowered).toEqual([]);
    });

  it('a rewritten quantizer keeps its output name and its node name as a prefix; tensors it adds are internal', () => {
    const m = quantModel(base, [8]);
    const low = lowerQuantizers(m);
    expect(low.lowered).toEqual(['q']);
    const nodes = low.model.graph!.node!;
    expect(nodes.map((n) => n.opType)).toEqual(['Div', 'Clip', 'Round', 'Mul']);
    expect(nodes[nodes.length - 1].output).toEqual(['y']);
    for (const n of nodes) expect(n.name!.startsWith('q/')).toBe(true);
    for (const n of nodes.slice(0, -1)) expect(low.internal.has(n.output![0])).toBe(true);
    // the model given is not modified
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Quant']);
  });

  it('the engine returns only the model\'s own tensors (none of the rewrite\'s)', async () => {
    const m = quantModel({ ...base, opset: 9, zeropt: scalar(1) }, [8]);
    const e = new Engine(m, ORT);
    const r = await e.run(new Map([['x', { dataType: 1, shape: [8], data: Float32Array.of(-3, -1.25, -0.25, 0, 0.25, 0.75, 1.25, 9) }]]), { keepAll: true });
    expect([...r.tensors.keys()].sort()).toEqual(['b', 's', 'x', 'y', 'z'].filter((k) => r.tensors.has(k)).sort());
    expect(r.tensors.has('y')).toBe(true);
    expect([...r.tensors.keys()].some((k) => k.includes('__'))).toBe(false);
  });
});

describe('BipolarQuant rewritten into standard ops equals the kernel', () => {
  for (const opset of [9, 11, 12, 13])
    it(`opset ${opset}: sign with zero counted positive and NaN negative`, async () => {
      const m = oneNodeModel(opset, { opType: 'BipolarQuant', domain: 'qonnx.custom_op.general', name: 'bq', input: ['x', 's'], output: ['y'] }, [fTensor('s', [1, 3], [0.5, 2, -1])], [4, 3]);
      const x = Float32Array.of(0, -0, NaN, 1e-45, -1e-45, Infinity, -Infinity, 2.5, -2.5, 0.1, -7, 3);
      const e = new Engine(m, ORT);
      const r = await e.run(new Map([['x', { dataType: 1, shape: [4, 3], data: x }]]));
      expect(e.stats().lowered).toBe(1);
      const [want] = BipolarQuantOp.execute(
        [
          { shape: [4, 3], data: x },
          { shape: [1, 3], data: Float32Array.of(0.5, 2, -1) },
        ],
        {},
      );
      const got = r.tensors.get('y')!.data as Float32Array;
      expect(sameValues(got, want.data)).toBe(-1);
    });
});

describe('MultiThreshold rewritten into standard ops equals the kernel', () => {
  function mtModel(opset: number, layout: string, xShape: number[], thr: { dims: number[]; values: number[] }, scale: number, bias: number): Model {
    const attribute: Attribute[] = [strAttr('out_dtype', 'UINT4'), strAttr('data_layout', layout)];
    if (scale !== 1) attribute.push({ name: 'out_scale', type: 1, f: scale });
    if (bias !== 0) attribute.push({ name: 'out_bias', type: 1, f: bias });
    return oneNodeModel(opset, { opType: 'MultiThreshold', domain: 'qonnx.custom_op.general', name: 'mt', input: ['x', 't'], output: ['y'], attribute }, [fTensor('t', thr.dims, thr.values)], xShape);
  }
  // values exactly on thresholds (they count), next to them, far outside, ±Inf, NaN (never counts)
  const thresholdsFor = (C: number, B: number) => Array.from({ length: C * B }, (_, k) => f32(((k % B) - B / 2) * 0.5 + Math.floor(k / B) * 0.125));
  function valuesAround(thr: number[], n: number): Float32Array {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30];
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = thr[i % thr.length];
      const pick = i % 5;
      out[i] = pick === 0 ? t : pick === 1 ? f32(t + 2 ** -20) : pick === 2 ? f32(t - 2 ** -20) : pick === 3 ? special[i % special.length] : f32(t * 3 - 1);
    }
    return out;
  }
  const cases = [
    { opset: 13, layout: 'NCHW', shape: [2, 3, 4, 5], tc: 3, B: 7, scale: 1, bias: 0 },
    { opset: 13, layout: 'NHWC', shape: [1, 4, 5, 3], tc: 3, B: 15, scale: 2, bias: -8 },
    { opset: 12, layout: 'NCHW', shape: [2, 6, 3, 3], tc: 1, B: 3, scale: 0.5, bias: 0 },
    { opset: 12, layout: 'NC', shape: [4, 10], tc: 10, B: 1, scale: 1, bias: -1 },
  ];
  for (const c of cases)
    it(`opset ${c.opset} ${c.layout} ${c.tc === 1 ? 'shared' : 'per-channel'} thresholds ×${c.B}, scale ${c.scale}, bias ${c.bias}`, async () => {
      const tv = thresholdsFor(c.tc, c.B);
      const m = mtModel(c.opset, c.layout, c.shape, { dims: [c.tc, c.B], values: tv }, c.scale, c.bias);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = valuesAround(tv, n);
      const e = new Engine(m, ORT);
      const r = await e.run(new Map([['x', { dataType: 1, shape: c.shape, data: x }]]));
      expect(e.stats()).toEqual({ sessions: 1, kernelSteps: 0, lowered: 1 });
      const [want] = MultiThresholdOp.execute(
        [
          { shape: c.shape, data: x },
          { shape: [c.tc, c.B], data: Float32Array.from(tv) },
        ],
        { out_dtype: 'UINT4', data_layout: c.layout, out_scale: c.scale, out_bias: c.bias },
      );
      const got = r.tensors.get('y')!;
      expect(got.shape).toEqual(c.shape);
      const bad = sameValues(got.data as Float32Array, want.data);
      expect(bad, `x = ${x[bad]}: rewritten ${(got.data as Float32Array)[bad]}, kernel ${want.data[bad]}`).toBe(-1);
    });

  it('stays a kernel below opset 12 (no GreaterOrEqual; Not(Less) would count NaN) and when the threshold rows do not match the channels', () => {
    expect(lowerQuantizers(mtModel(11, 'NCHW', [1, 3, 2, 2], { dims: [3, 2], values: [0, 1, 0, 1, 0, 1] }, 1, 0)).lowered).toEqual([]);
    expect(lowerQuantizers(mtModel(13, 'NCHW', [1, 3, 2, 2], { dims: [2, 2], values: [0, 1, 0, 1] }, 1, 0)).lowered).toEqual([]);
  });
});
