/**
 * Small numeric tensors evaluated at analysis time (constant folding): values held as float64 numbers
 * with their ONNX element type, and converted to and from TensorProto.
 */
import type { Tensor } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';

export interface ConstTensor {
  dataType: number;
  shape: number[];
  /** element values; FLOAT tensors hold float32-representable values */
  data: Float64Array;
}

export const FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, DOUBLE = 11;

export function fromTensor(t: Tensor, external?: Uint8Array): ConstTensor {
  const v = tensorValues(t, external);
  return { dataType: v.dataType, shape: v.shape, data: toNumbers(v) };
}

export function count(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Round values to what the element type can hold (float32 rounding, integer truncation and wrap). */
export function normalize(c: ConstTensor): ConstTensor {
  const d = c.data;
  switch (c.dataType) {
    case FLOAT:
      for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i]);
      break;
    case INT64:
    case INT32:
      for (let i = 0; i < d.length; i++) d[i] = Math.trunc(d[i]);
      break;
    case INT8:
      for (let i = 0; i < d.length; i++) d[i] = (Math.trunc(d[i]) << 24) >> 24;
      break;
    case UINT8:
      for (let i = 0; i < d.length; i++) d[i] = Math.trunc(d[i]) & 0xff;
      break;
    case BOOL:
      for (let i = 0; i < d.length; i++) d[i] = d[i] ? 1 : 0;
      break;
  }
  return c;
}

/** A TensorProto holding `c` as raw little-endian data, as exporters write initializers. */
export function toTensor(name: string, c: ConstTensor): Tensor {
  const n = c.data.length;
  let raw: Uint8Array;
  let dataType = c.dataType;
  switch (dataType) {
    case INT64: {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(Math.trunc(c.data[i]));
      raw = new Uint8Array(a.buffer);
      break;
    }
    case INT32:
      raw = new Uint8Array(Int32Array.from(c.data).buffer);
      break;
    case INT8:
      raw = new Uint8Array(Int8Array.from(c.data).buffer);
      break;
    case UINT8:
    case BOOL:
      raw = Uint8Array.from(c.data);
      break;
    case DOUBLE:
      raw = new Uint8Array(Float64Array.from(c.data).buffer);
      break;
    default:
      dataType = FLOAT;
      raw = new Uint8Array(Float32Array.from(c.data).buffer);
  }
  return { name, dims: c.shape.map((d) => int64From(d)), dataType, rawData: raw };
}

/** numpy broadcast of two static shapes, or undefined when they do not broadcast. */
export function broadcastStatic(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    const x = a[a.length - r + k] ?? 1, y = b[b.length - r + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}
