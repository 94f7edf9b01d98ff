/**
 * RemoveIdentityOps: nodes that pass their data input through unchanged are removed and the graph
 * rewired. Removed: Identity; Add/Sub of zeros and Mul/Div by ones (within `atol`, as the reference's
 * np.isclose) whose constant operand does not broadcast the data to a larger shape; Pad with all-zero
 * pads; Dropout whose mask output is unused and which is not in training mode.
 *
 * Rewiring follows the reference: when the data input X is produced by a node and read by nobody
 * else, that node's output is renamed to the removed node's output Y (names downstream stay);
 * otherwise every reader of Y reads X instead. Graph output names never change: when Y is a graph
 * output and X cannot take its name (X is a graph input, an initializer, read elsewhere or itself an
 * output), the node is kept as (or turned into) an Identity, where the reference would leave the
 * graph output dangling.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { attrMap } from '../analysis/shapeInference.js';
import { indexGraph, type GraphIndex } from '../ir/graphIndex.js';
import type { Model, Node } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import type { TransformDef } from './registry.js';
import { constValue, makeNode, moveAnnotation, useCount } from './rewrite.js';

export interface RemoveIdentityOpsParams {
  atol?: number;
}

type Decision = { data: string } | undefined;

const isStd = (n: Node) => !n.domain || n.domain === 'ai.onnx';

/** The tensor a node passes through unchanged, if it is an identity. */
function identityInput(model: Model, idx: GraphIndex, n: Node, atol: number): Decision {
  if (!isStd(n)) return undefined;
  const op = n.opType ?? '';
  const ins = n.input ?? [];
  const outs = (n.output ?? []).filter(Boolean);
  if (op === 'Identity') return ins[0] ? { data: ins[0] } : undefined;
  if (op === 'Dropout') {
    // the mask output must be unused; a constant false (or absent) training_mode means inference
    if (outs.length > 1 && outs.slice(1).some((o) => useCount(idx, o) > 0)) return undefined;
    if (ins[2]) {
      const tm = constValue(idx, ins[2]);
      if (!tm || tm.data.some((v) => v !== 0)) return undefined;
    }
    return ins[0] ? { data: ins[0] } : undefined;
  }
  if (op === 'Pad') {
    const a = attrMap(n);
    const pads = Array.isArray(a.pads) ? (a.pads as number[]) : ins[1] ? Array.from(constValue(idx, ins[1])?.data ?? [NaN]) : undefined;
    if (!pads || pads.some((p) => p !== 0) || !ins[0]) return undefined;
    return { data: ins[0] };
  }
  const neutral = op === 'Add' || op === 'Sub' ? 0 : op === 'Mul' || op === 'Div' ? 1 : undefined;
  if (neutral === undefined || ins.length !== 2) return undefined;
  // the constant may be either operand of Add/Mul, only the second of Sub/Div
  const slots = op === 'Add' || op === 'Mul' ? [1, 0] : [1];
  for (const k of slots) {
    const c = constValue(idx, ins[k]);
    const data = ins[1 - k];
    if (!c || !data) continue;
    if (!c.data.every((v) => Math.abs(v - neutral) <= atol + 1e-8 * Math.abs(neutral))) continue;
    if (!keepsShape(model, idx, data, c.shape)) continue;
    return { data };
  }
  return undefined;
}

/** Whether broadcasting the data with a constant of shape `cshape` leaves the data's shape as it is. */
function keepsShape(model: Model, idx: GraphIndex, data: string, cshape: number[]): boolean {
  if (cshape.length === 0) return true; // a scalar never enlarges anything
  const ds = analyzeModel(model).shapes.tensors.get(data)?.shape;
  const init = idx.initializer.get(data);
  const shape = init ? (init.dims ?? []).map((d) => int64ToNumber(d)) : ds;
  if (!shape || cshape.length > shape.length) return false;
  for (let k = 1; k <= cshape.length; k++) {
    const c = cshape[cshape.length - k];
    const d = shape[shape.length - k];
    if (c === 1) continue;
    if (typeof d !== 'number' || d !== c) return false;
  }
  return true;
}

/** Remove one identity node (the first in graph order); undefined when there is none left to remove. */
function removeOne(model: Model, atol: number, skip: Set<Node>): Model | undefined {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const nodes = g.node ?? [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (skip.has(n)) continue;
    const d = identityInput(model, idx, n, atol);
    if (!d) continue;
    const y = n.output?.[0];
    if (!y) continue;
    const x = d.data;
    const p = idx.producer.get(x);
    const xPrivate = p !== undefined && p !== i && useCount(idx, x) === 1 && !idx.input.has(x);
    if (xPrivate) {
      // the producer writes Y directly; X disappears (its annotation moves to Y if Y has none)
      const node = nodes.flatMap((m, j) => {
        if (j === i) return [];
        if (j !== p) return [m];
        return [{ ...m, output: (m.output ?? []).map((o) => (o === x ? y : o)) }];
      });
      const anns = moveAnnotation(g, x, y);
      // X's declaration becomes Y's unless Y is declared already (in value_info or as a graph output)
      const yDeclared = idx.valueInfo.has(y) || idx.output.has(y);
      const valueInfo = g.valueInfo?.filter((v) => v.name !== x || !yDeclared).map((v) => (v.name === x ? { ...v, name: y } : v));
      return { ...model, graph: { ...g, node, valueInfo, ...(anns ? { quantizationAnnotation: anns } : {}) } };
    }
    if (idx.output.has(y)) {
      // Y must keep its name and X cannot take it: keep a plain Identity
      skip.add(n);
      if (n.opType === 'Identity') continue;
      const node = nodes.slice();
      node[i] = makeNode('Identity', [x], [y], n.name ?? '');
      skip.add(node[i]);
      return { ...model, graph: { ...g, node } };
    }
    // readers of Y read X instead
    const node = nodes.flatMap((m, j) => {
      if (j === i) return [];
      if (!(m.input ?? []).includes(y)) return [m];
      return [{ ...m, input: (m.input ?? []).map((t) => (t === y ? x : t)) }];
    });
    return { ...model, graph: { ...g, node } };
  }
  return undefined;
}

export const removeIdentityOps: TransformDef<RemoveIdentityOpsParams> = {
  id: 'remove-identity-ops',
  title: 'Remove identity ops',
  summary: 'Remove Identity, Add/Sub of zero, Mul/Div by one, zero Pad and inference Dropout, rewiring their consumers',
  params: [{ name: 'atol', kind: 'number', default: 1e-5, doc: 'Tolerance when comparing the constant operand with 0 or 1 (the reference uses 1e-5)' }],
  run(model, params) {
    const atol = params.atol ?? 1e-5;
    const skip = new Set<Node>();
    let m = model;
    let modified = false;
    for (;;) {
      const next = removeOne(m, atol, skip);
      if (!next) break;
      m = next;
      modified = true;
    }
    return { model: m, modified };
  },
};
