/**
 * A transformation: a pure function from a model to a new model that shares everything it did not
 * change, reporting whether it changed anything. Passes compose into pipelines and run to a fixpoint.
 */
import type { Model } from '../ir/types.js';

export interface PassResult {
  model: Model;
  modified: boolean;
}

export interface Pass<P = Record<string, never>> {
  id: string;
  title: string;
  summary: string;
  run(model: Model, params: P): PassResult;
}

/** Apply a pass until it reports no change (bounded, so a faulty pass cannot loop forever). */
export function toFixpoint<P>(pass: Pass<P>, model: Model, params: P, maxRounds = 100): PassResult {
  let modified = false;
  let m = model;
  for (let i = 0; i < maxRounds; i++) {
    const r = pass.run(m, params);
    if (!r.modified) break;
    m = r.model;
    modified = true;
  }
  return { model: m, modified };
}
