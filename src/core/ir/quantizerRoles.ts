/**
 * What a quantizer quantizes: a layer's weights, a layer's bias, or activations.
 *
 * - weight: its output reaches input 1 of a Conv, ConvTranspose, MatMul or Gemm, directly or through
 *   layout-only ops (Transpose, Reshape, Flatten, Identity, Squeeze, Unsqueeze: their data input 0).
 * - bias: its output reaches input 2 (the bias) of a Conv, ConvTranspose or Gemm the same way, or an
 *   Add whose other operand is the output of such a compute layer (QKeras exports Dense as MatMul + Add).
 * - activation: everything else.
 *
 * Weights and biases are constants: a quantizer whose data input is computed from a graph input (the
 * K of attention's Q·Kᵀ, a residual branch added to a Conv's output) is an activation wherever it goes.
 * The bit width does not matter here: a Brevitas bias quantizer whose width the graph computes is a bias.
 */
import type { GraphIndex } from './graphIndex.js';

export type QuantizerRole = 'weight' | 'bias' | 'activation';

/** Compute layers whose input 1 is a weight. */
export const WEIGHT_LAYER_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);
/** Compute layers whose input 2 is a bias. */
export const BIAS_LAYER_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm']);
/** Ops that only move or relabel the elements of their input 0. */
export const LAYOUT_OPS: ReadonlySet<string> = new Set(['Transpose', 'Reshape', 'Flatten', 'Identity', 'Squeeze', 'Unsqueeze']);

const constCache = new WeakMap<GraphIndex, Map<string, boolean>>();

/** True when tensor `t` is an initializer or computed from initializers and constant nodes only. */
export function isConstantTensor(idx: GraphIndex, t: string | undefined): boolean {
  if (!t) return false;
  let memo = constCache.get(idx);
  if (!memo) constCache.set(idx, (memo = new Map()));
  const known = memo.get(t);
  if (known !== undefined) return known;
  // iterative depth-first walk (graphs of many thousand nodes would overflow a recursive one)
  const stack: string[] = [t];
  const open = new Set<string>();
  while (stack.length) {
    const cur = stack[stack.length - 1];
    if (memo.has(cur)) {
      stack.pop();
      continue;
    }
    if (idx.initializer.has(cur)) {
      memo.set(cur, true);
      stack.pop();
      continue;
    }
    const p = idx.producer.get(cur);
    const ins = p === undefined ? [] : (idx.nodes[p].input ?? []).filter((x) => !!x);
    const pending = ins.filter((x) => !memo.has(x));
    if (p === undefined || (pending.length && open.has(cur))) {
      // a graph input (or a tensor nobody makes), or back on a cycle
      memo.set(cur, false);
      stack.pop();
    } else if (pending.length) {
      open.add(cur);
      stack.push(...pending);
    } else {
      memo.set(cur, ins.every((x) => memo.get(x)));
      open.delete(cur);
      stack.pop();
    }
  }
  return memo.get(t)!;
}

/** The compute layer whose output `t` is, looking back through layout ops; undefined if none. */
function computeLayerBehind(idx: GraphIndex, t: string | undefined): number | undefined {
  for (let guard = 0; t && guard < 16; guard++) {
    const p = idx.producer.get(t);
    if (p === undefined) return undefined;
    const op = idx.nodes[p].opType ?? '';
    if (WEIGHT_LAYER_OPS.has(op)) return p;
    if (!LAYOUT_OPS.has(op)) return undefined;
    t = idx.nodes[p].input?.[0];
  }
  return undefined;
}

/** The role of the quantizer at `nodeIndex` and, for weights and biases, the compute layer it belongs to. */
export function quantizerRole(idx: GraphIndex, nodeIndex: number): { role: QuantizerRole; layer?: number } {
  const n = idx.nodes[nodeIndex];
  if (!n || !isConstantTensor(idx, n.input?.[0])) return { role: 'activation' };
  let bias: number | undefined;
  // every tensor reachable from the output through layout ops (breadth first, so the nearest use decides)
  const queue: string[] = n.output?.[0] ? [n.output[0]] : [];
  const seen = new Set<string>(queue);
  for (let h = 0; h < queue.length && h < 256; h++) {
    const t = queue[h];
    for (const c of new Set(idx.consumers.get(t) ?? [])) {
      const cn = idx.nodes[c];
      const op = cn.opType ?? '';
      const ins = cn.input ?? [];
      ins.forEach((x, k) => {
        if (x !== t) return;
        if (k === 1 && WEIGHT_LAYER_OPS.has(op)) return; // handled below (weights win)
        if (k === 2 && BIAS_LAYER_OPS.has(op) && bias === undefined) bias = c;
        if (op === 'Add' && ins.length === 2 && bias === undefined) {
          const layer = computeLayerBehind(idx, ins[1 - k]);
          if (layer !== undefined) bias = layer;
        }
        if (k === 0 && LAYOUT_OPS.has(op)) {
          const o = cn.output?.[0];
          if (o && !seen.has(o)) {
            seen.add(o);
            queue.push(o);
          }
        }
      });
      if (WEIGHT_LAYER_OPS.has(op) && ins[1] === t) return { role: 'weight', layer: c };
    }
  }
  return bias !== undefined ? { role: 'bias', layer: bias } : { role: 'activation' };
}
