/**
 * Long computations of the core (inference cost, transformations, folding) are written once as
 * generators that yield progress between units of work. Two drivers run them:
 *
 *   runSync(task)             to the end, at once (the CLI, tests, callers that need a value now)
 *   runCooperative(task, o)   in a worker: lets the event loop turn every ~30 ms, so a cancel message
 *                             can arrive, checks the signal there, and reports progress
 *
 * A yield costs a generator resumption (tens of nanoseconds), so tasks yield per node or per phase
 * without measurable overhead.
 */

export interface TaskProgress {
  /** what is being done, for the progress bar ("Folding constants") */
  label: string;
  /** units done and total within that label (total 0: unknown) */
  done: number;
  total: number;
}

export type Task<T> = Generator<TaskProgress, T, void>;

/** Run a task to completion, synchronously. */
export function runSync<T>(task: Task<T>): T {
  for (;;) {
    const r = task.next();
    if (r.done) return r.value;
  }
}

export interface CooperativeOptions {
  onProgress?: (p: TaskProgress) => void;
  signal?: { readonly aborted: boolean };
  /** longest stretch of work between two turns of the event loop (ms) */
  sliceMs?: number;
}

export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'AbortError';
  }
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Run a task, letting the event loop turn between slices of work. Progress is reported at most once
 * per slice (the last progress of the slice). Throws CancelledError (name 'AbortError') when the
 * signal is set, checked at every slice boundary and before the first step.
 */
export async function runCooperative<T>(task: Task<T>, opts: CooperativeOptions = {}): Promise<T> {
  const slice = opts.sliceMs ?? 30;
  let last = performance.now();
  if (opts.signal) {
    await turn();
    if (opts.signal.aborted) {
      task.return(undefined as never);
      throw new CancelledError();
    }
  }
  for (;;) {
    const r = task.next();
    if (r.done) return r.value;
    const now = performance.now();
    if (now - last >= slice) {
      opts.onProgress?.(r.value);
      await turn();
      last = performance.now();
      if (opts.signal?.aborted) {
        task.return(undefined as never);
        throw new CancelledError();
      }
    }
  }
}

/** A sub-task's progress relabelled (e.g. a fixpoint round inside a transformation). */
export function* relabel<T>(task: Task<T>, label: (p: TaskProgress) => string): Task<T> {
  for (;;) {
    const r = task.next();
    if (r.done) return r.value;
    yield { ...r.value, label: label(r.value) };
  }
}
