/**
 * QONNX datatype inference (the reference toolkit's InferDataTypes), run to a fixpoint:
 * custom ops apply their own rule; standard ops follow the reference's table; anything else yields
 * FLOAT32 unless its output already carries a non-float annotation.
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Node } from '../ir/types.js';
import { tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import { BIPOLAR, FLOAT16, FLOAT32, intType, onnxIntType, scaledIntType, tryParseDataType, type DataType } from '../qonnx/datatypes.js';
import type { F32Tensor } from '../qonnx/opTypes.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { attrMap } from './shapeInference.js';

export interface DatatypeOptions {
  /** keep SCALEDINT results (the cost analysis does); otherwise they become FLOAT32 */
  allowScaledInt?: boolean;
  /** ignore the file's annotations on computed tensors (keep only those on graph inputs and initializers) */
  ignoreComputedAnnotations?: boolean;
}

export interface DatatypeResult {
  types: Map<string, DataType>;
  /** tensors whose type came from the file's annotation and was not re-derived */
  annotated: Set<string>;
  /** passes until nothing changed */
  passes: number;
}

const IDENTITY_OPS = new Set(['Reshape', 'Transpose', 'Flatten', 'Slice', 'Gather', 'Identity', 'Expand', 'MaxPool', 'GlobalMaxPool', 'Squeeze', 'Unsqueeze', 'Tile', 'Pad', 'Concat', 'Clip']);
const MAC_OPS = new Set(['MatMul', 'Gemm', 'Conv', 'Add', 'Sub', 'Mul']);
/**
 * The output datatype of a MAC op (MatMul, Gemm, Conv, Add, Sub, Mul) on these input datatypes, before
 * SCALEDINT is turned into FLOAT32 where scaled integers are not allowed: INT32 / UINT32 on integers,
 * SCALEDINT<32> on integer, fixed-point and scaled-integer mixes, else FLOAT32.
 */
export function macOutputType(op: string, inTypes: readonly DataType[]): DataType {
  if (inTypes.every((d) => d.isInteger)) return intType(32, inTypes.some((d) => d.signed) || op === 'Sub');
  if (inTypes.every((d) => d.isInteger || d.isFixedPoint || d.kind === 'scaledint')) return scaledIntType(32);
  return FLOAT32;
}

export function inferDatatypes(model: Model, opts: DatatypeOptions = {}): DatatypeResult {
  const allowScaledInt = opts.allowScaledInt ?? false;
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const types = new Map<string, DataType>();
  const annotated = new Set<string>();
  const computed = new Set<string>();
  for (const n of idx.nodes) for (const o of n.output ?? []) if (o) computed.add(o);

  // Element types decide the default (FLOAT16 tensors are FLOAT16, everything else FLOAT32).
  const elem = new Map<string, number>();
  for (const vi of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (vi.name) elem.set(vi.name, vi.type?.tensorType?.elemType ?? 0);
  for (const t of g.initializer ?? []) if (t.name) elem.set(t.name, t.dataType ?? 0);
  const defaultType = (t: string) => (elem.get(t) === 10 ? FLOAT16 : FLOAT32);

  for (const [name, kv] of idx.annotation) {
    if (opts.ignoreComputedAnnotations && computed.has(name)) continue;
    const dt = tryParseDataType(kv.get('finn_datatype'));
    if (dt) {
      types.set(name, dt);
      annotated.add(name);
    }
  }
  const typeOf = (t: string) => types.get(t) ?? defaultType(t);

  // Constant inputs for custom-op rules (scale, zero point, bit width...): small initializers only.
  const constCache = new Map<string, F32Tensor | undefined>();
  const constOf = (t: string): F32Tensor | undefined => {
    if (constCache.has(t)) return constCache.get(t);
    const init = idx.initializer.get(t);
    let v: F32Tensor | undefined;
    if (init) {
      try {
        const shape = tensorShape(init);
        if (shape.reduce((a, b) => a * b, 1) <= 1 << 20) v = { shape, data: Float32Array.from(toNumbers(tensorValues(init))) };
      } catch {
        v = undefined;
      }
    }
    constCache.set(t, v);
    return v;
  };

  const finish = (dt: DataType) => (!allowScaledInt && dt.kind === 'scaledint' ? FLOAT32 : dt);

  const ruleFor = (n: Node): DataType[] | undefined => {
    const ins = (n.input ?? []).filter((t) => t);
    const inTypes = ins.map(typeOf);
    const op = n.opType ?? '';
    const custom = resolveCustomOp(n, model);
    if (custom) {
      // Parameters (scale, zero point, bit width, thresholds) decide datatypes; the data input never does.
      const constInputs = (n.input ?? []).map((t, k) => (t && k > 0 ? constOf(t) : undefined));
      try {
        return custom.inferDatatypes({ inputTypes: (n.input ?? []).map((t) => (t ? typeOf(t) : FLOAT32)), attrs: attrMap(n), constInputs, allowScaledInt }).map(finish);
      } catch {
        // A node whose attributes break its op's contract (a damaged rounding_mode, ...) gets no rule,
        // like an unknown op, as in shape inference; the validator and the run report the attribute.
        return undefined;
      }
    }
    if (n.domain && n.domain !== 'ai.onnx') return undefined; // unknown custom domain: keep annotations
    if (op === 'Sign') return [BIPOLAR];
    if (MAC_OPS.has(op)) return [finish(macOutputType(op, inTypes))];
    if (IDENTITY_OPS.has(op)) return [inTypes[0] ?? FLOAT32];
    if (op === 'Resize' || op === 'Upsample') {
      const mode = String(attrMap(n).mode ?? 'nearest').toLowerCase();
      if (mode === 'nearest') return [inTypes[0] ?? FLOAT32];
      // other modes have no rule: like any other op, a non-float annotation stays, else FLOAT32
      return undefined;
    }
    if (op === 'QuantizeLinear') {
      const zp = n.input?.[2];
      const et = zp ? elem.get(zp) ?? idx.initializer.get(zp)?.dataType ?? 2 : 2;
      return [onnxIntType(et) ?? intType(8, false)];
    }
    if (op === 'DequantizeLinear') {
      // The width is that of input 0's ONNX element type (int8 -> 8), as the reference reads it; the
      // QONNX datatype of an unannotated int8 initializer is FLOAT32 and would give SCALEDINT<32>.
      const x = n.input?.[0] ?? '';
      return [finish(scaledIntType(onnxIntType(elem.get(x) ?? 0)?.bitwidth ?? typeOf(x).bitwidth))];
    }
    return undefined;
  };

  let passes = 0;
  for (; passes < 50; passes++) {
    let changed = false;
    for (const i of idx.order) {
      const n = idx.nodes[i];
      const outs = n.output ?? [];
      const rule = ruleFor(n);
      outs.forEach((o, k) => {
        if (!o) return;
        const before = types.get(o);
        let next: DataType;
        if (rule && rule[k] !== undefined) next = rule[k];
        else if (rule && k > 0) return; // secondary outputs without a rule keep their type
        else next = before && before !== FLOAT32 ? before : defaultType(o);
        // Without scaled-int, every SCALEDINT node output becomes FLOAT32, whichever way it got there
        // (passed through Reshape & co., or an annotation kept on an op without a rule), as in the reference.
        next = finish(next);
        if (next !== before) {
          types.set(o, next);
          annotated.delete(o);
          changed = true;
        }
      });
    }
    if (!changed) break;
  }
  // Unannotated FLOAT16 tensors are FLOAT16, not the FLOAT32 default.
  for (const [t, e] of elem) if (e === 10 && !types.has(t)) types.set(t, FLOAT16);
  return { types, annotated, passes: passes + 1 };
}
