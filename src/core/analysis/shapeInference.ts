/**
 * Whole-model shape and element-type inference for the standard ops QONNX models use, plus the custom
 * ops through their own rules (src/core/qonnx/ops). Small integer tensors that decide shapes (Shape ->
 * Gather -> Concat -> Reshape chains, Constant nodes, initializers) are evaluated on the way, so the
 * usual exporter patterns resolve. Unknown ops leave their outputs unknown instead of failing.
 */
import { indexGraph } from '../ir/graphIndex.js';
import { elemTypeOf, shapeOfType, type Dim } from '../ir/tensorInfo.js';
import type { Attribute, Model, Node } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import { tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import type { AttrValue, F32Tensor } from '../qonnx/opTypes.js';
import { opsetVersion, resolveCustomOp } from '../qonnx/registry.js';
import { qOperatorOf } from './qOperators.js';

export interface InferredTensor {
  shape: Dim[] | null;
  elemType: number;
  /** where the result came from */
  source: 'input' | 'initializer' | 'inferred' | 'declared';
}

export interface ShapeInferenceResult {
  tensors: Map<string, InferredTensor>;
  /** tensors whose declared value_info disagrees with the inferred shape */
  conflicts: { tensor: string; declared: Dim[]; inferred: Dim[] }[];
  /** node indices whose op this engine does not know */
  unknownOps: number[];
}

const FLOAT = 1, INT64 = 7, BOOL = 9, INT32 = 6, UINT8 = 2;

/** Small constant integer/float values known at analysis time, keyed by tensor name. */
type Known = Map<string, { shape: number[]; values: number[] } | undefined>;

const MAX_KNOWN = 4096;

export function attrMap(n: Node): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of n.attribute ?? []) {
    const v = attrToValue(a);
    if (v !== undefined && a.name) out[a.name] = v;
  }
  return out;
}

function attrToValue(a: Attribute): AttrValue | undefined {
  const t = a.type ?? 0;
  if (t === 1 || (t === 0 && a.f != null && Object.prototype.hasOwnProperty.call(a, 'f'))) return a.f ?? 0;
  if (t === 2 || (t === 0 && a.i != null && Object.prototype.hasOwnProperty.call(a, 'i'))) return int64ToNumber(a.i);
  if (t === 3 || (t === 0 && a.s?.length)) return new TextDecoder().decode(a.s ?? new Uint8Array());
  if (t === 6 || (t === 0 && a.floats?.length)) return a.floats ?? [];
  if (t === 7 || (t === 0 && a.ints?.length)) return (a.ints ?? []).map((v) => int64ToNumber(v));
  if (t === 8 || (t === 0 && a.strings?.length)) return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
  return undefined;
}

const num = (d: Dim | undefined): number | undefined => (typeof d === 'number' ? d : undefined);

/** numpy-style broadcast of shapes; symbolic dims survive when they match or meet 1. */
export function broadcastShapes(shapes: (Dim[] | null)[]): Dim[] | null {
  if (shapes.some((s) => s === null)) return null;
  const ss = shapes as Dim[][];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    let d: Dim = 1;
    for (const s of ss) {
      const v = s[s.length - rank + k];
      if (v === undefined || v === 1) continue;
      if (d === 1) d = v;
      else if (v !== d) {
        if (typeof v === 'number' && typeof d === 'number') return null; // incompatible
        d = typeof d === 'number' ? d : typeof v === 'number' ? v : d;
      }
    }
    out.push(d);
  }
  return out;
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function poolSpatial(x: Dim[], attrs: Record<string, AttrValue>, kernel: number[], dilationsDefault = 1): Dim[] | null {
  const nsp = x.length - 2;
  const strides = (attrs.strides as number[] | undefined) ?? new Array(nsp).fill(1);
  const dil = (attrs.dilations as number[] | undefined) ?? new Array(nsp).fill(dilationsDefault);
  const pads = (attrs.pads as number[] | undefined) ?? new Array(2 * nsp).fill(0);
  const autoPad = String(attrs.auto_pad ?? 'NOTSET');
  const ceil = Number(attrs.ceil_mode ?? 0) === 1;
  const out: Dim[] = [];
  for (let i = 0; i < nsp; i++) {
    const inD = num(x[2 + i]);
    if (inD === undefined || kernel[i] === undefined) {
      out.push(null);
      continue;
    }
    const ek = (kernel[i] - 1) * dil[i] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(Math.ceil(inD / strides[i]));
    else if (autoPad === 'VALID') out.push(Math.floor((inD - ek) / strides[i]) + 1);
    else {
      const v = (inD + pads[i] + pads[i + nsp] - ek) / strides[i];
      out.push((ceil ? Math.ceil(v) : Math.floor(v)) + 1);
    }
  }
  return out;
}

export function inferShapes(model: Model): ShapeInferenceResult {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const tensors = new Map<string, InferredTensor>();
  const known: Known = new Map();
  const opset = opsetVersion(model, '') ?? opsetVersion(model, 'ai.onnx') ?? 21;

  for (const t of g.initializer ?? []) {
    if (!t.name) continue;
    const shape = tensorShape(t);
    tensors.set(t.name, { shape, elemType: t.dataType ?? 0, source: 'initializer' });
  }
  for (const i of g.input ?? []) {
    if (!i.name || tensors.has(i.name)) continue;
    tensors.set(i.name, { shape: shapeOfType(i.type), elemType: elemTypeOf(i.type), source: 'input' });
  }

  const unknownOps: number[] = [];
  const get = (t: string | undefined | null) => (t ? tensors.get(t) : undefined);
  const shapeOf = (t: string | undefined | null) => get(t)?.shape ?? null;
  const typeOf = (t: string | undefined | null) => get(t)?.elemType ?? 0;
  // Values of small initializers are read only when an op asks for them (most never are).
  const kv = (t: string | undefined | null) => {
    if (!t) return undefined;
    const hit = known.get(t);
    if (hit || known.has(t)) return hit;
    const init = idx.initializer.get(t);
    let v: { shape: number[]; values: number[] } | undefined;
    if (init) {
      const shape = tensorShape(init);
      if (shape.reduce((a, b) => a * b, 1) <= MAX_KNOWN) {
        try {
          v = { shape, values: Array.from(toNumbers(tensorValues(init))) };
        } catch {
          v = undefined; // external or unreadable: shape only
        }
      }
    }
    known.set(t, v as never);
    return v;
  };

  for (const ni of idx.order) {
    const n = idx.nodes[ni];
    const outs = n.output ?? [];
    const ins = n.input ?? [];
    const attrs = attrMap(n);
    let shapes: (Dim[] | null)[] = [];
    let types: number[] = [];
    let values: ({ shape: number[]; values: number[] } | undefined)[] = [];
    try {
      const custom = resolveCustomOp(n, model);
      if (custom) {
        const constInputs: (F32Tensor | undefined)[] = ins.map((t, k0) => {
          if (k0 === 0) return undefined; // the data input: never needed for a shape rule
          const k = kv(t);
          return k ? { shape: k.shape, data: Float32Array.from(k.values) } : undefined;
        });
        shapes = custom.inferShapes({ inputShapes: ins.map((t) => shapeOf(t)), attrs, constInputs });
        types = outs.map(() => FLOAT);
      } else if (!n.domain || n.domain === 'ai.onnx') {
        const r = inferStandard(n, ins, attrs, opset, shapeOf, typeOf, kv);
        if (!r) unknownOps.push(ni);
        else {
          shapes = r.shapes;
          types = r.types;
          values = r.values ?? [];
        }
      } else if (n.domain === 'com.microsoft' && (qOperatorOf(n) || STANDARD_Q_OPS.has(n.opType ?? ''))) {
        const r = inferQOperator(n, ins, attrs, opset, shapeOf, typeOf, kv);
        if (!r) unknownOps.push(ni);
        else {
          shapes = r.shapes;
          types = r.types;
        }
      } else unknownOps.push(ni);
    } catch {
      shapes = [];
    }
    outs.forEach((o, k) => {
      if (!o) return;
      tensors.set(o, { shape: shapes[k] ?? null, elemType: types[k] ?? 0, source: 'inferred' });
      const v = values[k];
      if (v && v.values.length <= MAX_KNOWN) known.set(o, v);
    });
  }

  // Declared value_info fills what inference could not, and is compared where both exist.
  const conflicts: ShapeInferenceResult['conflicts'] = [];
  for (const vi of [...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    if (!vi.name) continue;
    const declared = shapeOfType(vi.type);
    const cur = tensors.get(vi.name);
    if (!cur || (!cur.shape && declared)) {
      tensors.set(vi.name, { shape: declared, elemType: cur?.elemType || elemTypeOf(vi.type), source: 'declared' });
      continue;
    }
    if (!cur.elemType) cur.elemType = elemTypeOf(vi.type);
    if (declared && cur.shape && !sameShape(declared, cur.shape)) conflicts.push({ tensor: vi.name, declared, inferred: cur.shape });
  }
  return { tensors, conflicts, unknownOps };
}

export function sameShape(a: Dim[], b: Dim[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (typeof x === 'number' && typeof y === 'number' && x !== y) return false;
  }
  return true;
}

type ShapeOf = (t: string | undefined | null) => Dim[] | null;
type TypeOf = (t: string | undefined | null) => number;
type KnownOf = (t: string | undefined | null) => { shape: number[]; values: number[] } | undefined;

interface StdResult {
  shapes: (Dim[] | null)[];
  types: number[];
  values?: ({ shape: number[]; values: number[] } | undefined)[];
}

const UNARY = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Floor', 'Ceil', 'Round', 'Sign', 'Erf', 'Clip', 'LeakyRelu',
  'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax', 'Reciprocal',
  'Gelu', 'Mish', 'Sin', 'Cos', 'Tan', 'Atan', 'Asin', 'Acos', 'Sinh', 'Cosh', 'Celu', 'ThresholdedRelu', 'Hardmax', 'LRN',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'MeanVarianceNormalization', 'GroupNormalization',
  'QuantizeLinear', 'DequantizeLinear', 'Not', 'IsNaN', 'IsInf', 'Trilu', 'CumSum', 'Shrink', 'BitShift',
]);
const BINARY_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'PRelu', 'Mod', 'And', 'Or', 'Xor', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const COMPARE = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

function elementwiseValues(op: string, a: { shape: number[]; values: number[] }, b: { shape: number[]; values: number[] }) {
  const shape = broadcastShapes([a.shape, b.shape]) as number[] | null;
  if (!shape) return undefined;
  const count = shape.reduce((x, y) => x * y, 1);
  if (count > MAX_KNOWN) return undefined;
  const at = (t: { shape: number[]; values: number[] }, flat: number) => {
    let off = 0, stride = 1, rem = flat;
    const idxs: number[] = new Array(shape.length);
    for (let k = shape.length - 1; k >= 0; k--) {
      idxs[k] = rem % shape[k];
      rem = Math.floor(rem / shape[k]);
    }
    for (let k = t.shape.length - 1, s = shape.length - 1; k >= 0; k--, s--) {
      off += (t.shape[k] === 1 ? 0 : idxs[s]) * stride;
      stride *= t.shape[k];
    }
    return t.values[off];
  };
  const f: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => (Number.isInteger(x) && Number.isInteger(y) ? Math.trunc(x / y) : x / y),
    Max: Math.max, Min: Math.min, Pow: (x, y) => x ** y, Mod: (x, y) => x % y, Equal: (x, y) => +(x === y),
  };
  const fn = f[op];
  if (!fn) return undefined;
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) values[i] = fn(at(a, i), at(b, i));
  return { shape, values };
}

/**
 * onnxruntime's com.microsoft QOperator ops (QGemm, QLinearAdd, QLinearSoftmax, ...; qOperators.ts):
 * the float op's shape rule on their data inputs, the element type of their output zero point.
 */
function inferQOperator(n: Node, ins: string[], attrs: Record<string, AttrValue>, opset: number, shapeOf: ShapeOf, typeOf: TypeOf, kv: KnownOf): StdResult | undefined {
  const op = n.opType ?? '';
  // the standard rule knows these (QLinearConv, QLinearMatMul, QuantizeLinear, ... in com.microsoft)
  if (STANDARD_Q_OPS.has(op)) return inferStandard(n, ins, attrs, opset, shapeOf, typeOf, kv);
  const spec = qOperatorOf(n)!;
  const data = spec.dataInputs(n);
  const twin: Node = { ...n, opType: spec.floatOp, domain: '', input: data };
  if (op === 'QLinearGlobalAveragePool' && Number(attrs.channels_last ?? 0) === 1) {
    const x = shapeOf(data[0]);
    return { shapes: [x ? [x[0], ...x.slice(1, -1).map(() => 1), x[x.length - 1]] : null], types: [typeOf(ins[4])] };
  }
  const r = inferStandard(twin, data, attrs, opset, shapeOf, typeOf, kv);
  if (!r) return undefined;
  const zp = spec.outZeroPoint?.(n);
  const elem = spec.outElem ?? (zp !== undefined && ins[zp] ? typeOf(ins[zp]) : FLOAT);
  return { shapes: r.shapes.slice(0, 1), types: [elem] };
}
const STANDARD_Q_OPS = new Set(['QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger', 'DynamicQuantizeLinear', 'QuantizeLinear', 'DequantizeLinear']);

function inferStandard(n: Node, ins: string[], attrs: Record<string, AttrValue>, opset: number, shapeOf: ShapeOf, typeOf: TypeOf, kv: KnownOf): StdResult | undefined {
  const op = n.opType ?? '';
  const x = shapeOf(ins[0]);
  const t0 = typeOf(ins[0]);
  const one = (s: Dim[] | null, t = t0, v?: { shape: number[]; values: number[] }): StdResult => ({ shapes: [s], types: [t], values: [v] });
  const ints = (name: string, inputIdx: number): number[] | undefined => {
    const a = attrs[name];
    if (Array.isArray(a)) return a as number[];
    const k = kv(ins[inputIdx]);
    return k ? k.values : undefined;
  };

  if (UNARY.has(op)) {
    if (op === 'QuantizeLinear') {
      const zp = ins[2] ? typeOf(ins[2]) : 0;
      return one(x, zp || Number(attrs.output_dtype ?? 0) || UINT8);
    }
    if (op === 'DequantizeLinear') return one(x, typeOf(ins[1]) || FLOAT);
    if (op === 'Not' || op === 'IsNaN' || op === 'IsInf') return one(x, BOOL);
    if (op === 'Dropout') return { shapes: [x, x], types: [t0, BOOL] };
    if (op === 'BatchNormalization') return { shapes: [x, null, null], types: [t0, t0, t0] };
    if (op === 'LayerNormalization') return { shapes: [x, null, null], types: [t0, FLOAT, FLOAT] };
    if (op === 'Identity') return one(x, t0, kv(ins[0]));
    return one(x);
  }
  if (BINARY_OPS.has(op) || COMPARE.has(op)) {
    const s = broadcastShapes(ins.filter(Boolean).map((t) => shapeOf(t)));
    const a = kv(ins[0]), b = kv(ins[1]);
    const v = a && b && ins.length === 2 ? elementwiseValues(op, a, b) : undefined;
    return one(s, COMPARE.has(op) ? BOOL : t0 || typeOf(ins[1]), v);
  }
  switch (op) {
    case 'Where':
      return one(broadcastShapes(ins.map((t) => shapeOf(t))), typeOf(ins[1]));
    case 'Cast': {
      const to = Number(attrs.to ?? 0);
      const k = kv(ins[0]);
      return one(x, to, k && (to === INT64 || to === INT32) ? { shape: k.shape, values: k.values.map(Math.trunc) } : k);
    }
    case 'CastLike':
      return one(x, typeOf(ins[1]));
    case 'Shape': {
      if (!x) return one(null, INT64);
      const start = normAxis(Number(attrs.start ?? 0), x.length);
      const end = attrs.end !== undefined ? normAxis(Number(attrs.end), x.length) : x.length;
      const dims = x.slice(Math.max(0, start), Math.min(x.length, end));
      const v = dims.every((d) => typeof d === 'number') ? { shape: [dims.length], values: dims as number[] } : undefined;
      return one([dims.length], INT64, v);
    }
    case 'Size':
      return one([], INT64, x && x.every((d) => typeof d === 'number') ? { shape: [], values: [(x as number[]).reduce((a, b) => a * b, 1)] } : undefined);
    case 'Constant': {
      const a = (n.attribute ?? []).find((q) => q.name === 'value' || q.name?.startsWith('value_'));
      if (!a) return one(null, 0);
      if (a.t) {
        const shape = tensorShape(a.t);
        let v: { shape: number[]; values: number[] } | undefined;
        try {
          if (shape.reduce((p, q) => p * q, 1) <= MAX_KNOWN) v = { shape, values: Array.from(toNumbers(tensorValues(a.t))) };
        } catch { /* unreadable */ }
        return one(shape, a.t.dataType ?? 0, v);
      }
      if (a.name === 'value_int') return one([], INT64, { shape: [], values: [int64ToNumber(a.i)] });
      if (a.name === 'value_ints') return one([a.ints?.length ?? 0], INT64, { shape: [a.ints?.length ?? 0], values: (a.ints ?? []).map((q) => int64ToNumber(q)) });
      if (a.name === 'value_float') return one([], FLOAT, { shape: [], values: [a.f ?? 0] });
      if (a.name === 'value_floats') return one([a.floats?.length ?? 0], FLOAT, { shape: [a.floats?.length ?? 0], values: a.floats ?? [] });
      return one(null, 0);
    }
    case 'ConstantOfShape': {
      const k = kv(ins[0]);
      const vt = (n.attribute ?? []).find((q) => q.name === 'value')?.t;
      return one(k ? k.values : null, vt?.dataType ?? FLOAT);
    }
    case 'DynamicQuantizeLinear':
      return { shapes: [x, [], []], types: [UINT8, FLOAT, UINT8] };
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv': {
      const wIdx = op === 'QLinearConv' ? 3 : 1;
      const w = shapeOf(ins[wIdx]);
      if (!x || !w) return one(null, op === 'ConvInteger' ? INT32 : t0);
      const kernel = (attrs.kernel_shape as number[] | undefined) ?? (w.slice(2).map((d) => num(d)) as number[]);
      const sp = poolSpatial(x, attrs, kernel);
      return one(sp ? [x[0], w[0], ...sp] : null, op === 'ConvInteger' ? INT32 : op === 'QLinearConv' ? typeOf(ins[7]) : t0);
    }
    case 'ConvTranspose': {
      const w = shapeOf(ins[1]);
      if (!x || !w) return one(null);
      const nsp = x.length - 2;
      const group = Number(attrs.group ?? 1);
      const oc = num(w[1]) !== undefined ? (w[1] as number) * group : null;
      const outShape = attrs.output_shape as number[] | undefined;
      if (outShape) return one([x[0], oc, ...outShape.slice(-nsp)]);
      const kernel = (attrs.kernel_shape as number[] | undefined) ?? (w.slice(2) as number[]);
      const strides = (attrs.strides as number[] | undefined) ?? new Array(nsp).fill(1);
      const pads = (attrs.pads as number[] | undefined) ?? new Array(2 * nsp).fill(0);
      const dil = (attrs.dilations as number[] | undefined) ?? new Array(nsp).fill(1);
      const outPad = (attrs.output_padding as number[] | undefined) ?? new Array(nsp).fill(0);
      // auto_pad SAME_UPPER/SAME_LOWER pads so that output = input * stride (ONNX ConvTranspose);
      // the general formula below would give stride * (in - 1) + kernel instead.
      const autoPad = String(attrs.auto_pad ?? 'NOTSET');
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return one([x[0], oc, ...x.slice(2).map((d, i) => (typeof d === 'number' ? d * strides[i] : null))]);
      const sp = x.slice(2).map((d, i) => (typeof d === 'number' ? strides[i] * (d - 1) + outPad[i] + ((kernel[i] - 1) * dil[i] + 1) - pads[i] - pads[i + nsp] : null));
      return one([x[0], oc, ...sp]);
    }
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      if (!x) return one(null);
      const sp = poolSpatial(x, attrs, (attrs.kernel_shape as number[]) ?? []);
      const s = sp ? [x[0], x[1], ...sp] : null;
      return op === 'MaxPool' ? { shapes: [s, s], types: [t0, INT64] } : one(s);
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
      return one(x ? [x[0], x[1], ...x.slice(2).map(() => 1)] : null);
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const a = shapeOf(ins[0]);
      const b = shapeOf(ins[op === 'QLinearMatMul' ? 3 : 1]);
      const t = op === 'MatMulInteger' ? INT32 : op === 'QLinearMatMul' ? typeOf(ins[7]) : t0;
      if (!a || !b) return one(null, t);
      const a2 = a.length === 1 ? [1, a[0]] : a;
      const b2 = b.length === 1 ? [b[0], 1] : b;
      const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
      if (!batch) return one(null, t);
      const out: Dim[] = [...batch];
      if (a.length !== 1) out.push(a2[a2.length - 2]);
      if (b.length !== 1) out.push(b2[b2.length - 1]);
      return one(out, t);
    }
    case 'Gemm': {
      const a = shapeOf(ins[0]);
      const b = shapeOf(ins[1]);
      if (!a || !b || a.length !== 2 || b.length !== 2) return one(null);
      const m = Number(attrs.transA ?? 0) ? a[1] : a[0];
      const nn = Number(attrs.transB ?? 0) ? b[0] : b[1];
      return one([m, nn]);
    }
    case 'Flatten': {
      if (!x) return one(null);
      const axis = normAxis(Number(attrs.axis ?? 1), x.length);
      const prod = (ds: Dim[]) => (ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((p, q) => p * q, 1) : null);
      return one([prod(x.slice(0, axis)), prod(x.slice(axis))]);
    }
    case 'Reshape': {
      const target = ints('shape', 1);
      if (!target) return one(null);
      const allowZero = Number(attrs.allowzero ?? 0) === 1;
      const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x ? x[i] ?? null : null) : d));
      const neg = out.indexOf(-1);
      if (neg >= 0) {
        const total = x && x.every((d) => typeof d === 'number') ? (x as number[]).reduce((p, q) => p * q, 1) : null;
        const rest = out.filter((_, i) => i !== neg);
        const restProd = rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((p, q) => p * q, 1) : null;
        out[neg] = total !== null && restProd ? total / restProd : null;
      }
      const k = kv(ins[0]);
      return one(out, t0, k && out.every((d) => typeof d === 'number') ? { shape: out as number[], values: k.values } : undefined);
    }
    case 'Transpose': {
      if (!x) return one(null);
      const perm = (attrs.perm as number[] | undefined) ?? x.map((_, i) => x.length - 1 - i);
      return one(perm.map((p) => x[p] ?? null));
    }
    case 'Squeeze': {
      if (!x) return one(null);
      const axes = ints('axes', 1);
      const ax = axes ? axes.map((a) => normAxis(a, x.length)) : x.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      const out = x.filter((_, i) => !ax.includes(i));
      const k = kv(ins[0]);
      return one(out, t0, k ? { shape: out as number[], values: k.values } : undefined);
    }
    case 'Unsqueeze': {
      if (!x) return one(null);
      const axes = ints('axes', 1);
      if (!axes) return one(null);
      const rank = x.length + axes.length;
      const ax = axes.map((a) => normAxis(a, rank));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x[j++]);
      const k = kv(ins[0]);
      return one(out, t0, k ? { shape: out as number[], values: k.values } : undefined);
    }
    case 'Concat': {
      const ss = ins.map((t) => shapeOf(t));
      if (ss.some((s) => !s) || !ss.length) return one(null);
      const rank = ss[0]!.length;
      const axis = normAxis(Number(attrs.axis ?? 0), rank);
      const out = [...ss[0]!];
      let sum: Dim = 0;
      for (const s of ss) sum = typeof sum === 'number' && typeof s![axis] === 'number' ? sum + (s![axis] as number) : null;
      out[axis] = sum;
      const ks = ins.map((t) => kv(t));
      const v = rank === 1 && ks.every(Boolean) ? { shape: [ks.reduce((p, k) => p + k!.values.length, 0)], values: ks.flatMap((k) => k!.values) } : undefined;
      return one(out, t0, v);
    }
    case 'Split': {
      if (!x) return { shapes: (n.output ?? []).map(() => null), types: (n.output ?? []).map(() => t0) };
      const axis = normAxis(Number(attrs.axis ?? 0), x.length);
      const nOut = (n.output ?? []).length;
      const split = ints('split', 1);
      const d = num(x[axis]);
      const parts = split ?? (d !== undefined ? new Array(nOut).fill(0).map((_, i) => (i < nOut - 1 ? Math.ceil(d / nOut) : d - Math.ceil(d / nOut) * (nOut - 1))) : undefined);
      return { shapes: (n.output ?? []).map((_, i) => (parts ? x.map((q, k) => (k === axis ? parts[i] : q)) : null)), types: (n.output ?? []).map(() => t0) };
    }
    case 'Slice': {
      if (!x) return one(null);
      const starts = ints('starts', 1), ends = ints('ends', 2);
      if (!starts || !ends) return one(null);
      const axes = ints('axes', 3) ?? starts.map((_, i) => i);
      const steps = ints('steps', 4) ?? starts.map(() => 1);
      const out = [...x];
      axes.forEach((a0, i) => {
        const a = normAxis(a0, x.length);
        const d = num(x[a]);
        if (d === undefined) { out[a] = null; return; }
        const step = steps[i];
        const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
        let s = starts[i] < 0 ? starts[i] + d : starts[i];
        let e = ends[i] < 0 ? ends[i] + d : ends[i];
        if (step > 0) { s = clamp(s, 0, d); e = clamp(e, 0, d); out[a] = Math.max(0, Math.ceil((e - s) / step)); }
        // negative steps: ONNX clamps starts to [0, dim - 1] (not -1) and ends to [-1, dim - 1]
        else { s = clamp(s, 0, d - 1); e = clamp(e, -1, d - 1); out[a] = Math.max(0, Math.ceil((e - s) / step)); }
      });
      const k = kv(ins[0]);
      let v;
      if (k && x.length === 1 && axes.length === 1 && steps[0] === 1) {
        const d = k.values.length;
        const s = Math.max(0, Math.min(d, starts[0] < 0 ? starts[0] + d : starts[0]));
        const e = Math.max(0, Math.min(d, ends[0] < 0 ? ends[0] + d : ends[0]));
        v = { shape: [Math.max(0, e - s)], values: k.values.slice(s, e) };
      }
      return one(out, t0, v);
    }
    case 'Gather': {
      const ind = shapeOf(ins[1]);
      if (!x || !ind) return one(null);
      const axis = normAxis(Number(attrs.axis ?? 0), x.length);
      const out = [...x.slice(0, axis), ...ind, ...x.slice(axis + 1)];
      const k = kv(ins[0]), ki = kv(ins[1]);
      let v;
      if (k && ki && x.length === 1) v = { shape: out as number[], values: ki.values.map((i) => k.values[i < 0 ? i + k.values.length : i]) };
      return one(out, t0, v);
    }
    case 'GatherElements':
      return one(shapeOf(ins[1]));
    case 'Expand': {
      const s = ints('shape', 1);
      return one(s && x ? broadcastShapes([x, s]) : null);
    }
    case 'Tile': {
      const reps = ints('repeats', 1);
      return one(x && reps ? x.map((d, i) => (typeof d === 'number' ? d * reps[i] : null)) : null);
    }
    case 'Pad': {
      const pads = ints('pads', 1);
      if (!x || !pads) return one(null);
      const axes = opset >= 18 ? ints('axes', 3) : undefined;
      const ax = axes ? axes.map((a) => normAxis(a, x.length)) : x.map((_, i) => i);
      const out = [...x];
      ax.forEach((a, i) => {
        const d = num(x[a]);
        out[a] = d === undefined ? null : d + pads[i] + pads[i + ax.length];
      });
      return one(out);
    }
    case 'Resize':
    case 'Upsample': {
      if (!x) return one(null);
      const sizes = op === 'Resize' ? kv(ins[3]) : undefined;
      if (sizes && sizes.values.length) return one(sizes.values);
      const scales = op === 'Upsample' ? (attrs.scales as number[] | undefined) ?? kv(ins[1])?.values : kv(ins[opset >= 11 ? 2 : 1])?.values ?? kv(ins[2])?.values;
      if (!scales || !scales.length) return one(null);
      return one(x.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : null)));
    }
    case 'DepthToSpace': {
      if (!x || x.length !== 4) return one(null);
      const b = Number(attrs.blocksize ?? 1);
      const c = num(x[1]), h = num(x[2]), w = num(x[3]);
      return one([x[0], c !== undefined ? c / (b * b) : null, h !== undefined ? h * b : null, w !== undefined ? w * b : null]);
    }
    case 'SpaceToDepth': {
      if (!x || x.length !== 4) return one(null);
      const b = Number(attrs.blocksize ?? 1);
      const c = num(x[1]), h = num(x[2]), w = num(x[3]);
      return one([x[0], c !== undefined ? c * b * b : null, h !== undefined ? h / b : null, w !== undefined ? w / b : null]);
    }
    case 'ArgMax':
    case 'ArgMin': {
      if (!x) return one(null, INT64);
      const axis = normAxis(Number(attrs.axis ?? 0), x.length);
      const keep = Number(attrs.keepdims ?? 1) === 1;
      return one(keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis), INT64);
    }
    case 'TopK': {
      const k = kv(ins[1])?.values[0];
      if (!x) return { shapes: [null, null], types: [t0, INT64] };
      const axis = normAxis(Number(attrs.axis ?? -1), x.length);
      const s = x.map((d, i) => (i === axis ? k ?? null : d));
      return { shapes: [s, s], types: [t0, INT64] };
    }
    case 'Einsum':
      return undefined;
    default:
      break;
  }
  if (REDUCE.has(op)) {
    if (!x) return one(null);
    const axesFromInput = (op === 'ReduceSum' && opset >= 13) || opset >= 18;
    const axes = attrs.axes !== undefined ? (attrs.axes as number[]) : axesFromInput ? kv(ins[1])?.values : undefined;
    const keep = Number(attrs.keepdims ?? 1) === 1;
    const noop = Number(attrs.noop_with_empty_axes ?? 0) === 1;
    const ax = axes && axes.length ? axes.map((a) => normAxis(a, x.length)) : noop ? [] : x.map((_, i) => i);
    return one(keep ? x.map((d, i) => (ax.includes(i) ? 1 : d)) : x.filter((_, i) => !ax.includes(i)));
  }
  return undefined;
}
