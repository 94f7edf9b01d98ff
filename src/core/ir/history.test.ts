import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, current, jumpTo, newHistory, pushVersion, redo, undo } from './history.js';

const values = <T>(h: { versions: readonly { value: T }[] }) => h.versions.map((v) => v.value);

describe('history', () => {
  it('starts with one version and nothing to undo or redo', () => {
    const h = newHistory('a');
    expect(values(h)).toEqual(['a']);
    expect(current(h).value).toBe('a');
    expect(current(h).label).toBe('Open');
    expect(canUndo(h)).toBe(false);
    expect(canRedo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    expect(redo(h)).toBe(h);
  });

  it('push, undo, redo move the cursor over the same versions', () => {
    let h = newHistory('a');
    h = pushVersion(h, 'b', 'edit b');
    h = pushVersion(h, 'c', 'edit c');
    expect(values(h)).toEqual(['a', 'b', 'c']);
    expect(current(h).value).toBe('c');
    expect(current(h).label).toBe('edit c');
    h = undo(h);
    expect(current(h).value).toBe('b');
    expect(canUndo(h) && canRedo(h)).toBe(true);
    h = undo(h);
    expect(current(h).value).toBe('a');
    expect(canUndo(h)).toBe(false);
    h = redo(redo(h));
    expect(current(h).value).toBe('c');
    expect(canRedo(h)).toBe(false);
  });

  it('pushing after an undo drops the redo tail', () => {
    let h = pushVersion(pushVersion(newHistory('a'), 'b', 'b'), 'c', 'c');
    h = undo(undo(h));
    h = pushVersion(h, 'x', 'x');
    expect(values(h)).toEqual(['a', 'x']);
    expect(current(h).value).toBe('x');
    expect(canRedo(h)).toBe(false);
  });

  it('is immutable: old history objects keep their state', () => {
    const h1 = pushVersion(newHistory('a'), 'b', 'b');
    const h2 = undo(h1);
    const h3 = pushVersion(h2, 'z', 'z');
    expect(current(h1).value).toBe('b');
    expect(values(h1)).toEqual(['a', 'b']);
    expect(current(h2).value).toBe('a');
    expect(values(h3)).toEqual(['a', 'z']);
  });

  it('keeps the stored values by identity (no copies)', () => {
    const big = { weights: new Float32Array(4) };
    const h = pushVersion(newHistory({ weights: new Float32Array(1) }), big, 'set');
    expect(current(h).value).toBe(big);
  });

  it('gives every version a distinct id', () => {
    let h = newHistory(0);
    for (let i = 1; i < 10; i++) h = pushVersion(h, i, String(i));
    const ids = h.versions.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    const other = newHistory(0);
    expect(ids).not.toContain(other.versions[0].id);
  });

  it('drops the oldest versions beyond the limit', () => {
    let h = newHistory(0);
    for (let i = 1; i <= 10; i++) h = pushVersion(h, i, String(i), 4);
    expect(values(h)).toEqual([7, 8, 9, 10]);
    expect(current(h).value).toBe(10);
    expect(h.cursor).toBe(3);
  });

  it('jumpTo moves to any version and ignores out-of-range indices', () => {
    const h = pushVersion(pushVersion(newHistory('a'), 'b', 'b'), 'c', 'c');
    expect(current(jumpTo(h, 0)).value).toBe('a');
    expect(current(jumpTo(h, 1)).value).toBe('b');
    expect(jumpTo(h, 3)).toBe(h);
    expect(jumpTo(h, -1)).toBe(h);
  });
});
