/**
 * Read-only queries over a graph: who produces and consumes each tensor, initializers, value infos,
 * annotations, topological order. Built once per graph object and memoised, so it is free to ask again;
 * a new model version has new graph objects and gets a new index.
 */
import type { Graph, Node, Tensor, TensorAnnotation, ValueInfo } from './types.js';

export interface GraphIndex {
  graph: Graph;
  nodes: readonly Node[];
  /** tensor name -> index of the node that produces it */
  producer: Map<string, number>;
  /** tensor name -> indices of nodes that read it (a node reading twice is listed twice) */
  consumers: Map<string, number[]>;
  initializer: Map<string, Tensor>;
  /** graph inputs, outputs and value_info by name */
  input: Map<string, ValueInfo>;
  output: Map<string, ValueInfo>;
  valueInfo: Map<string, ValueInfo>;
  /** quantization_annotation entries by tensor name: key -> value */
  annotation: Map<string, Map<string, string>>;
  /** node indices in a topological order (nodes on cycles appended at the end in file order) */
  order: number[];
  /** indices of nodes that sit on a cycle */
  cyclic: number[];
}

const cache = new WeakMap<Graph, GraphIndex>();

export function indexGraph(graph: Graph): GraphIndex {
  const hit = cache.get(graph);
  if (hit) return hit;
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o && !producer.has(o)) producer.set(o, i);
    for (const t of n.input ?? []) {
      if (!t) continue;
      const list = consumers.get(t);
      if (list) list.push(i);
      else consumers.set(t, [i]);
    }
  });
  const byName = <T extends { name?: string | null }>(xs: readonly T[] | null | undefined) => {
    const m = new Map<string, T>();
    for (const x of xs ?? []) if (x.name != null) m.set(x.name, x);
    return m;
  };
  const annotation = new Map<string, Map<string, string>>();
  for (const a of (graph.quantizationAnnotation ?? []) as TensorAnnotation[]) {
    if (!a.tensorName) continue;
    const m = annotation.get(a.tensorName) ?? new Map<string, string>();
    for (const kv of a.quantParameterTensorNames ?? []) if (kv.key) m.set(kv.key, kv.value ?? '');
    annotation.set(a.tensorName, m);
  }
  const { order, cyclic } = topoOrder(nodes, producer);
  const idx: GraphIndex = {
    graph,
    nodes,
    producer,
    consumers,
    initializer: byName(graph.initializer),
    input: byName(graph.input),
    output: byName(graph.output),
    valueInfo: byName(graph.valueInfo),
    annotation,
    order,
    cyclic,
  };
  cache.set(graph, idx);
  return idx;
}

/** Kahn's algorithm over data edges; ties keep file order so the result is stable. */
function topoOrder(nodes: readonly Node[], producer: Map<string, number>): { order: number[]; cyclic: number[] } {
  const n = nodes.length;
  const indeg = new Int32Array(n);
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const seen = new Set<number>();
    for (const t of nodes[i].input ?? []) {
      const p = t ? producer.get(t) : undefined;
      if (p === undefined || seen.has(p)) continue;
      seen.add(p);
      succ[p].push(i);
      indeg[i]++;
    }
  }
  const order: number[] = [];
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let h = 0; h < queue.length; h++) {
    const i = queue[h];
    order.push(i);
    for (const s of succ[i]) if (--indeg[s] === 0) queue.push(s);
  }
  const cyclic: number[] = [];
  if (order.length < n) for (let i = 0; i < n; i++) if (indeg[i] > 0) cyclic.push(i);
  // Nodes only downstream of a cycle also remain; keep file order for them.
  return { order: order.concat(cyclic), cyclic };
}

export function nodeLabel(n: Node, i: number): string {
  return n.name ? `'${n.name}' (${n.opType})` : `#${i} (${n.opType})`;
}
