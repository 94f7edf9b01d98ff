/**
 * The in-memory model. It mirrors the ONNX protobuf messages field by field (so nothing is lost on
 * export) and is treated as immutable: an edit builds new objects along the path it changes and shares
 * everything else with the previous version.
 *
 * int64 fields arrive as Long objects from the decoder, or as plain {low, high} objects after a trip
 * through postMessage; read them with `int64ToNumber` / `int64ToBigInt`, never directly.
 */
import Long from 'long';
import type { onnx } from '../onnx/onnxProto.js';

export type Model = onnx.ModelProto.$Properties;
export type Graph = onnx.GraphProto.$Properties;
export type Node = onnx.NodeProto.$Properties;
export type Attribute = onnx.AttributeProto.$Properties;
export type Tensor = onnx.TensorProto.$Properties;
export type SparseTensor = onnx.SparseTensorProto.$Properties;
export type ValueInfo = onnx.ValueInfoProto.$Properties;
export type TypeProto = onnx.TypeProto.$Properties;
export type TensorShape = onnx.TensorShapeProto.$Properties;
export type Dimension = onnx.TensorShapeProto.Dimension.$Properties;
export type OpsetId = onnx.OperatorSetIdProto.$Properties;
export type StringEntry = onnx.StringStringEntryProto.$Properties;
export type TensorAnnotation = onnx.TensorAnnotation.$Properties;
export type FunctionDef = onnx.FunctionProto.$Properties;

/** What an int64 field can hold at run time. */
export type Int64Like = number | bigint | { low: number; high: number; unsigned?: boolean } | null | undefined;

const TWO_32 = 4294967296;

/** int64 as a JS number; exact up to 2^53, which covers every dimension and attribute seen in practice. */
export function int64ToNumber(v: Int64Like): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const low = v.low >>> 0;
  return v.unsigned ? (v.high >>> 0) * TWO_32 + low : (v.high | 0) * TWO_32 + low;
}

/** int64 exactly, as a bigint. */
export function int64ToBigInt(v: Int64Like): bigint {
  if (v == null) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const low = BigInt(v.low >>> 0);
  const high = v.unsigned ? BigInt(v.high >>> 0) : BigInt(v.high | 0);
  return (high << 32n) + low;
}

/** An int64 field value (a Long, as the decoder produces) from a number or bigint. */
export function int64From(v: number | bigint): Long {
  const b = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  const u = BigInt.asUintN(64, b);
  return Long.fromBits(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0, false);
}

export function isInt64Like(v: unknown): v is Int64Like {
  return typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'object' && v !== null && 'low' in v && 'high' in v);
}
