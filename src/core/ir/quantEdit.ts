/** Edits of quantizer parameters (bit widths), shared by the what-if cost and the bit-width editor. */
import { int64From, int64ToNumber, type Model, type Tensor } from './types.js';
import { indexGraph } from './graphIndex.js';

/** A float32 scalar initializer holding `v` (the form exporters use for Quant's bitwidth). */
export function scalarFloatTensor(name: string, v: number, like?: Tensor): Tensor {
  const raw = new Uint8Array(new Float32Array([v]).buffer);
  return { name, dims: (like?.dims ?? []).map((d) => int64From(int64ToNumber(d))), dataType: 1, rawData: raw };
}

/**
 * The model with every Quant (IntQuant) node's bit width set to `bits`. Bit-width initializers are
 * replaced by value (their names stay), so the result costs and runs like a re-exported model.
 */
export function withAllQuantBits(model: Model, bits: number): Model {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const targets = new Set<string>();
  for (const n of idx.nodes) if ((n.opType === 'Quant' || n.opType === 'IntQuant') && n.input?.[3] && idx.initializer.has(n.input[3])) targets.add(n.input[3]);
  if (!targets.size) return model;
  return {
    ...model,
    graph: { ...g, initializer: (g.initializer ?? []).map((t) => (t.name && targets.has(t.name) ? scalarFloatTensor(t.name, bits, t) : t)) },
  };
}
