/**
 * Typed views of tensor contents. raw_data is viewed in place when it is aligned, and copied only
 * when the element size requires an alignment that the protobuf layout did not give it.
 */
import { ModelError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { int64From, int64ToBigInt, int64ToNumber } from '../ir/types.js';
import { elementType, elementTypeName } from './elementTypes.js';

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TensorValues {
  dataType: number;
  shape: number[];
  /** Numeric element values in their storage form (FLOAT16/BFLOAT16/FLOAT8/FLOAT4 as bit patterns). */
  data: TensorArray | string[];
}

export function tensorShape(t: Tensor): number[] {
  return (t.dims ?? []).map((d) => int64ToNumber(d));
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isExternal(t: Tensor): boolean {
  return t.dataLocation === 1;
}

/** `{location, offset, length, checksum}` of an external tensor. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number | undefined;
}

export function externalRef(t: Tensor): ExternalRef | undefined {
  if (!isExternal(t)) return undefined;
  let location = '';
  let offset = 0;
  let length: number | undefined;
  for (const e of t.externalData ?? []) {
    if (e.key === 'location') location = e.value ?? '';
    else if (e.key === 'offset') offset = Number(e.value);
    else if (e.key === 'length') length = Number(e.value);
  }
  return { location, offset, length };
}

function viewAs<T extends TensorArray>(
  bytes: Uint8Array,
  Ctor: { new (buf: ArrayBufferLike, off: number, len: number): T; new (len: number): T; BYTES_PER_ELEMENT: number },
  count: number,
): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(0, count * size));
  return new Ctor(copy.buffer, 0, count);
}

function unpackSubByte(bytes: Uint8Array, count: number, bits: 4 | 2, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const signBit = 1 << (bits - 1);
  for (let i = 0; i < count; i++) {
    const byte = bytes[Math.floor(i / perByte)];
    let v = (byte >> ((i % perByte) * bits)) & mask;
    if (signed && v & signBit) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

/** Decode raw little-endian bytes of `count` elements of ONNX type `dataType`. */
export function decodeRaw(bytes: Uint8Array, dataType: number, count: number, where = ''): TensorArray {
  const et = elementType(dataType);
  if (!et || et.bits === 0) throw new ModelError('unsupported', `Cannot read raw data of element type ${elementTypeName(dataType)}`, where);
  const need = Math.ceil((et.bits * count) / 8);
  if (bytes.byteLength < need)
    throw new ModelError('corrupt', `Tensor data holds ${bytes.byteLength} bytes but its shape needs ${need} (${count} × ${et.name})`, where);
  switch (dataType) {
    case 1: return viewAs(bytes, Float32Array, count);
    case 2: case 9: case 17: case 18: case 19: case 20: case 24: return bytes.subarray(0, count);
    case 3: return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case 4: case 10: case 16: return viewAs(bytes, Uint16Array, count);
    case 5: return viewAs(bytes, Int16Array, count);
    case 6: return viewAs(bytes, Int32Array, count);
    case 7: return viewAs(bytes, BigInt64Array, count);
    case 11: return viewAs(bytes, Float64Array, count);
    case 12: return viewAs(bytes, Uint32Array, count);
    case 13: return viewAs(bytes, BigUint64Array, count);
    case 14: return viewAs(bytes, Float32Array, count * 2);
    case 15: return viewAs(bytes, Float64Array, count * 2);
    case 21: return unpackSubByte(bytes, count, 4, false);
    case 22: return unpackSubByte(bytes, count, 4, true);
    case 23: return unpackSubByte(bytes, count, 4, false);
    case 25: return unpackSubByte(bytes, count, 2, false);
    case 26: return unpackSubByte(bytes, count, 2, true);
    default: throw new ModelError('unsupported', `Cannot read element type ${elementTypeName(dataType)}`, where);
  }
}

/** Values stored in the typed repeated fields (float_data, int32_data, ...). */
function decodeFields(t: Tensor, count: number, where: string): TensorArray | string[] {
  const dt = t.dataType ?? 0;
  switch (dt) {
    case 1: return Float32Array.from(t.floatData ?? []);
    case 14: return Float32Array.from(t.floatData ?? []);
    case 11: case 15: return Float64Array.from(t.doubleData ?? []);
    case 2: case 9: case 17: case 18: case 19: case 20: case 24: return Uint8Array.from(t.int32Data ?? []);
    case 3: return Int8Array.from(t.int32Data ?? []);
    case 4: case 10: case 16: return Uint16Array.from(t.int32Data ?? []);
    case 5: return Int16Array.from(t.int32Data ?? []);
    case 6: return Int32Array.from(t.int32Data ?? []);
    case 7: return BigInt64Array.from((t.int64Data ?? []).map((v) => int64ToBigInt(v)));
    case 12: return Uint32Array.from((t.uint64Data ?? []).map((v) => int64ToNumber({ ...(v as object), unsigned: true } as never)));
    case 13: return BigUint64Array.from((t.uint64Data ?? []).map((v) => BigInt.asUintN(64, int64ToBigInt(v))));
    case 21: case 22: case 23: case 25: case 26: {
      // Sub-byte types keep their packed bytes, one byte per int32_data entry.
      const packed = Uint8Array.from(t.int32Data ?? []);
      return decodeRaw(packed, dt, count, where);
    }
    case 8: {
      const dec = new TextDecoder();
      return (t.stringData ?? []).map((b) => dec.decode(b));
    }
    default:
      throw new ModelError('unsupported', `Cannot read element type ${elementTypeName(dt)}`, where);
  }
}

/**
 * The values of an in-file tensor. External tensors need their bytes passed in `externalBytes`
 * (see externalData.ts); without them this throws a 'missing-external-data' error.
 */
export function tensorValues(t: Tensor, externalBytes?: Uint8Array): TensorValues {
  const shape = tensorShape(t);
  const count = elementCount(shape);
  const dt = t.dataType ?? 0;
  const where = t.name ? `tensor '${t.name}'` : 'unnamed tensor';
  if (isExternal(t)) {
    if (!externalBytes) {
      const ref = externalRef(t);
      throw new ModelError('missing-external-data', `The data of ${where} lives in the external file '${ref?.location}', which was not provided`, where);
    }
    return { dataType: dt, shape, data: decodeRaw(externalBytes, dt, count, where) };
  }
  if (t.rawData && t.rawData.byteLength > 0) return { dataType: dt, shape, data: decodeRaw(t.rawData, dt, count, where) };
  const data = decodeFields(t, count, where);
  if (data.length !== count && !(dt === 14 || dt === 15))
    throw new ModelError('corrupt', `${where} has ${data.length} values but its shape [${shape.join(', ')}] needs ${count}`, where);
  return { dataType: dt, shape, data };
}

// ---- conversion of stored values to numbers (for statistics, display, kernels) ----

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bf16ToFloat(b: number): number {
  const buf = new Float32Array(1);
  new Uint32Array(buf.buffer)[0] = b << 16;
  return buf[0];
}

/** Minifloat decoder for the FLOAT8 and FLOAT4 variants. */
function miniFloat(code: number, expBits: number, manBits: number, bias: number, kind: 'ieee' | 'fn' | 'fnuz'): number {
  const total = 1 + expBits + manBits;
  const signMask = 1 << (total - 1);
  if (kind === 'fnuz' && code === signMask) return NaN;
  const s = code & signMask ? -1 : 1;
  const e = (code >> manBits) & ((1 << expBits) - 1);
  const m = code & ((1 << manBits) - 1);
  const eMax = (1 << expBits) - 1;
  if (kind === 'ieee' && e === eMax) return m ? NaN : s * Infinity;
  if (kind === 'fn' && e === eMax && m === (1 << manBits) - 1 && expBits === 4) return NaN;
  if (e === 0) return s * (m / (1 << manBits)) * 2 ** (1 - bias);
  return s * (1 + m / (1 << manBits)) * 2 ** (e - bias);
}

/** Element values as plain numbers (int64 beyond 2^53 loses precision here, by design: display only). */
/** Element types whose typed array already holds the values as JS numbers (no decoding needed). */
const PLAIN_NUMBER_TYPES = new Set([1, 2, 3, 4, 5, 6, 9, 11, 12]);

/**
 * The values as numbers without a copy when the stored array already holds them (float32/64 and
 * integers up to 32 bits); otherwise toNumbers' Float64Array. A 55 MB float32 weight stays 55 MB
 * instead of becoming a 110 MB Float64Array.
 */
export function numberView(v: TensorValues): ArrayLike<number> {
  const d = v.data;
  if (!Array.isArray(d) && PLAIN_NUMBER_TYPES.has(v.dataType) && !(d instanceof BigInt64Array) && !(d instanceof BigUint64Array)) return d as ArrayLike<number>;
  return toNumbers(v);
}

export function toNumbers(v: TensorValues): Float64Array {
  const d = v.data;
  const out = new Float64Array(d.length);
  if (Array.isArray(d)) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }
  switch (v.dataType) {
    case 10: for (let i = 0; i < d.length; i++) out[i] = halfToFloat(Number(d[i])); return out;
    case 16: for (let i = 0; i < d.length; i++) out[i] = bf16ToFloat(Number(d[i])); return out;
    case 17: for (let i = 0; i < d.length; i++) out[i] = miniFloat(Number(d[i]), 4, 3, 7, 'fn'); return out;
    case 18: for (let i = 0; i < d.length; i++) out[i] = miniFloat(Number(d[i]), 4, 3, 8, 'fnuz'); return out;
    case 19: for (let i = 0; i < d.length; i++) out[i] = miniFloat(Number(d[i]), 5, 2, 15, 'ieee'); return out;
    case 20: for (let i = 0; i < d.length; i++) out[i] = miniFloat(Number(d[i]), 5, 2, 16, 'fnuz'); return out;
    case 23: return fp4ToNumbers(d as Uint8Array, out);
    case 24: for (let i = 0; i < d.length; i++) { const c = Number(d[i]); out[i] = c === 255 ? NaN : 2 ** (c - 127); } return out;
    default: for (let i = 0; i < d.length; i++) out[i] = Number(d[i]); return out;
  }
}

/** FLOAT4E2M1 has no inf/NaN: every code is a finite value. */
function fp4ToNumbers(d: Uint8Array, out: Float64Array): Float64Array {
  for (let i = 0; i < d.length; i++) {
    const c = d[i];
    const s = c & 8 ? -1 : 1;
    const e = (c >> 1) & 3;
    const m = c & 1;
    out[i] = e === 0 ? s * m * 0.5 : s * (1 + m / 2) * 2 ** (e - 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Writing values

const WRITERS: Record<number, { min: number; max: number; int: boolean }> = {
  1: { min: -3.4028234663852886e38, max: 3.4028234663852886e38, int: false },
  2: { min: 0, max: 255, int: true },
  3: { min: -128, max: 127, int: true },
  4: { min: 0, max: 65535, int: true },
  5: { min: -32768, max: 32767, int: true },
  6: { min: -2147483648, max: 2147483647, int: true },
  7: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, int: true },
  11: { min: -Number.MAX_VALUE, max: Number.MAX_VALUE, int: false },
};

/** Element types `numericTensor` can write. */
export const WRITABLE_TYPES: ReadonlySet<number> = new Set(Object.keys(WRITERS).map(Number));

/** Whether a tensor of element type `dataType` can hold `v` (an integer in range for integer types; float types round). */
export function canHold(dataType: number, v: number): boolean {
  const w = WRITERS[dataType];
  if (!w) return false;
  if (w.int) return Number.isInteger(v) && v >= w.min && v <= w.max;
  return !Number.isFinite(v) || Math.abs(v) <= w.max;
}

/** A raw-data initializer of the given element type holding `values` (converted, not checked). */
export function numericTensor(name: string, dataType: number, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = values.length;
  let raw: Uint8Array;
  switch (dataType) {
    case 1: raw = new Uint8Array(Float32Array.from(values).buffer); break;
    case 2: raw = Uint8Array.from(values); break;
    case 3: raw = new Uint8Array(Int8Array.from(values).buffer); break;
    case 4: raw = new Uint8Array(Uint16Array.from(values).buffer); break;
    case 5: raw = new Uint8Array(Int16Array.from(values).buffer); break;
    case 6: raw = new Uint8Array(Int32Array.from(values).buffer); break;
    case 7: {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(Math.trunc(values[i]));
      raw = new Uint8Array(a.buffer);
      break;
    }
    case 11: raw = new Uint8Array(Float64Array.from(values).buffer); break;
    default:
      throw new Error(`cannot write element type ${dataType}`);
  }
  return { name, dims: shape.map((d) => int64From(d)), dataType, rawData: raw };
}
