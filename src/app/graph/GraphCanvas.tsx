/**
 * The graph view. React Flow owns the viewport (pan, zoom, keyboard) and renders node cards, but only
 * those inside the viewport and only when zoomed in enough to read them; a canvas underneath draws
 * every edge and label, and every node as a box when zoomed out. So a 20,000-node graph costs the DOM
 * no more than a 30-node one.
 */
import { ReactFlow, ReactFlowProvider, useReactFlow, useViewport, type Viewport as RFViewport } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { currentModel, useApp, type LayoutState } from '../store.js';
import { editedNodes } from '../../core/ir/diff.js';
import { buildSpatialIndex, distanceToRoute, drawGraph, hitEdgeLabel, LABEL_FONT, LABEL_ZOOM, visibleNodes } from './drawGraph.js';
import { Minimap } from './Minimap.js';
import { nodeTypes, type ViewRFNode } from './NodeViews.js';

/** Below this zoom, or with more visible nodes than MAX_DOM_NODES, nodes are drawn on the canvas. */
export const DETAIL_ZOOM = 0.4;
const MAX_DOM_NODES = 350;
export const MIN_ZOOM = 0.0002;

/** Text is comfortable to read from this zoom up: 10 px rows and labels at 8 px, 12.5 px titles at 10 px. */
export const READABLE_ZOOM = 0.8;
/** Below this share of the graph's area on screen, a readable first view shows too little to start from. */
const MEANINGFUL_SHARE = 0.02;

/**
 * The first view of a model.
 * - The whole graph fits at a readable zoom (READABLE_ZOOM or more): fit it, at most at actual size.
 * - Otherwise start readable at the top, centred horizontally on the inputs, like a document: the
 *   user scrolls down, and `⤢` (key 0) fits everything. The zoom fits the graph's width when it can,
 *   between READABLE_ZOOM and 1:1 (edge labels show from LABEL_ZOOM, which is below READABLE_ZOOM).
 * - Except when the readable view would be a meaningless sliver: the screen covers under
 *   MEANINGFUL_SHARE (2 %) of the graph's area at READABLE_ZOOM (a graph of thousands of layers) and
 *   the fitted graph still fills at least a quarter of the screen's width and height (deep graphs are
 *   wrapped into columns for that overview). Then fitting is the only sensible start. A deep graph
 *   that would be a thin line when fitted starts readable at the top instead.
 */
export function initialViewport(l: LayoutState, w: number, h: number): RFViewport {
  const W = Math.max(1, l.width), H = Math.max(1, l.height);
  const pad = 20;
  const fitZoom = Math.min((w - 2 * pad) / W, (h - 2 * pad) / H);
  if (fitZoom >= READABLE_ZOOM) {
    const zoom = Math.min(fitZoom, 1);
    return { x: (w - W * zoom) / 2, y: (h - H * zoom) / 2, zoom };
  }
  const shown = (Math.min(w / READABLE_ZOOM, W) * Math.min(h / READABLE_ZOOM, H)) / (W * H);
  if (shown < MEANINGFUL_SHARE && W * fitZoom >= w / 4 && H * fitZoom >= h / 4) return fitAllViewport(l, w, h);
  const zoom = Math.max(READABLE_ZOOM, Math.min(1, (w - 2 * pad) / W));
  if (W * zoom <= w - 2 * pad) return { x: (w - W * zoom) / 2, y: pad, zoom };
  // Wider than the screen: the inputs (else the top row of boxes) in the middle, without pulling the
  // graph's left or right edge inside the screen.
  let top = l.vg.nodes.filter((n) => n.kind === 'input' && l.pos.has(n.id));
  if (!top.length) {
    const minY = Math.min(...l.vg.nodes.map((n) => l.pos.get(n.id)?.y ?? Infinity));
    top = l.vg.nodes.filter((n) => l.pos.get(n.id)?.y === minY);
  }
  const cx = top.length ? (Math.min(...top.map((n) => l.pos.get(n.id)!.x)) + Math.max(...top.map((n) => l.pos.get(n.id)!.x + n.width))) / 2 : W / 2;
  const x = Math.min(pad, Math.max(w - pad - W * zoom, w / 2 - cx * zoom));
  return { x, y: pad, zoom };
}

export function fitAllViewport(l: LayoutState, w: number, h: number): RFViewport {
  const pad = 24; // screen pixels around the graph
  const zoom = Math.max(MIN_ZOOM, Math.min(1.2, (w - 2 * pad) / Math.max(1, l.width), (h - 2 * pad) / Math.max(1, l.height)));
  return { x: (w - l.width * zoom) / 2, y: (h - l.height * zoom) / 2, zoom };
}

/** Light to dark along orange-red, for shares from 0 to 1. */
export function heatColor(t: number): string {
  const stops = [
    [255, 247, 237],
    [253, 186, 116],
    [234, 88, 12],
    [153, 27, 27],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const OVERLAY_LABEL = { bops: 'BOPs', memw: 'weight memory (bits)', memo: 'output memory (bits)' } as const;
/** SQNR at or above this many dB is drawn lightest on the error overlay. */
const ERROR_SCALE_DB = 40;

/** First output tensor of a node of the current model. */
function currentOutputs(nodeIndex: number): string | undefined {
  const m = currentModel(useApp.getState());
  return m?.graph?.node?.[nodeIndex]?.output?.[0];
}

function Inner() {
  const layout = useApp((s) => s.layout);
  const layoutBusy = useApp((s) => s.layoutBusy);
  const overlayMode = useApp((s) => s.overlay);
  const showConstants = useApp((s) => s.showConstants);
  const grouped = useApp((s) => s.groupLayers);
  const cost = useApp((s) => s.cost);
  const selection = useApp((s) => s.selection);
  const focusRequest = useApp((s) => s.focusRequest);
  const rf = useReactFlow();
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ w: 800, h: 600 });
  // The viewport React Flow shows (its store), so the canvas draws edges exactly under the node cards:
  // one source of truth, whatever moved the view (a gesture, setViewport, or React Flow's own reset).
  const vp = useViewport();
  const spatial = useMemo(() => (layout ? buildSpatialIndex(layout) : null), [layout]);
  const dark = typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ w: el.clientWidth, h: el.clientHeight }));
    ro.observe(el);
    setSize({ w: el.clientWidth, h: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  // New layout: keep the viewport for a new version of the same model, else choose a first view.
  const lastDocKey = useRef<string>('');
  // React Flow creates its pan-zoom at the default viewport each time it mounts (StrictMode mounts
  // every component twice in development, keeping refs): the first view must then be applied again.
  useEffect(() => () => void (lastDocKey.current = ''), []);
  const doc = useApp((s) => s.doc);
  useEffect(() => {
    if (!layout || !wrapRef.current) return;
    const docKey = `${doc?.fileName}:${doc?.openedAt}`;
    if (docKey === lastDocKey.current) return;
    lastDocKey.current = docKey;
    void rf.setViewport(initialViewport(layout, wrapRef.current.clientWidth, wrapRef.current.clientHeight));
  }, [layout, doc, rf]);

  // Overlays: cost shares (of the largest value), or quantization error after a run.
  const run = useApp((s) => s.run);
  const overlay = useMemo(() => {
    if (!layout || overlayMode === 'none') return null;
    const colors = new Map<string, string>();
    if (overlayMode === 'error') {
      if (!run?.errors) return null;
      const err = new Map(run.errors.map((e) => [e.name, e.sqnrDb]));
      layout.vg.nodes.forEach((vn) => {
        if (vn.nodeIndex === undefined) return;
        const out = currentOutputs(vn.nodeIndex);
        const db = out ? err.get(out) : undefined;
        if (db !== undefined) colors.set(vn.id, heatColor(Number.isFinite(db) ? (ERROR_SCALE_DB - Math.min(ERROR_SCALE_DB, Math.max(0, db))) / ERROR_SCALE_DB : db > 0 ? 0 : 1));
      });
      return { colors, low: `≥ ${ERROR_SCALE_DB} dB`, high: '0 dB', label: 'SQNR of each node\'s output against the float run' };
    }
    if (!cost) return null;
    const metric = overlayMode === 'bops' ? 'bops' : overlayMode === 'memw' ? 'memWBits' : 'memOBits';
    const max = Math.max(0, ...cost.report.nodes.map((c) => c[metric]));
    for (const c of cost.report.nodes) {
      if (c.originalIndex === undefined) continue;
      const id = layout.vg.nodeIdOf.get(c.originalIndex);
      if (id) colors.set(id, heatColor(max > 0 ? c[metric] / max : 0));
    }
    return { colors, low: '0', high: max.toLocaleString('en-US'), label: `share of ${OVERLAY_LABEL[overlayMode]} (costed layers; others grey)` };
  }, [layout, cost, overlayMode, run]);

  // Nodes edited since the model was opened get a marker.
  const model = useApp((s) => currentModel(s));
  const edited = useMemo(() => {
    if (!layout || !doc || !model) return new Set<string>();
    const first = doc.history.versions[0].value;
    if (first === model) return new Set<string>();
    const ids = new Set<string>();
    for (const i of editedNodes(first, model)) {
      const id = layout.vg.nodeIdOf.get(i);
      if (id) ids.add(id);
    }
    return ids;
  }, [layout, doc, model]);

  const selectedNodeId = useMemo(() => {
    if (!layout || !selection) return undefined;
    if (selection.kind === 'node') return layout.vg.nodeIdOf.get(selection.index);
    return undefined;
  }, [layout, selection]);
  const selectedTensor = selection?.kind === 'tensor' ? selection.name : undefined;

  // Which nodes are DOM nodes right now.
  const x0 = -vp.x / vp.zoom, y0 = -vp.y / vp.zoom;
  const x1 = x0 + size.w / vp.zoom, y1 = y0 + size.h / vp.zoom;
  const visible = useMemo(
    () => (layout && spatial && vp.zoom >= DETAIL_ZOOM ? visibleNodes(layout, spatial, x0 - 200, y0 - 200, x1 + 200, y1 + 200) : []),
    // quantise the viewport so small pans do not rebuild the list
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [layout, spatial, vp.zoom >= DETAIL_ZOOM, Math.round(x0 / 100), Math.round(y0 / 100), Math.round(x1 / 100), Math.round(y1 / 100)],
  );
  const detailed = vp.zoom >= DETAIL_ZOOM && visible.length <= MAX_DOM_NODES;

  const nodeCache = useRef(new Map<string, ViewRFNode>());
  useEffect(() => nodeCache.current.clear(), [layout]);
  const rfNodes = useMemo<ViewRFNode[]>(() => {
    if (!layout || !detailed) return [];
    return visible.map((i) => {
      const vn = layout.vg.nodes[i];
      const sel = vn.id === selectedNodeId || (selectedTensor !== undefined && vn.tensor === selectedTensor);
      const overlayColor = overlay ? overlay.colors.get(vn.id) ?? 'none' : undefined;
      const isEdited = edited.has(vn.id);
      const cached = nodeCache.current.get(vn.id);
      if (cached && cached.data.selected === sel && cached.data.overlayColor === overlayColor && cached.data.edited === isEdited && cached.data.vn === vn) return cached;
      const node: ViewRFNode = {
        id: vn.id,
        type: vn.kind === 'op' ? 'op' : 'io',
        position: layout.pos.get(vn.id)!,
        data: { vn, selected: sel, overlayColor, edited: isEdited },
        width: vn.width,
        height: vn.height,
        draggable: false,
        selectable: false,
        connectable: false,
      };
      nodeCache.current.set(vn.id, node);
      return node;
    });
  }, [layout, detailed, visible, selectedNodeId, selectedTensor, overlay, edited]);

  // Canvas redraw on every viewport or selection change, once per frame.
  useEffect(() => {
    const c = canvasRef.current;
    if (!c || !layout || !spatial) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== size.w * dpr || c.height !== size.h * dpr) {
      c.width = size.w * dpr;
      c.height = size.h * dpr;
    }
    const id = requestAnimationFrame(() => {
      const ctx = c.getContext('2d');
      if (ctx) drawGraph(ctx, layout, spatial, vp, { width: size.w, height: size.h, dpr, drawNodes: !detailed, selectedNodeId, selectedTensor, dark, nodeColors: overlay?.colors, edited });
      // For benchmarks and tests: when the current layout was first painted.
      const w = window as unknown as { __qonnxFrame?: { key: string; at: number } };
      if (w.__qonnxFrame?.key !== layout.key) w.__qonnxFrame = { key: layout.key, at: performance.now() };
    });
    return () => cancelAnimationFrame(id);
  }, [layout, spatial, vp, size, detailed, selectedNodeId, selectedTensor, dark, overlay, edited]);

  // Centre on a requested node.
  useEffect(() => {
    if (!focusRequest || !layout) return;
    const vn = layout.vg.nodes.find((n) => n.id === focusRequest.id);
    const p = vn && layout.pos.get(vn.id);
    if (!vn || !p) return;
    const zoom = Math.max(vp.zoom, 0.8);
    const v = { zoom, x: size.w / 2 - (p.x + vn.width / 2) * zoom, y: size.h / 2 - (p.y + vn.height / 2) * zoom };
    rf.setViewport(v, { duration: 200 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusRequest]);

  const select = useApp((s) => s.select);
  const onNodeClick = useCallback(
    (_: unknown, n: ViewRFNode) => {
      const vn = n.data.vn;
      if (vn.nodeIndex !== undefined) select({ kind: 'node', index: vn.nodeIndex });
      else if (vn.tensor) select({ kind: 'tensor', name: vn.tensor });
    },
    [select],
  );

  const onPaneClick = useCallback(
    (ev: React.MouseEvent) => {
      if (!layout || !spatial || !wrapRef.current) return;
      const rect = wrapRef.current.getBoundingClientRect();
      const fx = (ev.clientX - rect.left - vp.x) / vp.zoom;
      const fy = (ev.clientY - rect.top - vp.y) / vp.zoom;
      if (!detailed) {
        const hit = visibleNodes(layout, spatial, fx, fy, fx, fy)[0];
        if (hit !== undefined) {
          const vn = layout.vg.nodes[hit];
          if (vn.nodeIndex !== undefined) select({ kind: 'node', index: vn.nodeIndex });
          else if (vn.tensor) select({ kind: 'tensor', name: vn.tensor });
          return;
        }
      }
      // A label selects its tensor like its line does (labels are drawn, so clickable, from LABEL_ZOOM).
      if (vp.zoom >= LABEL_ZOOM) {
        const ctx = canvasRef.current?.getContext('2d');
        if (ctx) {
          ctx.save();
          ctx.font = LABEL_FONT;
          const k = hitEdgeLabel(layout, spatial, fx, fy, (t) => ctx.measureText(t).width);
          ctx.restore();
          if (k >= 0) {
            select({ kind: 'tensor', name: layout.vg.edges[k].tensor });
            return;
          }
        }
      }
      const tol = Math.max(6 / vp.zoom, 2);
      let best = -1;
      let bestD = tol;
      layout.vg.edges.forEach((e, k) => {
        const b = spatial.edgeBox;
        if (fx < b[4 * k] - tol || fx > b[4 * k + 2] + tol || fy < b[4 * k + 1] - tol || fy > b[4 * k + 3] + tol) return;
        const d = distanceToRoute(layout.routes.get(e.id)!, fx, fy);
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      });
      if (best >= 0) select({ kind: 'tensor', name: layout.vg.edges[best].tensor });
      else select(null);
    },
    [layout, spatial, vp, detailed, select],
  );

  return (
    <div className="graph-wrap" ref={wrapRef} data-testid="graph" data-detailed={detailed ? '1' : '0'} data-zoom={vp.zoom.toFixed(4)}>
      <canvas className="graph-canvas" ref={canvasRef} style={{ width: size.w, height: size.h }} data-testid="graph-canvas" />
      <ReactFlow
        nodes={rfNodes}
        edges={[]}
        nodeTypes={nodeTypes}
        onNodeClick={onNodeClick}
        onPaneClick={onPaneClick}
        minZoom={MIN_ZOOM}
        maxZoom={3}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        zoomOnDoubleClick={false}
        proOptions={{ hideAttribution: true }}
        onlyRenderVisibleElements={false}
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
      />
      {layout && (
        <Minimap
          layout={layout}
          viewport={vp}
          size={size}
          onMove={(cx, cy) => rf.setViewport({ zoom: vp.zoom, x: size.w / 2 - cx * vp.zoom, y: size.h / 2 - cy * vp.zoom })}
        />
      )}
      {overlay && (
        <div className="legend" data-testid="overlay-legend">
          <div>{overlay.label[0].toUpperCase() + overlay.label.slice(1)}</div>
          <div className="legend-bar" style={{ background: `linear-gradient(to right, ${heatColor(0)}, ${heatColor(0.33)}, ${heatColor(0.66)}, ${heatColor(1)})` }} />
          <div className="legend-ends">
            <span>{overlay.low}</span>
            <span>{overlay.high}</span>
          </div>
        </div>
      )}
      {layoutBusy && (
        <div className="graph-busy" role="status" data-testid="layout-busy">
          Laying out {layoutBusy.nodes.toLocaleString('en-US')} boxes…
        </div>
      )}
      <div className="graph-controls">
        <button title="Zoom in (+)" onClick={() => rf.zoomIn({ duration: 150 })}>+</button>
        <button title="Zoom out (-)" onClick={() => rf.zoomOut({ duration: 150 })}>−</button>
        <button
          title="Fit the whole graph (0)"
          data-testid="fit"
          onClick={() => layout && rf.setViewport(fitAllViewport(layout, size.w, size.h), { duration: 200 })}
        >
          ⤢
        </button>
        <button title="Actual size (1)" onClick={() => rf.setViewport({ ...vp, zoom: 1 }, { duration: 150 })}>1:1</button>
        <button
          title="Show initializers and weight quantizers as nodes of their own (C)"
          className={showConstants ? 'is-active' : ''}
          data-testid="toggle-constants"
          onClick={() => useApp.getState().setShowConstants(!showConstants)}
        >
          ⊞
        </button>
        <button
          title="One box per layer: a compute node with its normalisation, activation and output quantizer (G)"
          className={grouped ? 'is-active' : ''}
          data-testid="toggle-groups"
          onClick={() => useApp.getState().setGroupLayers(!grouped)}
        >
          ▦
        </button>
      </div>
    </div>
  );
}

export function GraphCanvas() {
  return (
    <ReactFlowProvider>
      <Inner />
    </ReactFlowProvider>
  );
}
