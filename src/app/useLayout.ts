/** Keeps the laid-out view graph in step with the current model version and view options. */
import { useEffect } from 'react';
import { buildViewGraph } from '../core/view/viewGraph.js';
import { currentModel, currentVersionId, useApp } from './store.js';
import { modelWorker, unwrap } from './workerClient.js';

export function useLayoutSync(): void {
  const versionId = useApp((s) => currentVersionId(s));
  const showConstants = useApp((s) => s.showConstants);
  useEffect(() => {
    const st = useApp.getState();
    const model = currentModel(st);
    if (!model) return;
    const key = `${versionId}:${showConstants}`;
    let cancelled = false;
    (async () => {
      try {
        const vg = buildViewGraph(model, { showConstants });
        const r = unwrap(
          await modelWorker().layout(
            vg.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
            vg.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
          ),
        );
        if (cancelled) return;
        const pos = new Map<string, { x: number; y: number }>();
        r.ids.forEach((id, i) => pos.set(id, { x: r.xy[2 * i], y: r.xy[2 * i + 1] }));
        const hadLayout = useApp.getState().layout !== null;
        useApp.getState().setLayout({ key, vg, pos, routes: new Map(r.routes), width: r.width, height: r.height, ms: r.ms });
        if (!hadLayout) {
          const doc = useApp.getState().doc;
          if (doc) (window as unknown as { __qonnxOpenMs?: number }).__qonnxOpenMs = performance.now() - doc.openedAt;
        }
      } catch (e) {
        if (!cancelled) useApp.getState().fail(e);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [versionId, showConstants]);
}
