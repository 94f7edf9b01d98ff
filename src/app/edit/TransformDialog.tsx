/**
 * Transformations: pick one, fill its parameters (the form comes from the registry), preview what it
 * adds, removes and changes, and apply it as one undoable step.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TaskProgress } from '../../core/task.js';
import type { ModelDiff } from '../../core/ir/diff.js';
import { decodeModel } from '../../core/onnx/codec.js';
import { transforms, type ParamSpec, type TransformDef } from '../../core/passes/registry.js';
import { modelRef } from '../cost/useCost.js';
import { useApp } from '../store.js';
import { cancelTask, isCancelled, newTaskId, progressProxy } from '../tasks.js';
import { TaskProgressBar } from '../TaskProgressBar.js';
import { modelWorker, unwrap } from '../workerClient.js';

type Preview = { id: string; params: string; bytes: Uint8Array; diff: ModelDiff; notes: string[]; modified: boolean; ms: number };

export function DiffView({ diff, limit = 40 }: { diff: ModelDiff; limit?: number }) {
  return (
    <div className="diff" data-testid="diff">
      <p>
        <b data-testid="diff-added">{diff.added.length}</b> added · <b data-testid="diff-removed">{diff.removed.length}</b> removed · <b data-testid="diff-changed">{diff.changed.length}</b> changed
        {diff.precision.length ? <> · <b>{diff.precision.length}</b> precision changes</> : null}
      </p>
      {diff.precision.length > 0 && (
        <ul className="diff-list">
          {diff.precision.slice(0, limit).map((p) => <li key={p.name}><span className="mono">{p.name}</span>{p.was !== undefined && <span className="muted"> (was <span className="mono">{p.was}</span>)</span>}: {p.before} → <b>{p.after}</b></li>)}
        </ul>
      )}
      {diff.removed.length > 0 && (
        <ul className="diff-list diff-removed">{diff.removed.slice(0, limit).map((n) => <li key={`r${n.a}`}>− {n.opType} <span className="mono">{n.name}</span></li>)}</ul>
      )}
      {diff.added.length > 0 && (
        <ul className="diff-list diff-added">{diff.added.slice(0, limit).map((n) => <li key={`a${n.b}`}>+ {n.opType} <span className="mono">{n.name}</span></li>)}</ul>
      )}
      {diff.changed.length > 0 && (
        <ul className="diff-list">{diff.changed.slice(0, limit).map((c) => <li key={`c${c.b}`}>~ {c.opType} <span className="mono">{c.name}</span>: {c.what.join(', ')}</li>)}</ul>
      )}
    </div>
  );
}

function ParamField({ p, value, onChange }: { p: ParamSpec; value: unknown; onChange: (v: unknown) => void }) {
  if (p.kind === 'boolean') return <input type="checkbox" checked={!!value} onChange={(e) => onChange(e.target.checked)} />;
  if (p.kind === 'integer' || p.kind === 'number')
    return <input type="number" step={p.kind === 'integer' ? 1 : 'any'} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))} className="num-input" />;
  if (p.kind === 'string') return <input type="text" value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />;
  return <textarea rows={3} className="json-input" value={typeof value === 'string' ? value : JSON.stringify(value ?? null)} onChange={(e) => onChange(e.target.value)} spellCheck={false} />;
}

export function TransformDialog({ onClose }: { onClose: () => void }) {
  const list = transforms();
  const [id, setId] = useState(list[0]?.id ?? '');
  const t = list.find((x) => x.id === id) as TransformDef | undefined;
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<TaskProgress | undefined>();
  const task = useRef<number | null>(null);
  // closing the dialog stops a transformation still being computed
  useEffect(() => () => void (task.current !== null && cancelTask(task.current)), []);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const { params, paramError } = useMemo(() => {
    const out: Record<string, unknown> = {};
    for (const p of t?.params ?? []) {
      const v = values[`${id}.${p.name}`];
      if (v === undefined) continue;
      if (p.kind === 'json' && typeof v === 'string') {
        try {
          out[p.name] = JSON.parse(v);
        } catch (e) {
          return { params: out, paramError: `${p.name}: not valid JSON (${(e as Error).message})` };
        }
      } else out[p.name] = v;
    }
    return { params: out, paramError: null as string | null };
  }, [t, values, id]);

  async function run(): Promise<Preview | null> {
    const doc = useApp.getState().doc;
    if (!doc || !t) return null;
    if (paramError) {
      setError(paramError);
      return null;
    }
    setBusy(true);
    setError(null);
    setProgress(undefined);
    const taskId = newTaskId();
    task.current = taskId;
    try {
      const onProgress = progressProxy((p) => task.current === taskId && setProgress(p));
      const r = unwrap(await modelWorker().transform(modelRef(doc), t.id, params, taskId, onProgress));
      const p = { id: t.id, params: JSON.stringify(params), ...r };
      setPreview(p);
      return p;
    } catch (e) {
      setError(isCancelled(e) ? 'Cancelled.' : (e as Error).message);
      return null;
    } finally {
      if (task.current === taskId) task.current = null;
      setBusy(false);
    }
  }

  function apply(p: Preview) {
    if (!p.modified) {
      onClose();
      return;
    }
    const model = decodeModel(p.bytes);
    useApp.getState().commit(model, `${t?.title ?? p.id}`);
    onClose();
  }

  const current = preview && preview.id === id && preview.params === safeJson(params) ? preview : null;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-label="Transformations" data-testid="transform-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <strong>Transformations</strong>
          <span className="spacer" />
          <button className="icon" onClick={onClose} title="Close (Esc)">×</button>
        </div>
        <div className="modal-body transform-body">
          <ul className="transform-list">
            {list.map((x) => (
              <li key={x.id}>
                <button className={x.id === id ? 'is-active' : ''} onClick={() => { setId(x.id); setPreview(null); setError(null); }} data-testid={`transform-${x.id}`}>
                  {x.title}{x.lossy ? ' ⚠' : ''}
                </button>
              </li>
            ))}
          </ul>
          {t && (
            <div className="transform-detail">
              <h3>{t.title}</h3>
              <p>{t.summary}</p>
              {t.lossy && <p className="warn-text">This transformation changes what the model computes.</p>}
              <p className="muted small">CLI: <code>npm run --silent cli -- transform IN OUT --pass {t.id}{Object.keys(params).length ? `:'${JSON.stringify(params)}'` : ''}</code></p>
              {t.params.length > 0 && (
                <table className="kv"><tbody>
                  {t.params.map((p) => (
                    <tr key={p.name}>
                      <th className="mono">{p.name}{p.required ? ' *' : ''}</th>
                      <td>
                        <ParamField p={p} value={values[`${id}.${p.name}`] ?? p.default} onChange={(v) => setValues((x) => ({ ...x, [`${id}.${p.name}`]: v }))} />
                        <div className="muted small">{p.doc}</div>
                      </td>
                    </tr>
                  ))}
                </tbody></table>
              )}
              <div className="modal-actions">
                <button onClick={run} disabled={busy} data-testid="transform-preview">{busy ? 'Working…' : 'Preview'}</button>
                <button className="primary-small" disabled={busy} data-testid="transform-apply" onClick={async () => { const p = current ?? (await run()); if (p) apply(p); }}>
                  Apply
                </button>
              </div>
              {busy && <TaskProgressBar progress={progress} what={t.title} onCancel={() => task.current !== null && cancelTask(task.current)} testId="transform-progress" />}
              {error && <p className="error-text" data-testid="transform-error">{error}</p>}
              {current && (
                <>
                  <p className="muted small">{current.modified ? `Computed in ${current.ms.toFixed(0)} ms.` : 'Nothing to change: the model already satisfies this transformation.'}</p>
                  {current.notes.length > 0 && <ul className="diff-list">{current.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
                  {current.modified && <DiffView diff={current.diff} />}
                </>
              )}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '';
  }
}
