/**
 * The channels-last Conv, MaxPool and BatchNormalization kernels against onnxruntime: each case runs
 * the standard op in onnxruntime on a channels-first input and the channels-last kernel on the
 * transposed input; the kernel's output, transposed back, must match.
 * Tolerances: MaxPool exact (no arithmetic). Conv |d| <= 1e-5 |ref| + 1e-6: the kernel sums in
 * float64 and rounds once, onnxruntime sums in float32 in its own order, so the two differ by the
 * float32 accumulation error (a few ulps of the larger partial sums). BatchNormalization
 * |d| <= 2e-7 |ref| + 1e-7: one rounding step (fused multiply-add or not).
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { int64From, type Attribute, type Model } from '../../ir/types.js';
import { encodeModel } from '../../onnx/codec.js';
import { mulberry32 } from '../../testing/prng.js';
import type { AttrValue, F32Tensor } from '../opTypes.js';
import { resolveCustomOp, CHANNELS_LAST_DOMAIN } from '../registry.js';
import { ChannelsLastBatchNormOp } from './channelsLastBatchNorm.js';
import { ChannelsLastConvOp } from './channelsLastConv.js';
import { axisWindow, toChannelsFirstPerm, toChannelsLastPerm } from './channelsLastLayout.js';
import { ChannelsLastMaxPoolOp } from './channelsLastMaxPool.js';

ort.env.wasm.numThreads = 1;

function rand(shape: number[], seed: number, lo = -1, hi = 1): F32Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + ((hi - lo) * r()) / 4294967296;
  return { shape, data };
}

function transpose(x: F32Tensor, perm: number[]): F32Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const st: number[] = [];
  let acc = 1;
  for (let k = x.shape.length - 1; k >= 0; k--) {
    st[k] = acc;
    acc *= x.shape[k];
  }
  const out = new Float32Array(x.data.length);
  const idx = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += idx[k] * st[perm[k]];
    out[o] = x.data[off];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return { shape, data: out };
}

function attr(name: string, v: AttrValue): Attribute {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: (v as number[]).map((x) => int64From(x)) };
  return Number.isInteger(v) && name !== 'epsilon' ? { name, type: 2, i: int64From(v) } : { name, type: 1, f: v };
}

/** onnxruntime on one standard node; inputs named i0, i1, ... */
async function runStandard(op: string, inputs: F32Tensor[], attrs: Record<string, AttrValue>): Promise<F32Tensor> {
  const names = inputs.map((_, i) => `i${i}`);
  const model: Model = {
    irVersion: int64From(8),
    opsetImport: [{ domain: '', version: int64From(13) }],
    graph: {
      name: 'one',
      node: [{ opType: op, domain: '', input: names, output: ['y'], attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) }],
      input: names.map((name) => ({ name, type: { tensorType: { elemType: 1 } } })),
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  };
  const s = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => (feeds[names[i]] = new ort.Tensor('float32', t.data, t.shape)));
  const y = (await s.run(feeds)).y;
  await s.release();
  return { shape: [...y.dims], data: y.data as Float32Array };
}

function expectClose(got: F32Tensor, ref: F32Tensor, rel: number, abs: number, what: string) {
  expect(got.shape, what).toEqual(ref.shape);
  let worst = -1;
  for (let i = 0; i < ref.data.length; i++) if (!(Math.abs(got.data[i] - ref.data[i]) <= rel * Math.abs(ref.data[i]) + abs)) worst = i;
  expect(worst, `${what}: element ${worst}: ${got.data[worst]} vs ${ref.data[worst]}`).toBe(-1);
}

const last = (t: F32Tensor) => transpose(t, toChannelsLastPerm(t.shape.length));
const first = (t: F32Tensor) => transpose(t, toChannelsFirstPerm(t.shape.length));

interface ConvCase {
  x: number[];
  w: number[];
  bias?: boolean;
  attrs: Record<string, AttrValue>;
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 3, 9, 9], w: [4, 3, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
  { x: [2, 4, 10, 7], w: [6, 2, 3, 2], attrs: { kernel_shape: [3, 2], strides: [2, 1], pads: [0, 1, 2, 0], group: 2 } },
  { x: [1, 5, 8, 8], w: [5, 1, 3, 3], bias: true, attrs: { group: 5, dilations: [2, 2], pads: [2, 2, 2, 2] } },
  { x: [1, 3, 11, 10], w: [2, 3, 4, 3], attrs: { strides: [3, 2], auto_pad: 'SAME_UPPER' } },
  { x: [1, 3, 11, 10], w: [2, 3, 4, 3], attrs: { strides: [3, 2], auto_pad: 'SAME_LOWER' } },
  { x: [1, 2, 7, 6], w: [3, 2, 2, 2], attrs: { auto_pad: 'VALID', strides: [2, 2] } },
  { x: [2, 3, 12], w: [4, 3, 5], bias: true, attrs: { kernel_shape: [5], strides: [2], pads: [2, 1] } },
  { x: [1, 16, 6, 6], w: [32, 16, 1, 1], attrs: {} },
];

describe('channels-last Conv', () => {
  it.each(CONV_CASES.map((c, i) => [i, c] as const))('case %i matches onnxruntime Conv on the transposes', async (i, c) => {
    const x = rand(c.x, 10 + i), w = rand(c.w, 20 + i), b = c.bias ? rand([c.w[0]], 30 + i) : undefined;
    const ref = await runStandard('Conv', b ? [x, w, b] : [x, w], c.attrs);
    const got = ChannelsLastConvOp.execute(b ? [last(x), last(w), b] : [last(x), last(w)], c.attrs)[0];
    expectClose(first(got), ref, 1e-5, 1e-6, `conv case ${i}`);
    // the shape rule agrees with the kernel
    expect(ChannelsLastConvOp.inferShapes({ inputShapes: [last(x).shape, last(w).shape], attrs: c.attrs, constInputs: [] })).toEqual([got.shape]);
  });

  it('rejects weights that do not fit the input channels and group', () => {
    expect(() => ChannelsLastConvOp.execute([rand([1, 4, 4, 3], 1), rand([2, 1, 1, 2], 2)], {})).toThrow(/do not fit/);
  });
});

const POOL_CASES: { x: number[]; attrs: Record<string, AttrValue> }[] = [
  { x: [1, 3, 8, 8], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { x: [2, 2, 7, 9], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { x: [1, 2, 7, 7], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
  { x: [1, 2, 9, 9], attrs: { kernel_shape: [2, 2], dilations: [2, 2], strides: [1, 1] } },
  { x: [1, 3, 7, 5], attrs: { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { x: [1, 3, 10], attrs: { kernel_shape: [3], strides: [3], pads: [1, 0] } },
];

describe('channels-last MaxPool', () => {
  it.each(POOL_CASES.map((c, i) => [i, c] as const))('case %i equals onnxruntime MaxPool exactly', async (i, c) => {
    const x = rand(c.x, 40 + i);
    const ref = await runStandard('MaxPool', [x], c.attrs);
    const got = ChannelsLastMaxPoolOp.execute([last(x)], c.attrs)[0];
    expectClose(first(got), ref, 0, 0, `pool case ${i}`);
    expect(ChannelsLastMaxPoolOp.inferShapes({ inputShapes: [last(x).shape], attrs: c.attrs, constInputs: [] })).toEqual([got.shape]);
  });
});

describe('channels-last BatchNormalization', () => {
  it.each([[[2, 5, 4, 3]], [[3, 6]], [[1, 4, 7]]])('%j matches onnxruntime within one rounding step', async (shape) => {
    const C = shape[1];
    const x = rand(shape, 50), g = rand([C], 51, 0.5, 1.5), b = rand([C], 52), m = rand([C], 53), v = rand([C], 54, 0.1, 2);
    const attrs = { epsilon: 1e-3 };
    const ref = await runStandard('BatchNormalization', [x, g, b, m, v], attrs);
    const got = ChannelsLastBatchNormOp.execute([last(x), g, b, m, v], attrs)[0];
    expectClose(first(got), ref, 2e-7, 1e-7, `bn ${shape}`);
  });
});

describe('channels-last registration', () => {
  it('the three ops resolve in domain qonnx.custom_op.channels_last, and the standard ops do not', () => {
    for (const op of ['Conv', 'MaxPool', 'BatchNormalization']) {
      expect(resolveCustomOp({ opType: op, domain: CHANNELS_LAST_DOMAIN })?.opType).toBe(op);
      expect(resolveCustomOp({ opType: op, domain: '' })).toBeUndefined();
    }
  });

  it('window geometry: SAME pads split with the odd pixel at the end (UPPER) or start (LOWER); ceil_mode drops a window starting in the end padding', () => {
    expect(axisWindow(10, 3, 2, 1, 0, 0, 'SAME_UPPER')).toEqual({ out: 5, padBegin: 0 });
    expect(axisWindow(10, 3, 2, 1, 0, 0, 'SAME_LOWER')).toEqual({ out: 5, padBegin: 1 });
    expect(axisWindow(4, 2, 2, 1, 0, 1, 'NOTSET', true)).toEqual({ out: 2, padBegin: 0 });
    expect(toChannelsLastPerm(4)).toEqual([0, 2, 3, 1]);
    expect(toChannelsFirstPerm(4)).toEqual([0, 3, 1, 2]);
    expect(toChannelsLastPerm(3)).toEqual([0, 2, 1]);
  });
});
