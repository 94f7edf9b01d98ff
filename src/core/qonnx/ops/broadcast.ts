/**
 * numpy broadcasting for the elementwise QONNX kernels (Quant, Trunc, FloatQuant, BipolarQuant):
 * shapes are aligned on their last axis; an axis of size 1 (or a missing leading axis) stretches to
 * the other operand's size; any other mismatch is an error.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import type { F32Tensor } from '../opTypes.js';

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Broadcast result shape of numeric shapes; throws when they are incompatible. */
export function broadcastShapes(shapes: readonly (readonly number[])[], who = 'broadcast'): number[] {
  const rank = shapes.reduce((r, s) => Math.max(r, s.length), 0);
  const out: number[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let k = 0; k < s.length; k++) {
      const axis = rank - s.length + k;
      const d = s[k];
      if (d === 1) continue;
      if (out[axis] === 1) out[axis] = d;
      else if (out[axis] !== d)
        throw new Error(`${who}: shapes ${shapes.map((x) => `[${x.join(',')}]`).join(', ')} cannot be broadcast together`);
    }
  }
  return out;
}

/** The values of `t` laid out in `outShape` (which must be a broadcast of t's shape). Shares t's data when no stretching is needed. */
export function broadcastTo(t: F32Tensor, outShape: readonly number[]): Float32Array {
  const total = elementCount(outShape);
  const { shape, data } = t;
  if (data.length === total && elementCount(shape) === total) return data;
  if (data.length === 1) return new Float32Array(total).fill(data[0]);
  const rank = outShape.length;
  if (shape.length > rank) throw new Error(`cannot broadcast [${shape.join(',')}] to [${outShape.join(',')}]`);
  // Source stride per output axis (0 on stretched axes).
  const srcStride = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    const axis = rank - shape.length + k;
    if (shape[k] !== 1) {
      if (shape[k] !== outShape[axis]) throw new Error(`cannot broadcast [${shape.join(',')}] to [${outShape.join(',')}]`);
      srcStride[axis] = stride;
    }
    stride *= shape[k];
  }
  const out = new Float32Array(total);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < total; i++) {
    out[i] = data[src];
    // advance the multi-index (last axis fastest)
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      src += srcStride[a];
      if (idx[a] < outShape[a]) break;
      src -= srcStride[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/** Broadcast every tensor to the common shape. */
export function broadcastAll(ts: readonly F32Tensor[], who: string): { shape: number[]; arrays: Float32Array[] } {
  const shape = broadcastShapes(
    ts.map((t) => t.shape),
    who,
  );
  return { shape, arrays: ts.map((t) => broadcastTo(t, shape)) };
}

/** Shape rule of the elementwise ops: the output has input 0's shape (as the reference's Identity/Cast stand-in). */
export function sameAsInput0(inputShapes: readonly (Dim[] | null)[]): (Dim[] | null)[] {
  const s = inputShapes[0];
  return [s ? [...s] : null];
}

/** A tensor's values are all equal to v (false for an empty tensor). */
export function allEqual(t: F32Tensor | undefined, v: number): boolean {
  if (!t || t.data.length === 0) return false;
  for (let i = 0; i < t.data.length; i++) if (t.data[i] !== v) return false;
  return true;
}

/** The value of a 0-d tensor (numpy ndim == 0), or undefined for any other rank. */
export function scalarOf(t: F32Tensor | undefined): number | undefined {
  if (!t || t.shape.length !== 0 || t.data.length !== 1) return undefined;
  return t.data[0];
}

/** Require an input (kernel use): throws an op-named error when it is missing. */
export function needInput(inputs: readonly (F32Tensor | undefined)[], i: number, opType: string, name: string): F32Tensor {
  const t = inputs[i];
  if (!t) throw new Error(`${opType}: input ${i} ('${name}') is missing`);
  return t;
}
