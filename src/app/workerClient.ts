/** One shared model worker for the page, wrapped with Comlink. */
import * as Comlink from 'comlink';
import { deserializeError } from '../core/errors.js';
import type { ModelWorkerApi, Result } from '../workers/model.worker.js';

let remote: Comlink.Remote<ModelWorkerApi> | undefined;

export function modelWorker(): Comlink.Remote<ModelWorkerApi> {
  if (!remote) {
    const w = new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'model' });
    remote = Comlink.wrap<ModelWorkerApi>(w);
  }
  return remote;
}

/** Unwrap a worker Result, rethrowing its error with the original code and message. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw deserializeError(r.error);
}

export { Comlink };
