/**
 * A transformation: a pure function from a model to a new model that shares everything it did not
 * change, reporting whether it changed anything. Passes compose into pipelines and run to a fixpoint.
 */
import type { Model } from '../ir/types.js';

export interface PassResult {
  model: Model;
  modified: boolean;
  /**
   * Messages for the user about what the pass did not do and why (e.g. "Quant 'q1' left unchanged:
   * bit width 12 is outside 2..8"). Optional: most passes have nothing to say.
   */
  notes?: string[];
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
  const notes: string[] = [];
  for (let i = 0; i < maxRounds; i++) {
    const r = pass.run(m, params);
    // notes of every round, each message once (a pass that skips a node says so in every round)
    for (const n of r.notes ?? []) if (!notes.includes(n)) notes.push(n);
    if (!r.modified) break;
    m = r.model;
    modified = true;
  }
  return notes.length ? { model: m, modified, notes } : { model: m, modified };
}
