/**
 * FoldConstants: every node whose inputs are all initializers (or a Shape of a tensor whose shape is
 * known) is evaluated and replaced by an initializer holding its first output. QONNX ops are evaluated
 * with their own kernels (so weight quantizers fold into quantized weights), standard ops with the
 * constant evaluator. Ops in `excludeOpTypes` and ops that cannot be evaluated stay.
 */
import { attrMap, inferShapes, type ShapeInferenceResult } from '../analysis/shapeInference.js';
import { evalConstOp } from '../exec/constKernels.js';
import { fromTensor, toTensor, FLOAT, INT64, type ConstTensor } from '../exec/constTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Node, Tensor } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import { isExternal } from '../onnx/tensorData.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { runSync, type Task } from '../task.js';
import type { Pass, PassResult } from './pass.js';

export interface FoldConstantsParams {
  excludeOpTypes?: string[];
}

export const foldConstants: Pass<FoldConstantsParams> = {
  id: 'fold-constants',
  title: 'Fold constants',
  summary: 'Evaluate nodes whose inputs are all constant and store their result as an initializer',
  run: (model, params) => runSync(foldConstantsTask(model, params)),
  task: foldConstantsTask,
};

/** One folding round, yielding after every node it evaluates (a large weight quantizer can take 100 ms). */
function* foldConstantsTask(model: Model, params: FoldConstantsParams): Task<PassResult> {
  {
    const exclude = new Set(params.excludeOpTypes ?? ['Quant', 'BipolarQuant', 'QuantizeLinear', 'DequantizeLinear']);
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    // Perf: shapes are needed only to fold a Shape node, so they are inferred on first use. (This was
    // analyzeModel(model): shapes and datatypes of the whole model on every folding round, a third of
    // inferenceCost's time on a 300-node model whose graph has no Shape node.)
    let shapeMap: ShapeInferenceResult['tensors'] | undefined;
    const shapeOf = (t: string) => {
      if (!shapeMap) {
        try {
          shapeMap = inferShapes(model).tensors;
        } catch {
          shapeMap = new Map();
        }
      }
      return shapeMap.get(t)?.shape;
    };
    const values = new Map<string, ConstTensor>();
    /** the TensorProto behind each known value: an initializer, or a result folded in this round */
    const protoOf = new Map<string, Tensor>();
    const valueOf = (t: string): ConstTensor | undefined => {
      const hit = values.get(t);
      if (hit) return hit;
      const init = idx.initializer.get(t);
      if (!init || isExternal(init)) return undefined;
      try {
        const v = decodedValue(init);
        values.set(t, v);
        protoOf.set(t, init);
        return v;
      } catch {
        return undefined;
      }
    };
    const removed = new Set<number>();
    const added: Tensor[] = [];
    const addedNames = new Set<string>();
    for (const i of idx.order) {
      const n = idx.nodes[i];
      const op = n.opType ?? '';
      if (exclude.has(op)) continue;
      const ins = n.input ?? [];
      const out = n.output?.[0];
      if (!out) continue;
      let result: ConstTensor | undefined;
      if (op === 'Shape' && (!n.domain || n.domain === 'ai.onnx')) {
        const s = ins[0] ? shapeOf(ins[0]) : undefined;
        if (!s || !s.every((d) => typeof d === 'number')) continue;
        const all = s as number[];
        const a = attrMap(n);
        const start = a.start !== undefined ? Number(a.start) : 0;
        const end = a.end !== undefined ? Number(a.end) : all.length;
        const dims = all.slice(start < 0 ? start + all.length : start, end < 0 ? end + all.length : end);
        result = { dataType: INT64, shape: [dims.length], data: Float64Array.from(dims) };
      } else if (op === 'Constant' && (!n.domain || n.domain === 'ai.onnx')) {
        result = constantNodeValue(n);
      } else {
        if (ins.length === 0 || ins.some((t) => !t || !(idx.initializer.has(t) || values.has(t)))) continue;
        const vals = ins.map(valueOf);
        if (vals.some((v) => !v)) continue;
        // The same node on the very same input tensors (an unchanged weight quantizer in the next
        // model version) gives the same result: reuse it, TensorProto included.
        const key = evaluationKey(n, out, ins.map((t) => protoOf.get(t)));
        const cached = key ? evaluations.get(key) : undefined;
        if (cached) {
          values.set(out, cached.value);
          protoOf.set(out, cached.proto);
          removed.add(i);
          added.push(cached.proto);
          addedNames.add(out);
          continue;
        }
        try {
          const custom = resolveCustomOp(n, model);
          if (custom) {
            const r = custom.execute(
              vals.map((v) => ({ shape: v!.shape, data: Float32Array.from(v!.data) })),
              attrMap(n),
            )[0];
            if (r) result = { dataType: FLOAT, shape: r.shape, data: Float64Array.from(r.data) };
          } else if (!n.domain || n.domain === 'ai.onnx') {
            result = evalConstOp(n, vals, attrMap(n))?.[0];
          }
        } catch {
          result = undefined;
        }
      }
      // A kernel given damaged attributes or shapes can compute nonsense dimensions: leave such a node unfolded.
      if (!result || !result.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || result.data.length !== result.shape.reduce((a, b) => a * b, 1)) continue;
      values.set(out, result);
      removed.add(i);
      const proto = toTensor(out, result);
      protoOf.set(out, proto);
      added.push(proto);
      addedNames.add(out);
      const key = evaluationKey(n, out, ins.map((t) => protoOf.get(t)));
      if (key && op !== 'Shape' && op !== 'Constant') remember(key, { value: result, proto });
      yield { label: 'Folding constants', done: removed.size, total: idx.nodes.length };
    }
    if (removed.size === 0) return { model, modified: false };
    return {
      model: {
        ...model,
        graph: {
          ...g,
          node: (g.node ?? []).filter((_, i) => !removed.has(i)),
          initializer: [...(g.initializer ?? []).filter((t) => !addedNames.has(t.name ?? '')), ...added],
        },
      },
      modified: true,
    };
  }
}

// ---- caches: decoded initializers and evaluated nodes, keyed by the identity of their inputs ----

const decoded = new WeakMap<Tensor, ConstTensor>();

function decodedValue(t: Tensor): ConstTensor {
  let v = decoded.get(t);
  if (!v) decoded.set(t, (v = fromTensor(t)));
  return v;
}

const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

const evaluations = new Map<string, { value: ConstTensor; proto: Tensor }>();
const MAX_EVALUATIONS = 4096;

function remember(key: string, e: { value: ConstTensor; proto: Tensor }): void {
  if (evaluations.size >= MAX_EVALUATIONS) evaluations.delete(evaluations.keys().next().value!);
  evaluations.set(key, e);
}

/** Op, domain, attributes, output name and the identities of the input tensors; undefined if any input has no proto. */
function evaluationKey(n: Node, out: string, inputs: (Tensor | undefined)[]): string | undefined {
  if (inputs.some((t) => !t)) return undefined;
  return `${n.opType}|${n.domain ?? ''}|${out}|${JSON.stringify(attrMap(n))}|${inputs.map((t) => idOf(t!)).join(',')}`;
}

/** The value a Constant node holds (value, value_float(s), value_int(s)). */
function constantNodeValue(n: Node): ConstTensor | undefined {
  for (const a of n.attribute ?? []) {
    try {
      if (a.name === 'value' && a.t) return fromTensor(a.t);
      if (a.name === 'value_float') return { dataType: FLOAT, shape: [], data: Float64Array.of(Math.fround(a.f ?? 0)) };
      if (a.name === 'value_floats') return { dataType: FLOAT, shape: [a.floats?.length ?? 0], data: Float64Array.from(a.floats ?? []) };
      if (a.name === 'value_int') return { dataType: INT64, shape: [], data: Float64Array.of(int64ToNumber(a.i)) };
      if (a.name === 'value_ints') return { dataType: INT64, shape: [a.ints?.length ?? 0], data: Float64Array.from((a.ints ?? []).map((v) => int64ToNumber(v))) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
