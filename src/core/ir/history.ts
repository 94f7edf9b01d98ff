/** Undo/redo as a list of immutable versions, with a cursor. */
export interface History<T> {
  readonly versions: readonly { value: T; label: string; id: number }[];
  readonly cursor: number;
}

let nextId = 1;

export function newHistory<T>(value: T, label = 'Open'): History<T> {
  return { versions: [{ value, label, id: nextId++ }], cursor: 0 };
}

/** Push a new version after the cursor, dropping any redo tail. */
export function pushVersion<T>(h: History<T>, value: T, label: string, limit = 200): History<T> {
  const kept = h.versions.slice(Math.max(0, h.cursor + 1 - (limit - 1)), h.cursor + 1);
  return { versions: [...kept, { value, label, id: nextId++ }], cursor: kept.length };
}

export const canUndo = <T>(h: History<T>) => h.cursor > 0;
export const canRedo = <T>(h: History<T>) => h.cursor < h.versions.length - 1;
export const undo = <T>(h: History<T>): History<T> => (canUndo(h) ? { ...h, cursor: h.cursor - 1 } : h);
export const redo = <T>(h: History<T>): History<T> => (canRedo(h) ? { ...h, cursor: h.cursor + 1 } : h);
export const jumpTo = <T>(h: History<T>, i: number): History<T> => (i >= 0 && i < h.versions.length ? { ...h, cursor: i } : h);
export const current = <T>(h: History<T>) => h.versions[h.cursor];
