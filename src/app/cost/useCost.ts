/** Keeps the cost in step with the current model version and options; stale results are dropped. */
import { useEffect } from 'react';
import type { ModelRef } from '../../workers/model.worker.js';
import { makeDelta } from '../../core/ir/modelDelta.js';
import { costKey, currentModel, currentVersionId, useApp, type Doc } from '../store.js';
import { cancelTask, isCancelled, newTaskId, progressProxy } from '../tasks.js';
import { modelWorker, unwrap } from '../workerClient.js';
import { afterPaint } from '../open.js';

const deltas = new WeakMap<object, ModelRef>();

/** The worker's copy for the version that was opened; a delta against it for edited versions. */
export function modelRef(doc: Doc): ModelRef {
  const first = doc.history.versions[0];
  const cur = doc.history.versions[doc.history.cursor];
  if (cur.id === first.id) return { docId: doc.docId };
  let r = deltas.get(cur.value);
  if (!r) deltas.set(cur.value, (r = { docId: doc.docId, delta: makeDelta(cur.value, first.value) }));
  return r;
}

/** The cost of the version that was opened (kept while editing, for before -> after). */
function useBaselineCost(discount: boolean, versionId: number): void {
  const doc = useApp((s) => s.doc);
  const docId = doc?.docId;
  const firstId = doc?.history.versions[0].id;
  // While the opened version is the current one, its cost is the baseline (useCostSync sets both):
  // computing it twice would double the work on a large model.
  const needed = versionId !== firstId;
  useEffect(() => {
    if (docId === undefined || firstId === undefined || !needed) return;
    const key = costKey(firstId, discount);
    if (useApp.getState().baselineCost?.key === key) return;
    let live = true;
    const t0 = performance.now();
    const id = newTaskId();
    modelWorker()
      .cost({ docId }, { discountSparsity: discount }, id)
      .then((r) => live && useApp.getState().setBaselineCost({ key, report: unwrap(r), ms: performance.now() - t0 }))
      .catch(() => undefined);
    return () => {
      live = false;
      cancelTask(id); // superseded: stop the work (a no-op when it is done)
    };
  }, [docId, firstId, discount, needed]);
}

export function useCostSync(): void {
  const versionId = useApp((s) => currentVersionId(s));
  const discount = useApp((s) => s.discountSparsity);
  const retry = useApp((s) => s.costRetry);
  useBaselineCost(discount, versionId);
  useEffect(() => {
    const st = useApp.getState();
    if (!st.doc || !currentModel(st)) return;
    const key = costKey(versionId, discount);
    if (st.cost?.key === key) return;
    let live = true;
    const t0 = performance.now();
    const id = newTaskId();
    st.setCostCancelled(false);
    st.setCostTask({ id });
    const onProgress = progressProxy((progress) => {
      if (live && useApp.getState().costTask?.id === id) useApp.getState().setCostTask({ id, progress });
    });
    const ref = modelRef(st.doc);
    const run = () => modelWorker()
      .cost(ref, { discountSparsity: discount }, id, onProgress)
      .then((r) => {
        if (!live || costKey(currentVersionId(useApp.getState()), useApp.getState().discountSparsity) !== key) return;
        const c = { key, report: unwrap(r), ms: performance.now() - t0 };
        useApp.getState().setCost(c);
        const first = useApp.getState().doc?.history.versions[0].id;
        if (first === versionId) useApp.getState().setBaselineCost(c);
      })
      .catch((e: Error) => {
        if (!live) return;
        if (isCancelled(e)) useApp.getState().setCostCancelled(true);
        else useApp.getState().setCost(null, e.message);
      })
      .finally(() => {
        if (useApp.getState().costTask?.id === id) useApp.getState().setCostTask(null);
      });
    // The file as opened: its graph is drawn first, the worker is not competing with the page for it.
    if (versionId === st.doc.history.versions[0].id) afterPaint(() => live && void run());
    else void run();
    return () => {
      live = false;
      // a newer version or other options: the old computation is of no use any more
      cancelTask(id);
    };
  }, [versionId, discount, retry]);
}

/** Stop the cost computation in progress (the panel's Cancel button and Esc). */
export function cancelCost(): void {
  const t = useApp.getState().costTask;
  if (t) cancelTask(t.id);
}
