/**
 * Does what the file declares hold together? The checks onnx's strict shape inference (and so the
 * qonnx toolkit, which runs it when it loads a model) and onnxruntime's graph resolution make on element
 * types and declarations, without a Python onnx:
 *
 * - one declaration per tensor: a name appears at most once in value_info, value_info does not repeat a
 *   graph input or output, and no graph input or output is listed twice ("Multiple ValueInfoProto found");
 * - an initializer agrees with its declaration (graph input or value_info) in element type and shape;
 * - element types flow through the standard ops: each op's output type follows from its inputs' types
 *   (Add -> its inputs' type, Shape -> INT64, Cast -> its `to`, Equal -> BOOL...) and must equal what is
 *   declared for that output ("Inferred elem type differs from existing elem type"); inputs an op binds
 *   to one type parameter (both inputs of Add, X/W/B of Conv...) must have one element type;
 * - the shapes declared in value_info and for graph outputs agree with the shapes the ops compute
 *   ("Inferred shape and existing shape differ"), as far as this project's shape inference knows them.
 *
 * Custom ops (QONNX, FINN, anything outside the standard domains) are opaque to onnx: their outputs
 * take their declared type, or FLOAT for the QONNX quantizers, whose outputs are float tensors.
 * An op this table does not know is skipped, never guessed.
 */
import type { Model, Node, TypeProto } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import { indexGraph, nodeLabel } from '../ir/graphIndex.js';
import { elementTypeName } from '../onnx/elementTypes.js';
import { inferShapes } from './shapeInference.js';

export interface DeclarationProblem {
  /** the tensor concerned */
  tensor: string;
  kind: 'duplicate-declaration' | 'initializer-type' | 'initializer-shape' | 'inferred-type' | 'type-binding' | 'declared-shape';
  message: string;
  /** what the ops compute for the tensor, where that is what disagrees with the declaration */
  inferredType?: number;
  inferredShape?: readonly (number | string | null)[];
}

const FLOAT = 1, INT64 = 7, BOOL = 9;

const STANDARD_DOMAINS = new Set(['', 'ai.onnx']);
const QONNX_FLOAT_OUT = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);

/** Ops whose outputs all have the element type of input 0. */
const SAME_AS_FIRST = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'Asin', 'Asinh', 'Atan', 'Atanh', 'AveragePool', 'BatchNormalization', 'Ceil', 'Celu', 'Clip',
  'Concat', 'Conv', 'ConvTranspose', 'Cos', 'Cosh', 'CumSum', 'DepthToSpace', 'Div', 'Dropout', 'Elu', 'Erf', 'Exp', 'Expand',
  'Flatten', 'Floor', 'Gather', 'GatherElements', 'GatherND', 'Gelu', 'Gemm', 'GlobalAveragePool', 'GlobalLpPool', 'GlobalMaxPool',
  'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'LRN', 'LayerNormalization', 'LeakyRelu', 'Log',
  'LogSoftmax', 'LpNormalization', 'LpPool', 'MatMul', 'Max', 'MaxPool', 'Mean', 'Min', 'Mish', 'Mod', 'Mul', 'Neg', 'Pad', 'Pow',
  'PRelu', 'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin',
  'ReduceProd', 'ReduceSum', 'ReduceSumSquare', 'Relu', 'Reshape', 'Resize', 'Round', 'ScatterElements', 'ScatterND', 'Selu',
  'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Slice', 'Softmax', 'Softplus', 'Softsign', 'SpaceToDepth', 'Split', 'Sqrt', 'Squeeze',
  'Sub', 'Sum', 'Tan', 'Tanh', 'ThresholdedRelu', 'Tile', 'Transpose', 'Trilu', 'Unsqueeze', 'Upsample',
]);
/** Outputs of these are BOOL. */
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
/** Outputs of these are INT64 (all outputs, or the listed ones). */
const INT64_OUT: Record<string, number[] | 'all'> = { Shape: 'all', Size: 'all', NonZero: 'all', ArgMax: 'all', ArgMin: 'all', TopK: [1], Unique: [1, 2, 3] };

/** Input positions bound to one type parameter, per op (every input for the variadic ones). */
const BOUND: Record<string, number[] | 'all'> = {
  Add: 'all', Sub: 'all', Mul: 'all', Div: 'all', Sum: 'all', Min: 'all', Max: 'all', Mean: 'all', Concat: 'all',
  Equal: 'all', Less: 'all', Greater: 'all', LessOrEqual: 'all', GreaterOrEqual: 'all', And: 'all', Or: 'all', Xor: 'all', Mod: 'all',
  MatMul: [0, 1], Gemm: [0, 1, 2], Conv: [0, 1, 2], ConvTranspose: [0, 1, 2], PRelu: [0, 1], Clip: [0, 1, 2], Where: [1, 2],
  Reshape: [], Expand: [],
};
/** Inputs that must be INT64 (shape-like operands). */
const MUST_INT64: Record<string, number[]> = { Reshape: [1], Expand: [1], ConstantOfShape: [0], Tile: [1] };

function tensorElemType(t: TypeProto | null | undefined): number | undefined {
  const e = t?.tensorType?.elemType;
  return e ? e : undefined;
}

function declaredDims(t: TypeProto | null | undefined): (number | undefined)[] | undefined {
  const dims = t?.tensorType?.shape?.dim;
  if (!t?.tensorType?.shape) return undefined;
  return (dims ?? []).map((d) => (d.dimValue != null && d.dimParam == null ? int64ToNumber(d.dimValue) : undefined));
}

function attrInt(n: Node, name: string): number | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i != null ? int64ToNumber(a.i) : undefined;
}

const typeName = (e: number) => elementTypeName(e);

/** Every problem of the model's declarations and element types; an empty list when it holds together. */
export function checkDeclaredTypes(model: Model): DeclarationProblem[] {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const problems: DeclarationProblem[] = [];

  // 1. one declaration per tensor
  const count = (list: { name?: string | null }[] | null | undefined, where: string) => {
    const seen = new Set<string>();
    for (const v of list ?? []) {
      const name = v.name ?? '';
      if (seen.has(name)) problems.push({ tensor: name, kind: 'duplicate-declaration', message: `'${name}' is declared twice in ${where}` });
      seen.add(name);
    }
    return seen;
  };
  const inputs = count(g.input, 'the graph inputs');
  const outputs = count(g.output, 'the graph outputs');
  count(g.valueInfo, 'value_info');
  for (const v of g.valueInfo ?? []) {
    const name = v.name ?? '';
    if (inputs.has(name) || outputs.has(name))
      problems.push({ tensor: name, kind: 'duplicate-declaration', message: `'${name}' is a graph ${inputs.has(name) ? 'input' : 'output'} and also has a value_info entry` });
  }

  // declared element type and shape per name (the first declaration wins, as readers do)
  const declared = new Map<string, TypeProto>();
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    if (v.name && v.type && !declared.has(v.name)) declared.set(v.name, v.type);
  }

  // 2. initializers agree with their declarations
  const type = new Map<string, number>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    const dt = t.dataType ?? 0;
    if (dt) type.set(name, dt);
    const d = declared.get(name);
    const de = tensorElemType(d);
    if (de && dt && de !== dt)
      problems.push({ tensor: name, kind: 'initializer-type', message: `initializer '${name}' holds ${typeName(dt)} but is declared ${typeName(de)}` });
    const dd = declaredDims(d);
    const dims = (t.dims ?? []).map((x) => int64ToNumber(x));
    if (dd && (dd.length !== dims.length || dd.some((x, i) => x !== undefined && x !== dims[i])))
      problems.push({ tensor: name, kind: 'initializer-shape', message: `initializer '${name}' has shape [${dims.join(',')}] but is declared [${dd.map((x) => x ?? '?').join(',')}]` });
  }
  for (const v of g.input ?? []) {
    const e = tensorElemType(v.type);
    if (v.name && e && !type.has(v.name)) type.set(v.name, e);
  }

  // 3. element types through the nodes, in topological order
  for (const i of idx.order) {
    const n = idx.nodes[i];
    const op = n.opType ?? '';
    const std = STANDARD_DOMAINS.has(n.domain ?? '');
    const ins = (n.input ?? []).map((t) => (t ? type.get(t) : undefined));
    const outs = n.output ?? [];
    let inferred: (number | undefined)[] = outs.map(() => undefined);
    if (std) {
      const bound = BOUND[op];
      if (bound) {
        const positions = bound === 'all' ? ins.map((_, k) => k) : bound;
        const known = positions.filter((k) => ins[k] !== undefined);
        if (known.some((k) => ins[k] !== ins[known[0]])) {
          const desc = known.map((k) => `'${n.input![k]}' ${typeName(ins[k]!)}`).join(', ');
          problems.push({ tensor: n.input![known[0]], kind: 'type-binding', message: `${op} ${nodeLabel(n, i)} reads inputs of different element types: ${desc}` });
        }
      }
      for (const k of MUST_INT64[op] ?? []) {
        if (ins[k] !== undefined && ins[k] !== INT64)
          problems.push({ tensor: n.input![k], kind: 'type-binding', message: `${op} ${nodeLabel(n, i)} needs INT64 at input ${k} ('${n.input![k]}'), not ${typeName(ins[k]!)}` });
      }
      if (SAME_AS_FIRST.has(op)) inferred = outs.map((_, k) => (op === 'Dropout' && k === 1 ? BOOL : ins[0]));
      else if (BOOL_OUT.has(op)) inferred = outs.map(() => BOOL);
      else if (INT64_OUT[op]) {
        const which = INT64_OUT[op];
        inferred = outs.map((_, k) => (which === 'all' || which.includes(k) ? INT64 : op === 'TopK' || op === 'Unique' ? ins[0] : undefined));
      } else if (op === 'Cast') inferred = [attrInt(n, 'to')];
      else if (op === 'CastLike') inferred = [ins[1]];
      else if (op === 'Where') inferred = [ins[1] ?? ins[2]];
      else if (op === 'Constant') {
        const v = n.attribute?.find((a) => a.name === 'value');
        const fl = n.attribute?.find((a) => a.name === 'value_float' || a.name === 'value_floats');
        const it = n.attribute?.find((a) => a.name === 'value_int' || a.name === 'value_ints');
        inferred = [v?.t?.dataType ?? (fl ? FLOAT : it ? INT64 : undefined)];
      } else if (op === 'ConstantOfShape') inferred = [n.attribute?.find((a) => a.name === 'value')?.t?.dataType ?? FLOAT];
      else if (op === 'DequantizeLinear') inferred = [ins[1] ?? FLOAT];
      else if (op === 'QuantizeLinear') inferred = [ins[2] ?? attrInt(n, 'output_dtype') ?? 2];
      else if (op === 'QLinearConv' || op === 'QLinearMatMul') inferred = [ins[7]];
      else if (op === 'ConvInteger' || op === 'MatMulInteger') inferred = [6];
    } else if (QONNX_FLOAT_OUT.has(op)) inferred = outs.map(() => FLOAT);
    outs.forEach((t, k) => {
      if (!t) return;
      const inf = inferred[k];
      const de = tensorElemType(declared.get(t));
      if (inf && de && inf !== de)
        problems.push({ tensor: t, kind: 'inferred-type', inferredType: inf, message: `'${t}' is computed as ${typeName(inf)} by ${op} ${nodeLabel(n, i)} but declared ${typeName(de)}` });
      const e = inf ?? de;
      if (e) type.set(t, e);
    });
  }
  for (const c of inferShapes(model).conflicts) {
    const show = (d: readonly (number | string | null)[]) => `[${d.map((x) => x ?? '?').join(',')}]`;
    problems.push({ tensor: c.tensor, kind: 'declared-shape', inferredShape: c.inferred, message: `'${c.tensor}' is computed with shape ${show(c.inferred)} but declared ${show(c.declared)}` });
  }
  return problems;
}
