/**
 * Numbers and shapes of the precision explorer's views (pure: the e2e spec formats the CLI's numbers
 * with the same functions to compare them with the page).
 */
import type { ConfigPoint, ExplorePlan } from '../../core/explore/explore.js';

/** BOPs with k / M / G / T: "89.4 k". */
export function fmtBops(v: number): string {
  const a = Math.abs(v);
  for (const [f, p] of [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (a >= f) return `${(v / f).toPrecision(3)} ${p}`;
  return String(Math.round(v));
}

/** Bits with k / M / G: "44.7 kbit". */
export function fmtMemBits(v: number): string {
  const s = fmtBops(v);
  return /[a-zA-Z]$/.test(s) ? `${s}bit` : `${s} bit`;
}

/** SQNR in dB with two decimals; identical outputs are "∞ dB". */
export function fmtDb(v: number): string {
  if (v === Infinity) return '∞ dB';
  if (v === -Infinity) return '−∞ dB';
  return `${v.toFixed(2)} dB`;
}

/** A heatmap cell: SQNR in dB without the unit, two decimals below 10 dB, one above ("∞" when identical). */
export function fmtCellDb(v: number): string {
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  const t = v.toFixed(Math.abs(v) < 10 ? 2 : 1);
  return /^-0\.0+$/.test(t) ? t.slice(1) : t.replace('-', '−');
}

export function fmtPct(v: number | undefined): string {
  return v === undefined ? '—' : `${(100 * v).toFixed(1)} %`;
}

/** "+12.3 %" / "−4.0 %" against a reference value. */
export function fmtChange(v: number, ref: number): string {
  if (ref === 0 || v === ref) return v === ref ? 'unchanged' : '';
  const d = (100 * (v - ref)) / ref;
  return `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} %`;
}

export type XKey = 'bops' | 'mem';
export type YKey = 'sqnr' | 'agreement' | 'accuracy';

export const X_LABEL: Record<XKey, string> = { bops: 'BOPs (bit operations per inference)', mem: 'weight memory (bits)' };
export const Y_LABEL: Record<YKey, string> = { sqnr: 'output SQNR (dB)', agreement: 'top-1 agreement (%)', accuracy: 'accuracy (%)' };

export function xOf(p: ConfigPoint, k: XKey): number {
  return k === 'bops' ? p.bops : p.memWBits;
}

export function yOf(p: ConfigPoint, k: YKey): number | undefined {
  return k === 'sqnr' ? p.sqnrDb : k === 'agreement' ? (p.agreement === undefined ? undefined : 100 * p.agreement) : p.accuracy === undefined ? undefined : 100 * p.accuracy;
}

/** Points no other point beats: at most its x and at least its y, one of them strictly. Sorted by x. */
export function frontBy<T extends ConfigPoint>(points: readonly T[], x: XKey, y: YKey): T[] {
  const withY = points.filter((p) => yOf(p, y) !== undefined && !Number.isNaN(yOf(p, y)!));
  const sorted = [...withY].sort((a, b) => xOf(a, x) - xOf(b, x) || yOf(b, y)! - yOf(a, y)!);
  const out: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    const v = yOf(p, y)!;
    if (v > best) {
      out.push(p);
      best = v;
    }
  }
  return out;
}

/** The changes of a configuration against the opened widths: "Quant_13: 2 → 3". */
export function changedLines(plan: ExplorePlan, widths: readonly number[]): string[] {
  const out: string[] = [];
  plan.quantizers.forEach((q, k) => {
    if (widths[k] !== q.current) out.push(`${q.name}: ${q.current} → ${widths[k]}`);
  });
  return out;
}

/** Round tick values covering [lo, hi]: about `n` of them, at 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a logarithmic axis: 1, 2, 5 per decade (only the decades when they are many). */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [lo];
  const out: number[] = [];
  const decades = Math.log10(hi / lo);
  const mult = decades > 4 ? [1] : decades > 1.5 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  return out;
}

/** The cell colour of an SQNR change (dB) on a scale of ±range: red for worse, blue for better, white for none. */
export function deltaColour(d: number, range: number): string {
  if (Number.isNaN(d)) return 'transparent';
  const t = Math.max(-1, Math.min(1, d / Math.max(range, 1e-9)));
  // white to red (#dc2626) below zero, white to blue (#2563eb) above
  const [r, g, b] = t < 0 ? [220, 38, 38] : [37, 99, 235];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a * 0.85);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}
