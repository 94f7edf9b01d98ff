/**
 * Every quantizer in one editable table, with bulk actions ("all weight quantizers of Conv layers to
 * 4 bits") for fast mixed-precision setups. Each change is one undoable model version, and the cost
 * follows it live.
 */
import { useMemo, useState } from 'react';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { listQuantizers, setQuantizer, type QuantizerChange, type QuantizerInfo } from '../../core/ir/quantEdit.js';
import { ROUNDING_MODES } from '../../core/qonnx/rounding.js';
import { fmtInt } from '../cost/format.js';
import { BitsInput } from './BitsInput.js';
import { currentModel, useApp } from '../store.js';

type Role = 'all' | 'weight' | 'activation';

export function applyToQuantizers(quantizers: QuantizerInfo[], change: QuantizerChange, label: string): void {
  useApp.getState().edit((m) => {
    let out = m;
    for (const q of quantizers) out = setQuantizer(out, q.nodeIndex, editableChange(q, change));
    return out;
  }, label);
}

/** The part of a change a quantizer can take (BipolarQuant has no bit width, FloatQuant no integer bits). */
function editableChange(q: QuantizerInfo, c: QuantizerChange): QuantizerChange {
  if (q.opType === 'BipolarQuant') return { scale: c.scale };
  if (q.opType === 'FloatQuant') return { exponentBits: c.exponentBits, mantissaBits: c.mantissaBits, roundingMode: c.roundingMode, scale: c.scale };
  if (q.opType === 'Trunc') return { bits: c.bits, roundingMode: c.roundingMode, signed: c.signed, narrow: c.narrow };
  return c;
}

export function QuantizerTable() {
  const model = useApp((s) => currentModel(s));
  const doc = useApp((s) => s.doc);
  const selection = useApp((s) => s.selection);
  const cost = useApp((s) => s.cost);
  const baseline = useApp((s) => s.baselineCost);
  const [role, setRole] = useState<Role>('weight');
  const [layerOp, setLayerOp] = useState('any');
  const [bulkBits, setBulkBits] = useState(4);
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => (model ? listQuantizers(model) : []), [model]);
  const original = useMemo(() => (doc ? new Map(listQuantizers(doc.history.versions[0].value).map((q) => [q.nodeIndex, q])) : new Map<number, QuantizerInfo>()), [doc]);
  const idx = model ? indexGraph(model.graph ?? {}) : undefined;
  const layerOps = useMemo(() => [...new Set(rows.map((q) => (q.layer !== undefined ? idx?.nodes[q.layer].opType ?? '' : '')).filter(Boolean))].sort(), [rows, idx]);
  const targets = rows.filter((q) => (role === 'all' || q.role === role) && (layerOp === 'any' || (q.layer !== undefined && idx?.nodes[q.layer].opType === layerOp)) && q.opType !== 'BipolarQuant');
  const shown = rows.filter((q) => !filter || `${q.name} ${q.opType} ${q.role} ${q.layer !== undefined ? idx?.nodes[q.layer].name : ''}`.toLowerCase().includes(filter.toLowerCase()));
  const bops = cost ? Number(cost.report.total_cost.total_bops) : undefined;
  const baseBops = baseline ? Number(baseline.report.total_cost.total_bops) : undefined;

  return (
    <section className="cost-panel" data-testid="quant-panel" aria-label="Quantizers">
      <div className="cost-head">
        <strong>Quantizers</strong>
        <span className="muted small">{rows.length} in the model</span>
        <span className="bulk" data-testid="bulk">
          Set
          <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="bulk-role">
            <option value="weight">weight</option>
            <option value="activation">activation</option>
            <option value="all">all</option>
          </select>
          quantizers of
          <select value={layerOp} onChange={(e) => setLayerOp(e.target.value)} data-testid="bulk-layer">
            <option value="any">any</option>
            {layerOps.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          layers to
          <input type="number" min={1} max={32} value={bulkBits} onChange={(e) => setBulkBits(Math.max(1, Math.min(32, Number(e.target.value) || 1)))} className="num-input" data-testid="bulk-bits" />
          bits
          <button
            className="primary-small"
            disabled={!targets.length}
            data-testid="bulk-apply"
            title={targets.map((q) => q.name).join(', ')}
            onClick={() => applyToQuantizers(targets, { bits: bulkBits }, `${role === 'all' ? 'All' : role[0].toUpperCase() + role.slice(1)} quantizers${layerOp === 'any' ? '' : ` of ${layerOp}`} → ${bulkBits} bits`)}
          >
            Apply to {targets.length}
          </button>
        </span>
        <input className="cost-filter" placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <span className="spacer" />
        {bops !== undefined && (
          <span className="small" data-testid="quant-bops">
            BOPs {fmtInt(bops)}
            {baseBops !== undefined && baseBops !== bops ? ` (was ${fmtInt(baseBops)})` : ''}
          </span>
        )}
        <button className="icon" title="Close (Q)" onClick={() => useApp.getState().setQuantPanelOpen(false)}>×</button>
      </div>
      <div className="cost-table-wrap">
        <table className="cost-table quant-table" data-testid="quant-table">
          <thead>
            <tr>
              <th>Quantizer</th><th>Op</th><th>Role</th><th>Layer</th><th className="num">Bits</th><th>Signed</th><th>Narrow</th><th>Rounding</th><th className="num">Scale</th><th className="num">Zero pt</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((q) => {
              const o = original.get(q.nodeIndex);
              const changed = !!o && (o.bits !== q.bits || o.signed !== q.signed || o.narrow !== q.narrow || o.roundingMode !== q.roundingMode || o.scale !== q.scale || o.zeroPoint !== q.zeroPoint);
              const sel = selection?.kind === 'node' && selection.index === q.nodeIndex;
              const set = (c: QuantizerChange, what: string) => applyToQuantizers([q], c, `${q.name}: ${what}`);
              return (
                <tr key={q.nodeIndex} className={`${sel ? 'is-selected' : ''}${changed ? ' is-changed' : ''}`} data-testid="quant-row" data-name={q.name} onClick={() => useApp.getState().select({ kind: 'node', index: q.nodeIndex }, true)}>
                  <td className="mono">{changed ? '● ' : ''}{q.name}</td>
                  <td>{q.opType}</td>
                  <td>{q.role}</td>
                  <td className="mono">{q.layer !== undefined ? idx?.nodes[q.layer].name || idx?.nodes[q.layer].opType : '—'}</td>
                  <td className="num" onClick={(e) => e.stopPropagation()}>
                    {q.opType === 'Quant' || q.opType === 'IntQuant' || q.opType === 'Trunc' ? (
<BitsInput value={q.bits} testId="bits-cell" onApply={(b) => set({ bits: b }, `${b} bits`)} />
                    ) : q.opType === 'FloatQuant' ? `E${q.exponentBits}M${q.mantissaBits}` : q.bits}
                  </td>
                  <td onClick={(e) => e.stopPropagation()}>
                    {q.signed !== undefined && q.opType !== 'BipolarQuant' ? <input type="checkbox" checked={q.signed} onChange={(e) => set({ signed: e.target.checked }, e.target.checked ? 'signed' : 'unsigned')} /> : '—'}
                  </td>
                  <td onClick={(e) => e.stopPropagation()}>
                    {q.narrow !== undefined ? <input type="checkbox" checked={q.narrow} onChange={(e) => set({ narrow: e.target.checked }, e.target.checked ? 'narrow' : 'not narrow')} /> : '—'}
                  </td>
                  <td onClick={(e) => e.stopPropagation()}>
                    {q.roundingMode ? (
                      <select value={q.roundingMode} onChange={(e) => set({ roundingMode: e.target.value }, e.target.value)} className="cell-select">
                        {ROUNDING_MODES.map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    ) : '—'}
                  </td>
                  <td className="num mono">{q.scale !== undefined ? Number(q.scale.toPrecision(5)) : q.scaleCount ? `per-channel (${q.scaleCount})` : '—'}</td>
                  <td className="num mono">{q.zeroPoint ?? '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
