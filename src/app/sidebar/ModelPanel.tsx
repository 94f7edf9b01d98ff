import { useMemo } from 'react';
import { current } from '../../core/ir/history.js';
import { QONNX_DOMAINS } from '../../core/view/viewGraph.js';
import { quantizerHistogram } from '../../core/view/quantizerHistogram.js';
import { useApp } from '../store.js';
import { formatCount } from './format.js';
import { TensorLink } from './TensorLink.js';
import { InlineEdit } from '../edit/InlineEdit.js';
import { setInputShape, setModelMetadata } from '../../core/ir/edit.js';

export function ModelPanel() {
  const doc = useApp((s) => s.doc)!;
  const model = current(doc.history).value;
  const s = doc.summary;
  const quantizers = useMemo(() => quantizerHistogram(model), [model]);
  const byDomain = useMemo(() => {
    const m = new Map<string, [string, number][]>();
    for (const [k, v] of Object.entries(s.op_histogram)) {
      const [dom, op] = k.split('::');
      const list = m.get(dom) ?? [];
      list.push([op, v]);
      m.set(dom, list);
    }
    for (const l of m.values()) l.sort((a, b) => b[1] - a[1]);
    return [...m];
  }, [s]);

  return (
    <div className="panel" data-testid="model-panel">
      <h2 title={doc.fileName}>{doc.fileName}</h2>
      <table className="kv">
        <tbody>
          <tr><th>IR version</th><td>{s.ir_version}</td></tr>
          <tr><th>Producer</th><td>{[s.producer, s.producer_version].filter(Boolean).join(' ') || '—'}</td></tr>
          {s.domain && <tr><th>Domain</th><td>{s.domain}</td></tr>}
          {s.model_version !== 0 && <tr><th>Model version</th><td>{s.model_version}</td></tr>}
          <tr><th>Opsets</th><td>{Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ') || '—'}</td></tr>
          <tr><th>Nodes</th><td data-testid="node-count">{formatCount(s.node_count)}</td></tr>
          <tr><th>Parameters</th><td title="Elements in all initializers">{formatCount(s.parameter_count)} in {formatCount(s.initializer_count)} initializers</td></tr>
        </tbody>
      </table>
      {doc.problems.length > 0 && (
        <section>
          <h3>Problems ({doc.problems.length})</h3>
          <ul className="problems" data-testid="problems">
            {doc.problems.map((p, i) => (
              <li key={i} className={`problem-${p.severity}`}>
                {p.node !== undefined ? (
                  <button className="linklike" onClick={() => useApp.getState().select({ kind: 'node', index: p.node! }, true)}>{p.message}</button>
                ) : (
                  p.message
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>Inputs</h3>
        <IoTable rows={s.inputs} editable />
        <h3>Outputs</h3>
        <IoTable rows={s.outputs} />
      </section>
      <section>
        <h3>Metadata</h3>
        <table className="kv" data-testid="metadata"><tbody>
          {Object.entries(s.metadata).map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td className="wrap">
                <InlineEdit value={v} mono={false} title="Edit this value" onCommit={(nv) => useApp.getState().edit((m) => setModelMetadata(m, (m.metadataProps ?? []).map((e) => (e.key === k ? { ...e, value: nv } : e))), `Metadata ${k}`)} />
                <button className="icon small" title="Remove this entry" onClick={() => useApp.getState().edit((m) => setModelMetadata(m, (m.metadataProps ?? []).filter((e) => e.key !== k)), `Remove metadata ${k}`)}>×</button>
              </td>
            </tr>
          ))}
          <tr>
            <th>
              <InlineEdit value="" mono={false} title="Add an entry: type key=value and press Enter" testId="add-metadata" onCommit={(kv) => {
                const eq = kv.indexOf('=');
                if (eq <= 0) return useApp.getState().notify({ kind: 'error', message: 'Write a new metadata entry as key=value' });
                const k = kv.slice(0, eq).trim(), v = kv.slice(eq + 1);
                useApp.getState().edit((m) => setModelMetadata(m, [...(m.metadataProps ?? []).filter((e) => e.key !== k), { key: k, value: v }]), `Metadata ${k}`);
              }} />
            </th>
            <td className="muted small">add key=value</td>
          </tr>
        </tbody></table>
      </section>
      {model.docString && <section><h3>Description</h3><p className="doc">{model.docString}</p></section>}
      <section>
        <h3>Operators</h3>
        {byDomain.map(([dom, ops]) => (
          <div key={dom} className="domain-block">
            <div className="domain-name">{dom}{QONNX_DOMAINS.has(dom) ? ' · QONNX' : dom.startsWith('finn.custom_op.fpgadataflow') ? ' · FINN hardware' : ''}</div>
            <table className="hist" data-testid="op-histogram"><tbody>
              {ops.map(([op, c]) => <tr key={op}><td>{op}</td><td className="num">{c}</td></tr>)}
            </tbody></table>
          </div>
        ))}
      </section>
      {quantizers.length > 0 && (
        <section>
          <h3>Quantizers by precision</h3>
          <table className="hist" data-testid="quantizers"><tbody>
            {quantizers.map(([k, c]) => <tr key={k}><td>{k}</td><td className="num">{c}</td></tr>)}
          </tbody></table>
        </section>
      )}
      <section>
        <h3>History ({doc.history.versions.length} version{doc.history.versions.length === 1 ? '' : 's'})</h3>
        <ol className="history" data-testid="history">
          {doc.history.versions.map((v, i) => (
            <li key={v.id} className={i === doc.history.cursor ? 'is-current' : i > doc.history.cursor ? 'is-redo' : ''}>
              <button className="linklike" onClick={() => useApp.getState().jump(i)} title={i === doc.history.cursor ? 'Current version' : 'Go back to this version (undoable)'}>
                {v.label}
              </button>
            </li>
          ))}
        </ol>
      </section>
      {doc.timings && (
        <p className="muted small">Read {doc.timings.read?.toFixed(0)} ms · decode {doc.timings.decode?.toFixed(0)} ms · check {doc.timings.check?.toFixed(0)} ms</p>
      )}
    </div>
  );
}

function IoTable({ rows, editable = false }: { rows: { name: string; shape: (number | string | null)[] | null; datatype: string }[]; editable?: boolean }) {
  if (!rows.length) return <p className="muted">none</p>;
  return (
    <table className="io"><tbody>
      {rows.map((r) => (
        <tr key={r.name}>
          <td><TensorLink name={r.name} /></td>
          <td className="mono">
            {editable ? (
              <InlineEdit
                value={r.shape ? r.shape.map((d) => d ?? '?').join(', ') : ''}
                display={r.shape ? `[${r.shape.map((d) => d ?? '?').join(', ')}]` : '?'}
                title="Change this input's shape (a name such as N makes a dimension dynamic). Shapes downstream are inferred again."
                testId="input-shape"
                onCommit={(v) => {
                  const dims = v.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
                  useApp.getState().edit((m) => setInputShape(m, r.name, dims), `Input ${r.name} shape [${dims.join(', ')}]`);
                }}
              />
            ) : r.shape ? `[${r.shape.map((d) => d ?? '?').join(', ')}]` : '?'}
          </td>
          <td className="mono">{r.datatype}</td>
        </tr>
      ))}
    </tbody></table>
  );
}
