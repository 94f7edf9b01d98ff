/**
 * FoldTransposeIntoQuantInit: a Transpose reading a weight quantizer (Quant or BipolarQuant whose
 * inputs are all initializers) is folded into the quantizer: its weight initializer is transposed
 * offline and the quantizer writes the Transpose's output directly.
 *
 * Quantizer parameters (scale, zero point, bit width) are transposed too when they are not
 * single-valued, after padding them with leading 1s to the weight's rank, so that per-channel
 * parameters keep broadcasting along the right axis. (The reference transposes a parameter only when
 * its rank equals the perm's length, and rewires even when the quantizer's output has other readers;
 * here such a quantizer is left alone.)
 */
import { evalConstOp } from '../exec/constKernels.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Node, Tensor } from '../ir/types.js';
import { attrMap } from '../analysis/shapeInference.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import type { TransformDef } from './registry.js';
import { constValue, initializer, moveAnnotation, NameSource, REWRITABLE_TYPES, useCount } from './rewrite.js';

const WEIGHT_QUANTIZERS = new Set(['Quant', 'IntQuant', 'BipolarQuant']);

export const foldTransposeIntoQuantInit: TransformDef<Record<string, never>> = {
  id: 'fold-transpose-into-quant-init',
  title: 'Fold Transpose into quantized weights',
  summary: 'Transpose the weight (and per-channel parameters) of a weight quantizer offline and drop the Transpose that follows it',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const nodes = g.node ?? [];
    const names = new NameSource(g);
    const replaced = new Map<number, Node>();
    const removed = new Set<number>();
    const newInits = new Map<string, Tensor>();
    const dropVi = new Set<string>();
    let anns = g.quantizationAnnotation;
    nodes.forEach((t, ti) => {
      if (t.opType !== 'Transpose' || (t.domain && t.domain !== 'ai.onnx')) return;
      const qOut = t.input?.[0];
      const out = t.output?.[0];
      if (!qOut || !out) return;
      const qi = idx.producer.get(qOut);
      if (qi === undefined || replaced.has(qi)) return;
      const q = nodes[qi];
      if (!WEIGHT_QUANTIZERS.has(q.opType ?? '') || !resolveCustomOp(q, model)) return;
      const qIns = q.input ?? [];
      if (!qIns.length || !qIns.every((x) => idx.initializer.has(x))) return;
      if (useCount(idx, qOut) !== 1) return;
      const vals = qIns.map((x) => constValue(idx, x));
      if (vals.some((v) => !v || !REWRITABLE_TYPES.has(v.dataType))) return;
      const w = vals[0]!;
      const rank = w.shape.length;
      const perm = (attrMap(t).perm as number[] | undefined) ?? w.shape.map((_, i) => rank - 1 - i);
      if (perm.length !== rank) return;
      // every parameter must broadcast against the weight without raising its rank
      if (vals.some((v) => v!.shape.length > rank)) return;
      const newInputs = qIns.map((name, k) => {
        const v = vals[k]!;
        if (k > 0 && v.data.length === 1) return name; // a single value broadcasts the same either way
        const padded = { ...v, shape: [...new Array(rank - v.shape.length).fill(1), ...v.shape] };
        const tr = evalConstOp({ opType: 'Transpose' }, [padded], { perm })?.[0];
        if (!tr) return undefined;
        // a tensor only this quantizer reads keeps its name; a shared one gets a transposed copy
        const target = useCount(idx, name) === 1 ? name : names.fresh(`${name}_transposed`);
        newInits.set(target, initializer(target, tr));
        if (target === name) dropVi.add(name);
        return target;
      });
      if (newInputs.some((x) => x === undefined)) return;
      replaced.set(qi, { ...q, input: newInputs as string[], output: (q.output ?? []).map((o) => (o === qOut ? out : o)) });
      removed.add(ti);
      anns = moveAnnotation({ quantizationAnnotation: anns }, qOut, out);
    });
    if (!removed.size) return { model, modified: false };
    const node = nodes.flatMap((n, i) => (removed.has(i) ? [] : [replaced.get(i) ?? n]));
    const initializers = (g.initializer ?? []).map((x) => newInits.get(x.name ?? '') ?? x);
    for (const [name, tensor] of newInits) if (!idx.initializer.has(name)) initializers.push(tensor);
    return {
      model: {
        ...model,
        graph: {
          ...g,
          node,
          initializer: initializers,
          valueInfo: g.valueInfo?.filter((v) => !dropVi.has(v.name ?? '')),
          ...(anns ? { quantizationAnnotation: anns } : {}),
        },
      },
      modified: true,
    };
  },
};
