/**
 * Run the model in the browser: inputs (seeded random, constant, .npy, image), progress and cancel,
 * outputs (top-k, image preview), and the quantized-vs-float error of every tensor.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { analyzeModel } from '../../core/analysis/modelAnalysis.js';
import { bypassQuantizers } from '../../core/exec/engine.js';
import { constantInput, npyInput, randomInput } from '../../core/exec/inputs.js';
import type { RuntimeTensor } from '../../core/exec/runtimeTensor.js';
import { readNpy } from '../../core/io/npyRead.js';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { elementTypeName } from '../../core/onnx/elementTypes.js';
import { modelRef } from '../cost/useCost.js';
import { currentModel, currentVersionId, useApp } from '../store.js';
import { Comlink, modelWorker, unwrap } from '../workerClient.js';
import { imageLayout, imageToTensor, SCALING_LABEL, tensorToImageData, type ImageScaling } from './imageInput.js';

type Source = { kind: 'random' } | { kind: 'constant'; value: number } | { kind: 'npy'; file?: File } | { kind: 'image'; file?: File; scaling: ImageScaling };

interface InputSpec {
  name: string;
  dims: (number | string | null)[];
  elemType: number;
  datatype?: string;
}

let runSeq = 1;
/** The worker run in progress: the quantized run, then the float twin (which has its own id). */
let activeWorkerRun = 0;

export function RunPanel() {
  const model = useApp((s) => currentModel(s));
  const versionId = useApp((s) => currentVersionId(s));
  const run = useApp((s) => s.run);
  const [seed, setSeed] = useState(1);
  const [compare, setCompare] = useState(true);
  const [sources, setSources] = useState<Record<string, Source>>({});
  const [dimValues, setDimValues] = useState<Record<string, number>>({});

  const specs = useMemo<InputSpec[]>(() => {
    if (!model) return [];
    const idx = indexGraph(model.graph ?? {});
    const a = analyzeModel(model);
    return (model.graph?.input ?? [])
      .filter((i) => i.name && !idx.initializer.has(i.name))
      .map((i) => ({
        name: i.name!,
        dims: a.shapes.tensors.get(i.name!)?.shape ?? [],
        elemType: i.type?.tensorType?.elemType ?? 1,
        datatype: a.datatypeOf(i.name!)?.name,
      }));
  }, [model]);

  // The float twin bypasses Quant, BipolarQuant, Trunc and FloatQuant: without any, it is the model itself.
  const hasTwin = useMemo(() => !!model && bypassQuantizers(model) !== model, [model]);
  const twin = compare && hasTwin;

  const shapeOf = (s: InputSpec) => s.dims.map((d, k) => (typeof d === 'number' ? d : dimValues[`${s.name}:${k}`] ?? 1));
  const stale = run && run.versionId !== versionId;

  async function start() {
    const st = useApp.getState();
    if (!st.doc || !model) return;
    const runId = runSeq++;
    activeWorkerRun = runId;
    const ref = modelRef(st.doc);
    const a = analyzeModel(model);
    const setRun = (p: Partial<NonNullable<typeof run>>) => {
      const cur = useApp.getState().run;
      if (cur && cur.runId !== runId) return;
      useApp.getState().setRun({ versionId, runId, status: 'running', ...cur, ...p } as NonNullable<typeof run>);
    };
    useApp.getState().setRun({ versionId, runId, status: 'running', progress: { done: 0, total: 1, stage: 'Preparing inputs' } });
    try {
      const inputs: [string, RuntimeTensor][] = [];
      for (const s of specs) {
        const src = sources[s.name] ?? { kind: 'random' };
        const shape = shapeOf(s);
        let t: RuntimeTensor;
        if (src.kind === 'constant') t = constantInput(shape, s.elemType, src.value);
        else if (src.kind === 'npy') {
          if (!src.file) throw new Error(`Choose a .npy file for input '${s.name}'`);
          t = npyInput(readNpy(new Uint8Array(await src.file.arrayBuffer())), shape, s.elemType, s.name);
        } else if (src.kind === 'image') {
          if (!src.file) throw new Error(`Choose an image for input '${s.name}'`);
          t = await imageToTensor(src.file, shape, src.scaling);
        } else t = randomInput(shape, s.elemType, a.datatypeOf(s.name), seed);
        inputs.push([s.name, t]);
      }
      const progress = (stage: string) => Comlink.proxy((done: number, total: number) => setRun({ progress: { done, total, stage } }));
      setRun({ progress: { done: 0, total: 1, stage: 'Compiling and running' } });
      const files: [string, Blob][] = [...st.doc.externalFiles];
      const quant = unwrap(await modelWorker().run(ref, runId, inputs, false, progress('Running the quantized model'), files));
      setRun({ quant, status: twin ? 'running' : 'done', progress: twin ? { done: 0, total: 1, stage: 'Running the float twin' } : undefined });
      if (twin) {
        const floatId = runSeq++;
        // Cancel must reach this run too: cancelling run.runId (the quantized run's id) did nothing here.
        activeWorkerRun = floatId;
        const float = unwrap(await modelWorker().run(ref, floatId, inputs, true, progress('Running the float twin (quantizers bypassed)'), files));
        const errors = unwrap(await modelWorker().compareRuns(floatId, runId));
        errors.sort((x, y) => x.sqnrDb - y.sqnrDb);
        setRun({ float, errors, status: 'done', progress: undefined });
      }
    } catch (e) {
      const err = e as Error;
      setRun({ status: err.name === 'AbortError' || /Cancelled/.test(err.message) ? 'cancelled' : 'error', message: err.message, progress: undefined });
    }
  }

  return (
    <section className="cost-panel run-panel" data-testid="run-panel" aria-label="Run the model">
      <div className="cost-head">
        <strong>Run</strong>
        <label className="toggle" title="Seed of the random inputs">
          seed <input type="number" value={seed} onChange={(e) => setSeed(Number(e.target.value) || 0)} className="num-input" data-testid="run-seed" />
        </label>
        <label className="toggle" title="Also run the float twin (every Quant, BipolarQuant, Trunc and FloatQuant bypassed) and compare every tensor">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} data-testid="run-compare" /> compare with float
        </label>
        <button className="primary-small" onClick={start} disabled={run?.status === 'running'} data-testid="run-button" title="Run (R)">
          ▶ Run
        </button>
        {run?.status === 'running' && (
          <>
            <span className="muted" data-testid="run-progress">{run.progress?.stage} {run.progress && run.progress.total > 1 ? `${run.progress.done}/${run.progress.total}` : ''}…</span>
            <button onClick={() => modelWorker().cancelRun(activeWorkerRun)} data-testid="run-cancel">Cancel</button>
          </>
        )}
        <span className="spacer" />
        <button className="icon" title="Close (R)" onClick={() => useApp.getState().setRunPanelOpen(false)}>×</button>
      </div>
      <div className="run-body">
        <div className="run-inputs">
          <h4>Inputs</h4>
          {specs.map((s) => (
            <InputRow
              key={s.name}
              spec={s}
              source={sources[s.name] ?? { kind: 'random' }}
              onSource={(src) => setSources((x) => ({ ...x, [s.name]: src }))}
              dimValues={dimValues}
              onDim={(k, v) => setDimValues((x) => ({ ...x, [`${s.name}:${k}`]: v }))}
            />
          ))}
        </div>
        <div className="run-results" data-testid="run-results">
          {!run && <p className="muted">Choose inputs and press Run. Everything runs in your browser (onnxruntime-web for standard ops and for quantizers it can compute exactly, the QONNX kernels for the rest).</p>}
          {run?.status === 'error' && <p className="error-text" data-testid="run-error">{run.message}</p>}
          {run?.status === 'cancelled' && <p className="muted">Cancelled.</p>}
          {stale && <p className="warn-text">These results belong to an earlier version of the model; run again.</p>}
          {run?.quant && (
            <>
              <p className="muted small" data-testid="run-timing">
                <span title="Quantizers with constant parameters and ROUND/FLOOR/CEIL rounding, BipolarQuant and MultiThreshold run as standard ops (Div, Clip, Round, Mul; GreaterOrEqual, ReduceSum) that compute the same float32 values inside onnxruntime; the other QONNX ops run as separate kernel steps between onnxruntime sessions.">
                  Quantized run {run.quant.ms.toFixed(1)} ms ({run.quant.sessions} onnxruntime session{run.quant.sessions === 1 ? '' : 's'}
                  {run.quant.lowered ? `, ${run.quant.lowered} QONNX op${run.quant.lowered === 1 ? '' : 's'} as standard ops` : ''}, {run.quant.kernelSteps} QONNX kernel step{run.quant.kernelSteps === 1 ? '' : 's'})
                </span>
                {run.float ? ` · float twin ${run.float.ms.toFixed(1)} ms` : ''}. Click any edge or tensor to see its values.
              </p>
              {run.quant.outputs.map(([name, t]) => (
                <OutputView key={name} name={name} t={t} />
              ))}
            </>
          )}
          {compare && !hasTwin && (
            <p className="muted" data-testid="run-no-twin">
              Nothing to compare with float: the float twin bypasses Quant, BipolarQuant, Trunc and FloatQuant, and this model has none
              {model?.graph?.node?.some((n) => n.opType === 'MultiThreshold') ? ' (its MultiThreshold nodes stay, as thresholds have no float form)' : ''}, so the twin would be the
              model itself. The run computes the model once.
            </p>
          )}
          {run?.errors && <ErrorTable errors={run.errors} />}
        </div>
      </div>
    </section>
  );
}

function InputRow({ spec, source, onSource, dimValues, onDim }: { spec: InputSpec; source: Source; onSource: (s: Source) => void; dimValues: Record<string, number>; onDim: (k: number, v: number) => void }) {
  const shape = spec.dims.map((d, k) => (typeof d === 'number' ? d : dimValues[`${spec.name}:${k}`] ?? 1));
  const isImage = !!imageLayout(shape);
  return (
    <div className="run-input" data-testid="run-input">
      <div>
        <span className="mono">{spec.name}</span>{' '}
        <span className="mono small">
          [
          {spec.dims.map((d, k) => (
            <span key={k}>
              {k > 0 && ', '}
              {typeof d === 'number' ? d : (
                <input
                  className="dim-input"
                  type="number"
                  min={1}
                  title={`Dynamic dimension${d ? ` '${d}'` : ''}: choose its value`}
                  value={dimValues[`${spec.name}:${k}`] ?? 1}
                  onChange={(e) => onDim(k, Math.max(1, Number(e.target.value) || 1))}
                />
              )}
            </span>
          ))}
          ]
        </span>{' '}
        <span className="muted small">{spec.datatype ?? elementTypeName(spec.elemType)}</span>
      </div>
      <div className="run-source">
        <select
          value={source.kind}
          data-testid="input-source"
          onChange={(e) => {
            const k = e.target.value as Source['kind'];
            onSource(k === 'constant' ? { kind: k, value: 0 } : k === 'image' ? { kind: k, scaling: 'unit' } : { kind: k } as Source);
          }}
        >
          <option value="random">random (seeded, within the datatype's range)</option>
          <option value="constant">constant</option>
          <option value="npy">.npy file</option>
          <option value="image" disabled={!isImage}>image{isImage ? '' : ' (input is not image-shaped)'}</option>
        </select>
        {source.kind === 'constant' && <input type="number" className="num-input" value={source.value} onChange={(e) => onSource({ kind: 'constant', value: Number(e.target.value) })} />}
        {(source.kind === 'npy' || source.kind === 'image') && (
          <input type="file" accept={source.kind === 'npy' ? '.npy' : 'image/*'} data-testid="input-file" onChange={(e) => onSource({ ...source, file: e.target.files?.[0] } as Source)} />
        )}
        {source.kind === 'image' && (
          <select value={source.scaling} onChange={(e) => onSource({ ...source, scaling: e.target.value as ImageScaling })} data-testid="image-scaling">
            {(Object.keys(SCALING_LABEL) as ImageScaling[]).map((k) => (
              <option key={k} value={k}>{SCALING_LABEL[k]}</option>
            ))}
          </select>
        )}
      </div>
    </div>
  );
}

function OutputView({ name, t }: { name: string; t: RuntimeTensor }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const img = useMemo(() => tensorToImageData(t), [t]);
  useEffect(() => {
    if (img && canvas.current) {
      canvas.current.width = img.width;
      canvas.current.height = img.height;
      canvas.current.getContext('2d')!.putImageData(img, 0, 0);
    }
  }, [img]);
  const values = Array.isArray(t.data) ? [] : Array.from(t.data as ArrayLike<number | bigint>, Number);
  const classes = t.shape.filter((d) => d > 1);
  const topk = classes.length === 1 && values.length === classes[0] && values.length <= 100000
    ? values.map((v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5)
    : undefined;
  return (
    <div className="run-output" data-testid="run-output">
      <div>
        <button className="linklike mono" onClick={() => useApp.getState().select({ kind: 'tensor', name }, true)}>{name}</button>{' '}
        <span className="mono small">[{t.shape.join(', ')}]</span>
      </div>
      {topk && (
        <table className="topk" data-testid="topk">
          <tbody>
            {topk.map(([i, v], r) => (
              <tr key={i}>
                <td className="muted">#{r + 1}</td>
                <td>class {i}</td>
                <td className="num mono">{v.toPrecision(6)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {img && <canvas ref={canvas} className="output-image" data-testid="output-image" title="Output as an image" />}
      {!topk && !img && <p className="mono small">{values.slice(0, 16).map((v) => Number(v.toPrecision(6))).join(', ')}{values.length > 16 ? ', …' : ''}</p>}
    </div>
  );
}

function ErrorTable({ errors }: { errors: { name: string; sqnrDb: number; maxAbs: number; count: number }[] }) {
  const shown = errors.filter((e) => Number.isFinite(e.sqnrDb) || e.sqnrDb < 0);
  const model = useApp((s) => currentModel(s));
  const idx = model ? indexGraph(model.graph ?? {}) : undefined;
  const producer = (t: string) => {
    const p = idx?.producer.get(t);
    return p !== undefined ? `${idx!.nodes[p].opType} ${idx!.nodes[p].name ?? ''}` : idx?.initializer.has(t) ? 'weights' : 'input';
  };
  return (
    <div className="run-errors">
      <h4 title="Signal-to-quantization-noise ratio of each tensor of the quantized run against the float twin: 10·log10(Σ float² / Σ (float − quant)²). Lowest first: the layers that hurt most.">
        Quantized vs float: lowest SQNR first ({shown.length} tensors differ)
      </h4>
      <table className="cost-table" data-testid="error-table">
        <thead>
          <tr><th>Tensor</th><th>Produced by</th><th className="num">SQNR</th><th className="num">max |error|</th><th className="num">elements</th></tr>
        </thead>
        <tbody>
          {shown.slice(0, 200).map((e) => (
            <tr key={e.name} onClick={() => useApp.getState().select({ kind: 'tensor', name: e.name }, true)} data-testid="error-row">
              <td className="mono">{e.name}</td>
              <td>{producer(e.name)}</td>
              <td className="num">{e.sqnrDb.toFixed(1)} dB</td>
              <td className="num">{e.maxAbs.toPrecision(4)}</td>
              <td className="num">{e.count.toLocaleString('en-US')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Set the graph overlay to “quantization error” to see where the error enters.</p>
    </div>
  );
}
