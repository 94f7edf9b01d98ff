/**
 * InferShapes as a transformation: the shapes and element types the analysis infers are written as
 * value_info for every node output that has none (graph outputs keep their own declaration).
 * Dimensions that stay unknown are written as empty dims, symbolic ones as dim_param.
 * (The reference's ModelWrapper also gives initializers a value_info; their shape is in the
 * initializer itself, so none is written here, and passes that reshape an initializer need not keep
 * a second copy in step.)
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import type { Dim } from '../ir/tensorInfo.js';
import type { ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import type { TransformDef } from './registry.js';

export function valueInfoOf(name: string, elemType: number, shape: Dim[]): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : typeof d === 'string' ? { dimParam: d } : {})) },
      },
    },
  };
}

export const inferShapesPass: TransformDef<Record<string, never>> = {
  id: 'infer-shapes',
  title: 'Infer shapes',
  summary: 'Write the inferred shape and element type of every intermediate tensor as value_info',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const shapes = analyzeModel(model).shapes.tensors;
    const declared = new Set<string>();
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (v.name) declared.add(v.name);
    for (const t of g.initializer ?? []) if (t.name) declared.add(t.name);
    const added: ValueInfo[] = [];
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) {
        if (!o || declared.has(o)) continue;
        declared.add(o);
        const s = shapes.get(o);
        if (!s || !s.shape || !s.elemType) continue;
        added.push(valueInfoOf(o, s.elemType, s.shape));
      }
    }
    if (!added.length) return { model, modified: false };
    return { model: { ...model, graph: { ...g, valueInfo: [...(g.valueInfo ?? []), ...added] } }, modified: true };
  },
};
