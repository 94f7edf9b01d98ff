/** Compare two models: the current version with the one opened, or with another file. */
import { useEffect, useState } from 'react';
import { diffModels, type ModelDiff } from '../../core/ir/diff.js';
import { partialSummary, type CostReport } from '../../core/analysis/inferenceCost.js';
import type { Model } from '../../core/ir/types.js';
import { decodeModel } from '../../core/onnx/codec.js';
import { fmtInt } from '../cost/format.js';
import { currentModel, useApp } from '../store.js';
import { cancelTask, isCancelled, newTaskId } from '../tasks.js';
import { modelWorker, unwrap } from '../workerClient.js';
import { DiffView } from './TransformDialog.js';

const KEYS: [string, string][] = [
  ['total_macs', 'MACs'],
  ['total_bops', 'BOPs'],
  ['total_mem_w_bits', 'weight bits'],
  ['total_mem_o_bits', 'output bits'],
];

/** "partial: N of M layers not costed" under a side's name when its totals leave layers out; the layers in the tooltip. */
function PartialNote({ report, testId }: { report: CostReport | null | undefined; testId: string }) {
  const summary = report ? partialSummary(report) : undefined;
  if (!report || !summary) return null;
  const names = report.uncosted.slice(0, 20).map((u) => `${u.node}: ${u.reason}`);
  const more = report.uncosted.length > 20 ? [`… and ${report.uncosted.length - 20} more (the cost panel lists them)`] : [];
  return (
    <span className="cost-chip compare-partial" data-testid={testId} title={['These totals count only the costed layers. Not costed:', ...names, ...more].join('\n')}>
      {summary}
    </span>
  );
}

export function CompareDialog({ onClose }: { onClose: () => void }) {
  const doc = useApp((s) => s.doc);
  const model = useApp((s) => currentModel(s));
  const cost = useApp((s) => s.cost);
  const baseline = useApp((s) => s.baselineCost);
  const discount = useApp((s) => s.discountSparsity);
  const [other, setOther] = useState<{ name: string; model: Model } | null>(null);
  const [otherCost, setOtherCost] = useState<CostReport | null>(null);
  const [diff, setDiff] = useState<ModelDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const a = other?.model ?? doc?.history.versions[0].value;
  const aName = other?.name ?? `${doc?.fileName} as opened`;

  useEffect(() => {
    if (!a || !model) return;
    try {
      setDiff(diffModels(a, model));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [a, model]);

  useEffect(() => {
    setOtherCost(null);
    if (!other) return;
    let live = true;
    const id = newTaskId();
    modelWorker()
      .cost({ model: other.model }, { discountSparsity: discount }, id)
      .then((r) => live && setOtherCost(unwrap(r)))
      .catch((e: Error) => live && !isCancelled(e) && setError(`Cost of ${other.name}: ${e.message}`));
    return () => {
      live = false;
      cancelTask(id); // another file, other options or the dialog closed
    };
  }, [other, discount]);

  const before = other ? otherCost : baseline?.report;
  const after = cost?.report;
  const partialCaveat =
    (before && partialSummary(before)) || (after && partialSummary(after))
      ? 'Partial totals leave out the layers the cost cannot count (op types qonnx-inference-cost lists as unsupported, or layers it could not cost; the note under the column lists them), so a change against them compares the costed layers only.'
      : undefined;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-label="Compare models" data-testid="compare-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <strong>Compare</strong>
          <span className="muted small">{aName} → current version</span>
          <span className="spacer" />
          <label className="toggle" title="Compare with another .onnx file instead of the opened version">
            other file…
            <input
              type="file"
              accept=".onnx"
              data-testid="compare-file"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (!f) return;
                try {
                  setOther({ name: f.name, model: decodeModel(new Uint8Array(await f.arrayBuffer()), { fileName: f.name }) });
                  setError(null);
                } catch (err) {
                  setError((err as Error).message);
                }
              }}
            />
          </label>
          {other && <button onClick={() => setOther(null)}>Back to the opened version</button>}
          <button className="icon" onClick={onClose} title="Close (Esc)">×</button>
        </div>
        <div className="modal-body">
          {error && <p className="error-text">{error}</p>}
          <h3>Cost</h3>
          <table className="cost-table compare-cost" data-testid="compare-cost">
            <thead>
              <tr>
                <th />
                <th className="num">{aName}<PartialNote report={before} testId="compare-partial-before" /></th>
                <th className="num">current<PartialNote report={after} testId="compare-partial-after" /></th>
                <th className="num">change</th>
              </tr>
            </thead>
            <tbody>
              {KEYS.map(([k, label]) => {
                const x = before ? Number(before.total_cost[k]) : undefined;
                const y = after ? Number(after.total_cost[k]) : undefined;
                // a partial side's totals are marked on every row, not only in its header
                const mark = (r: CostReport | null | undefined) => (r && partialSummary(r) ? <sup className="compare-partial-mark" title={partialSummary(r)}>*</sup> : null);
                return (
                  <tr key={k}>
                    <th>{label}</th>
                    <td className="num">{x !== undefined ? fmtInt(x) : '…'}{mark(before)}</td>
                    <td className="num">{y !== undefined ? fmtInt(y) : '…'}{mark(after)}</td>
                    <td className="num" title={partialCaveat}>{x !== undefined && y !== undefined && x ? `${y >= x ? '+' : ''}${((100 * (y - x)) / x).toFixed(1)} %` : '—'}{partialCaveat ? <sup className="compare-partial-mark">*</sup> : null}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {partialCaveat && <p className="muted small" data-testid="compare-partial-caveat">* {partialCaveat}</p>}
          <h3>Graph</h3>
          {diff ? <DiffView diff={diff} limit={200} /> : <p className="muted">Comparing…</p>}
        </div>
      </div>
    </div>
  );
}
