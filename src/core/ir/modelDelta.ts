/**
 * Sending an edited model version to a worker that already holds the opened version: initializers
 * that are the very same objects as in the opened version travel as a name only, so an edit of a
 * 100 MB model posts kilobytes, not the weights again.
 */
import type { Model, Tensor } from './types.js';

/** A model whose unchanged initializers are replaced by references into the base version. */
export interface ModelDelta {
  model: Model;
  /** indices in model.graph.initializer that are references: take the base's initializer of that name */
  refs: number[];
}

const PLACEHOLDER: Tensor = {};

export function makeDelta(model: Model, base: Model): ModelDelta {
  const baseSet = new Set(base.graph?.initializer ?? []);
  const refs: number[] = [];
  const initializer = (model.graph?.initializer ?? []).map((t, i) => {
    if (!baseSet.has(t)) return t;
    refs.push(i);
    return { ...PLACEHOLDER, name: t.name };
  });
  return { model: { ...model, graph: { ...(model.graph ?? {}), initializer } }, refs };
}

export function applyDelta(delta: ModelDelta, base: Model): Model {
  const byName = new Map((base.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const init = [...(delta.model.graph?.initializer ?? [])];
  for (const i of delta.refs) {
    const t = byName.get(init[i].name ?? '');
    if (!t) throw new Error(`The base model has no initializer '${init[i].name}'`);
    init[i] = t;
  }
  return { ...delta.model, graph: { ...(delta.model.graph ?? {}), initializer: init } };
}
