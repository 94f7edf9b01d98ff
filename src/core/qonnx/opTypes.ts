/**
 * The contract every QONNX custom op implements (one file per op in ./ops/). Shape and datatype
 * inference, execution, the sidebar's formula and attribute docs, and editing all read these.
 */
import type { DataType } from './datatypes.js';
import type { Dim } from '../ir/tensorInfo.js';

export type AttrKind = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings';
export type AttrValue = number | string | number[] | string[];

export interface AttrSpec {
  name: string;
  kind: AttrKind;
  /** undefined together with required=true means the attribute must be present */
  default?: AttrValue;
  required?: boolean;
  /**
   * The attribute only describes the result (the computation does not read it): when absent the op
   * still runs and the Problems list shows `<name> missing: <this text>`.
   */
  ifMissing?: string;
  /** allowed values (strings compared case-insensitively) */
  allowed?: readonly (string | number)[];
  doc: string;
}

/** A float32 tensor (the only element type QONNX kernels compute in) with its shape. */
export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

export interface ShapeContext {
  /** shapes of the node's inputs (null when unknown), in input order */
  inputShapes: (Dim[] | null)[];
  attrs: Record<string, AttrValue>;
  /** values of constant inputs (initializers), when known */
  constInputs: (F32Tensor | undefined)[];
}

export interface DatatypeContext {
  /** datatypes of the inputs (FLOAT32 when unannotated) */
  inputTypes: DataType[];
  attrs: Record<string, AttrValue>;
  /** values of inputs that are initializers; undefined for computed inputs */
  constInputs: (F32Tensor | undefined)[];
  /** whether SCALEDINT results are allowed (else they become FLOAT32) */
  allowScaledInt: boolean;
}

export interface CustomOpDef {
  opType: string;
  /** other names of the same op (e.g. IntQuant for Quant) */
  aliases?: readonly string[];
  /** the op version this definition implements; the model's opset for the domain picks the highest <= it */
  sinceVersion: number;
  /** input names in order; optional trailing ones may be omitted */
  inputs: readonly { name: string; doc: string; optional?: boolean }[];
  outputs: readonly { name: string; doc: string }[];
  attrs: readonly AttrSpec[];
  /** one line for the UI */
  summary: string;
  /** the formula, in plain text, for the UI */
  formula: string;
  /** output shapes; null entries for unknown */
  inferShapes(ctx: ShapeContext): (Dim[] | null)[];
  /** datatype of output 0 (and further outputs, if any) */
  inferDatatypes(ctx: DatatypeContext): DataType[];
  /** float32-exact kernel */
  execute(inputs: F32Tensor[], attrs: Record<string, AttrValue>): F32Tensor[];
}
