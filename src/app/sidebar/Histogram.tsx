/** A value histogram as SVG bars, with min and max under it. */
import type { TensorStats } from '../../core/analysis/tensorStats.js';
import { formatNumber } from './format.js';

export function Histogram({ stats, testId = 'histogram' }: { stats: TensorStats; testId?: string }) {
  const max = Math.max(1, ...stats.histogram);
  const W = 280, H = 80;
  const bw = W / stats.histogram.length;
  return (
    <figure className="histogram" data-testid={testId}>
      <svg width={W} height={H + 14} role="img" aria-label="Histogram of values">
        {stats.histogram.map((c, i) => {
          const h = c ? Math.max(1, (c / max) * H) : 0;
          const lo = stats.min + (i * (stats.max - stats.min)) / stats.histogram.length;
          return (
            <rect key={i} x={i * bw} y={H - h} width={Math.max(1, bw - 1)} height={h} fill="#6366f1">
              <title>{`${formatNumber(lo)} …: ${c}`}</title>
            </rect>
          );
        })}
        <text x={0} y={H + 12} fontSize={10} fill="currentColor">{formatNumber(stats.min)}</text>
        <text x={W} y={H + 12} fontSize={10} textAnchor="end" fill="currentColor">{formatNumber(stats.max)}</text>
      </svg>
    </figure>
  );
}
