/** Bar charts of the cost: per layer (BOPs, weight bits, output bits) and per datatype pair. */
import type { CostReport, NodeCost } from '../../core/analysis/inferenceCost.js';
import { parseDataType } from '../../core/qonnx/datatypes.js';
import { useApp } from '../store.js';
import { fmtInt, fmtSi } from './format.js';

const METRICS: { key: 'bops' | 'memWBits' | 'memOBits'; label: string; color: string }[] = [
  { key: 'bops', label: 'BOPs per layer', color: '#6366f1' },
  { key: 'memWBits', label: 'Weight memory per layer (bits)', color: '#0e7490' },
  { key: 'memOBits', label: 'Output memory per layer (bits)', color: '#b45309' },
];

function LayerBars({ nodes, metric, label, color }: { nodes: NodeCost[]; metric: 'bops' | 'memWBits' | 'memOBits'; label: string; color: string }) {
  const max = Math.max(1, ...nodes.map((n) => n[metric]));
  const rowH = 16;
  const W = 420, labelW = 130, valueW = 70;
  return (
    <figure className="chart" data-testid={`chart-${metric}`}>
      <figcaption>{label}</figcaption>
      <svg width={W} height={nodes.length * rowH + 4} role="img" aria-label={label}>
        {nodes.map((n, i) => {
          const w = ((W - labelW - valueW) * n[metric]) / max;
          return (
            <g key={n.name} transform={`translate(0, ${i * rowH})`} className="chart-row" onClick={() => n.originalIndex !== undefined && useApp.getState().select({ kind: 'node', index: n.originalIndex }, true)}>
              <title>{`${n.name}: ${fmtInt(n[metric])}`}</title>
              <text x={labelW - 6} y={12} textAnchor="end" fontSize={10.5}>{n.name}</text>
              <rect x={labelW} y={2} width={Math.max(n[metric] > 0 ? 1 : 0, w)} height={rowH - 5} fill={color} rx={2} />
              <text x={labelW + w + 4} y={12} fontSize={10} fill="currentColor">{fmtSi(n[metric])}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export function CostCharts({ report }: { report: CostReport }) {
  // BOPs by (input datatype × weight datatype), from the reference's op_mac_<A>_<B> keys
  const pairs = Object.entries(report.total_cost)
    .filter(([k]) => k.startsWith('op_mac_'))
    .map(([k, v]) => {
      const [, , a, b] = k.split('_');
      const macs = Number(v);
      return { pair: `${a} × ${b}`, macs, bops: macs * parseDataType(a).bitwidth * parseDataType(b).bitwidth };
    })
    .sort((x, y) => y.bops - x.bops);
  const maxPair = Math.max(1, ...pairs.map((p) => p.bops));
  return (
    <div className="charts" data-testid="cost-charts">
      {METRICS.map((m) => (
        <LayerBars key={m.key} nodes={report.nodes} metric={m.key} label={m.label} color={m.color} />
      ))}
      <figure className="chart" data-testid="chart-pairs">
        <figcaption>BOPs by datatype pair (input × weight)</figcaption>
        <svg width={420} height={pairs.length * 18 + 4} role="img" aria-label="BOPs by datatype pair">
          {pairs.map((p, i) => {
            const w = (230 * p.bops) / maxPair;
            return (
              <g key={p.pair} transform={`translate(0, ${i * 18})`}>
                <title>{`${p.pair}: ${fmtInt(p.macs)} MACs, ${fmtInt(p.bops)} BOPs`}</title>
                <text x={144} y={13} textAnchor="end" fontSize={10.5}>{p.pair}</text>
                <rect x={150} y={3} width={Math.max(1, w)} height={12} fill="#7c3aed" rx={2} />
                <text x={154 + w} y={13} fontSize={10}>{fmtSi(p.bops)}</text>
              </g>
            );
          })}
        </svg>
      </figure>
    </div>
  );
}
