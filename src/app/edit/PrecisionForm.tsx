/**
 * Precision of the selected node: a quantizer's own parameters, or for a compute layer its weight,
 * input and output quantizers. Changes apply at once (one undoable step each) and the cost follows.
 */
import { layerQuantizers, quantizerInfo, QUANTIZER_OPS, type QuantizerChange, type QuantizerInfo } from '../../core/ir/quantEdit.js';
import { ROUNDING_MODES } from '../../core/qonnx/rounding.js';
import { bitsComputedBy, bitsProblem } from '../../core/ir/bulkQuantEdit.js';
import type { Model } from '../../core/ir/types.js';
import { currentModel, useApp } from '../store.js';
import { applyToQuantizers } from './QuantizerTable.js';
import { BitsInput } from './BitsInput.js';

function QuantizerFields({ q, label, model }: { q: QuantizerInfo; label: string; model: Model }) {
  const set = (c: QuantizerChange, what: string) => applyToQuantizers([q], c, `${q.name}: ${what}`);
  const intQuant = q.opType === 'Quant' || q.opType === 'IntQuant' || q.opType === 'Trunc';
  return (
    <tr data-testid="precision-row" data-role={label}>
      <th>
        {label}
        <div className="muted small mono">
          <button className="linklike" onClick={() => useApp.getState().select({ kind: 'node', index: q.nodeIndex }, true)}>{q.name}</button>
        </div>
      </th>
      <td>
        {intQuant ? (
          <label className="field">
            bits
<BitsInput value={q.bits} testId="precision-bits" errorAt="below" placeholder={bitsComputedBy(model, q) ? '—' : undefined} title={bitsComputedBy(model, q) ? `Bit width from ${bitsComputedBy(model, q)}` : undefined} check={(b) => bitsProblem(model, q, b)} onApply={(b) => set({ bits: b }, `${b} bits`)} />
          </label>
        ) : q.opType === 'FloatQuant' ? (
          <span className="field">
            E<input type="number" min={1} max={8} className="cell-input" value={q.exponentBits ?? ''} onChange={(e) => set({ exponentBits: Number(e.target.value) }, `exponent ${e.target.value} bits`)} />
            M<input type="number" min={0} max={23} className="cell-input" value={q.mantissaBits ?? ''} onChange={(e) => set({ mantissaBits: Number(e.target.value) }, `mantissa ${e.target.value} bits`)} />
          </span>
        ) : (
          <span>1 bit (bipolar)</span>
        )}
        {q.signed !== undefined && q.opType !== 'BipolarQuant' && (
          <label className="field"><input type="checkbox" checked={q.signed} onChange={(e) => set({ signed: e.target.checked }, e.target.checked ? 'signed' : 'unsigned')} data-testid="precision-signed" /> signed</label>
        )}
        {q.narrow !== undefined && (
          <label className="field"><input type="checkbox" checked={q.narrow} onChange={(e) => set({ narrow: e.target.checked }, e.target.checked ? 'narrow' : 'not narrow')} /> narrow</label>
        )}
        {q.roundingMode && (
          <select value={q.roundingMode} onChange={(e) => set({ roundingMode: e.target.value }, e.target.value)} className="cell-select" title="Rounding mode">
            {ROUNDING_MODES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        )}
        <div className="muted small">
          scale {q.scale !== undefined ? (
            <input
              type="number"
              className="cell-input wide"
              defaultValue={q.scale}
              key={`${q.nodeIndex}:${q.scale}`}
              title="A single scale for the whole tensor; press Enter to apply"
              onKeyDown={(e) => {
                if (e.key !== 'Enter') return;
                const v = Number((e.target as HTMLInputElement).value);
                if (Number.isFinite(v) && v > 0) set({ scale: v }, `scale ${v}`);
              }}
            />
          ) : q.scaleCount ? `per-channel (${q.scaleCount} values)` : 'computed'}
          {q.zeroPoint !== undefined && <> · zero point {q.zeroPoint}</>}
        </div>
      </td>
    </tr>
  );
}

export function PrecisionForm({ index }: { index: number }) {
  const model = useApp((s) => currentModel(s))!;
  const n = model.graph?.node?.[index];
  if (!n) return null;
  let rows: [string, number][] = [];
  if (QUANTIZER_OPS.has(n.opType ?? '')) rows = [['this quantizer', index]];
  else {
    const l = layerQuantizers(model, index);
    if (l.weight !== undefined) rows.push(['weights', l.weight]);
    if (l.input !== undefined) rows.push(['input', l.input]);
    if (l.output !== undefined) rows.push(['output', l.output]);
  }
  if (!rows.length) return null;
  return (
    <section data-testid="precision-form">
      <h3>Precision</h3>
      <table className="kv precision"><tbody>
        {rows.map(([label, i]) => <QuantizerFields key={label + i} q={quantizerInfo(model, i)} label={label} model={model} />)}
      </tbody></table>
    </section>
  );
}
