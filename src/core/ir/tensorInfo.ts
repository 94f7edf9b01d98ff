/**
 * What the model says about one tensor: its declared shape and element type (from graph inputs,
 * outputs, value_info or the initializer itself) and its QONNX datatype annotation.
 */
import { elementTypeName } from '../onnx/elementTypes.js';
import { tensorShape } from '../onnx/tensorData.js';
import type { GraphIndex } from './graphIndex.js';
import type { ModelAnalysis } from '../analysis/modelAnalysis.js';
import type { TypeProto, ValueInfo } from './types.js';
import { int64ToNumber } from './types.js';

/** A dimension: a number, a symbolic name, or null when unknown. */
export type Dim = number | string | null;

export interface TensorInfo {
  name: string;
  shape: Dim[] | null;
  /** ONNX element type id (0 when unknown) */
  elemType: number;
  /** `finn_datatype` annotation when present */
  finnDatatype?: string;
  /** QONNX datatype from inference (when an analysis was given) */
  datatype?: string;
  /** where the shape came from */
  source: 'input' | 'output' | 'value_info' | 'initializer' | 'inferred' | 'none';
  isInitializer: boolean;
}

export function shapeOfType(t: TypeProto | null | undefined): Dim[] | null {
  const tt = t?.tensorType ?? t?.sparseTensorType;
  if (!tt || !tt.shape) return null;
  return (tt.shape.dim ?? []).map((d) => {
    if (d.dimValue != null && Object.prototype.hasOwnProperty.call(d, 'dimValue')) return int64ToNumber(d.dimValue);
    if (d.dimParam) return d.dimParam;
    return null;
  });
}

export function elemTypeOf(t: TypeProto | null | undefined): number {
  return t?.tensorType?.elemType ?? t?.sparseTensorType?.elemType ?? 0;
}

export function valueInfoShape(v: ValueInfo): Dim[] | null {
  return shapeOfType(v.type);
}

export function tensorInfo(idx: GraphIndex, name: string, analysis?: ModelAnalysis): TensorInfo {
  const info = declaredTensorInfo(idx, name);
  if (!analysis) return info;
  const dt = analysis.datatypeOf(name);
  if (dt) info.datatype = dt.name;
  else if (info.elemType === 1 || info.elemType === 10) info.datatype = info.elemType === 1 ? 'FLOAT32' : 'FLOAT16';
  const inf = analysis.shapes.tensors.get(name);
  if (inf && (!info.shape || info.shape.some((d) => d === null)) && inf.shape) {
    info.shape = inf.shape;
    if (info.source === 'none') info.source = 'inferred';
  }
  if (!info.elemType && inf?.elemType) info.elemType = inf.elemType;
  return info;
}

/** Only what the file itself says about a tensor. */
export function declaredTensorInfo(idx: GraphIndex, name: string): TensorInfo {
  const finnDatatype = idx.annotation.get(name)?.get('finn_datatype');
  const init = idx.initializer.get(name);
  if (init)
    return { name, shape: tensorShape(init), elemType: init.dataType ?? 0, finnDatatype, source: 'initializer', isInitializer: true };
  const from: [ValueInfo | undefined, TensorInfo['source']][] = [
    [idx.input.get(name), 'input'],
    [idx.output.get(name), 'output'],
    [idx.valueInfo.get(name), 'value_info'],
  ];
  for (const [vi, source] of from)
    if (vi && vi.type) return { name, shape: shapeOfType(vi.type), elemType: elemTypeOf(vi.type), finnDatatype, source, isInitializer: false };
  return { name, shape: null, elemType: 0, finnDatatype, source: 'none', isInitializer: false };
}

export function formatShape(shape: Dim[] | null): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** Datatype shown to the user: the QONNX annotation if any, else the ONNX element type. */
export function datatypeLabel(info: TensorInfo): string {
  // The reference types unannotated non-float tensors (INT64 shapes, BOOL masks) as FLOAT32 by default;
  // a viewer shows their real element type instead.
  const nonFloatElem = info.elemType !== 0 && info.elemType !== 1 && info.elemType !== 10 && info.elemType !== 11 && info.elemType !== 16;
  if (info.datatype === 'FLOAT32' && nonFloatElem && !info.finnDatatype) return elementTypeName(info.elemType);
  if (info.datatype && !(info.datatype === 'FLOAT32' && info.finnDatatype)) return info.datatype;
  if (info.finnDatatype) return info.finnDatatype;
  return info.elemType ? elementTypeName(info.elemType) : '?';
}
