/**
 * Quant (alias IntQuant): uniform integer quantization with scale, zero point and bit width.
 *
 *   y = x / scale + zeropt; y = round(clamp(y, min, max)); out = (y - zeropt) * scale
 *
 * Every step in float32 (as the reference's numpy float32 arrays), scale/zeropt/bitwidth broadcast
 * against x with numpy rules. Clamping comes BEFORE rounding. With bit width 1 and signed, y becomes
 * +1 where y >= 0 and -1 elsewhere (NaN included), with no clamp and no rounding.
 */
import { BINARY, BIPOLAR, FLOAT32, intType, scaledIntType, type DataType } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, DatatypeContext, F32Tensor } from '../opTypes.js';
import { ROUNDING_MODES, roundingFunction } from '../rounding.js';
import { resolveAttrs } from './attrs.js';
import { allEqual, broadcastAll, needInput, sameAsInput0, scalarOf } from './broadcast.js';

const f32 = Math.fround;

/** Smallest integer of the (signed, narrow, bits) range, computed in float32 like the reference. */
export function minInt(signed: boolean, narrow: boolean, bits: number): number {
  if (!signed) return 0;
  const m = -f32(2 ** f32(bits - 1));
  return narrow ? f32(m + 1) : m;
}

/** Largest integer of the (signed, narrow, bits) range, computed in float32 like the reference. */
export function maxInt(signed: boolean, narrow: boolean, bits: number): number {
  if (signed) return f32(f32(2 ** f32(bits - 1)) - 1);
  return f32(f32(2 ** bits) - (narrow ? 2 : 1));
}

export const QUANT_ATTRS: readonly AttrSpec[] = [
  { name: 'signed', kind: 'int', default: 1, doc: 'Signed integer range (1) or unsigned (0). The reference marks it required; a missing value means 1.' },
  {
    name: 'narrow',
    kind: 'int',
    default: 1,
    doc: 'Narrow range: signed loses the most negative value, unsigned loses the largest. Default 1 as in the reference code (its documentation says 0).',
  },
  { name: 'rounding_mode', kind: 'string', default: 'ROUND', allowed: ROUNDING_MODES, doc: 'Rounding applied after clamping (ROUND = half to even).' },
];

/** The Quant computation on already-read attribute values (shared with tests and passes). */
export function quantKernel(
  x: F32Tensor,
  scale: F32Tensor,
  zeropt: F32Tensor,
  bitwidth: F32Tensor,
  signed: boolean,
  narrow: boolean,
  roundingMode: string,
  opType = 'Quant',
): F32Tensor {
  const round = roundingFunction(roundingMode);
  if (scale.data.length === 1 && zeropt.data.length === 1 && bitwidth.data.length === 1 && x.shape.length >= Math.max(scale.shape.length, zeropt.shape.length, bitwidth.shape.length)) {
    // Fast path for per-tensor parameters (the common case for activations): no broadcast copies.
    const s = scale.data[0], z = zeropt.data[0], b = bitwidth.data[0];
    const xs = x.data;
    const out = new Float32Array(xs.length);
    if (b === 1 && signed) {
      for (let i = 0; i < xs.length; i++) out[i] = f32(f32((f32(f32(xs[i] / s) + z) >= 0 ? 1 : -1) - z) * s);
    } else {
      const lo = minInt(signed, narrow, b), hi = maxInt(signed, narrow, b);
      for (let i = 0; i < xs.length; i++) {
        let y = f32(f32(xs[i] / s) + z);
        if (y > hi) y = hi;
        if (y < lo) y = lo;
        out[i] = f32(f32(round(y) - z) * s);
      }
    }
    return { shape: [...x.shape], data: out };
  }
  const {
    shape,
    arrays: [xs, ss, zs, bs],
  } = broadcastAll([x, scale, zeropt, bitwidth], opType);
  const out = new Float32Array(xs.length);
  let lastBits = NaN;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < xs.length; i++) {
    const s = ss[i];
    const z = zs[i];
    const b = bs[i];
    let y = f32(f32(xs[i] / s) + z);
    if (b === 1 && signed) {
      y = y >= 0 ? 1 : -1;
    } else {
      if (b !== lastBits) {
        lastBits = b;
        lo = minInt(signed, narrow, b);
        hi = maxInt(signed, narrow, b);
      }
      if (y > hi) y = hi;
      if (y < lo) y = lo;
      y = round(y);
    }
    out[i] = f32(f32(y - z) * s);
  }
  return { shape, data: out };
}

/** Output datatype rule shared by Quant and IntQuant. */
export function quantDatatype(opType: string, ctx: DatatypeContext): DataType {
  const a = resolveAttrs(opType, QUANT_ATTRS, ctx.attrs);
  const [, scale, zeropt, bitwidth] = ctx.constInputs;
  // scale, zero point and bit width must all be initializers; the bit width a 0-d integer
  if (!scale || !zeropt || !bitwidth) return FLOAT32;
  const bits = scalarOf(bitwidth);
  if (bits === undefined || !Number.isInteger(bits) || bits < 1) return FLOAT32;
  if (!allEqual(zeropt, 0)) return FLOAT32;
  const signed = a.flag('signed');
  if (allEqual(scale, 1)) {
    if (bits === 1) return signed ? BIPOLAR : BINARY;
    return intType(bits, signed);
  }
  // The reference returns SCALEDINT here and its InferDataTypes downgrades it to FLOAT32 without
  // "allow scaled-int"; the context carries that flag, so the rule applies the downgrade itself
  // (a caller that downgrades again gets the same answer).
  return ctx.allowScaledInt ? scaledIntType(bits) : FLOAT32;
}

export const QuantOp: CustomOpDef = {
  opType: 'Quant',
  aliases: ['IntQuant'],
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Tensor to quantize (float32).' },
    { name: 'scale', doc: 'Scale factor, broadcast against x (scalar or per channel).' },
    { name: 'zeropt', doc: 'Zero point, broadcast against x.' },
    { name: 'bitwidth', doc: 'Bit width of the integer range (scalar; at least 1; 1 + signed means bipolar).' },
  ],
  outputs: [{ name: 'y', doc: 'Quantized values in x\'s scale (float32), shape of x.' }],
  attrs: QUANT_ATTRS,
  summary: 'Uniform integer quantization: scale, clamp to the integer range, round, scale back.',
  formula:
    'q = round(clamp(x / scale + zeropt, min, max)); y = (q - zeropt) * scale. ' +
    'Signed: min = -2^(b-1) (+1 if narrow), max = 2^(b-1) - 1. Unsigned: min = 0, max = 2^b - 1 (2^b - 2 if narrow). ' +
    'Bit width 1 and signed: q = (x / scale + zeropt >= 0) ? 1 : -1.',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes: (ctx) => [quantDatatype('Quant', ctx)],
  execute(inputs, attrs) {
    const a = resolveAttrs('Quant', QUANT_ATTRS, attrs);
    const y = quantKernel(
      needInput(inputs, 0, 'Quant', 'x'),
      needInput(inputs, 1, 'Quant', 'scale'),
      needInput(inputs, 2, 'Quant', 'zeropt'),
      needInput(inputs, 3, 'Quant', 'bitwidth'),
      a.flag('signed'),
      a.flag('narrow'),
      a.str('rounding_mode'),
    );
    return [y];
  },
};
