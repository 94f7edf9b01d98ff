/**
 * Every quantizer in one editable table, with bulk actions ("weight quantizers of Conv layers to
 * 4 bits") for fast mixed-precision setups. Each change is one undoable model version, and the cost
 * follows it live. The bulk action is the CLI's `--set-bits SELECTOR=BITS` (core/ir/bulkQuantEdit.ts):
 * it changes every selected quantizer that can take the width and lists the others with the reason.
 */
import { useMemo, useState } from 'react';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { applyBitsPlan, bitsComputedBy, bitsProblem, parseSelector, planBits, selectQuantizers, selectorTitle, weightLayerOpTypes, MAX_BITS, MIN_BITS, type BitsResult } from '../../core/ir/bulkQuantEdit.js';
import type { Model } from '../../core/ir/types.js';
import { editedQuantizers, precisionLabel } from '../../core/ir/diff.js';
import { listQuantizers, setQuantizer, type QuantizerChange, type QuantizerInfo } from '../../core/ir/quantEdit.js';
import { ROUNDING_MODES } from '../../core/qonnx/rounding.js';
import { fmtInt } from '../cost/format.js';
import { BitsInput } from './BitsInput.js';
import { currentModel, useApp } from '../store.js';

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

/** The bulk action: one new version with every quantizer the selector selects that can take `bits`. */
export function applyBulkBits(selector: string, bits: number): (BitsResult & { label: string }) | undefined {
  const st = useApp.getState();
  const m = currentModel(st);
  if (!m) return undefined;
  try {
    const sel = parseSelector(selector);
    const r = applyBitsPlan(m, planBits(m, selectQuantizers(m, sel), bits));
    const label = `${selectorTitle(sel)} → ${bits} bits${r.skipped.length ? ` (${r.skipped.length} skipped)` : ''}`;
    if (r.model !== m) st.commit(r.model, label);
    return { ...r, label };
  } catch (e) {
    st.fail(e);
    return undefined;
  }
}

/** Selectors offered by the bulk action, with what they select. */
function bulkOptions(model: Model | null | undefined, rows: QuantizerInfo[]): { value: string; text: string }[] {
  if (!model) return [];
  const n = (role: string) => rows.filter((q) => q.role === role).length;
  const out = [{ value: 'weights', text: `weights (${n('weight')})` }];
  for (const op of weightLayerOpTypes(model, rows)) {
    const k = rows.filter((q) => q.role === 'weight' && q.layer !== undefined && model.graph?.node?.[q.layer].opType === op).length;
    out.push({ value: `op:${op}`, text: `${op} weights (${k})` });
  }
  out.push({ value: 'biases', text: `biases (${n('bias')})` }, { value: 'activations', text: `activations (${n('activation')})` }, { value: 'all', text: `all (${rows.length})` });
  return out;
}

export function QuantizerTable() {
  const model = useApp((s) => currentModel(s));
  const doc = useApp((s) => s.doc);
  const selection = useApp((s) => s.selection);
  const cost = useApp((s) => s.cost);
  const baseline = useApp((s) => s.baselineCost);
  const [target, setTarget] = useState('weights');
  const [bulkBits, setBulkBits] = useState(4);
  const [report, setReport] = useState<(BitsResult & { label: string }) | null>(null);
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => (model ? listQuantizers(model) : []), [model]);
  // each quantizer against the quantizer it was in the opened model (paired by what it computes: a cleanup renames and sorts)
  const opened = doc?.history.versions[0].value;
  const edited = useMemo(() => (opened && model ? editedQuantizers(opened, model) : new Map<number, QuantizerInfo>()), [opened, model]);
  const idx = model ? indexGraph(model.graph ?? {}) : undefined;
  const options = useMemo(() => bulkOptions(model, rows), [model, rows]);
  const selector = options.some((o) => o.value === target) ? target : 'weights';
  const plan = useMemo(() => {
    if (!model) return undefined;
    try {
      return planBits(model, selectQuantizers(model, parseSelector(selector), rows), bulkBits);
    } catch {
      return undefined;
    }
  }, [model, rows, selector, bulkBits]);
  // the last bulk result, while its version (or the unchanged model it left) is the current one
  const shownReport = report && report.model === model ? report : null;
  const shown = rows.filter((q) => !filter || `${q.name} ${q.opType} ${q.role} ${q.layer !== undefined ? idx?.nodes[q.layer].name : ''}`.toLowerCase().includes(filter.toLowerCase()));
  const bops = cost ? Number(cost.report.total_cost.total_bops) : undefined;
  const baseBops = baseline ? Number(baseline.report.total_cost.total_bops) : undefined;

  return (
    <section className="cost-panel" data-testid="quant-panel" aria-label="Quantizers">
      <div className="cost-head quant-head">
        <div className="quant-head-main">
          <strong>Quantizers</strong>
          <span className="muted small">{rows.length} in the model</span>
          <span className="bulk" data-testid="bulk">
            Set
            <select value={selector} onChange={(e) => setTarget(e.target.value)} data-testid="bulk-target" title={`The same as the command line's --set-bits ${selector}=${bulkBits}`}>
              {options.map((o) => <option key={o.value} value={o.value}>{o.text}</option>)}
            </select>
            to
            <input type="number" min={MIN_BITS} max={MAX_BITS} value={bulkBits} onChange={(e) => setBulkBits(Math.max(MIN_BITS, Math.min(MAX_BITS, Math.round(Number(e.target.value)) || MIN_BITS)))} className="num-input" data-testid="bulk-bits" />
            bits
            <button
              className="primary-small"
              disabled={!plan?.change.length}
              data-testid="bulk-apply"
              title={plan ? [plan.change.length ? `Changes ${plan.change.map((q) => q.name).join(', ')}` : 'Nothing to change', ...plan.skipped.map((k) => `Skips ${k.quantizer}: ${k.reason}`)].join('\n') : ''}
              onClick={() => setReport(applyBulkBits(selector, bulkBits) ?? null)}
            >
              Apply to {plan?.change.length ?? 0}
            </button>
            {!!plan?.skipped.length && (
              <span className="muted small" data-testid="bulk-skip-count" title={plan.skipped.map((k) => `${k.quantizer}: ${k.reason}`).join('\n')}>
                {plan.skipped.length} can't change
              </span>
            )}
          </span>
          <input className="cost-filter" placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <span className="spacer" />
          {bops !== undefined && (
            <span className="small quant-bops" data-testid="quant-bops">
              BOPs {fmtInt(bops)}
              {baseBops !== undefined && baseBops !== bops ? ` (was ${fmtInt(baseBops)})` : ''}
            </span>
          )}
        </div>
        <button className="icon" title="Close (Q)" data-testid="quant-panel-close" onClick={() => useApp.getState().setQuantPanelOpen(false)}>×</button>
      </div>
      {shownReport && (
        <div className={`bulk-report${shownReport.skipped.length ? ' has-skipped' : ''}`} data-testid="bulk-report" role="status">
          <span className="bulk-report-text">
            <strong>{shownReport.label}</strong>: {shownReport.changed.length} changed
            {shownReport.unchanged.length ? `, ${shownReport.unchanged.length} already at ${shownReport.bits} bits` : ''}
            {shownReport.skipped.length ? `, ${shownReport.skipped.length} skipped:` : ''}
          </span>
          {!!shownReport.skipped.length && (
            <ul data-testid="bulk-skipped">
              {shownReport.skipped.map((k) => (
                <li key={k.quantizer} data-name={k.quantizer}><span className="mono">{k.quantizer}</span>: {k.reason}</li>
              ))}
            </ul>
          )}
          <button className="icon small" title="Dismiss" onClick={() => setReport(null)}>×</button>
        </div>
      )}
      <div className="cost-table-wrap">
        <table className="cost-table quant-table" data-testid="quant-table">
          <thead>
            <tr>
              <th>Quantizer</th><th>Op</th><th>Role</th><th>Layer</th><th className="num">Bits</th><th>Signed</th><th>Narrow</th><th>Rounding</th><th className="num">Scale</th><th className="num">Zero pt</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((q) => {
              const was = edited.get(q.nodeIndex);
              const changed = !!was;
              const sel = selection?.kind === 'node' && selection.index === q.nodeIndex;
              const set = (c: QuantizerChange, what: string) => applyToQuantizers([q], c, `${q.name}: ${what}`);
              return (
                <tr key={q.nodeIndex} className={`${sel ? 'is-selected' : ''}${changed ? ' is-changed' : ''}`} data-testid="quant-row" data-name={q.name} onClick={() => useApp.getState().select({ kind: 'node', index: q.nodeIndex }, true)}>
                  <td className="mono">{was && <span data-testid="quant-edited" title={`Changed since opened: was ${precisionLabel(was)}${was.scale !== undefined ? `, scale ${Number(was.scale.toPrecision(5))}` : ''}${was.name !== q.name ? ` (named ${was.name} then)` : ''}`}>● </span>}{q.name}</td>
                  <td>{q.opType}</td>
                  <td>{q.role}</td>
                  <td className="mono">{q.layer !== undefined ? idx?.nodes[q.layer].name || idx?.nodes[q.layer].opType : '—'}</td>
                  <td className="num" onClick={(e) => e.stopPropagation()}>
                    {q.opType === 'Quant' || q.opType === 'IntQuant' || q.opType === 'Trunc' ? (
                      <BitsInput value={q.bits} testId="bits-cell" errorAt="left" placeholder={model && bitsComputedBy(model, q) ? '—' : undefined} title={model && bitsComputedBy(model, q) ? `Bit width from ${bitsComputedBy(model, q)}` : undefined} check={(b) => (model ? bitsProblem(model, q, b) : undefined)} onApply={(b) => set({ bits: b }, `${b} bits`)} />
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
        {rows.length === 0 && model && <NoQuantizers model={model} />}
      </div>
    </section>
  );
}

/** ONNX's own quantization ops: their bit widths are their tensors' element types, not an attribute to edit. */
const ONNX_QUANT_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear\w+|QGemm|QAttention|ConvInteger|MatMulInteger\w*)$/;

/** Why the table is empty: no QONNX quantizer, and where this model's quantization is if it has any. */
function NoQuantizers({ model }: { model: Model }) {
  const onnxOps = [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? '').filter((t) => ONNX_QUANT_OPS.test(t)))];
  return (
    <p className="muted quant-empty" data-testid="quant-empty">
      No QONNX quantizer (Quant, BipolarQuant, FloatQuant, MultiThreshold) in this model
      {onnxOps.length
        ? `. Its quantization is in ONNX operators (${onnxOps.join(', ')}), whose bit widths are the element types of their tensors: nothing here to edit.`
        : '.'}
    </p>
  );
}
