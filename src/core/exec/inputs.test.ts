/** Model inputs: seeded random values within a datatype's range, constants, .npy arrays. */
import { describe, expect, it } from 'vitest';
import type { NpyArray } from '../io/npyRead.js';
import { BINARY, BIPOLAR, FLOAT32, fixedType, intType, parseDataType } from '../qonnx/datatypes.js';
import { constantInput, npyInput, randomInput } from './inputs.js';

const N = 20000;
const values = (d: ArrayLike<number | bigint>) => Array.from(d, Number);
const histogram = (xs: number[]) => {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('randomInput', () => {
  it('UINT8 (float32 input annotated UINT8): every integer 0..255 and nothing else, roughly uniform', () => {
    const t = randomInput([N], 1, parseDataType('UINT8'), 1);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.dataType).toBe(1);
    expect(t.shape).toEqual([N]);
    const h = histogram(values(t.data));
    expect([...h.keys()].sort((a, b) => a - b)).toEqual(range(0, 255));
    // N / 256 = 78 per value on average
    for (const c of h.values()) expect(c).toBeGreaterThan(30);
  });

  it('uint8 element type without an annotation: 0..255 in a Uint8Array', () => {
    const t = randomInput([4, 1000], 2, undefined, 2);
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect(t.dataType).toBe(2);
    expect([...histogram(values(t.data)).keys()].sort((a, b) => a - b)).toEqual(range(0, 255));
  });

  it('INT4: every integer -8..7 and nothing else', () => {
    const t = randomInput([N], 1, intType(4, true), 3);
    const h = histogram(values(t.data));
    expect([...h.keys()].sort((a, b) => a - b)).toEqual(range(-8, 7));
    for (const c of h.values()) expect(c).toBeGreaterThan(N / 16 / 2);
  });

  it('BIPOLAR: only -1 and +1 (never 0), about half each', () => {
    const t = randomInput([N], 1, BIPOLAR, 4);
    const h = histogram(values(t.data));
    expect([...h.keys()].sort()).toEqual([-1, 1]);
    expect(Math.abs(h.get(1)! - N / 2)).toBeLessThan(N * 0.03);
  });

  it('BINARY: 0 and 1', () => {
    const h = histogram(values(randomInput([N], 1, BINARY, 5).data));
    expect([...h.keys()].sort()).toEqual([0, 1]);
  });

  it('FLOAT32 (and no annotation): float32 values in [-1, 1), spread over the range, not integers', () => {
    for (const dt of [FLOAT32, undefined]) {
      const t = randomInput([2, N / 2], 1, dt, 6);
      expect(t.data).toBeInstanceOf(Float32Array);
      const xs = values(t.data);
      expect(xs.every((x) => x >= -1 && x < 1)).toBe(true);
      expect(Math.min(...xs)).toBeLessThan(-0.999);
      expect(Math.max(...xs)).toBeGreaterThan(0.999);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(xs.filter((x) => Number.isInteger(x)).length).toBeLessThan(3);
      // each quarter of [-1, 1) gets about a quarter of the values
      for (let q = 0; q < 4; q++) {
        const c = xs.filter((x) => x >= -1 + q / 2 && x < -0.5 + q / 2).length;
        expect(Math.abs(c - N / 4)).toBeLessThan(N * 0.02);
      }
    }
  });

  it('FIXED<8,4>: multiples of 1/16 within -8..7.9375', () => {
    const t = randomInput([N], 1, fixedType(8, 4), 7);
    const xs = values(t.data);
    expect(xs.every((x) => Number.isInteger(x * 16) && x >= -8 && x <= 7.9375)).toBe(true);
    expect(new Set(xs).size).toBe(256);
  });

  it('wide integer types are capped to ±2^15 (INT32 annotation, int64 element type)', () => {
    const t = randomInput([N], 7, intType(32, true), 8);
    expect(t.data).toBeInstanceOf(BigInt64Array);
    const xs = values(t.data);
    expect(xs.every((x) => Number.isInteger(x) && x >= -32768 && x <= 32767)).toBe(true);
    expect(Math.min(...xs)).toBeLessThan(-30000);
    expect(Math.max(...xs)).toBeGreaterThan(30000);
  });

  it('is reproducible per seed, and different seeds give different values', () => {
    for (const dt of [parseDataType('UINT8'), intType(4, true), BIPOLAR, FLOAT32]) {
      const a = randomInput([1, 3, 8, 8], 1, dt, 42);
      const b = randomInput([1, 3, 8, 8], 1, dt, 42);
      const c = randomInput([1, 3, 8, 8], 1, dt, 43);
      expect(values(a.data)).toEqual(values(b.data));
      expect(values(a.data)).not.toEqual(values(c.data));
    }
  });
});

describe('npyInput', () => {
  const npy = (shape: number[], data: NpyArray['data'], descr = '<f4'): NpyArray => ({ descr, shape, data });

  it('rejects a wrong element count, naming the input and both shapes', () => {
    expect(() => npyInput(npy([1, 784], new Float32Array(784)), [1, 1, 28, 29], 1, 'image')).toThrow(
      "The .npy for input 'image' has shape (1, 784) = 784 values, but the input needs [1, 1, 28, 29] = 812",
    );
    expect(() => npyInput(npy([3], new Float32Array(3)), [4], 1, 'x')).toThrow(/input 'x'.*3 values.*needs \[4\] = 4/);
  });

  it('takes an array of the same element count in the input\'s shape and element type', () => {
    const t = npyInput(npy([784], Float32Array.from({ length: 784 }, (_, i) => i / 784)), [1, 1, 28, 28], 1, 'x');
    expect(t.shape).toEqual([1, 1, 28, 28]);
    expect(t.dataType).toBe(1);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect((t.data as Float32Array)[783]).toBe(Math.fround(783 / 784));
  });

  it('converts float64 to float32 and int64 to the input\'s type', () => {
    const f = npyInput(npy([2], Float64Array.of(0.1, -2), '<f8'), [2], 1, 'x');
    expect(values(f.data)).toEqual([Math.fround(0.1), -2]);
    const i = npyInput(npy([2], BigInt64Array.of(5n, -7n), '<i8'), [1, 2], 7, 'ids');
    expect(i.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(i.data as BigInt64Array)).toEqual([5n, -7n]);
    const u = npyInput(npy([2], Int32Array.of(200, 3), '<i4'), [2], 2, 'u');
    expect(u.data).toBeInstanceOf(Uint8Array);
    expect(values(u.data)).toEqual([200, 3]);
  });
});

describe('constantInput', () => {
  it('fills the shape with the value in the element type', () => {
    const f = constantInput([2, 3], 1, 0.25);
    expect(f).toEqual({ dataType: 1, shape: [2, 3], data: new Float32Array(6).fill(0.25) });
    const i = constantInput([4], 7, 3);
    expect(Array.from(i.data as BigInt64Array)).toEqual([3n, 3n, 3n, 3n]);
    const z = constantInput([1, 1, 28, 28], 1, 0);
    expect(z.data.length).toBe(784);
    expect(values(z.data).every((x) => x === 0)).toBe(true);
    // element type 0 (unset) is taken as float32
    expect(constantInput([1], 0, -1)).toEqual({ dataType: 1, shape: [1], data: Float32Array.of(-1) });
  });
});
