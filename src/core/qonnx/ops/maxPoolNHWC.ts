/**
 * MaxPoolNHWC: ONNX MaxPool (2-D) on an NHWC tensor.
 *
 *   y[n, oy, ox, c] = max over the window of x[n, oy*SH + ky - PT, ox*SW + kx - PL, c]
 *   OH = floor_or_ceil((H + PT + PB - KH) / SH) + 1 (ceil_mode; a window starting in the bottom padding is dropped)
 *
 * pads follow ONNX: [top, left, bottom, right]; padded positions never win.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import { FLOAT32 } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, F32Tensor } from '../opTypes.js';
import { badAttr, resolveAttrs, type OpAttrs } from './attrs.js';
import { needInput } from './broadcast.js';
import { channelsLastMaxPool } from './channelsLastMaxPool.js';

const OP = 'MaxPoolNHWC';

export const MAX_POOL_NHWC_ATTRS: readonly AttrSpec[] = [
  { name: 'kernel_shape', kind: 'ints', required: true, doc: 'Window size [KH, KW].' },
  { name: 'pads', kind: 'ints', default: [0, 0, 0, 0], doc: 'Padding [top, left, bottom, right] (ONNX order).' },
  { name: 'strides', kind: 'ints', default: [1, 1], doc: 'Strides [SH, SW].' },
  { name: 'ceil_mode', kind: 'int', default: 0, doc: 'Round the output size up instead of down (nonzero = on).' },
];

/** Output size of one pooled axis, ONNX MaxPool rules. */
export function maxPoolOutputDim(ifm: number, k: number, stride: number, padBegin: number, padEnd: number, ceilMode: boolean): number {
  const span = ifm + padBegin + padEnd - k;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // with ceil_mode, the last window must start inside the input or the leading padding
  if (ceilMode && (out - 1) * stride >= ifm + padBegin) out--;
  return out;
}

interface PoolParams {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pads: number[];
  ceil: boolean;
}

function params(a: OpAttrs): PoolParams {
  const k = a.ints('kernel_shape');
  const s = a.ints('strides');
  const pads = a.ints('pads');
  if (k.length !== 2) badAttr(OP, 'kernel_shape', k, 'must have 2 values (only 2-D pooling is supported)');
  if (s.length !== 2) badAttr(OP, 'strides', s, 'must have 2 values');
  if (pads.length !== 4) badAttr(OP, 'pads', pads, 'must have 4 values');
  if (k[0] < 1 || k[1] < 1) badAttr(OP, 'kernel_shape', k, 'must be positive');
  if (s[0] < 1 || s[1] < 1) badAttr(OP, 'strides', s, 'must be positive');
  return { kh: k[0], kw: k[1], sh: s[0], sw: s[1], pads, ceil: a.flag('ceil_mode') };
}

/** The computation is the channels-last MaxPool's (ONNX MaxPool semantics, NaN included), 2-D only. */
export function maxPoolNhwcKernel(x: F32Tensor, p: PoolParams): F32Tensor {
  if (x.shape.length !== 4) throw new Error(`${OP}: input must be NHWC (4 axes), got [${x.shape.join(',')}]`);
  return channelsLastMaxPool(x, { kernel_shape: [p.kh, p.kw], strides: [p.sh, p.sw], pads: p.pads, ceil_mode: p.ceil ? 1 : 0 });
}

export const MaxPoolNHWCOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [{ name: 'x', doc: 'Input in NHWC layout.' }],
  outputs: [{ name: 'y', doc: 'Pooled output in NHWC layout.' }],
  attrs: MAX_POOL_NHWC_ATTRS,
  summary: 'Max pooling over the H and W axes of an NHWC tensor (ONNX MaxPool semantics).',
  formula: 'y[n, oy, ox, c] = max(x[n, oy*SH + ky - pad_top, ox*SW + kx - pad_left, c]) over the KH x KW window',
  inferShapes(ctx) {
    const p = params(resolveAttrs(OP, MAX_POOL_NHWC_ATTRS, ctx.attrs));
    const s = ctx.inputShapes[0];
    if (!s || s.length !== 4) return [null];
    const [pt, pl, pb, pr] = p.pads;
    const h: Dim = typeof s[1] === 'number' ? maxPoolOutputDim(s[1], p.kh, p.sh, pt, pb, p.ceil) : null;
    const w: Dim = typeof s[2] === 'number' ? maxPoolOutputDim(s[2], p.kw, p.sw, pl, pr, p.ceil) : null;
    return [[s[0], h, w, s[3]]];
  },
  inferDatatypes(ctx) {
    resolveAttrs(OP, MAX_POOL_NHWC_ATTRS, ctx.attrs);
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    const p = params(resolveAttrs(OP, MAX_POOL_NHWC_ATTRS, attrs));
    return [maxPoolNhwcKernel(needInput(inputs, 0, OP, 'x'), p)];
  },
};
