/** Rename tensors everywhere they are referenced: nodes, initializers, graph io, value_info, annotations. */
import type { Graph, Model } from '../ir/types.js';

export function renameTensors(model: Model, renames: Map<string, string>): Model {
  if (renames.size === 0) return model;
  const r = (t: string | null | undefined) => (t != null && renames.has(t) ? renames.get(t)! : t);
  const g: Graph = model.graph ?? {};
  const touch = <T extends { name?: string | null }>(xs: T[] | null | undefined): T[] | null | undefined =>
    xs?.map((x) => (x.name != null && renames.has(x.name) ? { ...x, name: renames.get(x.name)! } : x));
  const graph: Graph = {
    ...g,
    node: g.node?.map((n) =>
      (n.input ?? []).some((t) => renames.has(t)) || (n.output ?? []).some((t) => renames.has(t))
        ? { ...n, input: (n.input ?? []).map((t) => r(t) ?? t), output: (n.output ?? []).map((t) => r(t) ?? t) }
        : n,
    ),
    initializer: touch(g.initializer),
    input: touch(g.input),
    output: touch(g.output),
    valueInfo: touch(g.valueInfo),
    quantizationAnnotation: g.quantizationAnnotation?.map((a) => (a.tensorName != null && renames.has(a.tensorName) ? { ...a, tensorName: renames.get(a.tensorName)! } : a)),
  };
  return { ...model, graph };
}
