/** Applying registered transformations by id, as the app's dialog and the CLI's --pass do. */
import { diffModels, type ModelDiff } from '../ir/diff.js';
import type { Model } from '../ir/types.js';
import { findTransform, resolveParams, transforms } from './registry.js';
import { runSync, type Task } from '../task.js';
import { runTransformTask } from './tidy.js';

export interface TransformOutcome {
  model: Model;
  modified: boolean;
  notes: string[];
  diff: ModelDiff;
  ms: number;
}

export function applyTransform(model: Model, id: string, params: Record<string, unknown> = {}): TransformOutcome {
  return runSync(applyTransformTask(model, id, params));
}

/** applyTransform as a task (progress per fixpoint round and tidy-up step; cancellable in a worker). */
export function* applyTransformTask(model: Model, id: string, params: Record<string, unknown> = {}): Task<TransformOutcome> {
  const t = findTransform(id);
  if (!t) throw new Error(`Unknown transformation '${id}'. Known: ${transforms().map((x) => x.id).join(', ')}`);
  const p = resolveParams(t, params);
  const t0 = performance.now();
  const r = yield* runTransformTask(t, model, p);
  const ms = performance.now() - t0;
  yield { label: 'Comparing with the previous version', done: 0, total: 1 };
  return { model: r.model, modified: r.modified, notes: (r as { notes?: string[] }).notes ?? [], diff: diffModels(model, r.model), ms };
}

/** Parse a CLI pass spec "id" or "id:{json}". */
export function parsePassSpec(spec: string): { id: string; params: Record<string, unknown> } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { id: spec, params: {} };
  const id = spec.slice(0, colon);
  const json = spec.slice(colon + 1);
  let params: unknown;
  try {
    params = JSON.parse(json);
  } catch (e) {
    throw new Error(`--pass ${id}: parameters must be a JSON object, got ${json} (${(e as Error).message})`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Error(`--pass ${id}: parameters must be a JSON object`);
  return { id, params: params as Record<string, unknown> };
}
