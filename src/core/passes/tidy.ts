/**
 * The tidy-up the reference runs after every transformation (ModelWrapper.transform -> cleanup):
 * static graph inputs and unused tensors go, nodes are sorted topologically, constant inputs of
 * commutative ops go last, and (as the project's spec adds) shared parameter tensors are made unique.
 * `runTransform` is how the app and the CLI apply any registered pass: to a fixpoint, then this tidy-up.
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Graph, Model, Node } from '../ir/types.js';
import { giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from './cleanupPasses.js';
import { runSync, type Task } from '../task.js';
import { reconcileDeclarationsPass } from './reconcileDeclarations.js';
import { toFixpointTask, type Pass, type PassResult } from './pass.js';

/**
 * SortGraph as the reference computes it (toposort_flatten over node dependencies): nodes are emitted
 * level by level, a level being every node whose producers were all emitted in earlier levels, and
 * within a level in their current order. So a chain of weight quantizers with only initializer inputs
 * all come first. Nodes on cycles (and what depends on them) keep their relative order at the end;
 * unlike the reference, nodes that float free of the graph are kept (in the first level), not dropped.
 */
export const sortGraph: Pass = {
  id: 'sort-graph',
  title: 'Sort graph',
  summary: 'Order the nodes topologically, level by level (as the reference SortGraph)',
  run(model) {
    const g = model.graph ?? {};
    const nodes = g.node ?? [];
    if (nodes.length <= 1) return { model, modified: false };
    const idx = indexGraph(g);
    const n = nodes.length;
    const indeg = new Int32Array(n);
    const succ: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) {
      const preds = new Set<number>();
      for (const t of [...(nodes[i].input ?? []), ...outerReads(nodes[i])]) {
        const p = t ? idx.producer.get(t) : undefined;
        if (p !== undefined && p !== i) preds.add(p);
      }
      for (const p of preds) {
        succ[p].push(i);
        indeg[i]++;
      }
    }
    const order: number[] = [];
    let level: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) level.push(i);
    while (level.length) {
      level.sort((a, b) => a - b);
      order.push(...level);
      const next: number[] = [];
      for (const i of level) for (const s of succ[i]) if (--indeg[s] === 0) next.push(s);
      level = next;
    }
    if (order.length < n) {
      const placed = new Set(order);
      for (let i = 0; i < n; i++) if (!placed.has(i)) order.push(i);
    }
    if (order.every((v, i) => v === i)) return { model, modified: false };
    return { model: { ...model, graph: { ...g, node: order.map((i) => nodes[i]) } }, modified: true };
  },
};

/** Tensors the subgraphs of a node (If, Loop, Scan bodies) read from the enclosing scope. */
function outerReads(node: Node): string[] {
  const out: string[] = [];
  const visit = (g: Graph) => {
    const local = new Set<string>();
    for (const v of g.input ?? []) if (v.name) local.add(v.name);
    for (const t of g.initializer ?? []) if (t.name) local.add(t.name);
    for (const m of g.node ?? []) for (const o of m.output ?? []) if (o) local.add(o);
    for (const m of g.node ?? []) {
      for (const t of m.input ?? []) if (t && !local.has(t)) out.push(t);
      for (const a of m.attribute ?? []) for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(sub);
    }
  };
  for (const a of node.attribute ?? []) for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(sub);
  return out;
}

/**
 * Commutative ops whose constant (initializer) inputs are moved last, keeping the relative order of
 * the dynamic inputs and of the constant ones. The reference sorts Add, Mul, And, Or, Xor and Sum;
 * Max, Min, Mean and Equal are commutative too and are sorted here as well.
 */
export const COMMUTATIVE_OPS: ReadonlySet<string> = new Set(['Add', 'Mul', 'And', 'Or', 'Xor', 'Max', 'Min', 'Sum', 'Mean', 'Equal']);

export const sortCommutativeInputsInitializerLast: Pass = {
  id: 'sort-commutative-inputs',
  title: 'Constant inputs last',
  summary: 'Move initializer inputs of commutative ops (Add, Mul, Max, ...) after the dynamic inputs',
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    let modified = false;
    const node = (g.node ?? []).map((nd) => {
      if (!COMMUTATIVE_OPS.has(nd.opType ?? '') || (nd.domain && nd.domain !== 'ai.onnx')) return nd;
      const ins = nd.input ?? [];
      const dyn = ins.filter((t) => !idx.initializer.has(t));
      const init = ins.filter((t) => idx.initializer.has(t));
      const input = [...dyn, ...init];
      if (input.every((t, i) => t === ins[i])) return nd;
      modified = true;
      return { ...nd, input };
    });
    return modified ? { model: { ...model, graph: { ...g, node } }, modified } : { model, modified: false };
  },
};

/**
 * The tidy-up steps, in the order they run. Static graph inputs go before unused tensors (the
 * reference runs them the other way round): a weight that is both a graph input and an initializer
 * and that a pass made unused (BatchNorm parameters after BatchNormToAffine) would otherwise lose its
 * initializer first and stay behind as a graph input that needs a value. Last, the declarations are
 * brought in line with what the pass made of the graph (readers reject a stale value_info).
 */
export const TIDY_STEPS: readonly Pass[] = [removeStaticGraphInputs, removeUnusedTensors, sortGraph, sortCommutativeInputsInitializerLast, giveUniqueParameterTensors, reconcileDeclarationsPass];

export function tidyUp(model: Model): PassResult {
  return runSync(tidyUpTask(model));
}

export function* tidyUpTask(model: Model): Task<PassResult> {
  let m = model;
  let modified = false;
  for (const step of TIDY_STEPS) {
    const r = yield* toFixpointTask(step, m, {}, 100, `Tidying up: ${step.title.toLowerCase()}`);
    if (r.modified) {
      m = r.model;
      modified = true;
    }
  }
  return { model: m, modified };
}

/**
 * Apply a transformation the way the reference's ModelWrapper.transform does: repeatedly until it
 * reports no change, then the tidy-up. `modified` is true when either changed the model.
 */
export function runTransform<P>(pass: Pass<P>, model: Model, params: P): PassResult {
  return runSync(runTransformTask(pass, model, params));
}

export function* runTransformTask<P>(pass: Pass<P>, model: Model, params: P): Task<PassResult> {
  const r = yield* toFixpointTask(pass, model, params);
  const t = yield* tidyUpTask(r.model);
  // messages a pass leaves for the user (what it skipped and why) are passed on
  const notes = (r as { notes?: string[] }).notes;
  return { model: t.model, modified: r.modified || t.modified, ...(notes?.length ? { notes } : {}) };
}
