/**
 * The size of a node card, computed from its text so that the layout can place cards without
 * overlaps before any DOM exists (the layout runs in a worker). Folded rows (weights, a quantizer's
 * parameters) are never cut: a card widens up to MAX_W, and a row longer than that wraps onto more
 * lines, each line an explicit string, so the card renders exactly the lines counted here.
 *
 * The metrics match src/app/styles.css (.gnode-head 22 px, .gnode-sub 16 px, .gnode-row 16 px per
 * line, rows in 10 px monospace). Monospace fonts at 10 px are 6.0 px per character (DejaVu Sans
 * Mono, Menlo, SF Mono); MONO_W keeps a little margin so that a line never reaches the card's edge.
 */
import type { FoldedRow } from './viewGraph.js';

export const NODE_W = 180;
export const MAX_W = 420;
export const ROW_H = 16;
/** head (22) + subtitle (16) + borders */
export const HEAD_H = 40;
const MONO_W = 6.2;
/** slot labels: 11 px semibold sans */
const SLOT_CHAR_W = 7;
/** row padding (8 + 8), the card's borders (1.5 + 1.5) and a little air */
const ROW_PAD = 22;
const SLOT_GAP = 6;

const slotWidth = (slot: string) => (slot ? Math.max(14, slot.length * SLOT_CHAR_W) + SLOT_GAP : 0);

/** Split `text` into lines of at most `max` characters, preferring breaks after spaces and commas. */
export function wrapText(text: string, max: number): string[] {
  const n = Math.max(8, Math.floor(max));
  const lines: string[] = [];
  let rest = text;
  while (rest.length > n) {
    let cut = -1;
    for (let i = n; i > n / 3; i--) {
      const c = rest[i - 1];
      if (c === ' ' || c === ',') {
        cut = i;
        break;
      }
    }
    if (cut < 0) cut = n;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

export interface CardText {
  title: string;
  badge?: string;
  subtitle?: string;
  rows: FoldedRow[];
}

/** Width and height of an op card, and its rows with their lines at that width. */
export function sizeCard(c: CardText): { width: number; height: number; rows: FoldedRow[] } {
  // titles are 12.5 px semibold sans (about 8 px per character); the node name (10.5 px sans, about
  // 6 px per character) widens the card too, up to MAX_W
  let width = Math.max(NODE_W, c.title.length * 8.2 + (c.badge ? c.badge.length * 6 + 24 : 0) + 24);
  if (c.subtitle) width = Math.max(width, c.subtitle.length * 6 + 20);
  for (const r of c.rows) width = Math.max(width, slotWidth(r.slot) + r.text.length * MONO_W + ROW_PAD);
  width = Math.min(MAX_W, Math.ceil(width / 10) * 10);
  let lines = 0;
  const rows = c.rows.map((r) => {
    const l = wrapText(r.text, (width - ROW_PAD - slotWidth(r.slot)) / MONO_W);
    lines += l.length;
    return { ...r, lines: l };
  });
  const height = (c.subtitle ? HEAD_H : HEAD_H - 16) + lines * ROW_H + (rows.length ? 4 : 0);
  return { width, height, rows };
}
