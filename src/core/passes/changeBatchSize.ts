/**
 * ChangeBatchSize: the batch dimension (dim 0) becomes `batch`. As in the reference: the first graph
 * input and the first graph output get it, and Reshape shape initializers get it in their first entry.
 * Where the reference writes the new size into every Reshape shape and every input/output
 * unconditionally, here a Reshape shape changes only when its first entry is the old batch size (so
 * -1, 0 and non-batch reshapes stay), and further graph inputs/outputs only when their dim 0 is the old
 * batch size or symbolic. The reference drops all value_info (to be re-inferred); here the value_info
 * entries of intermediate tensors are re-inferred at once, and dropped where inference cannot tell.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { shapeOfType } from '../ir/tensorInfo.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { valueInfoOf } from './inferShapesPass.js';
import type { TransformDef } from './registry.js';
import { constValue, initializer, NameSource, useCount } from './rewrite.js';

export interface ChangeBatchSizeParams {
  batch: number;
}

function withBatch(v: ValueInfo, batch: number): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim;
  if (!tt || !dims?.length) return v;
  const d0 = dims[0];
  if (d0.dimValue != null && Object.prototype.hasOwnProperty.call(d0, 'dimValue') && Number(d0.dimValue) === batch) return v;
  return { ...v, type: { ...v.type, tensorType: { ...tt, shape: { ...tt.shape, dim: [{ dimValue: int64From(batch) }, ...dims.slice(1)] } } } };
}

export const changeBatchSize: TransformDef<ChangeBatchSizeParams> = {
  id: 'change-batch-size',
  title: 'Change batch size',
  summary: 'Set the batch dimension of the graph inputs and outputs (and of Reshape targets) to a new size',
  params: [{ name: 'batch', kind: 'integer', required: true, doc: 'New batch size (dim 0), at least 1' }],
  lossy: false,
  run(model, params) {
    const batch = params.batch;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`change-batch-size: batch must be a positive integer, got ${batch}`);
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const dataInputs = (g.input ?? []).filter((i) => !idx.initializer.has(i.name ?? ''));
    const first = dataInputs[0];
    const d0 = first ? shapeOfType(first.type)?.[0] : undefined;
    const oldBatch = typeof d0 === 'number' ? d0 : undefined;
    const isBatchDim = (v: ValueInfo) => {
      const d = shapeOfType(v.type)?.[0];
      return typeof d === 'string' || d === null || (d !== undefined && d === oldBatch);
    };
    let modified = false;
    const input = (g.input ?? []).map((v) => {
      if (idx.initializer.has(v.name ?? '') || (v !== first && !isBatchDim(v))) return v;
      const w = withBatch(v, batch);
      if (w !== v) modified = true;
      return w;
    });
    const output = (g.output ?? []).map((v, k) => {
      if (k > 0 && !isBatchDim(v)) return v;
      const w = withBatch(v, batch);
      if (w !== v) modified = true;
      return w;
    });
    // Reshape targets that name the old batch size explicitly
    const names = new NameSource(g);
    const inits = new Map<string, Tensor>();
    const extra: Tensor[] = [];
    const node = (g.node ?? []).map((n) => {
      if (n.opType !== 'Reshape' || (n.domain && n.domain !== 'ai.onnx') || oldBatch === undefined || oldBatch === batch) return n;
      const sName = n.input?.[1];
      const s = constValue(idx, sName);
      if (!sName || !s || s.data.length === 0 || s.data[0] !== oldBatch) return n;
      const data = Float64Array.from(s.data);
      data[0] = batch;
      const next = { ...s, data };
      modified = true;
      if (useCount(idx, sName) === 1) {
        inits.set(sName, initializer(sName, next));
        return n;
      }
      const copy = names.fresh(`${sName}_batch${batch}`);
      extra.push(initializer(copy, next));
      return { ...n, input: (n.input ?? []).map((t, k) => (k === 1 ? copy : t)) };
    });
    if (!modified) return { model, modified: false };
    const stripped: Model = {
      ...model,
      graph: {
        ...g,
        input,
        output,
        node,
        initializer: [...(g.initializer ?? []).map((t) => inits.get(t.name ?? '') ?? t), ...extra],
        valueInfo: (g.valueInfo ?? []).filter((v) => idx.initializer.has(v.name ?? '')),
      },
    };
    // re-infer the intermediate shapes that were declared before
    const shapes = analyzeModel(stripped).shapes.tensors;
    const valueInfo = [...(stripped.graph!.valueInfo ?? [])];
    for (const v of g.valueInfo ?? []) {
      if (!v.name || idx.initializer.has(v.name)) continue;
      const s = shapes.get(v.name);
      if (s?.shape && (s.elemType || v.type?.tensorType?.elemType)) valueInfo.push(valueInfoOf(v.name, s.elemType || v.type!.tensorType!.elemType!, s.shape));
    }
    return { model: { ...stripped, graph: { ...stripped.graph, valueInfo } }, modified: true };
  },
};
