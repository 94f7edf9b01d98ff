/**
 * Immutable edits. Each returns a new Model that shares every object it did not change with the old one,
 * so a history of versions costs only the changed path (model -> graph -> node list -> node).
 */
import type { Attribute, Graph, Model, Node, StringEntry } from './types.js';

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

/** Replace (or add) one attribute of one node; the attribute keeps its position. */
export function setAttribute(model: Model, nodeIndex: number, attr: Attribute): Model {
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
