/**
 * Which node of another version of a model is "the same" node: after an edit, undo or redo the
 * selection follows the node instead of pointing at whatever now has its index.
 */
import { indexGraph } from './graphIndex.js';
import { pairNodes } from './pairNodes.js';
import type { Model } from './types.js';

/**
 * The index in `to` of node `index` of `from`: the node paired with it by what it computes and where it
 * sits (pairNodes: the same node object first, then signatures and edges; names only settle look-alikes),
 * so a node renamed or moved by a pass is still followed; undefined when it has no counterpart (deleted
 * or rewritten).
 */
export function correspondingNode(from: Model, index: number, to: Model): number | undefined {
  const n = from.graph?.node?.[index];
  if (!n) return undefined;
  // the same node object (an edit elsewhere, undo, redo) needs no pairing
  const nodes = to.graph?.node ?? [];
  if (nodes[index] === n) return index;
  const same = nodes.indexOf(n);
  if (same >= 0 && nodes.indexOf(n, same + 1) < 0) return same;
  const j = pairNodes(from, to).bOfA[index];
  return j >= 0 ? j : undefined;
}

/** Whether a tensor of this name exists in the model (produced, an initializer, or a graph input/output). */
export function hasTensor(model: Model, name: string): boolean {
  const idx = indexGraph(model.graph ?? {});
  return idx.producer.has(name) || idx.initializer.has(name) || idx.input.has(name) || idx.output.has(name) || idx.consumers.has(name);
}
