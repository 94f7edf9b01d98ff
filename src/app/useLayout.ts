/** Keeps the laid-out view graph in step with the current model version and view options. */
import { useEffect } from 'react';
import { buildViewGraph } from '../core/view/viewGraph.js';
import { currentModel, currentVersionId, layoutKey, useApp } from './store.js';
import { modelWorker, unwrap } from './workerClient.js';

export function useLayoutSync(): void {
  const versionId = useApp((s) => currentVersionId(s));
  const showConstants = useApp((s) => s.showConstants);
  useEffect(() => {
    const st = useApp.getState();
    const model = currentModel(st);
    if (!model) return;
    const key = layoutKey(versionId, showConstants);
    if (st.layout?.key === key) return; // already laid out (the worker does the first view while opening)
    let cancelled = false;
    (async () => {
      try {
        const vg = buildViewGraph(model, { showConstants });
        const r = unwrap(await modelWorker().layout(vg));
        if (cancelled) return;
        const pos = new Map<string, { x: number; y: number }>();
        r.ids.forEach((id, i) => pos.set(id, { x: r.xy[2 * i], y: r.xy[2 * i + 1] }));
        useApp.getState().setLayout({ key, vg, pos, routes: new Map(r.routes), width: r.width, height: r.height, ms: r.ms });
      } catch (e) {
        if (!cancelled) useApp.getState().fail(e);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [versionId, showConstants]);
}
