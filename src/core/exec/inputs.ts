/** Model inputs: seeded random values within a datatype's range, constants, and .npy arrays. */
import { mulberry32 } from '../testing/prng.js';
import type { NpyArray } from '../io/npyRead.js';
import type { DataType } from '../qonnx/datatypes.js';
import { elementCount, type RuntimeTensor } from './runtimeTensor.js';

/** Typed array for an ONNX element type holding `n` elements. */
export function allocate(elemType: number, n: number): RuntimeTensor['data'] {
  switch (elemType) {
    case 7: return new BigInt64Array(n);
    case 6: return new Int32Array(n);
    case 2: case 9: return new Uint8Array(n);
    case 3: return new Int8Array(n);
    case 11: return new Float64Array(n);
    default: return new Float32Array(n);
  }
}

function store(data: RuntimeTensor['data'], i: number, v: number): void {
  if (data instanceof BigInt64Array) data[i] = BigInt(Math.trunc(v));
  else (data as Float32Array)[i] = v;
}

/**
 * Seeded random input. Integer datatypes (UINT8, INT4, BIPOLAR...) get uniform integers over their
 * whole range (capped to ±2^15 for wide ones); float inputs get uniform values in [-1, 1).
 */
export function randomInput(shape: number[], elemType: number, dt: DataType | undefined, seed: number): RuntimeTensor {
  const n = elementCount(shape);
  const rnd = mulberry32(seed);
  const data = allocate(elemType, n);
  const isInt = dt?.isInteger || [2, 3, 5, 6, 7, 9].includes(elemType);
  if (dt?.kind === 'bipolar') for (let i = 0; i < n; i++) store(data, i, rnd() & 1 ? 1 : -1);
  else if (isInt) {
    const lo = Math.max(dt?.isInteger ? dt.min : elemType === 2 || elemType === 9 ? 0 : -128, -32768);
    const hi = Math.min(dt?.isInteger ? dt.max : elemType === 9 ? 1 : elemType === 2 ? 255 : 127, 32767);
    for (let i = 0; i < n; i++) store(data, i, lo + (rnd() % (hi - lo + 1)));
  } else if (dt?.isFixedPoint && dt.scaleFactor) {
    const steps = Math.round((dt.max - dt.min) / dt.scaleFactor) + 1;
    for (let i = 0; i < n; i++) store(data, i, dt.min + (rnd() % steps) * dt.scaleFactor);
  } else for (let i = 0; i < n; i++) store(data, i, Math.fround((rnd() / 4294967296) * 2 - 1));
  return { dataType: elemType || 1, shape, data };
}

export function constantInput(shape: number[], elemType: number, value: number): RuntimeTensor {
  const n = elementCount(shape);
  const data = allocate(elemType, n);
  for (let i = 0; i < n; i++) store(data, i, value);
  return { dataType: elemType || 1, shape, data };
}

/** A .npy array as an input of the given element type and shape (element counts must agree). */
export function npyInput(a: NpyArray, shape: number[], elemType: number, name: string): RuntimeTensor {
  const n = elementCount(shape);
  if (a.data.length !== n)
    throw new Error(`The .npy for input '${name}' has shape (${a.shape.join(', ')}) = ${a.data.length} values, but the input needs [${shape.join(', ')}] = ${n}`);
  const data = allocate(elemType, n);
  for (let i = 0; i < n; i++) store(data, i, Number(a.data[i]));
  return { dataType: elemType || 1, shape, data };
}
