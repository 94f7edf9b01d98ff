/** Keeps the laid-out view graph in step with the current model version and view options. */
import { useEffect } from 'react';
import { buildViewGraph, type ViewGraph } from '../core/view/viewGraph.js';
import { currentModel, currentVersionId, layoutKey, useApp, type LayoutState } from './store.js';
import { modelWorker, unwrap } from './workerClient.js';
import type { LayoutPayload } from '../workers/model.worker.js';

/** The store's layout from the worker's payload (each route a view into the one buffer of points). */
export function layoutState(key: string, vg: ViewGraph, r: LayoutPayload): LayoutState {
  const pos = new Map<string, { x: number; y: number }>();
  r.ids.forEach((id, i) => pos.set(id, { x: r.xy[2 * i], y: r.xy[2 * i + 1] }));
  const routes = new Map<string, Float64Array>();
  r.routeIds.forEach((id, i) => routes.set(id, r.routeXY.subarray(2 * r.routeStart[i], 2 * r.routeStart[i + 1])));
  return { key, vg, pos, routes, width: r.width, height: r.height, ms: r.ms };
}

/** Same boxes (ids and sizes) and the same edges: the old layout still fits. */
export function sameStructure(a: ViewGraph, b: ViewGraph): boolean {
  if (a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i], y = b.nodes[i];
    if (x.id !== y.id || x.width !== y.width || x.height !== y.height) return false;
  }
  for (let i = 0; i < a.edges.length; i++) {
    const x = a.edges[i], y = b.edges[i];
    if (x.id !== y.id || x.source !== y.source || x.target !== y.target) return false;
  }
  return true;
}

export function useLayoutSync(): void {
  const versionId = useApp((s) => currentVersionId(s));
  const showConstants = useApp((s) => s.showConstants);
  const groupLayers = useApp((s) => s.groupLayers);
  useEffect(() => {
    const st = useApp.getState();
    const model = currentModel(st);
    if (!model) return;
    const key = layoutKey(versionId, showConstants, groupLayers);
    if (st.layout?.key === key) return; // already laid out (the worker does the first view while opening)
    let cancelled = false;
    (async () => {
      try {
        const vg = buildViewGraph(model, { showConstants, groupLayers });
        // An edit that changes labels but not the structure (a new bit width) keeps the positions.
        const prev = useApp.getState().layout;
        if (prev && sameStructure(prev.vg, vg)) {
          useApp.getState().setLayout({ ...prev, key, vg });
          return;
        }
        useApp.getState().setLayoutBusy({ nodes: vg.nodes.length });
        const r = unwrap(await modelWorker().layout(vg));
        if (cancelled) return;
        useApp.getState().setLayout(layoutState(key, vg, r));
      } catch (e) {
        if (!cancelled) useApp.getState().fail(e);
      } finally {
        if (!cancelled) useApp.getState().setLayoutBusy(null);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [versionId, showConstants, groupLayers]);
}
