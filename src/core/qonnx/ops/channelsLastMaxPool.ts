/**
 * MaxPool in domain qonnx.custom_op.channels_last: ONNX MaxPool on channels-last tensors, 1-D or 2-D.
 *
 *   x [N, (H,) W, C] -> y [N, (OH,) OW, C]
 *   y[n, oy, ox, c] = max over the window of x[n, oy*SH + ky*DH - PT, ox*SW + kx*DW - PL, c]
 *
 * i.e. the standard MaxPool (output 0) on the channels-first transpose, transposed back. Attributes
 * keep their ONNX meaning: pads [begin..., end...], auto_pad, dilations, ceil_mode (a window must
 * start inside the input or the leading padding). Padded positions never win. Exact (a maximum
 * involves no rounding).
 */
import type { AttrSpec, AttrValue, CustomOpDef, F32Tensor } from '../opTypes.js';
import { FLOAT32 } from '../datatypes.js';
import { badAttr, resolveAttrs } from './attrs.js';
import { needInput } from './broadcast.js';
import { autoPadAttr, axisWindow, spatialOutDims, spatialParams } from './channelsLastLayout.js';

const OP = 'MaxPool';

export const CHANNELS_LAST_MAXPOOL_ATTRS: readonly AttrSpec[] = [
  { name: 'kernel_shape', kind: 'ints', required: true, doc: 'Window size per spatial axis.' },
  { name: 'strides', kind: 'ints', default: [], doc: 'Stride per spatial axis (default 1).' },
  { name: 'dilations', kind: 'ints', default: [], doc: 'Dilation per spatial axis (default 1).' },
  { name: 'pads', kind: 'ints', default: [], doc: 'Padding [begin..., end...] as in ONNX (default 0).' },
  { name: 'ceil_mode', kind: 'int', default: 0, doc: 'Round the output size up instead of down (nonzero = on).' },
  { name: 'storage_order', kind: 'int', default: 0, doc: 'Only affects the Indices output of ONNX MaxPool, which the channels-last op does not have.' },
  autoPadAttr,
];

export function channelsLastMaxPool(x: F32Tensor, attrs: Record<string, AttrValue>): F32Tensor {
  const a = resolveAttrs(OP, CHANNELS_LAST_MAXPOOL_ATTRS, attrs);
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw new Error(`${OP} (channels last): input must have 3 or 4 axes, got [${x.shape.join(',')}]`);
  const nsp = rank - 2;
  const { k, s, d, p, autoPad } = spatialParams(a, nsp);
  if (k.length !== nsp || s.length !== nsp || d.length !== nsp || p.length !== 2 * nsp) badAttr(OP, 'kernel_shape', k, `and strides/dilations/pads must match ${nsp} spatial axes`);
  const ceil = a.flag('ceil_mode');
  const N = x.shape[0], C = x.shape[rank - 1];
  const [H, W] = nsp === 2 ? [x.shape[1], x.shape[2]] : [1, x.shape[1]];
  const [KH, SH, DH] = nsp === 2 ? [k[0], s[0], d[0]] : [1, 1, 1];
  const [KW, SW, DW] = [k[nsp - 1], s[nsp - 1], d[nsp - 1]];
  const wy = nsp === 2 ? axisWindow(H, KH, SH, DH, p[0], p[2], autoPad, ceil) : { out: 1, padBegin: 0 };
  const wx = axisWindow(W, KW, SW, DW, p[nsp - 1], p[2 * nsp - 1], autoPad, ceil);
  const OH = wy.out, OW = wx.out;
  if (OH < 1 || OW < 1) throw new Error(`${OP} (channels last): the window does not fit the padded input`);
  const out = new Float32Array(N * OH * OW * C);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          let m = -Infinity;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * SH + ky * DH - wy.padBegin;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * SW + kx * DW - wx.padBegin;
              if (ix < 0 || ix >= W) continue;
              const v = x.data[((n * H + iy) * W + ix) * C + c];
              if (v > m || Number.isNaN(v)) m = v;
            }
          }
          out[o++] = m;
        }
  return { shape: nsp === 2 ? [N, OH, OW, C] : [N, OW, C], data: out };
}

export const ChannelsLastMaxPoolOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [{ name: 'x', doc: 'Input, channels last: [N, H, W, C] or [N, W, C].' }],
  outputs: [{ name: 'y', doc: 'Pooled output, channels last.' }],
  attrs: CHANNELS_LAST_MAXPOOL_ATTRS,
  summary: 'ONNX MaxPool on channels-last (NHWC) tensors: the standard MaxPool of the transposed input, transposed back.',
  formula: 'y[n, oy, ox, c] = max(x[n, oy*SH + ky*DH - pad_top, ox*SW + kx*DW - pad_left, c]) over the window',
  inferShapes(ctx) {
    const a = resolveAttrs(OP, CHANNELS_LAST_MAXPOOL_ATTRS, ctx.attrs);
    const xs = ctx.inputShapes[0];
    if (!xs || (xs.length !== 3 && xs.length !== 4)) return [null];
    const nsp = xs.length - 2;
    const { k, s, d, p, autoPad } = spatialParams(a, nsp);
    return [[xs[0], ...spatialOutDims(xs.slice(1, 1 + nsp), k, s, d, p, autoPad, a.flag('ceil_mode')), xs[xs.length - 1]]];
  },
  inferDatatypes(ctx) {
    resolveAttrs(OP, CHANNELS_LAST_MAXPOOL_ATTRS, ctx.attrs);
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    return [channelsLastMaxPool(needInput(inputs, 0, OP, 'x'), attrs)];
  },
};
