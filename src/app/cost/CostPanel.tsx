/**
 * The cost panel: totals as qonnx-inference-cost reports them, a sortable and filterable table with
 * one row per costed layer, charts, the what-if line, and JSON/CSV export.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { costJson, partialSummary, type CostReport, type NodeCost } from '../../core/analysis/inferenceCost.js';
import { costCsv } from '../../core/analysis/costCsv.js';
import { download } from '../download.js';
import { currentModel, openedSummary, useApp } from '../store.js';
import { modelWorker, unwrap } from '../workerClient.js';
import { CostCharts } from './CostCharts.js';
import { fmtBits, fmtInt, fmtSi, pct } from './format.js';
import { cancelTask, newTaskId } from '../tasks.js';
import { TaskProgressBar } from '../TaskProgressBar.js';
import { cancelCost, modelRef } from './useCost.js';

type SortKey = 'order' | 'name' | 'opType' | 'macs' | 'bops' | 'share' | 'memWBits' | 'memOBits' | 'density' | 'paperBops';

const COLUMNS: { key: SortKey; label: string; title: string; numeric?: boolean }[] = [
  { key: 'order', label: '#', title: 'Position in the graph', numeric: true },
  { key: 'name', label: 'Layer', title: 'Node name after the reference preprocessing (<OpType>_<k>)' },
  { key: 'opType', label: 'Op', title: 'Operator type' },
  { key: 'macs', label: 'MACs', title: 'Multiply-accumulates (times the weight density when sparsity is discounted)', numeric: true },
  { key: 'bops', label: 'BOPs', title: 'Bit operations: MACs × input bits × weight bits (the reference formula, no accumulator terms)', numeric: true },
  { key: 'share', label: 'Share', title: "This layer's share of the total BOPs", numeric: true },
  { key: 'memWBits', label: 'Weight bits', title: 'Weight memory: elements × weight datatype bits (bias not counted)', numeric: true },
  { key: 'memOBits', label: 'Output bits', title: 'Output memory: output elements × output datatype bits', numeric: true },
  { key: 'density', label: 'Sparsity', title: 'Fraction of weights equal to zero', numeric: true },
  { key: 'paperBops', label: 'BOPs + acc.', title: 'BOPs with accumulator terms (paper formula): m·n·((1−f_p)·b_a·b_w + b_a + b_w + log2 n); m = outputs, n = fan-in (MACs per output), f_p = pruned fraction. Not part of the reference output.', numeric: true },
];

export function CostPanel() {
  const cost = useApp((s) => s.cost);
  const costError = useApp((s) => s.costError);
  const costTask = useApp((s) => s.costTask);
  const costCancelled = useApp((s) => s.costCancelled);
  const discount = useApp((s) => s.discountSparsity);
  const selection = useApp((s) => s.selection);
  const doc = useApp((s) => s.doc);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'order', desc: false });
  const [filter, setFilter] = useState('');
  const [tab, setTab] = useState<'table' | 'charts'>('table');
  const [whatIfBits, setWhatIfBits] = useState(4);
  const [whatIf, setWhatIf] = useState<{ key: string; bops: number; memW: number } | null>(null);
  const report = cost?.report;
  const baseline = useApp((s) => s.baselineCost);
  // before -> after, while the current version is an edit of the opened one
  const base = baseline && cost && baseline.key !== cost.key ? baseline.report.total_cost : undefined;
  const was = (k: string) => {
    if (!base || !report) return null;
    const before = Number(base[k]), after = Number(report.total_cost[k]);
    if (before === after) return <span className="muted small"> (unchanged)</span>;
    return (
      <span className={after > before ? 'delta-up' : 'delta-down'} data-testid={`was-${k}`} title="Compared with the model as it was opened">
        {' '}(was {fmtInt(before)}, {signedPct(after, before)})
      </span>
    );
  };
  const totalBops = Number(report?.total_cost.total_bops ?? 0);
  // the what-if line changes Quant nodes only: a model without one (QOperator, FINN thresholds) has no question to ask
  const model = useApp((s) => currentModel(s));
  const opened = useApp((s) => openedSummary(s));
  const hasQuant = useMemo(
    () => (opened ? Object.keys(opened.op_histogram).some((k) => k.endsWith('::Quant')) : (model?.graph?.node ?? []).some((n) => n.opType === 'Quant')),
    [model, opened],
  );

  const rows = useMemo(() => {
    if (!report) return [];
    const q = filter.trim().toLowerCase();
    const list = report.nodes
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !q || c.name.toLowerCase().includes(q) || c.opType.toLowerCase().includes(q) || `${c.inDatatype} ${c.weightDatatype} ${c.outDatatype}`.toLowerCase().includes(q));
    const val = (r: { c: NodeCost; i: number }): number | string => {
      switch (sort.key) {
        case 'order': return r.i;
        case 'share': return r.c.bops;
        case 'name': return r.c.name;
        case 'opType': return r.c.opType;
        case 'density': return 1 - r.c.density;
        default: return r.c[sort.key];
      }
    };
    list.sort((a, b) => {
      const x = val(a), y = val(b);
      const d = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number);
      return sort.desc ? -d : d;
    });
    return list;
  }, [report, filter, sort]);

  // What-if: the same model with every Quant node at `whatIfBits` bits.
  useEffect(() => {
    if (!doc || !cost || !hasQuant) return;
    const key = `${cost.key}:${whatIfBits}`;
    let live = true;
    const id = newTaskId();
    modelWorker()
      .costWhatIf(modelRef(doc), whatIfBits, { discountSparsity: discount }, id)
      .then((r) => {
        const rep = unwrap(r);
        if (live) setWhatIf({ key, bops: Number(rep.total_cost.total_bops), memW: Number(rep.total_cost.total_mem_w_bits) });
      })
      .catch(() => live && setWhatIf(null));
    return () => {
      live = false;
      cancelTask(id);
    };
  }, [doc, cost, whatIfBits, discount, hasQuant]);

  const selectedRow = useRef<HTMLTableRowElement>(null);
  const selectedIndex = selection?.kind === 'node' ? selection.index : undefined;
  // Fix: braces, so the effect returns nothing. Current Chromium's scrollIntoView returns a Promise,
  // which React then called as the effect's cleanup on the next selection change ("destroy is not a
  // function"), unmounting the whole app.
  useEffect(() => {
    selectedRow.current?.scrollIntoView({ block: 'nearest' });
  }, [selectedIndex]);

  const fileBase = (doc?.fileName ?? 'model').replace(/\.onnx$/i, '');
  const t = report?.total_cost;
  const paperTotal = report ? report.nodes.reduce((s, c) => s + c.paperBops, 0) : 0;

  return (
    <section className="cost-panel" data-testid="cost-panel" aria-label="Inference cost">
      <div className="cost-head">
        <strong title="The numbers qonnx-inference-cost reports for this model, computed here">Inference cost</strong>
        <label className="toggle" title="Multiply MACs and weight memory by each weight's density (nonzero / total), as qonnx-inference-cost does by default">
          <input type="checkbox" checked={discount} onChange={(e) => useApp.getState().setDiscountSparsity(e.target.checked)} data-testid="discount-sparsity" />
          discount sparsity
        </label>
        <input className="cost-filter" placeholder="Filter layers, ops, datatypes…" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="cost-filter" />
        <div className="seg">
          <button className={tab === 'table' ? 'is-active' : ''} onClick={() => setTab('table')}>Table</button>
          <button className={tab === 'charts' ? 'is-active' : ''} onClick={() => setTab('charts')} data-testid="cost-charts-tab">Charts</button>
        </div>
        <span className="spacer" />
        <button disabled={!report} data-testid="cost-json" title="The reference's JSON (with the per-op-type and per-node breakdown)" onClick={() => report && download(costJson(report, true) + '\n', `${fileBase}.cost.json`, 'application/json')}>JSON</button>
        <button disabled={!report} data-testid="cost-csv" title="One row per costed layer" onClick={() => report && download(costCsv(report), `${fileBase}.cost.csv`, 'text/csv')}>CSV</button>
        <button className="icon" title="Close (K)" onClick={() => useApp.getState().setCostPanelOpen(false)}>×</button>
      </div>
      {costError && <p className="error-text">Cost could not be computed: {costError}</p>}
      {!report && !costError && !costCancelled && <TaskProgressBar progress={costTask?.progress} what="Computing the cost" onCancel={cancelCost} testId="cost-progress" />}
      {!report && costCancelled && (
        <p className="muted cost-wait" data-testid="cost-cancelled">
          Cost computation cancelled. <button onClick={() => useApp.getState().retryCost()} data-testid="cost-retry">Compute</button>
        </p>
      )}
      {report && t && (
        <>
          <PartialBanner report={report} />
          <div className="cost-totals" data-testid="cost-totals">
            <span title="total_macs"><b data-testid="total-macs">{fmtInt(Number(t.total_macs))}</b> MACs{was('total_macs')}</span>
            <span title="total_bops"><b data-testid="total-bops">{fmtInt(Number(t.total_bops))}</b> BOPs{was('total_bops')}</span>
            <span title="total_mem_w_bits / total_mem_w_elems"><b data-testid="total-mem-w">{fmtInt(Number(t.total_mem_w_bits))}</b> weight bits ({fmtBits(Number(t.total_mem_w_bits))}, {fmtInt(Number(t.total_mem_w_elems))} elements){was('total_mem_w_bits')}</span>
            <span title="total_mem_o_bits / total_mem_o_elems"><b data-testid="total-mem-o">{fmtInt(Number(t.total_mem_o_bits))}</b> output bits ({fmtBits(Number(t.total_mem_o_bits))}){was('total_mem_o_bits')}</span>
            <span className="muted" title="Sum of the paper formula with accumulator terms over costed layers; not part of the reference output">{fmtSi(paperTotal)} BOPs with accumulators</span>
            {cost && <span className="muted small">{cost.ms.toFixed(0)} ms</span>}
          </div>
          {hasQuant && <div className="cost-whatif" data-testid="cost-whatif">
            What if every Quant node had
            <input type="number" min={1} max={32} value={whatIfBits} onChange={(e) => setWhatIfBits(Math.max(1, Math.min(32, Number(e.target.value) || 1)))} data-testid="whatif-bits" /> bits?
            {whatIf && whatIf.key === `${cost?.key}:${whatIfBits}` ? (
              <span>
                {' '}
                <b data-testid="whatif-bops">{fmtInt(whatIf.bops)}</b> BOPs ({signedPct(whatIf.bops, totalBops)}), {fmtInt(whatIf.memW)} weight bits ({signedPct(whatIf.memW, Number(t.total_mem_w_bits))})
              </span>
            ) : (
              <span className="muted"> …</span>
            )}
            <span className="muted small"> BipolarQuant, FloatQuant and MultiThreshold keep their precision.</span>
          </div>}
          {tab === 'charts' ? (
            <CostCharts report={report} />
          ) : (
            <div className="cost-table-wrap">
              <table className="cost-table" data-testid="cost-table">
                <thead>
                  <tr>
                    {COLUMNS.map((c) => (
                      <th
                        key={c.key}
                        title={c.title}
                        className={`${c.numeric ? 'num' : ''}${sort.key === c.key ? ' is-sorted' : ''}`}
                        onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : (c.numeric ?? false) && c.key !== 'order' }))}
                      >
                        {c.label}
                        {sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
                      </th>
                    ))}
                    <th title="Input, weight and output datatypes">Datatypes</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ c, i }) => {
                    const sel = c.originalIndex !== undefined && c.originalIndex === selectedIndex;
                    return (
                      <tr
                        key={c.name}
                        ref={sel ? selectedRow : undefined}
                        className={sel ? 'is-selected' : ''}
                        data-testid="cost-row"
                        data-node={c.name}
                        onClick={() => c.originalIndex !== undefined && useApp.getState().select({ kind: 'node', index: c.originalIndex }, true)}
                      >
                        <td className="num muted">{i + 1}</td>
                        <td className={`mono${c.referenceFails ? ' has-note' : ''}`} title={c.referenceFails ? (c.beyondReference === 'qoperator' ? `${c.referenceFails}, with the bit widths of its element types` : `${c.referenceFails}: costed here from its channels-last shapes`) : undefined}>
                          {c.name}
                          {c.referenceFails && <span className="muted" data-testid="cost-beyond-reference"> (not in qonnx-inference-cost)</span>}
                        </td>
                        <td>{c.opType}</td>
                        <td className="num">{fmtInt(c.macs)}</td>
                        <td className="num">{fmtInt(c.bops)}</td>
                        <td className="num">
                          <span className="share-bar" style={{ width: `${totalBops ? (60 * c.bops) / totalBops : 0}px` }} />
                          {pct(c.bops, totalBops)}
                        </td>
                        <td className="num">{fmtInt(c.memWBits)}</td>
                        <td className="num">{fmtInt(c.memOBits)}</td>
                        <td className="num" title={`density ${c.density}`}>{((1 - c.density) * 100).toFixed(1)} %</td>
                        <td
                          className={`num${c.floatNotes ? ' has-note' : ''}`}
                          title={`m = ${c.paper.m}, n = ${c.paper.n}, f_p = ${c.paper.fp.toFixed(4)}, accumulator log2(n) = ${c.paper.accBits.toFixed(2)}, b_a = ${c.paper.ba}, b_w = ${c.paper.bw}${c.floatNotes ? `\n${floatNoteText(c)}` : ''}`}
                          data-testid="paper-bops"
                        >
                          {fmtSi(c.paperBops)}
                        </td>
                        <td className={`mono small${c.floatNotes ? ' has-note' : ''}`} title={c.floatNotes ? floatNoteText(c) : undefined} data-testid={c.floatNotes ? 'cost-float-note' : undefined}>
                          {c.inDatatype} × {c.weightDatatype} → {c.outDatatype}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {rows.length === 0 && <p className="muted">No costed layer{filter ? ' matches the filter' : ''}.</p>}
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Why an input or weight is FLOAT32 in the reference's keys, and the bits the paper column uses instead. */
function floatNoteText(c: NodeCost): string {
  const parts: string[] = [];
  if (c.floatNotes?.in) parts.push(`Input ${c.inDatatype}: ${c.floatNotes.in.reason}`);
  if (c.floatNotes?.weight) parts.push(`Weight ${c.weightDatatype}: ${c.floatNotes.weight.reason}`);
  parts.push(`BOPs and weight bits keep the reference's FLOAT32; "BOPs + acc." uses ${c.paper.ba} × ${c.paper.bw} bits.`);
  return parts.join('\n');
}

/** Lists shown open up to this many layers; longer lists fold into a details element. */
const OPEN_LIST = 8;

/** "partial: N of M layers not costed" and the layers, each a link to its node. */
function PartialBanner({ report }: { report: CostReport }) {
  const summary = partialSummary(report);
  if (!summary) return null;
  const byOp = new Map<string, number>();
  for (const u of report.uncosted) byOp.set(u.opType, (byOp.get(u.opType) ?? 0) + 1);
  const list = (
    <ul className="cost-partial-list" data-testid="cost-partial-list">
      {report.uncosted.map((u, k) => (
        <li key={`${u.index ?? u.node}:${k}`}>
          {u.index !== undefined ? (
            <button className="linklike mono" onClick={() => useApp.getState().select({ kind: 'node', index: u.index! }, true)} title="Show this node in the graph">
              {u.node}
            </button>
          ) : (
            <span className="mono">{u.node}</span>
          )}
          : {u.reason}
        </li>
      ))}
    </ul>
  );
  return (
    <div className="cost-partial" role="status" data-testid="cost-partial">
      <div title="The totals below count only the costed layers. qonnx-inference-cost has no cost model for these op types (it lists them as unsupported), or the layer could not be costed. Quant, Relu, Add, Mul, MaxPool, Reshape and similar ops are free, not left out.">
        <b data-testid="cost-partial-summary">{summary}</b>: the totals leave them out (
        {[...byOp].map(([op, n]) => `${op}${n > 1 ? ` ×${n}` : ''}`).join(', ')}).
      </div>
      {report.uncosted.length <= OPEN_LIST ? list : (
        <details>
          <summary>List the {report.uncosted.length} layers</summary>
          {list}
        </details>
      )}
    </div>
  );
}

function signedPct(v: number, base: number): string {
  if (!base) return '—';
  const d = (100 * (v - base)) / base;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} %`;
}
