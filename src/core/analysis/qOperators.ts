/**
 * QOperator ops: what onnxruntime's quantizer writes in its operator-oriented format (QLinearConv,
 * QLinearMatMul, QGemm, QLinearAdd, QLinearSoftmax... in the standard or the `com.microsoft` domain) and
 * what its dynamic quantization writes (ConvInteger, MatMulInteger, DynamicQuantizeLinear). Each one
 * stands for a float op working on dequantized values; this table says which op, and which inputs
 * carry the quantized data, so that shape inference, the cost and the graph's badges treat them as that
 * op with the bit widths of their element types.
 *
 * Datatype names follow the reference's rule for QDQ (QuantizeLinear gives (U)INT of its element type,
 * DequantizeLinear gives SCALEDINT of that width): an input that has a scale (QLinear*, QGemm) is a
 * SCALEDINT<n> of its element type's width, as the same layer written in QDQ format gets; an input
 * without one (ConvInteger, MatMulInteger) is the (U)INT<n> of its element type. A quantized output is the
 * (U)INT<n> of its element type (the QuantizeLinear the op ends with), a float output FLOAT32, an INT32
 * accumulator INT32. qonnx-inference-cost has no cost model for any of these op types.
 */
import type { Node } from '../ir/types.js';
import { FLOAT16, FLOAT32, onnxIntType, scaledIntType, type DataType } from '../qonnx/datatypes.js';

export interface QOperatorSpec {
  /** the float op it computes on dequantized values */
  floatOp: string;
  /** the op's data inputs, in the float op's order (e.g. [x, w] of a Conv; every X of a Concat) */
  dataInputs: (n: Node) => string[];
  /** slot of the quantized output's zero point (its element type is the output's), when there is one */
  outZeroPoint?: (n: Node) => number | undefined;
  /** its output's element type when the op fixes it: INT32 accumulators (ConvInteger, MatMulInteger), UINT8 (DynamicQuantizeLinear) */
  outElem?: number;
  /** its quantized inputs have a scale: SCALEDINT<n> in the reference's naming */
  scaled: boolean;
  /** slots of input 0 / the weight and their zero points (compute ops only) */
  a?: number;
  aZeroPoint?: number;
  b?: number;
  bZeroPoint?: number;
}

const ins = (n: Node) => n.input ?? [];
const pick = (...slots: number[]) => (n: Node) => slots.map((k) => ins(n)[k] ?? '');
const at = (k: number) => () => k;

const SPECS: Record<string, QOperatorSpec> = {
  QLinearConv: { floatOp: 'Conv', dataInputs: pick(0, 3), outZeroPoint: at(7), scaled: true, a: 0, aZeroPoint: 2, b: 3, bZeroPoint: 5 },
  QLinearMatMul: { floatOp: 'MatMul', dataInputs: pick(0, 3), outZeroPoint: at(7), scaled: true, a: 0, aZeroPoint: 2, b: 3, bZeroPoint: 5 },
  // A, a_scale, a_zp, B, b_scale, b_zp, C (int32 bias), y_scale, y_zp: a float output without y_scale
  QGemm: { floatOp: 'Gemm', dataInputs: pick(0, 3), outZeroPoint: (n) => (ins(n)[7] ? 8 : undefined), scaled: true, a: 0, aZeroPoint: 2, b: 3, bZeroPoint: 5 },
  ConvInteger: { floatOp: 'Conv', dataInputs: pick(0, 1), outElem: 6, scaled: false, a: 0, aZeroPoint: 2, b: 1, bZeroPoint: 3 },
  MatMulInteger: { floatOp: 'MatMul', dataInputs: pick(0, 1), outElem: 6, scaled: false, a: 0, aZeroPoint: 2, b: 1, bZeroPoint: 3 },
  QLinearConvTranspose: { floatOp: 'ConvTranspose', dataInputs: pick(0, 3), outZeroPoint: at(7), scaled: true },
  QLinearAdd: { floatOp: 'Add', dataInputs: pick(0, 3), outZeroPoint: at(7), scaled: true },
  QLinearMul: { floatOp: 'Mul', dataInputs: pick(0, 3), outZeroPoint: at(7), scaled: true },
  QLinearSoftmax: { floatOp: 'Softmax', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  QLinearSigmoid: { floatOp: 'Sigmoid', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  QLinearLeakyRelu: { floatOp: 'LeakyRelu', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  QLinearAveragePool: { floatOp: 'AveragePool', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  QLinearGlobalAveragePool: { floatOp: 'GlobalAveragePool', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  QLinearReduceMean: { floatOp: 'ReduceMean', dataInputs: pick(0), outZeroPoint: at(4), scaled: true },
  // Y_scale, Y_zp, then (X, X_scale, X_zp) per input
  QLinearConcat: { floatOp: 'Concat', dataInputs: (n) => ins(n).filter((_, k) => k >= 2 && (k - 2) % 3 === 0), outZeroPoint: at(1), scaled: true },
  QLinearWhere: { floatOp: 'Where', dataInputs: pick(0, 1, 4), outZeroPoint: at(8), scaled: true },
  // x -> y (uint8), y_scale, y_zero_point: a quantizer whose scale is computed from the tensor's range
  DynamicQuantizeLinear: { floatOp: 'QuantizeLinear', dataInputs: pick(0), outElem: 2, scaled: false },
};

const DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);

/** The QOperator description of this node, or undefined when it is not one. */
export function qOperatorOf(n: Node): QOperatorSpec | undefined {
  if (!DOMAINS.has(n.domain ?? '')) return undefined;
  return Object.prototype.hasOwnProperty.call(SPECS, n.opType ?? '') ? SPECS[n.opType ?? ''] : undefined;
}

/** (U)INT<n> of an ONNX integer element type, SCALEDINT<n> when `scaled`; FLOAT32 / FLOAT16 for floats; undefined when unknown. */
export function elemDatatype(elemType: number, scaled: boolean): DataType | undefined {
  const int = onnxIntType(elemType);
  if (int) return scaled ? scaledIntType(int.bitwidth) : int;
  if (elemType === 10) return FLOAT16;
  if (elemType === 1 || elemType === 11 || elemType === 16) return FLOAT32;
  return undefined;
}

/** The datatypes of a QOperator compute node's input 0, weight and output, from their element types. */
export function qOperatorDatatypes(n: Node, spec: QOperatorSpec, elemOf: (t: string | undefined) => number): { a?: DataType; b?: DataType; out?: DataType } {
  const i = ins(n);
  const a = spec.a !== undefined ? elemDatatype(elemOf(i[spec.a]), spec.scaled) : undefined;
  const b = spec.b !== undefined ? elemDatatype(elemOf(i[spec.b]), spec.scaled) : undefined;
  let out: DataType | undefined;
  if (spec.outElem !== undefined) out = elemDatatype(spec.outElem, false);
  else {
    const zp = spec.outZeroPoint?.(n);
    const e = zp !== undefined && i[zp] ? elemOf(i[zp]) : elemOf(n.output?.[0]);
    out = elemDatatype(e, false);
  }
  return { a, b, out };
}

/**
 * The badge of a QOperator node: the element types it computes on, e.g. "UINT8 × INT8 → UINT8" for a
 * QLinearConv, "UINT8 → UINT8" for a QLinearSoftmax. Undefined when the types are not known.
 */
export function qOperatorBadge(n: Node, elemOf: (t: string | undefined) => number): string | undefined {
  const spec = qOperatorOf(n);
  if (!spec) return undefined;
  const name = (t: string | undefined) => elemDatatype(elemOf(t), false)?.name;
  const data = spec.a !== undefined && spec.b !== undefined ? [ins(n)[spec.a], ins(n)[spec.b]] : spec.dataInputs(n).slice(0, 1);
  const names = data.map(name);
  if (names.some((x) => !x)) return undefined;
  const { out } = qOperatorDatatypes(n, spec, elemOf);
  return `${names.join(' × ')}${out ? ` → ${out.name}` : ''}`;
}

/** The badge of a QuantizeLinear / DequantizeLinear: its integer element type, e.g. "UINT8" or "INT4". */
export function linearQuantizerBadge(n: Node, elemOf: (t: string | undefined) => number): string | undefined {
  const i = ins(n);
  if (n.opType === 'QuantizeLinear') {
    const dt = Number((n.attribute ?? []).find((a) => a.name === 'output_dtype')?.i ?? 0);
    return elemDatatype((i[2] ? elemOf(i[2]) : 0) || dt || 2, false)?.name;
  }
  if (n.opType === 'DequantizeLinear') {
    const e = elemOf(i[0]);
    return onnxIntType(e)?.name;
  }
  return undefined;
}
