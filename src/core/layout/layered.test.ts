import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { buildViewGraph } from '../view/viewGraph.js';
import { layeredLayout, type LayoutInputEdge, type LayoutInputNode, type LayoutResult } from './layered.js';
import { TEST_MODELS } from '../testing/paths.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const node = (id: string, width = 180, height = 40): LayoutInputNode => ({ id, width, height });
const edge = (source: string, target: string, id = `${source}->${target}`): LayoutInputEdge => ({ id, source, target });

function assertFinite(nodes: readonly LayoutInputNode[], r: LayoutResult) {
  expect(r.positions.size).toBe(nodes.length);
  for (const n of nodes) {
    const p = r.positions.get(n.id)!;
    expect(p, n.id).toBeDefined();
    expect(Number.isFinite(p.x) && Number.isFinite(p.y), `${n.id} at ${p.x},${p.y}`).toBe(true);
    expect(p.x).toBeGreaterThanOrEqual(-1e-6);
    expect(p.y).toBeGreaterThanOrEqual(-1e-6);
  }
  for (const [id, pts] of r.routes) for (const q of pts) expect(Number.isFinite(q.x) && Number.isFinite(q.y), `route ${id}`).toBe(true);
  expect(Number.isFinite(r.width) && Number.isFinite(r.height)).toBe(true);
}

/** No two node rectangles overlap (nodes of one layer sit side by side; layers are separate bands). */
function assertNoOverlap(nodes: readonly LayoutInputNode[], r: LayoutResult) {
  const boxes = nodes.map((n) => {
    const p = r.positions.get(n.id)!;
    return { id: n.id, x0: p.x, x1: p.x + n.width, y0: p.y, y1: p.y + n.height };
  });
  boxes.sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length && boxes[j].y0 < boxes[i].y1; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x0 < b.x1 - 1e-6 && b.x0 < a.x1 - 1e-6 && a.y0 < b.y1 - 1e-6 && b.y0 < a.y1 - 1e-6;
      expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
    }
}

/** Edges whose target does not sit entirely below its source. */
function upwardEdges(nodes: readonly LayoutInputNode[], edges: readonly LayoutInputEdge[], r: LayoutResult): LayoutInputEdge[] {
  const h = new Map(nodes.map((n) => [n.id, n.height]));
  return edges.filter((e) => {
    if (e.source === e.target) return false;
    const s = r.positions.get(e.source)!;
    const t = r.positions.get(e.target)!;
    return !(s.y + h.get(e.source)! <= t.y + 1e-6);
  });
}

function assertRoutes(nodes: readonly LayoutInputNode[], edges: readonly LayoutInputEdge[], r: LayoutResult) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const e of edges) {
    if (e.source === e.target) continue;
    const pts = r.routes.get(e.id)!;
    expect(pts, e.id).toBeDefined();
    const s = r.positions.get(e.source)!;
    const t = r.positions.get(e.target)!;
    const first = pts[0];
    const lastPt = pts[pts.length - 1];
    // from the bottom edge of the source to the top edge of the target, inside their x extents
    expect(first.y).toBeCloseTo(s.y + byId.get(e.source)!.height, 6);
    expect(first.x).toBeGreaterThanOrEqual(s.x - 1e-6);
    expect(first.x).toBeLessThanOrEqual(s.x + byId.get(e.source)!.width + 1e-6);
    expect(lastPt.y).toBeCloseTo(t.y, 6);
    expect(lastPt.x).toBeGreaterThanOrEqual(t.x - 1e-6);
    expect(lastPt.x).toBeLessThanOrEqual(t.x + byId.get(e.target)!.width + 1e-6);
    for (let k = 1; k < pts.length; k++) expect(pts[k].y).toBeGreaterThanOrEqual(pts[k - 1].y - 1e-6);
  }
}

function randomDag(seed: number, n: number, extraEdges: number) {
  const r = prng(seed);
  const ids = Array.from({ length: n }, (_, i) => `v${i}`);
  const nodes = ids.map((id) => node(id, 60 + Math.floor(r() * 200), 30 + Math.floor(r() * 80)));
  const edges: LayoutInputEdge[] = [];
  for (let i = 1; i < n; i++) edges.push(edge(ids[Math.floor(r() * i)], ids[i]));
  for (let k = 0; k < extraEdges; k++) {
    const a = Math.floor(r() * n);
    const b = Math.floor(r() * n);
    if (a !== b) edges.push(edge(ids[Math.min(a, b)], ids[Math.max(a, b)], `x${k}`));
  }
  // shuffle node order so that input order is not a topological order
  for (let i = nodes.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
  }
  return { nodes, edges };
}

describe('layeredLayout', () => {
  it('lays a chain out top to bottom', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id));
    const edges = [edge('a', 'b'), edge('b', 'c'), edge('c', 'd')];
    const r = layeredLayout(nodes, edges);
    assertFinite(nodes, r);
    const ys = nodes.map((n) => r.positions.get(n.id)!.y);
    expect(ys).toEqual([...ys].sort((p, q) => p - q));
    expect(new Set(ys).size).toBe(4);
    expect(upwardEdges(nodes, edges, r)).toEqual([]);
    assertRoutes(nodes, edges, r);
  });

  it('puts a diamond’s branches side by side without overlap', () => {
    const nodes = ['top', 'left', 'right', 'bottom'].map((id) => node(id));
    const edges = [edge('top', 'left'), edge('top', 'right'), edge('left', 'bottom'), edge('right', 'bottom')];
    const r = layeredLayout(nodes, edges);
    expect(r.positions.get('left')!.y).toBe(r.positions.get('right')!.y);
    assertNoOverlap(nodes, r);
    expect(upwardEdges(nodes, edges, r)).toEqual([]);
    assertRoutes(nodes, edges, r);
  });

  it('keeps a wide fan-out in one layer without overlap, with the requested gap', () => {
    const nodes = [node('src'), ...Array.from({ length: 30 }, (_, i) => node(`c${i}`, 50 + i * 7))];
    const edges = nodes.slice(1).map((n) => edge('src', n.id));
    const r = layeredLayout(nodes, edges, { nodeGap: 25 });
    assertNoOverlap(nodes, r);
    const row = nodes.slice(1).map((n) => ({ n, p: r.positions.get(n.id)! })).sort((a, b) => a.p.x - b.p.x);
    for (let k = 1; k < row.length; k++) expect(row[k].p.x - (row[k - 1].p.x + row[k - 1].n.width)).toBeGreaterThanOrEqual(25 - 1e-6);
  });

  it.each([1, 2, 3])('random DAG (seed %i): no overlap, every edge downward, routes connect', (seed) => {
    const { nodes, edges } = randomDag(seed, 300, 250);
    const r = layeredLayout(nodes, edges);
    assertFinite(nodes, r);
    assertNoOverlap(nodes, r);
    expect(upwardEdges(nodes, edges, r).map((e) => e.id)).toEqual([]);
    assertRoutes(nodes, edges, r);
  });

  it('breaks a cycle with exactly one upward edge and terminates', () => {
    const nodes = ['in', 'a', 'b', 'c', 'out'].map((id) => node(id));
    const edges = [edge('in', 'a'), edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'out')];
    const r = layeredLayout(nodes, edges);
    assertFinite(nodes, r);
    assertNoOverlap(nodes, r);
    const up = upwardEdges(nodes, edges, r);
    expect(up).toHaveLength(1);
    expect(['a->b', 'b->c', 'c->a']).toContain(up[0].id);
    // the reversed edge is still routed between its own endpoints
    const pts = r.routes.get(up[0].id)!;
    expect(pts.length).toBeGreaterThanOrEqual(2);
  });

  it('does not hang on dense cycles and self loops', () => {
    const n = 40;
    const nodes = Array.from({ length: n }, (_, i) => node(`k${i}`));
    const edges: LayoutInputEdge[] = [];
    for (let i = 0; i < n; i++) {
      edges.push(edge(`k${i}`, `k${i}`, `self${i}`));
      for (let j = 0; j < n; j++) if (i !== j && (i + j) % 3 === 0) edges.push(edge(`k${i}`, `k${j}`));
    }
    const t0 = performance.now();
    const r = layeredLayout(nodes, edges);
    expect(performance.now() - t0).toBeLessThan(5000);
    assertFinite(nodes, r);
    assertNoOverlap(nodes, r);
  });

  it('ignores edges to unknown nodes and handles an empty graph', () => {
    const empty = layeredLayout([], []);
    expect(empty.positions.size).toBe(0);
    expect(Number.isFinite(empty.width) && Number.isFinite(empty.height)).toBe(true);
    const r = layeredLayout([node('a')], [edge('a', 'ghost'), edge('ghost', 'a')]);
    assertFinite([node('a')], r);
  });

  it('lays out 5,000 nodes quickly', () => {
    const { nodes, edges } = randomDag(9, 5000, 2000);
    const t0 = performance.now();
    const r = layeredLayout(nodes, edges);
    expect(performance.now() - t0).toBeLessThan(10_000);
    assertFinite(nodes, r);
    expect(upwardEdges(nodes, edges, r)).toEqual([]);
  });

  it.each(['zoo_TFC_2W2A.onnx', 'finnplus_metafi_step_qonnx_to_finn.onnx'])('lays out the view graph of %s', (f) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f)));
    for (const showConstants of [false, true]) {
      const vg = buildViewGraph(decodeModel(bytes), { showConstants });
      const r = layeredLayout(vg.nodes, vg.edges);
      assertFinite(vg.nodes, r);
      assertNoOverlap(vg.nodes, r);
      expect(upwardEdges(vg.nodes, vg.edges, r)).toEqual([]);
      assertRoutes(vg.nodes, vg.edges, r);
    }
  });
});
