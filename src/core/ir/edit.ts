/**
 * Immutable edits. Each returns a new Model that shares every object it did not change with the old one,
 * so a history of versions costs only the changed path (model -> graph -> node list -> node).
 */
import type { Attribute, Graph, Model, Node, StringEntry, ValueInfo } from './types.js';
import { int64From } from './types.js';
import { indexGraph } from './graphIndex.js';
import { renameTensors } from '../passes/renameTensor.js';
import { reconcileDeclarations } from '../passes/reconcileDeclarations.js';
import { inferShapes } from '../analysis/shapeInference.js';

export function updateGraph(model: Model, fn: (g: Graph) => Graph): Model {
  return { ...model, graph: fn(model.graph ?? {}) };
}

export function updateNode(model: Model, nodeIndex: number, fn: (n: Node) => Node): Model {
  return updateGraph(model, (g) => {
    const nodes = g.node ?? [];
    if (nodeIndex < 0 || nodeIndex >= nodes.length) throw new RangeError(`No node #${nodeIndex}`);
    const next = nodes.slice();
    next[nodeIndex] = fn(nodes[nodeIndex]);
    return { ...g, node: next };
  });
}

/**
 * Replace (or add) one attribute of one node; the attribute keeps its position. Declarations the new
 * value contradicts (a Conv's output shape after a new stride) are brought in line.
 */
export function setAttribute(model: Model, nodeIndex: number, attr: Attribute): Model {
  return reconcileDeclarations(setAttributeOnly(model, nodeIndex, attr));
}

function setAttributeOnly(model: Model, nodeIndex: number, attr: Attribute): Model {
  return updateNode(model, nodeIndex, (n) => {
    const attrs = n.attribute ?? [];
    const at = attrs.findIndex((a) => a.name === attr.name);
    const next = attrs.slice();
    if (at >= 0) next[at] = attr;
    else next.push(attr);
    return { ...n, attribute: next };
  });
}

export function setModelMetadata(model: Model, entries: StringEntry[]): Model {
  return { ...model, metadataProps: entries };
}

// ---------------------------------------------------------------------------------------------------
// General edits used by the sidebar (each returns a new model; the input is never changed)


export function renameNode(model: Model, nodeIndex: number, name: string): Model {
  const idx = indexGraph(model.graph ?? {});
  if (!name.trim()) throw new Error('A node name cannot be empty');
  if (idx.nodes.some((n, i) => i !== nodeIndex && n.name === name)) throw new Error(`Another node is already called '${name}'`);
  return updateNode(model, nodeIndex, (n) => ({ ...n, name }));
}

/** Rename a tensor everywhere: node inputs and outputs, initializers, graph io, value_info, annotations. */
export function renameTensor(model: Model, from: string, to: string): Model {
  const idx = indexGraph(model.graph ?? {});
  if (!to.trim()) throw new Error('A tensor name cannot be empty');
  const exists = idx.producer.has(to) || idx.initializer.has(to) || idx.input.has(to) || idx.consumers.has(to);
  if (exists) throw new Error(`A tensor called '${to}' already exists`);
  return renameTensors(model, new Map([[from, to]]));
}

/**
 * Delete a node that has one data input and one output, connecting its consumers to its input.
 * Parameter inputs (initializers) that nothing else reads are left for "remove unused tensors".
 */
export function deleteNode(model: Model, nodeIndex: number): Model {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const n = idx.nodes[nodeIndex];
  if (!n) throw new Error(`No node #${nodeIndex}`);
  const data = (n.input ?? []).filter((t) => t && !idx.initializer.has(t));
  const outs = (n.output ?? []).filter((t) => t);
  if (data.length !== 1 || outs.length !== 1)
    throw new Error(`Only a node with one data input and one output can be deleted and bridged (${n.opType} '${n.name}' has ${data.length} data inputs and ${outs.length} outputs)`);
  const [inp] = data, [out] = outs;
  // the node's consumers must be able to read its input instead: same element type and shape
  const shapes = inferShapes(model).tensors;
  const a = shapes.get(inp), b = shapes.get(out);
  const show = (t: typeof a) => `[${(t?.shape ?? []).map((d) => d ?? '?').join(',')}]`;
  const known = (t: typeof a) => !!t?.shape && t.shape.every((d) => typeof d === 'number');
  if (a && b && ((known(a) && known(b) && show(a) !== show(b)) || (a.elemType && b.elemType && a.elemType !== b.elemType)))
    throw new Error(`${n.opType} '${n.name || `#${nodeIndex}`}' changes its input ${show(a)} into ${show(b)}: its consumers cannot read the input instead, so it cannot be deleted and bridged`);
  const nodes = (g.node ?? []).filter((_, i) => i !== nodeIndex);
  let m: Model = { ...model, graph: { ...g, node: nodes } };
  if (idx.output.has(out)) {
    // the graph output keeps its name: the input tensor takes it, when nothing else reads the input
    if ((idx.consumers.get(inp) ?? []).length > 1 || idx.input.has(inp))
      throw new Error(`'${out}' is a graph output and '${inp}' is used elsewhere; expose '${inp}' as an output instead`);
    return reconcileDeclarations(renameTensors(m, new Map([[inp, out]])));
  }
  m = { ...m, graph: { ...m.graph, node: nodes.map((x) => ((x.input ?? []).includes(out) ? { ...x, input: (x.input ?? []).map((t) => (t === out ? inp : t)) } : x)), valueInfo: (g.valueInfo ?? []).filter((v) => v.name !== out) } };
  return reconcileDeclarations(m);
}

/** Make any tensor a graph output (its type and shape from the given analysis, when known). */
export function exposeAsOutput(model: Model, tensor: string, elemType = 1, shape?: (number | string | null)[] | null): Model {
  const g = model.graph ?? {};
  if ((g.output ?? []).some((o) => o.name === tensor)) return model;
  const vi: ValueInfo = {
    name: tensor,
    type: {
      tensorType: {
        elemType,
        ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : d ? { dimParam: d } : {})) } } : {}),
      },
    },
  };
  return { ...model, graph: { ...g, output: [...(g.output ?? []), vi] } };
}

/**
 * Set the declared shape of a graph input. value_info of other tensors is dropped (readers infer it again)
 * and the graph outputs take the shapes the new input gives them.
 */
export function setInputShape(model: Model, input: string, dims: (number | string)[]): Model {
  const g = model.graph ?? {};
  const inputs = (g.input ?? []).map((i) =>
    i.name !== input
      ? i
      : {
          ...i,
          type: { ...(i.type ?? {}), tensorType: { ...(i.type?.tensorType ?? { elemType: 1 }), shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : { dimParam: d })) } } },
        },
  );
  return reconcileDeclarations({ ...model, graph: { ...g, input: inputs, valueInfo: [] } });
}
