/** ONNX TensorProto.DataType: names, storage sizes and how values are stored. */

export interface ElementType {
  id: number;
  name: string;
  /** Bits per element in raw_data (packed sub-byte types: 4 or 2). 0 for STRING. */
  bits: number;
  /** The typed-array field of TensorProto that holds the values when raw_data is absent. */
  field: 'floatData' | 'int32Data' | 'int64Data' | 'doubleData' | 'uint64Data' | 'stringData';
}

const T = (id: number, name: string, bits: number, field: ElementType['field']): ElementType => ({ id, name, bits, field });

export const ELEMENT_TYPES: readonly ElementType[] = [
  T(1, 'FLOAT', 32, 'floatData'),
  T(2, 'UINT8', 8, 'int32Data'),
  T(3, 'INT8', 8, 'int32Data'),
  T(4, 'UINT16', 16, 'int32Data'),
  T(5, 'INT16', 16, 'int32Data'),
  T(6, 'INT32', 32, 'int32Data'),
  T(7, 'INT64', 64, 'int64Data'),
  T(8, 'STRING', 0, 'stringData'),
  T(9, 'BOOL', 8, 'int32Data'),
  T(10, 'FLOAT16', 16, 'int32Data'),
  T(11, 'DOUBLE', 64, 'doubleData'),
  T(12, 'UINT32', 32, 'uint64Data'),
  T(13, 'UINT64', 64, 'uint64Data'),
  T(14, 'COMPLEX64', 64, 'floatData'),
  T(15, 'COMPLEX128', 128, 'doubleData'),
  T(16, 'BFLOAT16', 16, 'int32Data'),
  T(17, 'FLOAT8E4M3FN', 8, 'int32Data'),
  T(18, 'FLOAT8E4M3FNUZ', 8, 'int32Data'),
  T(19, 'FLOAT8E5M2', 8, 'int32Data'),
  T(20, 'FLOAT8E5M2FNUZ', 8, 'int32Data'),
  T(21, 'UINT4', 4, 'int32Data'),
  T(22, 'INT4', 4, 'int32Data'),
  T(23, 'FLOAT4E2M1', 4, 'int32Data'),
  T(24, 'FLOAT8E8M0', 8, 'int32Data'),
  T(25, 'UINT2', 2, 'int32Data'),
  T(26, 'INT2', 2, 'int32Data'),
];

const BY_ID = new Map(ELEMENT_TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(ELEMENT_TYPES.map((t) => [t.name, t]));

export function elementType(id: number | null | undefined): ElementType | undefined {
  return id == null ? undefined : BY_ID.get(id);
}

export function elementTypeByName(name: string): ElementType | undefined {
  return BY_NAME.get(name.toUpperCase());
}

/** Display name, e.g. "FLOAT", or "type 99" for a value this schema does not know. */
export function elementTypeName(id: number | null | undefined): string {
  if (id == null || id === 0) return 'UNDEFINED';
  return BY_ID.get(id)?.name ?? `type ${id}`;
}

/** Size in bytes of `count` elements in raw_data (sub-byte types are packed, rounded up). */
export function rawByteLength(id: number, count: number): number {
  const t = BY_ID.get(id);
  if (!t || t.bits === 0) return NaN;
  return Math.ceil((t.bits * count) / 8);
}
