import { useEffect, useMemo, useState } from 'react';
import { analyzeModel } from '../../core/analysis/modelAnalysis.js';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { datatypeLabel, formatShape, tensorInfo } from '../../core/ir/tensorInfo.js';
import type { Tensor } from '../../core/ir/types.js';
import { encodeNpy } from '../../core/io/npy.js';
import { elementTypeName } from '../../core/onnx/elementTypes.js';
import { externalRef, isExternal, numberView, tensorValues, toNumbers, type TensorValues } from '../../core/onnx/tensorData.js';
import { tensorStats, type TensorStats } from '../../core/analysis/tensorStats.js';
import { constValue, integerView } from '../../core/analysis/constValues.js';
import { download } from '../download.js';
import { parsePyLiteral } from '../../core/qonnx/annotations.js';
import { currentModel, useApp } from '../store.js';
import { formatCount, formatNumber } from './format.js';
import { NodeLink } from './TensorLink.js';
import { InlineEdit } from '../edit/InlineEdit.js';
import { exposeAsOutput, renameTensor } from '../../core/ir/edit.js';
import { Histogram } from './Histogram.js';
import { RunTensorSection } from './RunTensorSection.js';

async function loadValues(t: Tensor, files: Map<string, File>): Promise<TensorValues> {
  if (!isExternal(t)) return tensorValues(t);
  const ref = externalRef(t)!;
  const f = files.get(ref.location) ?? files.get(ref.location.split('/').pop() ?? '');
  if (!f) return tensorValues(t); // throws the 'missing external data' error naming the file
  const end = ref.length !== undefined ? ref.offset + ref.length : f.size;
  const bytes = new Uint8Array(await f.slice(ref.offset, end).arrayBuffer());
  return tensorValues(t, bytes);
}

export function TensorPanel({ name }: { name: string }) {
  const model = useApp((s) => currentModel(s))!;
  const files = useApp((s) => s.doc?.externalFiles ?? new Map<string, File>());
  const idx = indexGraph(model.graph ?? {});
  const info = tensorInfo(idx, name, analyzeModel(model));
  const init = idx.initializer.get(name);
  const producer = idx.producer.get(name);
  const consumers = idx.consumers.get(name) ?? [];
  const ann = idx.annotation.get(name);
  const [vals, setVals] = useState<{ v?: TensorValues; stats?: TensorStats; error?: string }>({});
  const [asInt, setAsInt] = useState(false);
  // Tensors the file does not store but that follow from constants (e.g. quantized weights).
  const computed = useMemo(() => (init ? undefined : constValue(model, name)), [model, name, init]);
  const intView = useMemo(() => (init ? undefined : integerView(model, name)), [model, name, init]);
  const intStats = useMemo(() => (intView ? tensorStats(intView.ints) : undefined), [intView]);
  const saturated = useMemo(() => {
    if (!intView || intView.min === undefined) return undefined;
    let lo = 0, hi = 0;
    for (const v of intView.ints) {
      if (v <= intView.min) lo++;
      else if (v >= intView.max!) hi++;
    }
    return { lo, hi };
  }, [intView]);

  useEffect(() => {
    setVals({});
    setAsInt(false);
    if (computed) {
      const v: TensorValues = { dataType: 1, shape: computed.value.shape, data: computed.value.data };
      setVals({ v, stats: tensorStats(computed.value.data) });
      return;
    }
    if (!init) return;
    let live = true;
    loadValues(init, files)
      .then((v) => live && setVals({ v, stats: tensorStats(numberView(v)) }))
      .catch((e: Error) => live && setVals({ error: e.message }));
    return () => {
      live = false;
    };
  }, [init, files, computed]);

  const first = useMemo(() => {
    if (asInt && intView) return Array.from(intView.ints.subarray(0, 24));
    return vals.v ? Array.from(toNumbers({ ...vals.v, data: Array.isArray(vals.v.data) ? vals.v.data.slice(0, 24) : vals.v.data.subarray(0, 24) })) : [];
  }, [vals.v, asInt, intView]);
  const shownStats = asInt && intStats ? intStats : vals.stats;

  return (
    <div className="panel" data-testid="tensor-panel">
      <h2 className="mono wrap">{name}</h2>
      <div className="tensor-actions">
        <InlineEdit value={name} title="Rename this tensor everywhere" testId="rename-tensor" iconOnly onCommit={(v) => { useApp.getState().edit((m) => renameTensor(m, name, v), `Rename tensor ${name} → ${v}`); useApp.getState().select({ kind: 'tensor', name: v }); }} />
      {!idx.output.has(name) && (
        <button
          className="small-button"
          data-testid="expose-output"
          title="Add this tensor to the graph outputs (useful to inspect it in other tools)"
          onClick={() => useApp.getState().edit((m) => exposeAsOutput(m, name, info.elemType || 1, info.shape), `Expose ${name} as a graph output`)}
        >
          Make graph output
        </button>
      )}
      </div>
      <table className="kv"><tbody>
        <tr><th>Shape</th><td className="mono" data-testid="tensor-shape">{formatShape(info.shape)}</td></tr>
        <tr><th>Element type</th><td className="mono">{info.elemType ? elementTypeName(info.elemType) : '?'}</td></tr>
        <tr><th>Datatype</th><td className="mono" data-testid="tensor-datatype" title="QONNX finn_datatype annotation when present, else the ONNX element type">{datatypeLabel(info)}</td></tr>
        <tr><th>Shape from</th><td data-testid="shape-source">{info.source === 'none' ? 'unknown (not declared, not inferable)' : info.source === 'inferred' ? 'shape inference (not declared in the file)' : `declared (${info.source.replace('_', ' ')})`}</td></tr>
        {info.finnDatatype && info.datatype && info.finnDatatype !== info.datatype && (
          <tr><th>Annotation</th><td className="mono" title="The file's finn_datatype annotation differs from the inferred datatype">{info.finnDatatype} <span className="muted">(file)</span></td></tr>
        )}
        {ann && [...ann].filter(([k]) => k !== 'finn_datatype').map(([k, v]) => <tr key={k}><th>{k}</th><td className="mono wrap" title={v}>{annotationText(k, v)}</td></tr>)}
        <tr><th>Produced by</th><td>{producer !== undefined ? <NodeLink index={producer} label={`${idx.nodes[producer].opType} ${idx.nodes[producer].name ?? ''}`} /> : init ? 'initializer' : idx.input.has(name) ? 'graph input' : '—'}</td></tr>
        <tr><th>Used by</th><td>{consumers.length ? consumers.map((c, k) => <span key={k}>{k > 0 && ', '}<NodeLink index={c} label={`${idx.nodes[c].opType} ${idx.nodes[c].name ?? ''}`} /></span>) : '—'}</td></tr>
        {init && isExternal(init) && <tr><th>Stored in</th><td className="mono">{externalRef(init)?.location} @ {externalRef(init)?.offset}</td></tr>}
      </tbody></table>
      {(init || computed) && (
        <section>
          <h3>Values{computed && computed.producer !== undefined ? <span className="muted small"> · computed from constants by {idx.nodes[computed.producer].opType} {idx.nodes[computed.producer].name}</span> : null}</h3>
          {intView && (
            <label className="toggle" title="Show value / scale + zero point: the integers the hardware stores">
              <input type="checkbox" checked={asInt} onChange={(e) => setAsInt(e.target.checked)} data-testid="as-integers" /> as integers (value / scale{intView.min !== undefined ? `, range ${intView.min}…${intView.max}` : ''})
            </label>
          )}
          {vals.error && <p className="error-text">{vals.error}</p>}
          {!vals.error && !vals.stats && <p className="muted">Reading…</p>}
          {shownStats && vals.v && (
            <>
              <table className="kv" data-testid="tensor-stats"><tbody>
                <tr><th>Elements</th><td>{formatCount(shownStats.count)}</td></tr>
                <tr><th>Min / max</th><td className="mono" data-testid="tensor-minmax">{formatNumber(shownStats.min)} / {formatNumber(shownStats.max)}</td></tr>
                <tr><th>Mean / std</th><td className="mono">{formatNumber(shownStats.mean)} / {formatNumber(shownStats.std)}</td></tr>
                <tr><th>Sparsity</th><td title="Fraction of elements equal to zero">{(100 * shownStats.zeros / Math.max(1, shownStats.count)).toFixed(2)} % zeros ({formatCount(shownStats.zeros)})</td></tr>
                <tr><th>Distinct</th><td>{shownStats.distinct >= 0 ? formatCount(shownStats.distinct) : 'more than 4096'}</td></tr>
                {saturated && (
                  <tr><th>At range ends</th><td title="Values equal to the quantizer's smallest or largest integer (clipped or exactly at the limit)">{formatCount(saturated.lo)} at min, {formatCount(saturated.hi)} at max</td></tr>
                )}
              </tbody></table>
              <Histogram stats={shownStats} />
              <h3>First values</h3>
              <p className="mono small wrap" data-testid="tensor-first-values">{first.map(formatNumber).join(', ')}{shownStats.count > first.length ? ', …' : ''}</p>
              {!Array.isArray(vals.v.data) && (
                <button
                  data-testid="download-npy"
                  onClick={() => {
                    const v = vals.v!;
                    download(encodeNpy(v.data as Exclude<TensorValues['data'], string[]>, v.shape), `${name.replace(/[^\w.-]+/g, '_')}.npy`);
                  }}
                >
                  Download .npy
                </button>
              )}
            </>
          )}
        </section>
      )}
      <RunTensorSection name={name} />
    </div>
  );
}


/** tensor_layout and tensor_sparsity are Python literals: show them parsed (never evaluated). */
function annotationText(key: string, raw: string): string {
  if (key !== 'tensor_layout' && key !== 'tensor_sparsity') return raw;
  try {
    const v = parsePyLiteral(raw);
    if (key === 'tensor_layout' && Array.isArray(v)) return v.join(' · ');
    return JSON.stringify(v);
  } catch (e) {
    return `${raw} (unreadable: ${(e as Error).message})`;
  }
}
