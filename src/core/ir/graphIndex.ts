/**
 * Read-only queries over a graph: who produces and consumes each tensor, initializers, value infos,
 * annotations, topological order. Built once per graph object and memoised, so it is free to ask again;
 * a new model version has new graph objects and gets a new index.
 */
import type { Graph, Node, Tensor, TensorAnnotation, ValueInfo } from './types.js';
import { runSync, type Task } from '../task.js';

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
  /** indices of nodes that sit on a cycle (not those merely downstream of one) */
  cyclic: number[];
}

const cache = new WeakMap<Graph, GraphIndex>();

export function indexGraph(graph: Graph): GraphIndex {
  return cache.get(graph) ?? runSync(indexGraphTask(graph));
}

/** Items between two yields of indexGraphTask. */
const STEP = 1000;

/**
 * indexGraph as a task (src/core/task.ts): the page builds the index of a 20,000-node graph in slices,
 * right after its copy of a model is decoded, so that the first panel asking for it finds it ready.
 */
export function* indexGraphTask(graph: Graph): Task<GraphIndex> {
  const hit = cache.get(graph);
  if (hit) return hit;
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    for (const o of n.output ?? []) if (o && !producer.has(o)) producer.set(o, i);
    for (const t of n.input ?? []) {
      if (!t) continue;
      const list = consumers.get(t);
      if (list) list.push(i);
      else consumers.set(t, [i]);
    }
    if (i % STEP === STEP - 1) yield { label: 'Indexing the graph', done: i, total: nodes.length };
  }
  function* byName<T extends { name?: string | null }>(xs: readonly T[] | null | undefined): Task<Map<string, T>> {
    const m = new Map<string, T>();
    let k = 0;
    for (const x of xs ?? []) {
      if (x.name != null) m.set(x.name, x);
      if (++k % STEP === 0) yield { label: 'Indexing the graph', done: k, total: 0 };
    }
    return m;
  }
  const annotation = new Map<string, Map<string, string>>();
  for (const a of (graph.quantizationAnnotation ?? []) as TensorAnnotation[]) {
    if (!a.tensorName) continue;
    const m = annotation.get(a.tensorName) ?? new Map<string, string>();
    for (const kv of a.quantParameterTensorNames ?? []) if (kv.key) m.set(kv.key, kv.value ?? '');
    annotation.set(a.tensorName, m);
  }
  yield { label: 'Indexing the graph', done: 0, total: 0 };
  const { order, cyclic } = yield* topoOrderTask(nodes, producer);
  const idx: GraphIndex = {
    graph,
    nodes,
    producer,
    consumers,
    initializer: yield* byName(graph.initializer),
    input: yield* byName(graph.input),
    output: yield* byName(graph.output),
    valueInfo: yield* byName(graph.valueInfo),
    annotation,
    order,
    cyclic,
  };
  cache.set(graph, idx);
  return idx;
}

/** Kahn's algorithm over data edges; ties keep file order so the result is stable. Yields every STEP nodes. */
function* topoOrderTask(nodes: readonly Node[], producer: Map<string, number>): Task<{ order: number[]; cyclic: number[] }> {
  const n = nodes.length;
  const indeg = new Int32Array(n);
  const succ: number[][] = Array.from({ length: n }, () => []);
  const step = (i: number) => ({ label: 'Indexing the graph', done: i, total: n });
  for (let i = 0; i < n; i++) {
    if (i % STEP === STEP - 1) yield step(i);
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
    if (h % STEP === STEP - 1) yield step(h);
    const i = queue[h];
    order.push(i);
    for (const s of succ[i]) if (--indeg[s] === 0) queue.push(s);
  }
  if (order.length === n) return { order, cyclic: [] };
  // Kahn leaves cycle members and everything downstream of them; a node is on a cycle when it can
  // reach itself, i.e. its strongly connected component has two or more nodes (or a self loop).
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] > 0) rest.push(i);
  const cyclic = nodesOnCycles(rest, succ, nodes, producer);
  return { order: order.concat(rest), cyclic };
}

/** Tarjan's strongly connected components over the leftover nodes, iteratively. */
function nodesOnCycles(rest: number[], succ: number[][], nodes: readonly Node[], producer: Map<string, number>): number[] {
  const inRest = new Set(rest);
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const result: number[] = [];
  let counter = 0;
  for (const root of rest) {
    if (index.has(root)) continue;
    const work: [number, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const [v, k] = top;
      const next = succ[v];
      if (k < next.length) {
        top[1]++;
        const w = next[k];
        if (!inRest.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        const selfLoop = comp.length === 1 && (nodes[v].input ?? []).some((t) => t && producer.get(t) === v);
        if (comp.length > 1 || selfLoop) result.push(...comp);
      }
    }
  }
  return result.sort((a, b) => a - b);
}

export function nodeLabel(n: Node, i: number): string {
  return n.name ? `'${n.name}' (${n.opType})` : `#${i} (${n.opType})`;
}
