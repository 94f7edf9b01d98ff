/**
 * Canvas renderer for what the DOM cannot afford: every edge with its label, and at low zoom every
 * node as a coloured box. Only items intersecting the viewport are drawn.
 */
import type { LayoutState } from '../store.js';
import { CATEGORY_COLOR } from './palette.js';

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export interface SpatialIndex {
  /** per edge: minx, miny, maxx, maxy */
  edgeBox: Float64Array;
  /** node ids bucketed by rows of ROW px */
  rows: Map<number, number[]>;
  /**
   * per edge: which line its label takes under the start of its route. Edges of different tensors that leave
   * from the same point (a node's outputs through one port) stack their labels instead of printing one over another.
   */
  labelLine: Uint8Array;
}

export const ROW = 512;

/** Edge labels are drawn (and clickable) from this zoom up. */
export const LABEL_ZOOM = 0.55;
export const LABEL_FONT = '10px ui-monospace, SFMono-Regular, Menlo, monospace';

/**
 * Where an edge's label sits, in flow units: just below the start of its route. `textWidth` is the
 * label's width measured in LABEL_FONT. The drawing and the click test both use this box.
 */
export function edgeLabelBox(r: Float64Array, textWidth: number, line = 0): { x: number; y: number; w: number; h: number; textX: number; textY: number } {
  const textX = r[0] + 6, textY = r[1] + 14 + 14 * line;
  return { x: textX - 2, y: textY - 7, w: textWidth + 4, h: 14, textX, textY };
}

/**
 * The edge whose label contains (x, y), or -1. Labels are drawn in edge order, so a later label lies
 * on top of an earlier one and wins.
 */
export function hitEdgeLabel(l: LayoutState, s: SpatialIndex, x: number, y: number, measure: (text: string) => number): number {
  for (let k = l.vg.edges.length - 1; k >= 0; k--) {
    // the label hangs from the route's first point, to its right: skip routes nowhere near
    if (y < s.edgeBox[4 * k + 1] - 30 || y > s.edgeBox[4 * k + 3] + 30 + 14 * s.labelLine[k] || x < s.edgeBox[4 * k] - 10) continue;
    const e = l.vg.edges[k];
    const r = l.routes.get(e.id);
    if (!r || r.length < 4 || !e.label) continue;
    const b = edgeLabelBox(r, measure(e.label), s.labelLine[k]);
    if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) return k;
  }
  return -1;
}

export function buildSpatialIndex(l: LayoutState): SpatialIndex {
  const edgeBox = new Float64Array(l.vg.edges.length * 4);
  l.vg.edges.forEach((e, k) => {
    const r = l.routes.get(e.id);
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    if (r) for (let i = 0; i < r.length; i += 2) {
      a = Math.min(a, r[i]); c = Math.max(c, r[i]);
      b = Math.min(b, r[i + 1]); d = Math.max(d, r[i + 1]);
    }
    edgeBox.set([a, b, c, d], 4 * k);
  });
  // label lines: the distinct tensors leaving each start point, in edge order (numeric keys: this runs on 20,000-node graphs)
  const labelLine = new Uint8Array(l.vg.edges.length);
  const starts = new Map<number, string[]>();
  l.vg.edges.forEach((e, k) => {
    const r = l.routes.get(e.id);
    if (!r || r.length < 4 || !e.label) return;
    const key = Math.round(r[0] * 4) * 1e8 + Math.round(r[1] * 4);
    const seen = starts.get(key);
    if (!seen) return void starts.set(key, [e.tensor]);
    let at = seen.indexOf(e.tensor);
    if (at < 0) at = seen.push(e.tensor) - 1;
    labelLine[k] = Math.min(at, 255);
  });
  const rows = new Map<number, number[]>();
  l.vg.nodes.forEach((n, i) => {
    const p = l.pos.get(n.id);
    if (!p) return;
    for (let r = Math.floor(p.y / ROW); r <= Math.floor((p.y + n.height) / ROW); r++) {
      const list = rows.get(r);
      if (list) list.push(i);
      else rows.set(r, [i]);
    }
  });
  return { edgeBox, rows, labelLine };
}

export function visibleNodes(l: LayoutState, s: SpatialIndex, x0: number, y0: number, x1: number, y1: number): number[] {
  const out = new Set<number>();
  for (let r = Math.floor(y0 / ROW); r <= Math.floor(y1 / ROW); r++) {
    for (const i of s.rows.get(r) ?? []) {
      const n = l.vg.nodes[i];
      const p = l.pos.get(n.id)!;
      if (p.x <= x1 && p.x + n.width >= x0 && p.y <= y1 && p.y + n.height >= y0) out.add(i);
    }
  }
  return [...out];
}

export interface DrawOptions {
  width: number;
  height: number;
  dpr: number;
  /** draw node boxes (when the DOM is not showing them) */
  drawNodes: boolean;
  selectedNodeId?: string;
  selectedTensor?: string;
  dark?: boolean;
  /** overlay colours by view node id; nodes without one are drawn grey while it is set */
  nodeColors?: Map<string, string>;
  /** ids of nodes edited since the model was opened (marked with a dot) */
  edited?: Set<string>;
}

export function drawGraph(ctx: CanvasRenderingContext2D, l: LayoutState, s: SpatialIndex, vp: Viewport, o: DrawOptions): void {
  const { zoom } = vp;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, o.width * o.dpr, o.height * o.dpr);
  ctx.setTransform(o.dpr * zoom, 0, 0, o.dpr * zoom, o.dpr * vp.x, o.dpr * vp.y);
  const x0 = -vp.x / zoom, y0 = -vp.y / zoom;
  const x1 = x0 + o.width / zoom, y1 = y0 + o.height / zoom;
  const px = 1 / zoom;
  const edgeColor = o.dark ? '#64748b' : '#94a3b8';
  const labelColor = o.dark ? '#cbd5e1' : '#334155';
  const showLabels = zoom >= LABEL_ZOOM;
  const showArrows = zoom >= 0.25;

  // edges
  ctx.lineJoin = 'round';
  const vgEdges = l.vg.edges;
  const selected: number[] = [];
  ctx.beginPath();
  for (let k = 0; k < vgEdges.length; k++) {
    if (s.edgeBox[4 * k] > x1 || s.edgeBox[4 * k + 2] < x0 || s.edgeBox[4 * k + 1] > y1 || s.edgeBox[4 * k + 3] < y0) continue;
    if (o.selectedTensor !== undefined && vgEdges[k].tensor === o.selectedTensor) {
      selected.push(k);
      continue;
    }
    tracePath(ctx, l.routes.get(vgEdges[k].id));
  }
  ctx.strokeStyle = edgeColor;
  ctx.lineWidth = Math.max(1.2, px);
  ctx.stroke();
  if (selected.length) {
    ctx.beginPath();
    for (const k of selected) tracePath(ctx, l.routes.get(vgEdges[k].id));
    ctx.strokeStyle = '#f59e0b';
    ctx.lineWidth = Math.max(3, 2.5 * px);
    ctx.stroke();
  }
  if (showArrows) {
    ctx.beginPath();
    for (let k = 0; k < vgEdges.length; k++) {
      if (s.edgeBox[4 * k + 2] < x0 || s.edgeBox[4 * k] > x1 || s.edgeBox[4 * k + 3] < y0 || s.edgeBox[4 * k + 1] > y1) continue;
      const r = l.routes.get(vgEdges[k].id);
      if (!r || r.length < 4) continue;
      const ex = r[r.length - 2], ey = r[r.length - 1];
      ctx.moveTo(ex, ey);
      ctx.lineTo(ex - 4, ey - 7);
      ctx.lineTo(ex + 4, ey - 7);
      ctx.closePath();
    }
    ctx.fillStyle = edgeColor;
    ctx.fill();
  }
  if (showLabels) {
    ctx.font = LABEL_FONT;
    ctx.textBaseline = 'middle';
    for (let k = 0; k < vgEdges.length; k++) {
      if (s.edgeBox[4 * k + 2] < x0 || s.edgeBox[4 * k] > x1 || s.edgeBox[4 * k + 3] < y0 || s.edgeBox[4 * k + 1] > y1) continue;
      const r = l.routes.get(vgEdges[k].id);
      if (!r || r.length < 4) continue;
      const text = vgEdges[k].label;
      if (!text) continue;
      const b = edgeLabelBox(r, ctx.measureText(text).width, s.labelLine[k]);
      ctx.fillStyle = o.dark ? 'rgba(15,23,42,0.85)' : 'rgba(255,255,255,0.85)';
      ctx.fillRect(b.x, b.y, b.w, b.h);
      ctx.fillStyle = vgEdges[k].tensor === o.selectedTensor ? '#b45309' : labelColor;
      ctx.fillText(text, b.textX, b.textY);
    }
  }

  if (!o.drawNodes) return;
  const vis = visibleNodes(l, s, x0, y0, x1, y1);
  const byColor = new Map<string, number[]>();
  for (const i of vis) {
    const n = l.vg.nodes[i];
    const c = o.nodeColors ? o.nodeColors.get(n.id) ?? '#cbd5e1' : CATEGORY_COLOR[n.category];
    const list = byColor.get(c);
    if (list) list.push(i);
    else byColor.set(c, [i]);
  }
  for (const [color, list] of byColor) {
    ctx.beginPath();
    for (const i of list) {
      const n = l.vg.nodes[i];
      const p = l.pos.get(n.id)!;
      ctx.rect(p.x, p.y, n.width, n.height);
    }
    ctx.fillStyle = color;
    ctx.fill();
  }
  if (o.edited?.size) {
    ctx.fillStyle = '#f59e0b';
    ctx.beginPath();
    for (const i of vis) {
      const n = l.vg.nodes[i];
      if (!o.edited.has(n.id)) continue;
      const p = l.pos.get(n.id)!;
      const r = Math.max(6, 5 * px);
      ctx.moveTo(p.x + n.width + r, p.y);
      ctx.arc(p.x + n.width, p.y, r, 0, Math.PI * 2);
    }
    ctx.fill();
  }
  if (o.selectedNodeId) {
    const n = l.vg.nodes.find((v) => v.id === o.selectedNodeId);
    const p = n && l.pos.get(n.id);
    if (n && p) {
      ctx.strokeStyle = '#f59e0b';
      ctx.lineWidth = Math.max(3, 4 * px);
      ctx.strokeRect(p.x - 2 * px, p.y - 2 * px, n.width + 4 * px, n.height + 4 * px);
    }
  }
  if (zoom * 14 >= 7) {
    ctx.fillStyle = '#fff';
    ctx.font = '600 14px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const i of vis) {
      const n = l.vg.nodes[i];
      const p = l.pos.get(n.id)!;
      ctx.fillText(n.title.length > 22 ? n.title.slice(0, 21) + '…' : n.title, p.x + 8, p.y + 14, n.width - 16);
    }
  }
}

function tracePath(ctx: CanvasRenderingContext2D, r: Float64Array | undefined) {
  if (!r || r.length < 4) return;
  ctx.moveTo(r[0], r[1]);
  if (r.length === 4) {
    // straight or S-shaped single-layer hop
    const my = (r[1] + r[3]) / 2;
    ctx.bezierCurveTo(r[0], my, r[2], my, r[2], r[3]);
    return;
  }
  for (let i = 2; i < r.length; i += 2) ctx.lineTo(r[i], r[i + 1]);
}

/** Distance from a point to an edge polyline, in flow units. */
export function distanceToRoute(r: Float64Array, x: number, y: number): number {
  let best = Infinity;
  for (let i = 0; i + 3 < r.length; i += 2) {
    const ax = r[i], ay = r[i + 1], bx = r[i + 2], by = r[i + 3];
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
    const px = ax + t * dx - x, py = ay + t * dy - y;
    best = Math.min(best, Math.hypot(px, py));
  }
  return best;
}
