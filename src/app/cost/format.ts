/** Number formats for cost figures: exact integers with thousands separators, SI for big ones. */
export function fmtInt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function fmtSi(v: number, unit = ''): string {
  const a = Math.abs(v);
  const units: [number, string][] = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of units) if (a >= f) return `${(v / f).toPrecision(3)} ${p}${unit}`;
  return `${fmtInt(Math.round(v * 100) / 100)}${unit ? ' ' + unit : ''}`;
}

export function fmtBits(bits: number): string {
  const bytes = bits / 8;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${fmtInt(Math.round(bytes * 100) / 100)} B`;
}

export function pct(part: number, total: number): string {
  return total > 0 ? `${((100 * part) / total).toFixed(1)} %` : '—';
}
