/**
 * The sensitivity table as a heatmap: one row per quantizer, one column per candidate width; a cell is
 * the output SQNR with only that quantizer at that width (every other at its current width), coloured
 * by how much it changes against the current widths. Clicking a cell applies that single change.
 */
import { useMemo } from 'react';
import type { ConfigPoint, SensitivityEntry } from '../../core/explore/explore.js';
import type { QuantizerRole } from '../../core/ir/quantizerRoles.js';
import type { MapRow } from './exploreStore.js';
import { deltaColour, fmtBops, fmtCellDb, fmtChange, fmtDb, fmtMemBits, fmtPct } from './exploreFormat.js';

const KIND_TAG: Record<QuantizerRole, string> = { weight: 'W', activation: 'A', bias: 'B' };
const KIND_TITLE: Record<QuantizerRole, string> = { weight: 'weight quantizer', activation: 'activation quantizer', bias: 'bias quantizer' };

export function SensitivityMap({
  rows,
  entries,
  baseline,
  nowWidths,
  samples,
  userFixed,
  busy,
  onToggleFixed,
  onSelect,
  onApply,
}: {
  rows: MapRow[];
  entries: SensitivityEntry[];
  /** the opened widths measured through the sweep (the reference of every cell's change) */
  baseline?: ConfigPoint;
  /** the width each row has in the current model, when it differs from the swept one */
  nowWidths?: Map<string, number>;
  samples?: number;
  userFixed: ReadonlySet<string>;
  busy: boolean;
  onToggleFixed(name: string, fixed: boolean): void;
  onSelect(node: number): void;
  onApply(row: MapRow, width: number): void;
}) {
  const widths = useMemo(() => [...new Set(rows.flatMap((r) => r.candidates))].sort((a, b) => a - b), [rows]);
  const byCell = useMemo(() => new Map(entries.map((e) => [`${e.quantizer}@${e.width}`, e])), [entries]);
  // the reference of every change: the opened widths through the parametric model (the current-width cells)
  const atCurrent = useMemo(() => entries.find((e) => rows.some((r) => r.name === e.quantizer && r.current === e.width)), [entries, rows]);
  const ref = atCurrent ?? baseline;
  const range = useMemo(() => {
    let m = 1;
    if (ref && Number.isFinite(ref.sqnrDb)) for (const e of entries) if (Number.isFinite(e.sqnrDb)) m = Math.max(m, Math.abs(e.sqnrDb - ref.sqnrDb));
    return Math.min(m, 60);
  }, [entries, ref]);

  const cellTitle = (r: MapRow, e: SensitivityEntry) => {
    const lines = [
      `${r.name} at ${e.width} bits (now ${r.current}), every other quantizer unchanged`,
      `Output SQNR ${fmtDb(e.sqnrDb)}${ref ? ` (${deltaText(e.sqnrDb, ref.sqnrDb)} against the current widths, ${fmtDb(ref.sqnrDb)})` : ''}`,
      `BOPs ${e.bops.toLocaleString('en-US')}${ref ? ` (${fmtChange(e.bops, ref.bops)})` : ''}`,
      `Weight memory ${e.memWBits.toLocaleString('en-US')} bits${ref ? ` (${fmtChange(e.memWBits, ref.memWBits)})` : ''}`,
    ];
    if (e.agreement !== undefined) lines.push(`Top-1 agreement with the reference ${fmtPct(e.agreement)}${samples ? ` (${Math.round(e.agreement * samples)} of ${samples} samples)` : ''}`);
    if (e.accuracy !== undefined) lines.push(`Accuracy on the labels ${fmtPct(e.accuracy)}`);
    if (e.width !== r.current) lines.push('Click: apply this width alone (one undoable edit)');
    return lines.join('\n');
  };

  return (
    <div className="xmap-wrap">
      <table className="xmap" data-testid="explore-map">
        <thead>
          <tr>
            <th className="xmap-name" title="Quantizers in graph order. W weights, A activations, B biases">Quantizer</th>
            <th className="xmap-fix" title="Keep this quantizer at its width (it does not take part in the next sweep)">fix</th>
            {widths.map((w) => (
              <th key={w} className="num" title={`Cells: output SQNR with only that quantizer at ${w} bits`}>{w}b</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const fixed = userFixed.has(r.name) || r.fixedBy === 'first/last';
            const now = nowWidths?.get(r.name);
            return (
              <tr key={r.name} className={r.fixedBy ? 'is-fixed' : ''} data-testid="explore-row" data-name={r.name}>
                <td className="xmap-name">
                  <span className={`kind-tag kind-${r.kind}`} title={KIND_TITLE[r.kind]}>{KIND_TAG[r.kind]}</span>
                  <button className="linklike mono" onClick={() => onSelect(r.node)} title={`${r.name}: ${KIND_TITLE[r.kind]}, ${r.current} bits. Click to show it in the graph`}>{r.name}</button>
                </td>
                <td className="xmap-fix">
                  <input
                    type="checkbox"
                    checked={fixed}
                    disabled={busy || r.fixedBy === 'first/last'}
                    onChange={(e) => onToggleFixed(r.name, e.target.checked)}
                    title={r.fixedBy === 'first/last' ? 'Kept by "keep the first and last layer"' : fixed ? 'Kept at its width: takes no part' : 'Takes part; tick to keep it at its width'}
                    data-testid="explore-fix"
                  />
                </td>
                {widths.map((w) => {
                  if (!r.candidates.includes(w)) return <td key={w} className="xmap-cell is-na" title={`${r.name} cannot take ${w} bits`} />;
                  const isCur = w === r.current;
                  const e = byCell.get(`${r.name}@${w}`);
                  const cls = `xmap-cell${isCur ? ' is-current' : ''}${now === w ? ' is-now' : ''}`;
                  if (r.fixedBy) return <td key={w} className={cls + ' is-na'} title={isCur ? `${r.name} stays at ${w} bits` : ''}>{isCur ? `${w}b` : ''}</td>;
                  if (!e) return <td key={w} className={cls + ' is-pending'} title={isCur ? `${r.name}'s current width` : 'Not measured yet'} />;
                  const d = ref ? diff(e.sqnrDb, ref.sqnrDb) : NaN;
                  return (
                    <td
                      key={w}
                      className={cls}
                      style={{ background: isCur ? undefined : deltaColour(d, range) }}
                      title={cellTitle(r, e)}
                      data-testid="explore-cell"
                      data-width={w}
                      onClick={() => !isCur && onApply(r, w)}
                    >
                      {fmtCellDb(e.sqnrDb)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {entries.length > 0 && ref && (
        <div className="xmap-legend" title="Cell colour: the change of output SQNR against the current widths">
          <span className="muted small">SQNR change vs current widths</span>
          <span className="xmap-legend-bar" style={{ background: `linear-gradient(to right, ${deltaColour(-range, range)}, #fff, ${deltaColour(range, range)})` }} />
          <span className="xmap-legend-ends muted small">
            <span>−{range.toFixed(1)} dB</span>
            <span>0</span>
            <span>+{range.toFixed(1)} dB</span>
          </span>
          <span className="muted small">▢ current width · values in dB · {fmtBops(ref.bops)} BOPs, {fmtMemBits(ref.memWBits)} at the current widths</span>
        </div>
      )}
    </div>
  );
}

function diff(a: number, b: number): number {
  if (a === b) return 0;
  if (a === Infinity) return Infinity;
  if (b === Infinity) return -Infinity;
  return a - b;
}

function deltaText(a: number, b: number): string {
  const d = diff(a, b);
  if (d === 0) return 'no change';
  if (!Number.isFinite(d)) return d > 0 ? 'identical to the reference' : 'from identical';
  return `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} dB`;
}

