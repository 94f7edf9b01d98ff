/**
 * Im2Col: lowers a convolution input to a patch matrix, in NHWC.
 *
 *   x [N, H, W, C] -> y [N, OH, OW, KH*KW*C],
 *   y[n, oy, ox, (ky*KW + kx)*C + c] = x[n, oy*SH + ky*DH - PT, ox*SW + kx*DW - PL, c]
 *   (pad_value outside the image), OH = trunc((H + PT + PB - DH*(KH-1) - 1) / SH + 1), same for W.
 *
 * pad_amount is [top, left, bottom, right]. A spatial axis of size 1 is a dummy axis (1-D convs
 * written as 2-D): its kernel must be 1 and its padding 0.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import { FLOAT32 } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, F32Tensor } from '../opTypes.js';
import { badAttr, resolveAttrs, type OpAttrs } from './attrs.js';
import { needInput } from './broadcast.js';

const OP = 'Im2Col';

export const IM2COL_ATTRS: readonly AttrSpec[] = [
  { name: 'stride', kind: 'ints', required: true, doc: 'Strides [SH, SW].' },
  { name: 'kernel_size', kind: 'ints', required: true, doc: 'Kernel size [KH, KW].' },
  {
    name: 'input_shape',
    kind: 'string',
    default: '',
    doc: 'Input shape as text, e.g. "(1, 28, 28, 3)"; the reference computes the output shape from it (required there). Used here only when the input shape is unknown.',
  },
  { name: 'pad_amount', kind: 'ints', default: [0, 0, 0, 0], doc: 'Padding [top, left, bottom, right].' },
  { name: 'pad_value', kind: 'int', default: 0, doc: 'Value of the padding pixels.' },
  { name: 'depthwise', kind: 'int', default: 0, allowed: [0, 1], doc: 'Marks a depthwise convolution (informative for hardware mapping).' },
  { name: 'dilations', kind: 'ints', default: [1, 1], doc: 'Kernel dilation [DH, DW].' },
];

/** Output size of a convolution axis, as the reference computes it (Python int() truncation). */
export function convOutputDim(ifm: number, k: number, stride: number, totalPad = 0, dilation = 1): number {
  return Math.trunc((ifm + totalPad - dilation * (k - 1) - 1) / stride + 1);
}

interface Im2ColParams {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pads: number[];
  dh: number;
  dw: number;
  padValue: number;
}

function pair(a: OpAttrs, name: string): [number, number] {
  const v = a.ints(name);
  if (v.length !== 2) badAttr(OP, name, v, 'must have 2 values [H, W]');
  return [v[0], v[1]];
}

function params(a: OpAttrs): Im2ColParams {
  const [kh, kw] = pair(a, 'kernel_size');
  const [sh, sw] = pair(a, 'stride');
  const [dh, dw] = pair(a, 'dilations');
  const pads = a.ints('pad_amount');
  if (pads.length !== 4) badAttr(OP, 'pad_amount', pads, 'must have 4 values [top, left, bottom, right]');
  if (kh < 1 || kw < 1) badAttr(OP, 'kernel_size', [kh, kw], 'must be positive');
  if (sh < 1 || sw < 1) badAttr(OP, 'stride', [sh, sw], 'must be positive');
  if (dh < 1 || dw < 1) badAttr(OP, 'dilations', [dh, dw], 'must be positive');
  return { kh, kw, sh, sw, pads, dh, dw, padValue: a.int('pad_value') };
}

/** "(1, 4, 4, 3)" or "[1,4,4,3]" -> [1, 4, 4, 3]; undefined when not parseable. */
export function parseShapeText(text: string): number[] | undefined {
  const inner = text.trim().replace(/^[([]/, '').replace(/[)\]]$/, '');
  const parts = inner.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return undefined;
  const nums = parts.map(Number);
  return nums.every((n) => Number.isInteger(n)) ? nums : undefined;
}

export function im2colKernel(x: F32Tensor, p: Im2ColParams): F32Tensor {
  if (x.shape.length !== 4) throw new Error(`${OP}: input must be NHWC (4 axes), got [${x.shape.join(',')}]`);
  const [N, H, W, C] = x.shape;
  const { kh, kw, sh, sw, pads, dh, dw, padValue } = p;
  const [pt, pl, pb, pr] = pads;
  if (H === 1 && (kh !== 1 || pt + pb !== 0))
    throw new Error(`${OP}: input height is 1 (a dummy axis), so the kernel height must be 1 and the vertical padding 0`);
  if (W === 1 && (kw !== 1 || pl + pr !== 0))
    throw new Error(`${OP}: input width is 1 (a dummy axis), so the kernel width must be 1 and the horizontal padding 0`);
  const OH = convOutputDim(H, kh, sh, pt + pb, dh);
  const OW = convOutputDim(W, kw, sw, pl + pr, dw);
  if (OH < 1 || OW < 1) throw new Error(`${OP}: the kernel does not fit the padded input (output ${OH}x${OW})`);
  const patch = kh * kw * C;
  const out = new Float32Array(N * OH * OW * patch);
  const fill = Math.fround(padValue);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - pt;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx * dw - pl;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              out.fill(fill, o, o + C);
              o += C;
              continue;
            }
            const base = ((n * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) out[o++] = x.data[base + c];
          }
        }
  return { shape: [N, OH, OW, patch], data: out };
}

export const Im2ColOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [{ name: 'x', doc: 'Image in NHWC layout.' }],
  outputs: [{ name: 'y', doc: 'Patch matrix [N, OH, OW, KH*KW*C], each patch ordered (ky, kx, c).' }],
  attrs: IM2COL_ATTRS,
  summary: 'Gather every convolution window of an NHWC image into one row (lowers Conv to MatMul).',
  formula: 'y[n, oy, ox, (ky*KW + kx)*C + c] = x[n, oy*SH + ky*DH - pad_top, ox*SW + kx*DW - pad_left, c] (pad_value outside)',
  inferShapes(ctx) {
    const a = resolveAttrs(OP, IM2COL_ATTRS, ctx.attrs);
    const p = params(a);
    let s: Dim[] | null | undefined = ctx.inputShapes[0];
    if (!s || s.length !== 4 || [1, 2, 3].some((k) => typeof s![k] !== 'number')) {
      const text = parseShapeText(a.str('input_shape'));
      if (!text || text.length !== 4) return [null];
      // the reference's shape rule always gives batch 1
      s = [1, text[1], text[2], text[3]];
    }
    const [n, h, w, c] = s as [Dim, number, number, number];
    const oh = convOutputDim(h, p.kh, p.sh, p.pads[0] + p.pads[2], p.dh);
    const ow = convOutputDim(w, p.kw, p.sw, p.pads[1] + p.pads[3], p.dw);
    return [[n, oh, ow, p.kh * p.kw * c]];
  },
  inferDatatypes(ctx) {
    resolveAttrs(OP, IM2COL_ATTRS, ctx.attrs);
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    const p = params(resolveAttrs(OP, IM2COL_ATTRS, attrs));
    return [im2colKernel(needInput(inputs, 0, OP, 'x'), p)];
  },
};
