/**
 * FloatQuant: quantization to an arbitrary-precision float format (e.g. FP8 E4M3), always signed.
 *
 * With X = x / scale, e = exp_bw, m = mant_bw, b = exp_bias (default 2^(e-1) - 1):
 *   s = 2^max(floor(log2(|X| + tiny)) - m, 1 - b - m)       (tiny = smallest normal float32, 2^-126)
 *   q = s * rounding(X / s)
 *   q = clip(q, -M, M) with M = min((2 - 2^-m) * 2^(2^e - 1 - b), max_val)
 *   out = q * scale
 * Without saturation, values that fell outside [-M, M] become ±inf (has_inf) or NaN (has_nan, which
 * also turns infinities into NaN); with neither flag the reference raises an error whenever
 * saturation is off, whatever the data, and so does this kernel.
 * Subnormals are always produced (the exponent floor 1 - b - m); has_subnormal does not change the
 * computation, as in the reference.
 */
import { arbFloatType, FLOAT32 } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, F32Tensor } from '../opTypes.js';
import { ROUNDING_MODES, roundingFunction } from '../rounding.js';
import { resolveAttrs } from './attrs.js';
import { allEqual, broadcastAll, needInput, sameAsInput0 } from './broadcast.js';

const f32 = Math.fround;
/** numpy.finfo(float32).tiny */
const TINY_F32 = 2 ** -126;

export const FLOAT_QUANT_ATTRS: readonly AttrSpec[] = [
  { name: 'rounding_mode', kind: 'string', default: 'ROUND', allowed: ROUNDING_MODES, doc: 'Rounding of the mantissa (ROUND = half to even).' },
  { name: 'has_inf', kind: 'int', default: 0, doc: 'The format has infinities: without saturation, overflow gives ±inf.' },
  { name: 'has_nan', kind: 'int', default: 0, doc: 'The format has NaN: without saturation (and without inf), overflow gives NaN.' },
  { name: 'has_subnormal', kind: 'int', default: 0, doc: 'The format has subnormals (informative: the computation always produces them).' },
  { name: 'saturation', kind: 'int', default: 1, doc: 'Clamp out-of-range values to ±max (1) instead of inf/NaN (0).' },
];

/** Default exponent bias 2^(e-1) - 1. */
export function defaultExponentBias(e: number): number {
  return f32(f32(2 ** f32(e - 1)) - 1);
}

/**
 * Largest finite value (2 - 2^-m) * 2^(2^e - 1 - b), computed like the reference: the mantissa sum in
 * float64, the exponent in float32, the product in float64.
 */
export function floatQuantMaxValue(e: number, m: number, bias: number): number {
  let mant = 0;
  for (let k = 0; -k > -m - 1; k++) mant += 2 ** -k;
  const maxExp = f32(f32(f32(2 ** e) - 1) - bias);
  return mant * f32(2 ** maxExp);
}

export interface FloatQuantOptions {
  roundingMode: string;
  hasInf: boolean;
  hasNan: boolean;
  saturation: boolean;
}

/** The FloatQuant computation. exponentBias and maxVal may be omitted (default bias, no extra limit). */
export function floatQuantKernel(
  x: F32Tensor,
  scale: F32Tensor,
  expBits: F32Tensor,
  mantBits: F32Tensor,
  exponentBias: F32Tensor | undefined,
  maxVal: F32Tensor | undefined,
  opts: FloatQuantOptions,
  opType = 'FloatQuant',
): F32Tensor {
  if (!opts.saturation && !opts.hasInf && !opts.hasNan)
    throw new Error(`${opType}: saturation is off but neither has_inf nor has_nan is set, so out-of-range values have no representation`);
  const round = roundingFunction(opts.roundingMode);
  const list = [x, scale, expBits, mantBits];
  if (exponentBias) list.push(exponentBias);
  if (maxVal) list.push(maxVal);
  const { shape, arrays } = broadcastAll(list, opType);
  const [xs, ss, es, ms] = arrays;
  const bs = exponentBias ? arrays[4] : undefined;
  const mv = maxVal ? arrays[exponentBias ? 5 : 4] : undefined;
  const out = new Float32Array(xs.length);
  // per-parameter constants, recomputed only when a parameter changes along the broadcast
  let pe = NaN, pm = NaN, pb = NaN, pmax = NaN, first = true;
  let bias = 0, minScaleExp = 0, maxValue = 0;
  for (let i = 0; i < xs.length; i++) {
    const e = es[i];
    const m = ms[i];
    const limit = mv ? mv[i] : Infinity;
    const b0 = bs ? bs[i] : NaN;
    if (first || !Object.is(e, pe) || !Object.is(m, pm) || !Object.is(b0, pb) || !Object.is(limit, pmax)) {
      first = false;
      pe = e;
      pm = m;
      pb = b0;
      pmax = limit;
      bias = bs ? b0 : defaultExponentBias(e);
      minScaleExp = f32(f32(1 - bias) - m);
      maxValue = Math.min(floatQuantMaxValue(e, m, bias), limit);
    }
    const s = ss[i];
    const X = f32(xs[i] / s);
    let scaleExp = f32(Math.floor(f32(Math.log2(f32(Math.abs(X) + TINY_F32)))) - m);
    scaleExp = Math.max(scaleExp, minScaleExp);
    const internal = f32(2 ** scaleExp);
    let q: number = f32(internal * round(f32(X / internal)));
    const isInf = q === Infinity || q === -Infinity;
    const over = q > maxValue;
    const under = q < -maxValue;
    if (over) q = maxValue;
    else if (under) q = -maxValue;
    if (!opts.saturation) {
      if (opts.hasInf) {
        if (over) q = Infinity;
        else if (under) q = -Infinity;
      } else if (over || under || isInf) q = NaN;
    }
    // the reference multiplies in float64 here (the clip bound is float64) and casts once
    out[i] = f32(q * s);
  }
  return { shape, data: out };
}

export const FloatQuantOp: CustomOpDef = {
  opType: 'FloatQuant',
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Tensor to quantize (float32).' },
    { name: 'scale', doc: 'Scale factor, broadcast against x.' },
    { name: 'exp_bw', doc: 'Exponent bit width e.' },
    { name: 'mant_bw', doc: 'Mantissa bit width m.' },
    { name: 'exp_bias', doc: 'Exponent bias (default 2^(e-1) - 1 when omitted).', optional: true },
    { name: 'max_val', doc: 'Largest magnitude allowed (further limits the format maximum; none when omitted).', optional: true },
  ],
  outputs: [{ name: 'y', doc: 'Values rounded to the float format, in x\'s scale (float32), shape of x.' }],
  attrs: FLOAT_QUANT_ATTRS,
  summary: 'Round to a minifloat format (sign, e exponent bits, m mantissa bits, bias), with subnormals and saturation.',
  formula:
    'X = x / scale; s = 2^max(floor(log2|X|) - m, 1 - bias - m); q = s * rounding(X / s); ' +
    'q = clip(q, -M, M) with M = min((2 - 2^-m) * 2^(2^e - 1 - bias), max_val); y = q * scale. ' +
    'Without saturation, overflow gives ±inf (has_inf) or NaN (has_nan).',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes(ctx) {
    resolveAttrs('FloatQuant', FLOAT_QUANT_ATTRS, ctx.attrs);
    const c = ctx.constInputs;
    const single = (t: F32Tensor | undefined) => (t && t.data.length === 1 ? t.data[0] : undefined);
    const scale = single(c[1]);
    const e = single(c[2]);
    const m = single(c[3]);
    // optional parameters: when present they must be scalar initializers too
    const biasGiven = c[4] !== undefined || ctx.inputTypes.length > 4;
    const bias = c[4] ? single(c[4]) : undefined;
    const maxGiven = c[5] !== undefined || ctx.inputTypes.length > 5;
    if (scale !== 1 || !allEqual(c[1], 1) || e === undefined || m === undefined) return [FLOAT32];
    if (biasGiven && bias === undefined) return [FLOAT32];
    if (maxGiven && single(c[5]) === undefined) return [FLOAT32];
    if (!Number.isInteger(e) || !Number.isInteger(m) || e < 1 || m < 0) return [FLOAT32];
    const b = bias ?? defaultExponentBias(e);
    if (!Number.isInteger(b)) return [FLOAT32];
    return [arbFloatType(e, m, b)];
  },
  execute(inputs, attrs) {
    const a = resolveAttrs('FloatQuant', FLOAT_QUANT_ATTRS, attrs);
    return [
      floatQuantKernel(
        needInput(inputs, 0, 'FloatQuant', 'x'),
        needInput(inputs, 1, 'FloatQuant', 'scale'),
        needInput(inputs, 2, 'FloatQuant', 'exp_bw'),
        needInput(inputs, 3, 'FloatQuant', 'mant_bw'),
        inputs[4],
        inputs[5],
        {
          roundingMode: a.str('rounding_mode'),
          hasInf: a.flag('has_inf'),
          hasNan: a.flag('has_nan'),
          saturation: a.flag('saturation'),
        },
      ),
    ];
  },
};
