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
  return { model: ownBuffers({ ...model, graph: { ...(model.graph ?? {}), initializer } }), refs };
}

/**
 * Fix: decoded bytes fields (attribute strings such as rounding_mode, tensors of an edit) are views
 * into the file's buffer, and structured clone copies a view's whole buffer: a 5-byte "ROUND" sent
 * the 100 MB file along with every edit. Views smaller than their buffer are copied here, so the
 * message holds only their own bytes. Objects without such a view are kept as they are.
 */
function ownBuffers<T>(x: T): T {
  if (x === null || typeof x !== 'object') return x;
  if (ArrayBuffer.isView(x)) {
    if (x instanceof DataView || x.byteLength === x.buffer.byteLength) return x;
    return (x as unknown as Uint8Array).slice() as unknown as T;
  }
  if (Array.isArray(x)) {
    let out: unknown[] | undefined;
    x.forEach((v, i) => {
      const c = ownBuffers(v);
      if (c !== v) (out ??= x.slice())[i] = c;
    });
    return (out ?? x) as T;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(x)) {
    const v = (x as Record<string, unknown>)[k];
    const c = ownBuffers(v);
    if (c !== v) (out ??= { ...(x as Record<string, unknown>) })[k] = c;
  }
  return (out ?? x) as T;
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
