/** Markdown tables and number formatting for the benchmark report. */

export interface Column<R> {
  header: string;
  /** 'right' for numbers (default), 'left' for names */
  align?: 'left' | 'right';
  cell: (row: R) => string;
}

/** A GitHub-flavoured markdown table, padded so it also reads well in a terminal. */
export function markdownTable<R>(columns: Column<R>[], rows: R[]): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r).replace(/\|/g, '\\|')));
  const widths = columns.map((c, k) => Math.max(c.header.length, 3, ...cells.map((row) => row[k].length)));
  const pad = (s: string, k: number) => (columns[k].align === 'left' ? s.padEnd(widths[k]) : s.padStart(widths[k]));
  const line = (xs: string[]) => `| ${xs.map(pad).join(' | ')} |`;
  const rule = `|${columns.map((c, k) => (c.align === 'left' ? ` ${'-'.repeat(widths[k])} ` : ` ${'-'.repeat(widths[k] - 1)}: `)).join('|')}|`;
  return [line(columns.map((c) => c.header)), rule, ...cells.map(line)].join('\n');
}

/** Milliseconds with 3 significant digits: "0.412 ms", "12.3 ms", "412 ms", "1.23 s", "31.0 s". */
export function ms(v: number | undefined | null): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v >= 1000) return `${(v / 1000).toPrecision(3)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  if (v >= 1) return `${v.toFixed(2)} ms`;
  return `${v.toFixed(3)} ms`;
}

/** Bytes as MB (10^6), the unit model sizes are quoted in. */
export function mb(bytes: number | undefined | null): string {
  if (bytes == null || !Number.isFinite(bytes)) return '–';
  if (bytes < 1e5) return `${(bytes / 1e6).toFixed(3)}`;
  if (bytes < 1e7) return `${(bytes / 1e6).toFixed(2)}`;
  return `${(bytes / 1e6).toFixed(0)}`;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
