/**
 * A transformation: a pure function from a model to a new model that shares everything it did not
 * change, reporting whether it changed anything. Passes compose into pipelines and run to a fixpoint.
 */
import type { Model } from '../ir/types.js';
import { relabel, runSync, type Task } from '../task.js';

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
  /** the same computation as a task that yields progress (passes that can take long on big models) */
  task?(model: Model, params: P): Task<PassResult>;
}

/** Apply a pass until it reports no change (bounded, so a faulty pass cannot loop forever). */
export function toFixpoint<P>(pass: Pass<P>, model: Model, params: P, maxRounds = 100): PassResult {
  return runSync(toFixpointTask(pass, model, params, maxRounds));
}

/** toFixpoint as a task: progress inside a round when the pass has a task, and between rounds. */
export function* toFixpointTask<P>(pass: Pass<P>, model: Model, params: P, maxRounds = 100, label = pass.title): Task<PassResult> {
  let modified = false;
  let m = model;
  const notes: string[] = [];
  for (let i = 0; i < maxRounds; i++) {
    const round = i;
    const r = pass.task ? yield* relabel(pass.task(m, params), (p) => (round ? `${p.label} (round ${round + 1})` : p.label)) : pass.run(m, params);
    yield { label: round ? `${label} (round ${round + 1})` : label, done: 0, total: 0 };
    // notes of every round, each message once (a pass that skips a node says so in every round)
    for (const n of r.notes ?? []) if (!notes.includes(n)) notes.push(n);
    if (!r.modified) break;
    m = r.model;
    modified = true;
  }
  return notes.length ? { model: m, modified, notes } : { model: m, modified };
}
