import { describe, expect, it } from 'vitest';
import { arbFloatType, FLOAT32 } from '../datatypes.js';
import type { AttrValue, DatatypeContext, F32Tensor } from '../opTypes.js';
import { scalar, values, vec } from '../testing/tensors.js';
import { defaultExponentBias, FloatQuantOp, floatQuantMaxValue } from './floatQuant.js';

/** FloatQuant with scalar parameters; bias and max_val omitted when undefined. */
function fq(x: F32Tensor, e: number, m: number, opts: { scale?: number; bias?: number; maxVal?: number; attrs?: Record<string, AttrValue> } = {}): number[] {
  const inputs: F32Tensor[] = [x, scalar(opts.scale ?? 1), scalar(e), scalar(m)];
  if (opts.bias !== undefined || opts.maxVal !== undefined) inputs.push(scalar(opts.bias ?? defaultExponentBias(e)));
  if (opts.maxVal !== undefined) inputs.push(scalar(opts.maxVal));
  return values(FloatQuantOp.execute(inputs, opts.attrs ?? {})[0]);
}

describe('FloatQuant maximum values (default bias 2^(e-1) - 1)', () => {
  it('E2M3 = FLOAT<2,3>: 7.5, E3M2 = FLOAT<3,2>: 28, E2M1 = FLOAT<2,1>: 6, E4M3: 480, E5M2: 57344', () => {
    expect(floatQuantMaxValue(2, 3, 1)).toBe(7.5);
    expect(floatQuantMaxValue(3, 2, 3)).toBe(28);
    expect(floatQuantMaxValue(2, 1, 1)).toBe(6);
    expect(floatQuantMaxValue(4, 3, 7)).toBe(480);
    expect(floatQuantMaxValue(5, 2, 15)).toBe(114688);
    expect(defaultExponentBias(4)).toBe(7);
    // the datatype module agrees
    expect(arbFloatType(2, 3).max).toBe(7.5);
    expect(arbFloatType(3, 2).max).toBe(28);
    expect(arbFloatType(2, 1).max).toBe(6);
  });

  it('saturates large values to the maximum', () => {
    expect(fq(vec([1000, -1000, 7.5, 7.6]), 2, 3)).toEqual([7.5, -7.5, 7.5, 7.5]);
    expect(fq(vec([1000, -29, 27]), 3, 2)).toEqual([28, -28, 28]);
    expect(fq(vec([1e30, -6.1]), 2, 1)).toEqual([6, -6]);
  });

  it('max_val limits further (E4M3 with max_val 448: 470 -> 480 -> 448)', () => {
    expect(fq(vec([470, 500]), 4, 3)).toEqual([480, 480]);
    expect(fq(vec([470, 500, -470]), 4, 3, { maxVal: 448 })).toEqual([448, 448, -448]);
  });

  it('an explicit exponent bias moves the range (E4M3 with bias 8: max 240)', () => {
    expect(fq(vec([1000]), 4, 3, { bias: 8 })).toEqual([240]);
  });
});

describe('FloatQuant rounding between representable points', () => {
  it('E4M3 in [1, 2) has spacing 1/8: halves go to even under ROUND', () => {
    // 1.0625 = 8.5/8 -> 8/8; 1.1875 = 9.5/8 -> 10/8; 1.07 -> 8.56 -> 9/8
    expect(fq(vec([1.0625, 1.1875, 1.07, -1.0625]), 4, 3)).toEqual([1, 1.25, 1.125, -1]);
  });

  it('other rounding modes apply to the mantissa', () => {
    expect(fq(vec([1.12, -1.12]), 4, 3, { attrs: { rounding_mode: 'FLOOR' } })).toEqual([1, -1.125]);
    expect(fq(vec([-1.0625]), 4, 3, { attrs: { rounding_mode: 'HALF_UP' } })).toEqual([-1.125]);
  });

  it('E4M3 in [256, 448] has spacing 32', () => {
    // 300 / 32 = 9.375 -> 288; 440 / 32 = 13.75 -> 448; 464 / 32 = 14.5 -> 14 -> 448
    expect(fq(vec([300, 440, 464]), 4, 3, { maxVal: 448 })).toEqual([288, 448, 448]);
  });

  it('E2M1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6): 5 -> 4 (half to even), 2.5 -> 2, 3.5 -> 4', () => {
    expect(fq(vec([5, 2.5, 3.5, 1.25, 1.75, 0.8]), 2, 1)).toEqual([4, 2, 4, 1, 2, 1]);
  });
});

describe('FloatQuant subnormals', () => {
  it('E2M1: below the smallest normal (1.0) the step stays 2^(1 - bias - m) = 0.5', () => {
    // 0.2 -> 0.4 steps -> 0; 0.3 -> 0.6 -> 0.5; 0.25 -> 0.5 steps -> 0 (half to even); 0.75 -> 1.5 -> 2 steps = 1.0
    expect(fq(vec([0.2, 0.3, 0.25, 0.75, -0.3]), 2, 1)).toEqual([0, 0.5, 0, 1, -0.5]);
  });

  it('E4M3: smallest subnormal 2^-9', () => {
    const s = 2 ** -9;
    // 1.5 s is a half step -> 2 s (even); from the smallest normal 2^-6 the step is still 2^-9:
    // 2^-6 + 2^-9 is exact, 2^-6 + 2^-10 is a half step -> 2^-6 (even mantissa)
    expect(fq(vec([s, s / 2, 1.5 * s, 3 * s, 2 ** -6 + s, 2 ** -6 + s / 2]), 4, 3)).toEqual([s, 0, 2 * s, 3 * s, 2 ** -6 + s, 2 ** -6]);
  });

  it('has_subnormal does not change the computation', () => {
    const x = vec([0.3, 0.2, 0.75]);
    expect(fq(x, 2, 1, { attrs: { has_subnormal: 1 } })).toEqual(fq(x, 2, 1, { attrs: { has_subnormal: 0 } }));
  });
});

describe('FloatQuant saturation, has_inf, has_nan', () => {
  // E2M1, max 6: 7 -> 8 (over), -7 -> -8 (under), 6.5 -> 6 (in range after rounding), 5 -> 4
  const x = vec([7, -7, 100, 6.5, 5]);

  it('saturation on (default): clamp to ±max', () => {
    expect(fq(x, 2, 1)).toEqual([6, -6, 6, 6, 4]);
  });

  it('saturation off with has_inf: ±inf', () => {
    expect(fq(x, 2, 1, { attrs: { saturation: 0, has_inf: 1 } })).toEqual([Infinity, -Infinity, Infinity, 6, 4]);
  });

  it('saturation off with has_nan: NaN', () => {
    expect(fq(x, 2, 1, { attrs: { saturation: 0, has_nan: 1 } })).toEqual([NaN, NaN, NaN, 6, 4]);
  });

  it('saturation off with neither: an error (whatever the data, as in the reference)', () => {
    expect(() => fq(vec([1]), 2, 1, { attrs: { saturation: 0 } })).toThrow(/FloatQuant: saturation is off/);
  });

  it('NaN and infinite inputs give NaN (inf / inf inside the computation)', () => {
    expect(fq(vec([NaN, Infinity, -Infinity]), 4, 3)).toEqual([NaN, NaN, NaN]);
  });
});

describe('FloatQuant scale', () => {
  it('quantizes x / scale and multiplies back', () => {
    // E2M1, scale 0.5: 2.5 -> 5 -> 4 -> 2; 4 -> 8 -> 6 -> 3
    expect(fq(vec([2.5, 4, -0.15]), 2, 1, { scale: 0.5 })).toEqual([2, 3, -0.25]);
  });
});

describe('FloatQuant shape and datatype rules', () => {
  const ctx = (consts: (F32Tensor | undefined)[], n = consts.length + 1): DatatypeContext => ({
    inputTypes: new Array(n).fill(FLOAT32),
    attrs: {},
    constInputs: [undefined, ...consts],
    allowScaledInt: true,
  });

  it('FLOAT<e,m,bias> with unit scale and scalar initializers', () => {
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), scalar(4), scalar(3), scalar(7), scalar(448)]))).toEqual([arbFloatType(4, 3, 7)]);
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), scalar(4), scalar(3)]))[0].name).toBe('FLOAT<4,3,7>');
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), scalar(5), scalar(2), scalar(16), scalar(57344)]))[0].name).toBe('FLOAT<5,2,16>');
  });

  it('FLOAT32 when the scale is not 1 or a parameter is not a scalar initializer', () => {
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(0.5), scalar(4), scalar(3), scalar(7), scalar(448)]))).toEqual([FLOAT32]);
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), undefined, scalar(3), scalar(7), scalar(448)]))).toEqual([FLOAT32]);
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), scalar(4), scalar(3), undefined, scalar(448)]))).toEqual([FLOAT32]);
    expect(FloatQuantOp.inferDatatypes(ctx([vec([1, 1]), scalar(4), scalar(3), scalar(7), scalar(448)]))).toEqual([FLOAT32]);
    expect(FloatQuantOp.inferDatatypes(ctx([scalar(1), scalar(4), vec([3, 2]), scalar(7), scalar(448)]))).toEqual([FLOAT32]);
  });

  it('shape of x', () => {
    expect(FloatQuantOp.inferShapes({ inputShapes: [[1, 3], [], [], [], [], []], attrs: {}, constInputs: [] })).toEqual([[1, 3]]);
  });
});
