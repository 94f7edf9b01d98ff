/**
 * Conv in domain qonnx.custom_op.channels_last: ONNX Conv on channels-last tensors, 1-D or 2-D.
 *
 *   x [N, (H,) W, C], W [OC, (KH,) KW, C/group] (the standard weight transposed channels-last), B [OC]
 *   y[n, oy, ox, oc] = B[oc] + sum over ky, kx, c of
 *       x[n, oy*SH + ky*DH - PT, ox*SW + kx*DW - PL, g*C/group + c] * W[oc, ky, kx, c],  g = oc div (OC/group)
 *
 * i.e. the standard Conv on the channels-first transposes of x and W, transposed back. Every
 * attribute keeps its ONNX meaning (pads in ONNX order [begin..., end...], auto_pad, group,
 * dilations); missing kernel_shape/strides/dilations/pads take the ONNX defaults.
 *
 * The kernel computes directly in the channels-last layout (the same sums as on the transposes) and
 * accumulates each output in float64, rounding once to float32; onnxruntime accumulates in float32 in
 * another order, so results agree to accumulation rounding (about 1e-6 relative), not bit for bit.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import type { AttrSpec, AttrValue, CustomOpDef, F32Tensor } from '../opTypes.js';
import { FLOAT32 } from '../datatypes.js';
import { badAttr, resolveAttrs } from './attrs.js';
import { needInput } from './broadcast.js';
import { autoPadAttr, axisWindow, spatialOutDims, spatialParams } from './channelsLastLayout.js';

const OP = 'Conv';

export const CHANNELS_LAST_CONV_ATTRS: readonly AttrSpec[] = [
  { name: 'kernel_shape', kind: 'ints', default: [], doc: 'Kernel size per spatial axis; empty: taken from the weight.' },
  { name: 'strides', kind: 'ints', default: [], doc: 'Stride per spatial axis (default 1).' },
  { name: 'dilations', kind: 'ints', default: [], doc: 'Dilation per spatial axis (default 1).' },
  { name: 'pads', kind: 'ints', default: [], doc: 'Padding [begin..., end...] as in ONNX, e.g. [top, left, bottom, right] (default 0).' },
  { name: 'group', kind: 'int', default: 1, doc: 'Number of channel groups (group = C: depthwise).' },
  autoPadAttr,
];

export function channelsLastConv(x: F32Tensor, w: F32Tensor, b: F32Tensor | undefined, attrs: Record<string, AttrValue>): F32Tensor {
  const a = resolveAttrs(OP, CHANNELS_LAST_CONV_ATTRS, attrs);
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw new Error(`${OP} (channels last): input must have 3 or 4 axes, got [${x.shape.join(',')}]`);
  if (w.shape.length !== rank) throw new Error(`${OP} (channels last): weight [${w.shape.join(',')}] must have as many axes as the input [${x.shape.join(',')}]`);
  const nsp = rank - 2;
  const { k, s, d, p, autoPad } = spatialParams(a, nsp, w.shape.slice(1, 1 + nsp));
  if (k.length !== nsp || s.length !== nsp || d.length !== nsp || p.length !== 2 * nsp) badAttr(OP, 'kernel_shape', k, `and strides/dilations/pads must match ${nsp} spatial axes`);
  const group = a.int('group');
  const N = x.shape[0], C = x.shape[rank - 1];
  const [H, W] = nsp === 2 ? [x.shape[1], x.shape[2]] : [1, x.shape[1]];
  const OC = w.shape[0], CG = w.shape[rank - 1];
  const [KH, KW] = nsp === 2 ? [k[0], k[1]] : [1, k[0]];
  if (group < 1 || C % group !== 0 || OC % group !== 0 || CG !== C / group)
    throw new Error(`${OP} (channels last): ${C} input channels, weight [${w.shape.join(',')}] and group ${group} do not fit together`);
  if (w.shape.slice(1, 1 + nsp).some((v, i) => v !== k[i])) badAttr(OP, 'kernel_shape', k, `does not match the weight [${w.shape.join(',')}]`);
  const wy = nsp === 2 ? axisWindow(H, KH, s[0], d[0], p[0], p[2], autoPad) : { out: 1, padBegin: 0 };
  const wx = axisWindow(W, KW, s[nsp - 1], d[nsp - 1], p[nsp - 1], p[2 * nsp - 1], autoPad);
  const [SH, DH] = nsp === 2 ? [s[0], d[0]] : [1, 1];
  const [SW, DW] = [s[nsp - 1], d[nsp - 1]];
  const OH = wy.out, OW = wx.out;
  if (OH < 1 || OW < 1) throw new Error(`${OP} (channels last): the kernel does not fit the padded input`);
  const ocPerGroup = OC / group;
  const out = new Float32Array(N * OH * OW * OC);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let oc = 0; oc < OC; oc++) {
          const c0 = Math.floor(oc / ocPerGroup) * CG;
          let acc = b ? b.data[oc] : 0;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * SH + ky * DH - wy.padBegin;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * SW + kx * DW - wx.padBegin;
              if (ix < 0 || ix >= W) continue;
              const xb = ((n * H + iy) * W + ix) * C + c0;
              const wb = ((oc * KH + ky) * KW + kx) * CG;
              for (let c = 0; c < CG; c++) acc += x.data[xb + c] * w.data[wb + c];
            }
          }
          out[o++] = acc;
        }
  return { shape: nsp === 2 ? [N, OH, OW, OC] : [N, OW, OC], data: out };
}

export const ChannelsLastConvOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Input, channels last: [N, H, W, C] or [N, W, C].' },
    { name: 'W', doc: 'Weight, channels last: [OC, KH, KW, C/group] (the ONNX weight transposed).' },
    { name: 'B', doc: 'Bias [OC].', optional: true },
  ],
  outputs: [{ name: 'y', doc: 'Output, channels last: [N, OH, OW, OC].' }],
  attrs: CHANNELS_LAST_CONV_ATTRS,
  summary: 'ONNX Conv on channels-last (NHWC) tensors: the standard Conv of the transposed input and weight, transposed back.',
  formula: 'y[n, oy, ox, oc] = B[oc] + sum(x[n, oy*SH + ky*DH - pad_top, ox*SW + kx*DW - pad_left, g*C/group + c] * W[oc, ky, kx, c])',
  inferShapes(ctx) {
    const a = resolveAttrs(OP, CHANNELS_LAST_CONV_ATTRS, ctx.attrs);
    const xs = ctx.inputShapes[0], ws = ctx.inputShapes[1];
    if (!xs || (xs.length !== 3 && xs.length !== 4)) return [null];
    const nsp = xs.length - 2;
    const kw = ws && ws.length === xs.length ? ws.slice(1, 1 + nsp) : undefined;
    const kFromW = kw && kw.every((v) => typeof v === 'number') ? (kw as number[]) : undefined;
    const { k, s, d, p, autoPad } = spatialParams(a, nsp, kFromW);
    const sp = spatialOutDims(xs.slice(1, 1 + nsp), k, s, d, p, autoPad);
    const oc: Dim = ws ? ws[0] : null;
    return [[xs[0], ...sp, oc]];
  },
  inferDatatypes(ctx) {
    resolveAttrs(OP, CHANNELS_LAST_CONV_ATTRS, ctx.attrs);
    // as the reference's channels-last wrapper: the output keeps input 0's datatype
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    return [channelsLastConv(needInput(inputs, 0, OP, 'x'), needInput(inputs, 1, OP, 'W'), inputs[2], attrs)];
  },
};
