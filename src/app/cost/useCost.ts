/** Keeps the cost in step with the current model version and options; stale results are dropped. */
import { useEffect } from 'react';
import type { ModelRef } from '../../workers/model.worker.js';
import { makeDelta } from '../../core/ir/modelDelta.js';
import { costKey, currentModel, currentVersionId, useApp, type Doc } from '../store.js';
import { modelWorker, unwrap } from '../workerClient.js';

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
function useBaselineCost(discount: boolean): void {
  const doc = useApp((s) => s.doc);
  const docId = doc?.docId;
  const firstId = doc?.history.versions[0].id;
  useEffect(() => {
    if (docId === undefined || firstId === undefined) return;
    const key = costKey(firstId, discount);
    if (useApp.getState().baselineCost?.key === key) return;
    let live = true;
    const t0 = performance.now();
    modelWorker()
      .cost({ docId }, { discountSparsity: discount })
      .then((r) => live && useApp.getState().setBaselineCost({ key, report: unwrap(r), ms: performance.now() - t0 }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [docId, firstId, discount]);
}

export function useCostSync(): void {
  const versionId = useApp((s) => currentVersionId(s));
  const discount = useApp((s) => s.discountSparsity);
  useBaselineCost(discount);
  useEffect(() => {
    const st = useApp.getState();
    if (!st.doc || !currentModel(st)) return;
    const key = costKey(versionId, discount);
    if (st.cost?.key === key) return;
    let live = true;
    const t0 = performance.now();
    modelWorker()
      .cost(modelRef(st.doc), { discountSparsity: discount })
      .then((r) => {
        if (!live || costKey(currentVersionId(useApp.getState()), useApp.getState().discountSparsity) !== key) return;
        useApp.getState().setCost({ key, report: unwrap(r), ms: performance.now() - t0 });
      })
      .catch((e: Error) => live && useApp.getState().setCost(null, e.message));
    return () => {
      live = false;
    };
  }, [versionId, discount]);
}
