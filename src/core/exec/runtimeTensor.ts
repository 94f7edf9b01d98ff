/** Tensors at run time: ONNX element type, shape and a typed array, convertible to onnxruntime tensors. */
import type { TensorArray } from '../onnx/tensorData.js';

export interface RuntimeTensor {
  dataType: number;
  shape: number[];
  data: TensorArray;
}

/** onnxruntime's type names by ONNX element type. */
export const ORT_TYPE: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
export const ONNX_TYPE: Record<string, number> = Object.fromEntries(Object.entries(ORT_TYPE).map(([k, v]) => [v, Number(k)]));

/** Values as float32 (the element type the QONNX kernels compute in). */
export function asFloat32(t: RuntimeTensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
