import { describe, expect, it } from 'vitest';
import { BINARY, BIPOLAR, FLOAT32, intType, scaledIntType } from '../datatypes.js';
import type { AttrValue, DatatypeContext, F32Tensor } from '../opTypes.js';
import { scalar, tensor, values, vec } from '../testing/tensors.js';
import { maxInt, minInt, QuantOp } from './quant.js';

const f = Math.fround;

function quant(x: F32Tensor, scale: F32Tensor, zeropt: F32Tensor, bits: F32Tensor, attrs: Record<string, AttrValue> = {}): F32Tensor {
  return QuantOp.execute([x, scale, zeropt, bits], attrs)[0];
}

/** The integer range written out independently of the kernel's helper. */
function range(bits: number, signed: boolean, narrow: boolean): [number, number] {
  if (signed) return [-(2 ** (bits - 1)) + (narrow ? 1 : 0), 2 ** (bits - 1) - 1];
  return [0, 2 ** bits - 1 - (narrow ? 1 : 0)];
}

describe('Quant integer ranges', () => {
  it('hand-written ranges for a few bit widths', () => {
    // [signed narrow, signed, unsigned narrow, unsigned]
    const table: Record<number, [number, number][]> = {
      2: [[-1, 1], [-2, 1], [0, 2], [0, 3]],
      3: [[-3, 3], [-4, 3], [0, 6], [0, 7]],
      4: [[-7, 7], [-8, 7], [0, 14], [0, 15]],
      8: [[-127, 127], [-128, 127], [0, 254], [0, 255]],
      16: [[-32767, 32767], [-32768, 32767], [0, 65534], [0, 65535]],
    };
    for (const [b, rows] of Object.entries(table)) {
      const bits = Number(b);
      const got = [
        [minInt(true, true, bits), maxInt(true, true, bits)],
        [minInt(true, false, bits), maxInt(true, false, bits)],
        [minInt(false, true, bits), maxInt(false, true, bits)],
        [minInt(false, false, bits), maxInt(false, false, bits)],
      ];
      expect(got).toEqual(rows);
    }
  });
});

describe('Quant kernel, every (signed, narrow) pair for bit widths 1..16 (scale 1, zeropt 0, ROUND)', () => {
  for (let bits = 1; bits <= 16; bits++)
    for (const signed of [1, 0])
      for (const narrow of [0, 1]) {
        if (bits === 1 && signed) continue; // bipolar special case, tested below
        it(`bits ${bits}, signed ${signed}, narrow ${narrow}`, () => {
          const [lo, hi] = range(bits, !!signed, !!narrow);
          const cases: [number, number][] = [
            [lo, lo], // range ends are kept
            [hi, hi],
            [lo - 1, lo], // just outside: clamped
            [hi + 1, hi],
            [lo - 0.4, lo],
            [hi + 0.4, hi],
            [lo - 1000, lo], // far outside
            [hi + 1e6, hi],
            [lo + 0.25, lo], // just inside: rounds back to the end
            [hi - 0.25, hi],
          ];
          if (hi - lo >= 1) cases.push([lo + 0.75, lo + 1], [hi - 0.75, hi - 1]);
          // unsigned, not narrow: the middle of the range 2^(b-1) - 0.5 is a half and goes to the even 2^(b-1)
          if (!signed && !narrow && bits >= 2) cases.push([2 ** (bits - 1) - 0.5, 2 ** (bits - 1)]);
          // halves round to even where they lie inside the range
          for (const [x, y] of [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4]] as const)
            if (x >= lo && x <= hi && y >= lo && y <= hi) cases.push([x, y]);
          const out = quant(
            vec(cases.map(([x]) => x)),
            scalar(1),
            scalar(0),
            scalar(bits),
            { signed, narrow, rounding_mode: 'ROUND' },
          );
          expect(values(out)).toEqual(cases.map(([, y]) => f(y)));
        });
      }
});

describe('Quant kernel, hand-computed vectors', () => {
  it('halves round to even under ROUND (2.5 -> 2, 3.5 -> 4), away under HALF_UP', () => {
    const x = vec([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(4), { signed: 1, narrow: 0 }))).toEqual([0, 2, 2, 4, 0, -2, -2, -4]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(4), { signed: 1, narrow: 0, rounding_mode: 'half_up' }))).toEqual([1, 2, 3, 4, -1, -2, -3, -4]);
  });

  it('clamps first, then rounds (signed 4 bit: 7.4 -> 7, -8.6 -> -8; narrow: -8.6 -> -7)', () => {
    const x = vec([7.4, 7.6, -8.6, -7.4, 100]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(4), { signed: 1, narrow: 0 }))).toEqual([7, 7, -8, -7, 7]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(4), { signed: 1, narrow: 1 }))).toEqual([7, 7, -7, -7, 7]);
  });

  it('scale 0.25, signed 4 bit: y = round(clamp(x / 0.25, -8, 7)) * 0.25', () => {
    // x/s = [1.2, -2.8, 4.4, 4.5, 8, -10] -> [1, -3, 4, 4, 7, -8]
    const x = vec([0.3, -0.7, 1.1, 1.125, 2.0, -2.5]);
    expect(values(quant(x, scalar(0.25), scalar(0), scalar(4), { signed: 1, narrow: 0 }))).toEqual([0.25, -0.75, 1.0, 1.0, 1.75, -2.0]);
    // narrow: the low end becomes -7
    expect(values(quant(x, scalar(0.25), scalar(0), scalar(4), { signed: 1, narrow: 1 }))).toEqual([0.25, -0.75, 1.0, 1.0, 1.75, -1.75]);
  });

  it('zeropt 3, scale 0.5, unsigned 4 bit', () => {
    // y = x/0.5 + 3 = [-1, 0.2, 3, 5.5, 15, 17, -0.5] -> clamp [0, 15] -> round -> [0, 0, 3, 6, 15, 15, 0] -> (q - 3) * 0.5
    const x = vec([-2, -1.4, 0, 1.25, 6, 7, -1.75]);
    expect(values(quant(x, scalar(0.5), scalar(3), scalar(4), { signed: 0, narrow: 0 }))).toEqual([-1.5, -1.5, 0, 1.5, 6, 6, -1.5]);
  });

  it('per-channel scale and zero point broadcast against x', () => {
    const x = tensor([2, 3], [1, 2.6, -4, 1, 2.6, -4]);
    const s = tensor([2, 1], [1, 0.5]);
    const z = tensor([2, 1], [0, 1]);
    // row 0: [1, 3, -4]; row 1: y = 2x + 1 = [3, 6.2, -7] -> [3, 6, -7] -> (q - 1) * 0.5 = [1, 2.5, -4]
    const y = quant(x, s, z, scalar(8), { signed: 1, narrow: 0 });
    expect(y.shape).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 3, -4, 1, 2.5, -4]);
  });

  it('computes in float32: 0.3 / 0.1 is exactly 3 in float32, so FLOOR keeps 3', () => {
    // in float64 0.30000001192 / 0.10000000149 = 2.99999991 would floor to 2
    const y = quant(scalar(0.3), scalar(0.1), scalar(0), scalar(8), { signed: 1, narrow: 0, rounding_mode: 'FLOOR' });
    expect(Array.from(y.data)).toEqual([f(3 * f(0.1))]);
    expect(y.shape).toEqual([]);
  });

  it('bit width 1, signed: y >= 0 ? 1 : -1 with no clamp and no rounding (narrow ignored)', () => {
    const x = vec([-3, -0.1, 0, -0, 0.1, 5, NaN]);
    for (const narrow of [0, 1])
      expect(values(quant(x, scalar(1), scalar(0), scalar(1), { signed: 1, narrow }))).toEqual([-1, -1, 1, 1, 1, 1, -1]);
    // with scale and zero point: y = x/0.5 + 1 -> sign -> (q - 1) * 0.5
    expect(values(quant(vec([-0.6, -0.4, 2]), scalar(0.5), scalar(1), scalar(1), { signed: 1 }))).toEqual([-1, 0, 0]);
  });

  it('bit width 1, unsigned is the {0, 1} range (narrow: only 0)', () => {
    const x = vec([-1, 0.4, 0.6, 3]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(1), { signed: 0, narrow: 0 }))).toEqual([0, 0, 1, 1]);
    expect(values(quant(x, scalar(1), scalar(0), scalar(1), { signed: 0, narrow: 1 }))).toEqual([0, 0, 0, 0]);
  });

  it('defaults: signed 1, narrow 1 (as the reference code), ROUND', () => {
    expect(values(quant(vec([-9, 9, 2.5]), scalar(1), scalar(0), scalar(4)))).toEqual([-7, 7, 2]);
  });

  it('NaN stays NaN; out-of-range infinities clamp', () => {
    expect(values(quant(vec([NaN, Infinity, -Infinity]), scalar(1), scalar(0), scalar(8), { signed: 1, narrow: 0 }))).toEqual([NaN, 127, -128]);
  });

  it('rejects a bad rounding mode and missing inputs with op-named errors', () => {
    expect(() => quant(scalar(1), scalar(1), scalar(0), scalar(4), { rounding_mode: 'BANKERS' })).toThrow(/Quant.*rounding_mode.*BANKERS/);
    expect(() => QuantOp.execute([scalar(1), scalar(1)], {})).toThrow(/Quant: input 2 \('zeropt'\) is missing/);
    expect(() => quant(vec([1, 2, 3]), vec([1, 2]), scalar(0), scalar(4))).toThrow(/cannot be broadcast/);
  });
});

describe('Quant shape and datatype rules', () => {
  const ctx = (consts: (F32Tensor | undefined)[], attrs: Record<string, AttrValue> = {}, allowScaledInt = true): DatatypeContext => ({
    inputTypes: [FLOAT32, FLOAT32, FLOAT32, FLOAT32],
    attrs,
    constInputs: [undefined, ...consts],
    allowScaledInt,
  });

  it('output shape is x\'s shape', () => {
    expect(QuantOp.inferShapes({ inputShapes: [['N', 3, 8, 8], [], [], []], attrs: {}, constInputs: [] })).toEqual([['N', 3, 8, 8]]);
    expect(QuantOp.inferShapes({ inputShapes: [null, [], [], []], attrs: {}, constInputs: [] })).toEqual([null]);
  });

  it('INT<b> / UINT<b> with unit scale and zero zeropt', () => {
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), scalar(4)], { signed: 1 }))).toEqual([intType(4, true)]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), scalar(4)], { signed: 0 }))).toEqual([intType(4, false)]);
    expect(QuantOp.inferDatatypes(ctx([vec([1, 1, 1]), scalar(0), scalar(8)], { signed: 1, narrow: 1 }))[0].name).toBe('INT8');
  });

  it('bit width 1: BIPOLAR when signed, BINARY when not', () => {
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), scalar(1)], { signed: 1 }))).toEqual([BIPOLAR]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), scalar(1)], { signed: 0 }))).toEqual([BINARY]);
  });

  it('SCALEDINT<b> for a non-unit scale; FLOAT32 when scaled ints are not allowed', () => {
    expect(QuantOp.inferDatatypes(ctx([scalar(0.5), scalar(0), scalar(4)]))).toEqual([scaledIntType(4)]);
    expect(QuantOp.inferDatatypes(ctx([vec([1, 0.5]), scalar(0), scalar(4)]))).toEqual([scaledIntType(4)]);
    expect(QuantOp.inferDatatypes(ctx([scalar(0.5), scalar(0), scalar(4)], {}, false))).toEqual([FLOAT32]);
  });

  it('FLOAT32 when zeropt != 0, parameters are not initializers, or the bit width is not a 0-d integer', () => {
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(2), scalar(4)]))).toEqual([FLOAT32]);
    expect(QuantOp.inferDatatypes(ctx([undefined, scalar(0), scalar(4)]))).toEqual([FLOAT32]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), undefined, scalar(4)]))).toEqual([FLOAT32]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), undefined]))).toEqual([FLOAT32]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), vec([4])]))).toEqual([FLOAT32]);
    expect(QuantOp.inferDatatypes(ctx([scalar(1), scalar(0), scalar(2.5)]))).toEqual([FLOAT32]);
  });
});
