/**
 * Large arrays of plain data sent from a worker to the page as a few JSON strings instead of one
 * structured clone. A worker message is deserialised in one piece on the receiving thread: 40,000
 * small objects (the shapes of a 20,000-node model) froze the page for a quarter of a second. Strings
 * copy as one block, and the page parses them one slice at a time between turns of its event loop.
 *
 * Only for JSON-safe data (no undefined-valued keys that matter, no NaN or Infinity, no Maps or typed
 * arrays inside the items).
 */
import type { Task } from '../task.js';

/** Items per slice: a slice of a few hundred kB parses in a few milliseconds. */
export const ITEMS_PER_SLICE = 1000;

export function toJsonSlices<T>(items: readonly T[], perSlice = ITEMS_PER_SLICE): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += perSlice) out.push(JSON.stringify(items.slice(i, i + perSlice)));
  return out;
}

/** The items back, one slice per step. */
export function* fromJsonSlices<T>(slices: readonly string[], label = 'Receiving'): Task<T[]> {
  const out: T[] = [];
  yield* eachJsonSlice<T>(slices, (x) => out.push(x), label);
  return out;
}

/** Each item, in order, handed to `f` as its slice is parsed (one slice per step): no array of them all. */
export function* eachJsonSlice<T>(slices: readonly string[], f: (x: T) => void, label = 'Receiving'): Task<void> {
  for (let k = 0; k < slices.length; k++) {
    for (const x of JSON.parse(slices[k]) as T[]) f(x);
    yield { label, done: k + 1, total: slices.length };
  }
}
