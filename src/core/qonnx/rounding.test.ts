import { describe, expect, it } from 'vitest';
import { parseRoundingMode, ROUNDING_MODES, roundHalfEven, roundingFunction, roundWithMode } from './rounding.js';

const f = Math.fround;
const INPUTS = [5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5].map(f);

// Each row worked out by hand from the definitions in QONNX.md.
const TABLE: Record<string, number[]> = {
  ROUND: [6, 2, 2, 1, 1, -1, -1, -2, -2, -6], // golden vector from QONNX.md
  HALF_EVEN: [6, 2, 2, 1, 1, -1, -1, -2, -2, -6],
  CEIL: [6, 3, 2, 2, 1, -1, -1, -1, -2, -5],
  FLOOR: [5, 2, 1, 1, 1, -1, -2, -2, -3, -6],
  UP: [6, 3, 2, 2, 1, -1, -2, -2, -3, -6], // sign(x) * ceil(|x|)
  DOWN: [5, 2, 1, 1, 1, -1, -1, -1, -2, -5], // toward zero
  HALF_UP: [6, 3, 2, 1, 1, -1, -1, -2, -3, -6], // sign(x) * floor(|x| + 0.5)
  HALF_DOWN: [5, 2, 2, 1, 1, -1, -1, -2, -2, -5], // sign(x) * ceil(|x| - 0.5)
};

describe('rounding modes', () => {
  for (const mode of ROUNDING_MODES) {
    it(`${mode} matches the hand-computed table`, () => {
      const fn = roundingFunction(mode);
      expect(INPUTS.map((x) => fn(x))).toEqual(TABLE[mode]);
    });
  }

  it('names are case-insensitive', () => {
    expect(parseRoundingMode('round')).toBe('ROUND');
    expect(parseRoundingMode('Half_Even')).toBe('HALF_EVEN');
    expect(roundWithMode(f(2.5), 'half_up')).toBe(3);
    expect(roundWithMode(f(-2.5), 'Floor')).toBe(-3);
  });

  it('an unknown mode is an error naming the mode', () => {
    expect(() => roundingFunction('BANKERS')).toThrow(/BANKERS/);
    expect(() => roundingFunction('')).toThrow(/Unknown rounding mode/);
    expect(() => parseRoundingMode('ROUND ')).toThrow(/'ROUND '/);
  });

  it('works in float32: HALF_UP(0.49999997) is 1 because 0.49999997 + 0.5 rounds to 1 in float32', () => {
    const x = f(0.49999997);
    expect(x).toBeLessThan(0.5);
    expect(roundWithMode(x, 'HALF_UP')).toBe(1);
    expect(roundWithMode(-x, 'HALF_UP')).toBe(-1);
    // HALF_EVEN has no intermediate sum, so it stays below the half
    expect(roundWithMode(x, 'ROUND')).toBe(0);
  });

  it('keeps numpy\'s signed zeros and passes NaN and infinities through', () => {
    expect(Object.is(roundHalfEven(-0.4), -0)).toBe(true);
    expect(Object.is(roundHalfEven(-0.5), -0)).toBe(true);
    expect(Object.is(roundWithMode(-0.3, 'DOWN'), -0)).toBe(true);
    expect(Object.is(roundWithMode(-0.3, 'CEIL'), -0)).toBe(true);
    for (const mode of ROUNDING_MODES) {
      expect(roundWithMode(NaN, mode)).toBeNaN();
      expect(roundWithMode(Infinity, mode)).toBe(Infinity);
      expect(roundWithMode(-Infinity, mode)).toBe(-Infinity);
    }
  });

  it('rounds halves to even across a wider range', () => {
    // 2^22 + 0.5 is a float32 (spacing 0.5 there); 2^23 + 1 is already an integer
    const xs = [-4.5, -3.5, -0.5, 0.5, 3.5, 4.5, 2 ** 22 + 0.5, 2 ** 22 + 1.5, 2 ** 23 + 1];
    expect(xs.map((x) => roundHalfEven(f(x)))).toEqual([-4, -4, -0, 0, 4, 4, 2 ** 22, 2 ** 22 + 2, 2 ** 23 + 1]);
  });
});
