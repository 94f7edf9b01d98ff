/**
 * The precision explorer panel: calibration inputs and search settings, the per-quantizer sensitivity
 * heatmap, and the cost/error plot with the Pareto front. The sweep runs in workers
 * (exploreSession.ts); results appear as they are measured; a configuration applies as one undoable edit.
 */
import { useMemo, useRef, useState } from 'react';
import { planExplore, type ConfigPoint, type ExplorePlan } from '../../core/explore/explore.js';
import type { QuantizerRole } from '../../core/ir/quantizerRoles.js';
import type { Model } from '../../core/ir/types.js';
import { isFinnHardwareDomain } from '../../core/qonnx/registry.js';
import { fmtInt } from '../cost/format.js';
import { keyLabel } from '../commands.js';
import { SCALING_LABEL, type ImageScaling } from '../run/imageInput.js';
import { currentModel, currentVersionId, useApp } from '../store.js';
import { TaskProgressBar } from '../TaskProgressBar.js';
import { fmtBops, fmtDb, fmtMemBits, fmtPct, frontBy, type XKey, type YKey } from './exploreFormat.js';
import { applyConfiguration, cancelExplore, currentWidths, imageInputOf, parseWidths, startExplore } from './exploreSession.js';
import { appliesTo, useExplore, type ExploreRun, type ExploreSettings, type MapRow, type SourceKind } from './exploreStore.js';
import { FrontPlot } from './FrontPlot.js';
import { SensitivityMap } from './SensitivityMap.js';

const KINDS: { kind: QuantizerRole; label: string; title: string }[] = [
  { kind: 'weight', label: 'weights', title: 'Weight quantizers of Conv, MatMul, Gemm layers' },
  { kind: 'activation', label: 'activations', title: 'Quantizers of layer inputs and outputs' },
  { kind: 'bias', label: 'biases', title: 'Bias quantizers (off by default: biases are wide in hardware anyway)' },
];

/** The map's rows for these settings: every quantizer of the chosen kinds that could take part. */
function previewRows(model: Model, s: ExploreSettings, bits: number[]): { rows: MapRow[]; plan: ExplorePlan } {
  const all = planExplore(model, { bits, kinds: s.kinds });
  const plan = planExplore(model, { bits, kinds: s.kinds, fixed: s.fixed, fixFirstLast: s.fixFirstLast });
  const rule = s.fixFirstLast ? planExplore(model, { bits, kinds: s.kinds, fixFirstLast: true }) : all;
  const byRule = new Set(all.quantizers.filter((q) => !rule.quantizers.some((r) => r.name === q.name)).map((q) => q.name));
  const fixed = new Set(s.fixed);
  const rows = all.quantizers.map((q): MapRow => ({
    name: q.name,
    node: q.node,
    kind: q.kind,
    current: q.current,
    candidates: q.candidates,
    fixedBy: byRule.has(q.name) ? 'first/last' : fixed.has(q.name) ? 'you' : undefined,
  }));
  return { rows, plan };
}

export function ExplorePanel() {
  const model = useApp((s) => currentModel(s));
  const doc = useApp((s) => s.doc);
  const versionId = useApp((s) => currentVersionId(s));
  const settings = useExplore((s) => s.settings);
  const storedRun = useExplore((s) => s.run);
  const xKey = useExplore((s) => s.xKey);
  const yKey = useExplore((s) => s.yKey);
  const [applied, setApplied] = useState<{ text: string; error?: boolean } | null>(null);
  const run = storedRun && storedRun.docId === doc?.docId ? storedRun : null;
  const busy = run?.status === 'preparing' || run?.status === 'running';
  const set = useExplore.getState().setSettings;

  let bits: number[] = [];
  let bitsError: string | undefined;
  try {
    bits = parseWidths(settings.bits);
  } catch (e) {
    bitsError = (e as Error).message;
  }
  const preview = useMemo(() => (model && !bitsError ? previewRows(model, settings, bits) : undefined), [model, settings, bitsError, bits.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const hardwareOps = useMemo(() => [...new Set((model?.graph?.node ?? []).filter((n) => isFinnHardwareDomain(n.domain)).map((n) => n.opType ?? '?'))], [model]);
  const imageInput = useMemo(() => (model ? imageInputOf(model) : undefined), [model]);
  const canApply = !!run?.plan && appliesTo(run, doc?.docId, versionId);
  const now = useMemo(() => (run?.plan && model ? currentWidths(run) : undefined), [run, model]);
  const nowByName = useMemo(() => {
    if (!now || !run?.plan) return undefined;
    const m = new Map<string, number>();
    run.plan.quantizers.forEach((q, k) => now[k] !== undefined && now[k] !== q.current && m.set(q.name, now[k]!));
    return m;
  }, [now, run]);

  const rows = run?.rows.length ? run.rows : preview?.rows ?? [];
  const takingPart = preview?.plan.quantizers.length ?? 0;
  const runsEstimate = preview ? 2 + preview.plan.quantizers.reduce((a, q) => a + q.candidates.length - 1, 0) + Math.min(settings.maxPoints, 2 * takingPart + 2) : 0;
  const inputsError = settings.source === 'arrays' && !settings.arraysFile ? 'Choose a .npz or .npy file' : settings.source === 'images' && !settings.images.length ? 'Choose images' : undefined;
  const cannotStart = busy || !model || !!bitsError || !takingPart || hardwareOps.length > 0 || !!inputsError || !settings.kinds.length;

  const apply = (p: ConfigPoint) => {
    const r = applyConfiguration(p.widths);
    if ('error' in r) setApplied({ text: r.error, error: true });
    else setApplied({ text: r.changed ? `Applied ${r.changed} width${r.changed === 1 ? '' : 's'} (one edit: undo with ${keyLabel('Mod+Z')})` : 'The model already has these widths' });
  };
  const applyCell = (row: MapRow, width: number) => {
    const e = run?.sensitivity.find((x) => x.quantizer === row.name && x.width === width);
    if (e) apply(e);
  };
  const toggleFixed = (name: string, fixed: boolean) => set({ fixed: fixed ? [...settings.fixed, name] : settings.fixed.filter((n) => n !== name) });

  const classifier = !!run?.baseline && run.baseline.agreement !== undefined;
  const hasAccuracy = !!run?.baseline && run.baseline.accuracy !== undefined;
  const yShown: YKey = (yKey === 'agreement' && !classifier) || (yKey === 'accuracy' && !hasAccuracy) ? 'sqnr' : yKey;
  const front = useMemo(() => (run?.baseline ? frontBy([...run.points, run.baseline], xKey, yShown) : []), [run, xKey, yShown]);

  return (
    <section className="cost-panel explore-panel" data-testid="explore-panel" aria-label="Precision explorer">
      <div className="cost-head">
        <strong title="Which bit width for which quantizer: per-quantizer sensitivity and a cost/error Pareto front, measured by running the model in your browser">Explore</strong>
        <span
          className="muted small"
          data-testid="explore-summary"
          title={run?.poolSize ? `${run.poolSize} runner worker${run.poolSize === 1 ? '' : 's'} (one per core, at most 4, within ~1 GB), each with its own compiled copy of the model and up to ${run.maxBatch} sample${run.maxBatch === 1 ? '' : 's'} stacked per run; about ${Math.round((run.runnerBytes ?? 0) / 2 ** 20)} MB each (estimate)` : 'Quantizers taking part and the configuration runs the sweep will make'}
        >
          {run?.plan
            ? `${run.plan.quantizers.length} quantizers · ${run.samples} samples · ${run.poolSize} runner${run.poolSize === 1 ? '' : 's'}`
            : preview
              ? `${takingPart} quantizer${takingPart === 1 ? '' : 's'} take part · about ${runsEstimate} runs`
              : ''}
        </span>
        <button className="primary-small" disabled={cannotStart} onClick={() => preview && void startExplore(preview.rows)} data-testid="explore-start" title={inputsError ?? bitsError ?? 'Run the sensitivity pass and the front search on the current model'}>
          ▶ {run && !busy ? 'Start again' : 'Start'}
        </button>
        {busy && <TaskProgressBar what="Exploring" progress={run?.progress} onCancel={cancelExplore} testId="explore-progress" />}
        {run && !busy && <StatusLine run={run} />}
        <span className="spacer" />
        <button className="icon" title="Close (E)" data-testid="explore-close" onClick={() => useApp.getState().setExplorePanelOpen(false)}>×</button>
      </div>
      <div className="explore-body">
        <Setup settings={settings} busy={busy} bitsError={bitsError} imageInput={imageInput} skipped={preview?.plan.skipped ?? []} />
        <div className="explore-map-col">
          <h4>
            Sensitivity{' '}
            <span className="muted small" title="Each cell: the output SQNR (dB) with only that quantizer at that width. Hover a cell for its BOPs, weight memory and agreement; click it to apply that width alone">SQNR (dB), one quantizer changed</span>
          </h4>
          {hardwareOps.length > 0 ? (
            <p className="error-text" data-testid="explore-cannot-run">
              This model holds FINN hardware ops ({hardwareOps.join(', ')}): they only run as generated hardware, so the explorer cannot run it. Explore the QONNX model before FINN's hardware conversion.
            </p>
          ) : preview && !takingPart && !run?.plan?.quantizers.length ? (
            <div className="explore-none" data-testid="explore-none">
              <p className="warn-text">No quantizer can take part with these settings{preview.plan.skipped.length ? ':' : ' (the model has no quantizers).'}</p>
              <ul className="small">
                {preview.plan.skipped.slice(0, 60).map((s) => <li key={s.name}><span className="mono">{s.name}</span> ({s.kind}): {s.reason}</li>)}
                {preview.plan.skipped.length > 60 && <li className="muted">… and {preview.plan.skipped.length - 60} more</li>}
              </ul>
            </div>
          ) : (
            <SensitivityMap
              rows={rows}
              entries={run?.sensitivity ?? []}
              baseline={run?.baseline}
              nowWidths={nowByName}
              samples={run?.samples}
              userFixed={new Set(settings.fixed)}
              busy={busy}
              onToggleFixed={toggleFixed}
              onSelect={(node) => useApp.getState().select({ kind: 'node', index: node }, true)}
              onApply={applyCell}
            />
          )}
        </div>
        <div className="explore-plot-col">
          <div className="explore-plot-head">
            <h4>Configurations</h4>
            <span className="seg" title="Cost axis">
              {(['bops', 'mem'] as XKey[]).map((k) => (
                <button key={k} className={xKey === k ? 'is-active' : ''} onClick={() => useExplore.getState().setAxes({ xKey: k })} data-testid={`explore-x-${k}`}>{k === 'bops' ? 'BOPs' : 'weight memory'}</button>
              ))}
            </span>
            <span className="seg" title="Error axis: SQNR of the outputs against the reference; top-1 agreement with the reference's class (classifiers); accuracy on the labels">
              {(['sqnr', 'agreement', 'accuracy'] as YKey[]).map((k) => (
                <button key={k} className={yShown === k ? 'is-active' : ''} disabled={(k === 'agreement' && !classifier) || (k === 'accuracy' && !hasAccuracy)} onClick={() => useExplore.getState().setAxes({ yKey: k })} data-testid={`explore-y-${k}`}>{k === 'sqnr' ? 'SQNR' : k}</button>
              ))}
            </span>
          </div>
          {run?.baseline && <Baseline run={run} front={front.length} />}
          {run?.plan ? (
            <FrontPlot
              plan={run.plan}
              baseline={run.baseline}
              sensitivity={run.sensitivity}
              points={run.points}
              xKey={xKey}
              yKey={yShown}
              nowWidths={now}
              samples={run.samples}
              canApply={canApply}
              onApply={apply}
            />
          ) : (
            <div className="xplot xplot-empty muted">
              Press Start. Each quantizer is tried alone at every candidate width (the sensitivity table), then whole-model configurations chosen greedily from that table are run to find the front: the fewest BOPs for the most SQNR. It is a heuristic, not an exhaustive search.
            </div>
          )}
          <div className="explore-legend small">
            <span title="Sensitivity runs: one quantizer at another width, the others as they are"><i className="lg lg-sens" /> one changed</span>
            <span title="Whole-model configurations from the greedy search, each run on every sample"><i className="lg lg-config" /> verified</span>
            <span title="No other configuration has fewer BOPs (or bits) and a higher SQNR (or agreement)"><i className="lg lg-front" /> Pareto front</span>
            <span title="The model as swept"><i className="lg lg-base" /> current</span>
          </div>
          {applied && (
            <p className={`small ${applied.error ? 'error-text' : 'muted'}`} data-testid="explore-applied" role="status">{applied.text}</p>
          )}
          {run && !canApply && run.plan && !busy && run.status === 'done' && (
            <p className="small warn-text" data-testid="explore-stale">The model changed since this sweep; its configurations apply to the version swept (undo back to it) or run the sweep again.</p>
          )}
        </div>
      </div>
    </section>
  );
}

function Baseline({ run, front }: { run: ExploreRun; front: number }) {
  const b = run.baseline!;
  return (
    <div className="explore-baseline small" data-testid="explore-baseline" title={`The model as swept, run on the ${run.samples} calibration samples against ${run.reference === 'float' ? 'its float twin (every quantizer bypassed)' : 'itself'}`}>
      <span className="muted">current:</span> <span data-testid="explore-baseline-bops" title="BOPs (exact, as the cost panel)">{fmtInt(b.bops)}</span> BOPs ·{' '}
      <span title="weight memory">{fmtMemBits(b.memWBits)}</span> ·{' '}
      <span data-testid="explore-baseline-sqnr" title="Output SQNR: 10·log10(Σ reference² / Σ (output − reference)²) over every output value of every sample">{fmtDb(b.sqnrDb)}</span>
      {b.agreement !== undefined && <> · <span title="Samples whose top-1 class equals the reference's">agreement {fmtPct(b.agreement)}</span></>}
      {b.accuracy !== undefined && <> · <span title="Samples whose top-1 class equals the label">accuracy {fmtPct(b.accuracy)}</span></>}
      {run.status === 'done' && (
        <span className="muted" title="Verified: whole-model configurations from the greedy search, each run on every sample. On the front: those no other beats on both axes shown">
          {' '}· {run.points.length} verified ({fmtBops(Math.min(...run.points.map((p) => p.bops), b.bops))} to {fmtBops(Math.max(...run.points.map((p) => p.bops), b.bops))} BOPs), {front} on the front
        </span>
      )}
    </div>
  );
}

function StatusLine({ run }: { run: ExploreRun }) {
  if (run.status === 'error') return <span className="error-text small" data-testid="explore-error">{run.message}</span>;
  if (run.status === 'cancelled') return <span className="warn-text small" data-testid="explore-cancelled">{run.message}</span>;
  const t = run.timings;
  const sens = Math.max(0, (run.runs ?? 0) - 2 - run.points.length);
  return (
    <span className="muted small" data-testid="explore-done" title={t ? `Runners starting (decode, compile, reference outputs): ${fmtSec(t.startMs)}\nBaseline and sensitivity pass: ${sens} + 2 runs in ${fmtSec(t.sensitivityMs)}\nFront: ${run.points.length} configurations in ${fmtSec(t.frontMs)}\nOn ${run.poolSize} runner worker${run.poolSize === 1 ? '' : 's'} (one onnxruntime thread each)` : ''}>
      {run.runs} runs in {fmtSec(run.wallMs ?? 0)}
      {t ? `: start ${fmtSec(t.startMs)}, sensitivity ${sens} in ${fmtSec(t.sensitivityMs)}, front ${run.points.length} in ${fmtSec(t.frontMs)}` : ''}
    </span>
  );
}

function fmtSec(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function Setup({ settings: s, busy, bitsError, imageInput, skipped }: { settings: ExploreSettings; busy: boolean; bitsError?: string; imageInput?: { name: string; shape: number[] }; skipped: ExplorePlan['skipped'] }) {
  const set = useExplore.getState().setSettings;
  const notTaking = skipped.filter((k) => k.reason !== 'kept at its width' && s.kinds.includes(k.kind));
  return (
    <fieldset className="explore-setup" disabled={busy}>
      <h4>Calibration inputs</h4>
      <select value={s.source} onChange={(e) => set({ source: e.target.value as SourceKind })} data-testid="explore-source">
        <option value="random" title="Seeded random values within each input's datatype range (as Run and sweep --random)">random inputs (seeded)</option>
        <option value="arrays" title="A .npz with one array per graph input, or a .npy for a one-input model; the first axis is the sample">.npz / .npy batch</option>
        <option value="images" disabled={!imageInput}>images{imageInput ? '' : ' (needs one image-shaped input)'}</option>
      </select>
      {s.source === 'random' && (
        <div className="explore-row">
          <label title="How many random samples">samples <input type="number" min={1} max={4096} className="num-input" value={s.n} onChange={(e) => set({ n: Math.max(1, Math.min(4096, Math.round(Number(e.target.value)) || 1)) })} data-testid="explore-n" /></label>
          <label title="Sample k uses seed + k (as sweep --random N --seed S)">seed <input type="number" className="num-input" value={s.seed} onChange={(e) => set({ seed: Math.round(Number(e.target.value)) || 0 })} data-testid="explore-seed" /></label>
        </div>
      )}
      {s.source === 'arrays' && (
        <FilePick accept=".npz,.npy" files={s.arraysFile ? [s.arraysFile] : []} onFiles={(f) => set({ arraysFile: f[0] ?? null })} testId="explore-arrays-file" title="A .npz with one array per graph input (named after it), or a .npy for a one-input model; samples along the first axis" />
      )}
      {s.source === 'images' && (
        <>
          <FilePick accept="image/*" multiple files={s.images} onFiles={(f) => set({ images: f })} testId="explore-images" title="One sample per image, resized to the input's height and width" />
          <select value={s.scaling} onChange={(e) => set({ scaling: e.target.value as ImageScaling })}>
            {(Object.keys(SCALING_LABEL) as ImageScaling[]).map((k) => <option key={k} value={k}>{SCALING_LABEL[k]}</option>)}
          </select>
        </>
      )}
      <div className="explore-row" title="Optional: a .npy of class indices, one per sample; adds accuracy">
        <span>labels</span>
        <FilePick accept=".npy" files={s.labelsFile ? [s.labelsFile] : []} onFiles={(f) => set({ labelsFile: f[0] ?? null })} testId="explore-labels" title="Optional: a .npy of class indices, one per sample; adds accuracy" optional />
      </div>
      <label className="explore-row" title="What the error is measured against">
        reference
        <select value={s.reference} onChange={(e) => set({ reference: e.target.value as 'float' | 'model' })} data-testid="explore-reference">
          <option value="float" title="The model with every quantizer bypassed">float twin</option>
          <option value="model" title="The model as it is now: SQNR is ∞ at the current widths">the model itself</option>
        </select>
      </label>
      <h4>Search</h4>
      <label className="explore-row" title="Candidate bit widths; each quantizer also keeps its current width">
        widths <input className={`explore-bits${bitsError ? ' is-invalid' : ''}`} value={s.bits} onChange={(e) => set({ bits: e.target.value })} data-testid="explore-bits" />
      </label>
      {bitsError && <p className="error-text small">{bitsError}</p>}
      <div className="explore-row">
        {KINDS.map((k) => (
          <label key={k.kind} title={k.title}>
            <input type="checkbox" checked={s.kinds.includes(k.kind)} onChange={(e) => set({ kinds: e.target.checked ? [...s.kinds, k.kind] : s.kinds.filter((x) => x !== k.kind) })} data-testid={`explore-kind-${k.kind}`} /> {k.label}
          </label>
        ))}
      </div>
      <label className="explore-check" title="The quantizers of the first and the last compute layer (weights and input) and the output quantizer keep their widths: first and last layers are usually kept wide">
        <input type="checkbox" checked={s.fixFirstLast} onChange={(e) => set({ fixFirstLast: e.target.checked })} data-testid="explore-fix-first-last" />
        <span>keep the first and last layer at their widths</span>
      </label>
      <label className="explore-row" title="At most this many whole-model configurations are run to find the front">
        front runs ≤ <input type="number" min={1} max={200} className="num-input" value={s.maxPoints} onChange={(e) => set({ maxPoints: Math.max(1, Math.min(200, Math.round(Number(e.target.value)) || 1)) })} data-testid="explore-max-points" />
      </label>
      {notTaking.length > 0 && (
        <details className="small">
          <summary className="muted">{notTaking.length} quantizer{notTaking.length === 1 ? '' : 's'} of these kinds cannot take part</summary>
          <ul>{notTaking.map((k) => <li key={k.name}><span className="mono">{k.name}</span>: {k.reason}</li>)}</ul>
        </details>
      )}
    </fieldset>
  );
}

/** A file button with the chosen names beside it (the native input's text does not fit the column). */
function FilePick({ accept, multiple, files, onFiles, testId, title, optional }: { accept: string; multiple?: boolean; files: File[]; onFiles(f: File[]): void; testId: string; title: string; optional?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const names = files.length > 2 ? `${files.length} files` : files.map((f) => f.name).join(', ');
  return (
    <span className="file-pick" title={title}>
      <button type="button" className="small-button" onClick={() => input.current?.click()}>{multiple ? 'Choose files…' : 'Choose…'}</button>
      <span className={`file-pick-name small${files.length ? ' mono' : ' muted'}`} title={files.map((f) => f.name).join('\n')}>{names || (optional ? 'none' : 'no file')}</span>
      {files.length > 0 && optional && <button type="button" className="icon small" title="Remove" onClick={() => onFiles([])}>×</button>}
      <input ref={input} type="file" accept={accept} multiple={multiple} hidden data-testid={testId} onChange={(e) => { onFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
    </span>
  );
}
