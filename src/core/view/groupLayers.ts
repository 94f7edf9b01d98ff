/**
 * Layer grouping: a compute node (Conv, MatMul, Gemm...) and the chain that follows it up to the
 * next compute node (normalisation, activation, its output quantizer) become one box. A 20,000-node
 * network then reads as its few thousand layers, and each box still opens its compute node.
 */
import type { ViewEdge, ViewGraph, ViewNode } from './viewGraph.js';
import { sizeCard } from './cardSize.js';

export function groupLayers(vg: ViewGraph): ViewGraph {
  const byId = new Map(vg.nodes.map((n) => [n.id, n]));
  const outs = new Map<string, Set<string>>();
  const ins = new Map<string, Set<string>>();
  for (const e of vg.edges) {
    if (!outs.has(e.source)) outs.set(e.source, new Set());
    outs.get(e.source)!.add(e.target);
    if (!ins.has(e.target)) ins.set(e.target, new Set());
    ins.get(e.target)!.add(e.source);
  }
  // next[x] = y when x's only successor y has x as its only predecessor and y is not a new layer
  const absorbs = (y: ViewNode | undefined) => !!y && y.kind === 'op' && y.category !== 'compute' && y.category !== 'hardware';
  const next = new Map<string, string>();
  const absorbed = new Set<string>();
  for (const n of vg.nodes) {
    if (n.kind !== 'op') continue;
    const o = outs.get(n.id);
    if (!o || o.size !== 1) continue;
    const [y] = o;
    if (absorbs(byId.get(y)) && ins.get(y)?.size === 1) {
      next.set(n.id, y);
      absorbed.add(y);
    }
  }
  const groupOf = new Map<string, string>();
  const nodes: ViewNode[] = [];
  for (const n of vg.nodes) {
    if (absorbed.has(n.id)) continue;
    const members = [n];
    for (let cur = next.get(n.id); cur && members.length < 64; cur = next.get(cur)) members.push(byId.get(cur)!);
    if (members.length === 1 || n.category !== 'compute') {
      // not a layer head: its chain stays as separate boxes
      for (const m of members) {
        groupOf.set(m.id, m.id);
        nodes.push(m);
      }
      continue;
    }
    const id = `g:${n.id}`;
    for (const m of members) groupOf.set(m.id, id);
    const lastQuant = [...members].reverse().find((m) => m.category === 'quant');
    const rows = [...n.rows, { slot: '', tensor: '', text: members.slice(1).map((m) => (m.badge ? `${m.title} ${m.badge}` : m.title)).join(' → ') }];
    // the output quantizer's bits, else the head's own badge (a QLinearConv's element types)
    const badge = lastQuant?.badge ?? n.badge;
    const card = sizeCard({ title: n.title, badge, subtitle: n.subtitle, rows });
    nodes.push({
      ...n,
      id,
      subtitle: n.subtitle,
      badge,
      ...(lastQuant?.floatNote ? { floatNote: lastQuant.floatNote } : {}),
      rows: card.rows,
      width: card.width,
      height: card.height,
      members: members.map((m) => m.nodeIndex!).filter((i) => i !== undefined),
    } as ViewNode);
  }
  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  for (const e of vg.edges) {
    const s = groupOf.get(e.source) ?? e.source;
    const t = groupOf.get(e.target) ?? e.target;
    if (s === t) continue;
    const k = `${s}>${t}>${e.tensor}`;
    if (seen.has(k)) continue;
    seen.add(k);
    edges.push({ ...e, source: s, target: t });
  }
  const nodeIdOf = new Map<number, string>();
  for (const [i, id] of vg.nodeIdOf) nodeIdOf.set(i, groupOf.get(id) ?? id);
  const edgesOfTensor = new Map<string, string[]>();
  for (const e of edges) {
    const l = edgesOfTensor.get(e.tensor);
    if (l) l.push(e.id);
    else edgesOfTensor.set(e.tensor, [e.id]);
  }
  return { nodes, edges, nodeIdOf, edgesOfTensor };
}
