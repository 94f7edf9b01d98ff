/**
 * QuantAvgPool2d (Brevitas' quantized average pooling): a k x k average pool (no padding) whose
 * integer sum is shifted right to fit obits.
 *
 *   y = round(avgpool_k,s(x) * k^2) >> shift,  shift = max(0, bitlength((2^ibits - 1) * k^2) - obits)
 *
 * The pool sums in float32 (row by row), divides by k^2 and multiplies back as the reference does
 * through onnxruntime's AveragePool; ">>" is an arithmetic shift (floor division by 2^shift).
 */
import type { Dim } from '../../ir/tensorInfo.js';
import { intType } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, F32Tensor } from '../opTypes.js';
import { roundHalfEven } from '../rounding.js';
import { badAttr, resolveAttrs, type OpAttrs } from './attrs.js';
import { needInput } from './broadcast.js';

const OP = 'QuantAvgPool2d';
const f32 = Math.fround;

export const QUANT_AVG_POOL_ATTRS: readonly AttrSpec[] = [
  { name: 'stride', kind: 'int', default: 1, doc: 'Pooling stride (both axes).' },
  { name: 'kernel', kind: 'int', default: 1, doc: 'Pooling window size k (k x k).' },
  { name: 'ibits', kind: 'int', default: 1, doc: 'Bit width of the input integers.' },
  { name: 'obits', kind: 'int', default: 1, doc: 'Bit width of the output integers (2..32).' },
  { name: 'signed', kind: 'int', default: 0, allowed: [0, 1], doc: 'Values are signed (1) or unsigned (0).' },
  { name: 'data_layout', kind: 'string', default: 'NCHW', allowed: ['NCHW', 'NHWC'], doc: 'Input/output layout.' },
];

/** Output size of a pooling axis (no padding, floor mode). */
export function poolOutputDim(ifm: number, k: number, stride: number): number {
  return Math.floor((ifm - k) / stride + 1);
}

/** Bits of the largest possible window sum, (2^ibits - 1) * k^2. */
export function accumulatorBits(ibits: number, k: number): number {
  const max = ((1n << BigInt(ibits)) - 1n) * BigInt(k * k);
  return max === 0n ? 0 : max.toString(2).length;
}

export function quantAvgPoolShift(ibits: number, obits: number, k: number): number {
  return Math.max(0, accumulatorBits(ibits, k) - obits);
}

interface PoolParams {
  k: number;
  s: number;
  shift: number;
  nhwc: boolean;
}

function params(a: OpAttrs): PoolParams {
  const k = a.int('kernel');
  const s = a.int('stride');
  if (k < 1) badAttr(OP, 'kernel', k, 'must be positive');
  if (s < 1) badAttr(OP, 'stride', s, 'must be positive');
  if (a.int('ibits') < 0) badAttr(OP, 'ibits', a.int('ibits'), 'must not be negative');
  return { k, s, shift: quantAvgPoolShift(a.int('ibits'), a.int('obits'), k), nhwc: a.str('data_layout') === 'NHWC' };
}

export function quantAvgPoolKernel(x: F32Tensor, p: PoolParams): F32Tensor {
  if (x.shape.length !== 4) throw new Error(`${OP}: input must have 4 axes, got [${x.shape.join(',')}]`);
  const { k, s, shift, nhwc } = p;
  const [N, C, H, W] = nhwc ? [x.shape[0], x.shape[3], x.shape[1], x.shape[2]] : x.shape;
  const OH = poolOutputDim(H, k, s);
  const OW = poolOutputDim(W, k, s);
  if (OH < 1 || OW < 1) throw new Error(`${OP}: kernel ${k} does not fit the ${H}x${W} input`);
  // element offset of (n, c, y, x) in either layout
  const at = nhwc ? (n: number, c: number, y: number, xx: number) => ((n * H + y) * W + xx) * C + c : (n: number, c: number, y: number, xx: number) => ((n * C + c) * H + y) * W + xx;
  const outShape = nhwc ? [N, OH, OW, C] : [N, C, OH, OW];
  const outAt = nhwc ? (n: number, c: number, y: number, xx: number) => ((n * OH + y) * OW + xx) * C + c : (n: number, c: number, y: number, xx: number) => ((n * C + c) * OH + y) * OW + xx;
  const out = new Float32Array(N * C * OH * OW);
  const kk = k * k;
  const div = 2 ** shift;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let sum = 0;
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) sum = f32(sum + x.data[at(n, c, oy * s + ky, ox * s + kx)]);
          const avg = f32(sum / kk);
          const total = roundHalfEven(f32(avg * kk));
          out[outAt(n, c, oy, ox)] = f32(Math.floor(total / div));
        }
  return { shape: outShape, data: out };
}

export const QuantAvgPool2dOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [{ name: 'x', doc: 'Integer-valued input, NCHW or NHWC (data_layout).' }],
  outputs: [{ name: 'y', doc: 'Pooled integers (sum of the window shifted right), same layout.' }],
  attrs: QUANT_AVG_POOL_ATTRS,
  summary: 'Average pooling on integers: window sum shifted right so the result fits obits.',
  formula: 'y = round(avgpool(x) * k^2) >> max(0, bitlength((2^ibits - 1) * k^2) - obits)',
  inferShapes(ctx) {
    const p = params(resolveAttrs(OP, QUANT_AVG_POOL_ATTRS, ctx.attrs));
    const sh = ctx.inputShapes[0];
    if (!sh || sh.length !== 4) return [null];
    const dim = (d: Dim): Dim => (typeof d === 'number' ? poolOutputDim(d, p.k, p.s) : null);
    return [p.nhwc ? [sh[0], dim(sh[1]), dim(sh[2]), sh[3]] : [sh[0], sh[1], dim(sh[2]), dim(sh[3])]];
  },
  inferDatatypes(ctx) {
    const a = resolveAttrs(OP, QUANT_AVG_POOL_ATTRS, ctx.attrs);
    const bw = a.int('obits');
    if (bw < 2 || bw > 32) badAttr(OP, 'obits', bw, 'must be between 2 and 32 for the output datatype');
    return [intType(bw, a.flag('signed'))];
  },
  execute(inputs, attrs) {
    const p = params(resolveAttrs(OP, QUANT_AVG_POOL_ATTRS, attrs));
    return [quantAvgPoolKernel(needInput(inputs, 0, OP, 'x'), p)];
  },
};
