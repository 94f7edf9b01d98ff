/** Summary statistics of a tensor's values, for the sidebar and execution views. */
export interface TensorStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  zeros: number;
  nans: number;
  /** number of distinct values, or -1 when there are more than DISTINCT_LIMIT */
  distinct: number;
  histogram: number[];
}

const DISTINCT_LIMIT = 4096;

export function tensorStats(v: ArrayLike<number>, bins = 40): TensorStats {
  let min = Infinity, max = -Infinity, sum = 0, sumSq = 0, zeros = 0, nans = 0, finite = 0;
  const distinct = new Set<number>();
  let overflow = false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) { nans++; continue; }
    if (x === 0) zeros++;
    if (!overflow) {
      distinct.add(x);
      if (distinct.size > DISTINCT_LIMIT) overflow = true;
    }
    if (!Number.isFinite(x)) continue;
    finite++;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSq += x * x;
  }
  if (finite === 0) { min = 0; max = 0; }
  const mean = finite ? sum / finite : 0;
  const std = finite ? Math.sqrt(Math.max(0, sumSq / finite - mean * mean)) : 0;
  const histogram = new Array<number>(bins).fill(0);
  const span = max - min;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    const b = span > 0 ? Math.min(bins - 1, Math.floor(((x - min) / span) * bins)) : 0;
    histogram[b]++;
  }
  return { count: v.length, min, max, mean, std, zeros, nans, distinct: overflow ? -1 : distinct.size, histogram };
}
