/** The model panel's "Quantizers by precision": how many QONNX quantizers of each kind and precision. */
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { quantizerBadge } from './viewGraph.js';

const QONNX_QUANTIZERS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);

/** ["Quant INT4 · narrow", count] pairs, most frequent first. */
export type QuantizerHistogram = [string, number][];

const cache = new WeakMap<Model, QuantizerHistogram>();

export function quantizerHistogram(model: Model): QuantizerHistogram {
  const hit = cache.get(model);
  if (hit) return hit;
  const idx = indexGraph(model.graph ?? {});
  const m = new Map<string, number>();
  for (const n of idx.nodes) {
    if (!QONNX_QUANTIZERS.has(n.opType ?? '')) continue;
    const k = `${n.opType} ${quantizerBadge(idx, n) ?? ''}`.trim();
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  const h = [...m].sort((a, b) => b[1] - a[1]);
  cache.set(model, h);
  return h;
}

/** Install a histogram computed elsewhere (the worker, for the model as opened) for this model object. */
export function primeQuantizerHistogram(model: Model, h: QuantizerHistogram): void {
  cache.set(model, h);
}
