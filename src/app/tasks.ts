/** Worker tasks the page can follow and cancel (cost, transformations, opening). */
import type { TaskProgress } from '../core/task.js';
import { Comlink, modelWorker } from './workerClient.js';

let nextTaskId = 1;

export function newTaskId(): number {
  return nextTaskId++;
}

/** Ask the worker to stop a task at its next step; its promise then fails with an AbortError. */
export function cancelTask(id: number): void {
  void modelWorker().cancelTask(id);
}

export const isCancelled = (e: unknown): boolean => e instanceof Error && e.name === 'AbortError';

/** A progress callback the worker can call (it crosses the worker boundary as a Comlink proxy). */
export function progressProxy(f: (p: TaskProgress) => void): (p: TaskProgress) => void {
  return Comlink.proxy(f);
}
