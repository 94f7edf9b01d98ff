/** Small helpers for the QONNX kernel tests. */
import type { F32Tensor } from '../opTypes.js';

/** A float32 tensor; a bare number is a 0-d tensor. */
export function tensor(shape: number[], values: number[] | number): F32Tensor {
  const data = Float32Array.from(typeof values === 'number' ? [values] : values);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor: shape [${shape}] needs ${n} values, got ${data.length}`);
  return { shape, data };
}

/** A 0-d tensor. */
export const scalar = (v: number): F32Tensor => tensor([], v);

/** A 1-d tensor of the values. */
export const vec = (values: number[]): F32Tensor => tensor([values.length], values);

/** Values as a plain array, with -0 written as 0 (so toEqual ignores the sign of zero). */
export function values(t: F32Tensor): number[] {
  return Array.from(t.data, (v) => (v === 0 ? 0 : v));
}

/** Each number rounded to float32, for expected values written as decimals. */
export const f32s = (xs: number[]): number[] => xs.map((x) => Math.fround(x));
