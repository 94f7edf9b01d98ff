/**
 * Which node of another version of a model is "the same" node: after an edit, undo or redo the
 * selection follows the node instead of pointing at whatever now has its index.
 */
import { indexGraph } from './graphIndex.js';
import type { Model } from './types.js';

/**
 * The index in `to` of node `index` of `from`: the same node object (versions share unchanged nodes),
 * else the node with the same non-empty name, else the one producing the same first output;
 * undefined when there is none (the node was deleted or rewritten).
 */
export function correspondingNode(from: Model, index: number, to: Model): number | undefined {
  const n = from.graph?.node?.[index];
  if (!n) return undefined;
  const nodes = to.graph?.node ?? [];
  const same = nodes.indexOf(n);
  if (same >= 0) return same;
  if (n.name) {
    const byName = nodes.findIndex((m) => m.name === n.name && m.opType === n.opType);
    if (byName >= 0) return byName;
  }
  const out = n.output?.[0];
  if (out) {
    const p = indexGraph(to.graph ?? {}).producer.get(out);
    if (p !== undefined && nodes[p].opType === n.opType) return p;
  }
  return undefined;
}

/** Whether a tensor of this name exists in the model (produced, an initializer, or a graph input/output). */
export function hasTensor(model: Model, name: string): boolean {
  const idx = indexGraph(model.graph ?? {});
  return idx.producer.has(name) || idx.initializer.has(name) || idx.input.has(name) || idx.output.has(name) || idx.consumers.has(name);
}
