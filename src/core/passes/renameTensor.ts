/** Rename tensors everywhere they are referenced: nodes, initializers, graph io, value_info, annotations. */
import type { Graph, Model, ValueInfo } from '../ir/types.js';

/**
 * value_info without the entries a rename made redundant: a tensor renamed to a graph input's or output's
 * name is declared there, and two tensors merged into one name keep the first entry. Readers reject a
 * tensor declared twice (qonnx: "Multiple ValueInfoProto found").
 */
function oneDeclarationEach(vi: ValueInfo[] | null | undefined, inputs: ValueInfo[] | null | undefined, outputs: ValueInfo[] | null | undefined): ValueInfo[] | null | undefined {
  if (!vi) return vi;
  const seen = new Set<string>([...(inputs ?? []), ...(outputs ?? [])].map((v) => v.name ?? ''));
  const out = vi.filter((v) => {
    const name = v.name ?? '';
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
  return out.length === vi.length ? vi : out;
}

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
    valueInfo: oneDeclarationEach(touch(g.valueInfo), touch(g.input), touch(g.output)),
    quantizationAnnotation: g.quantizationAnnotation?.map((a) => (a.tensorName != null && renames.has(a.tensorName) ? { ...a, tensorName: renames.get(a.tensorName)! } : a)),
  };
  return { ...model, graph };
}
