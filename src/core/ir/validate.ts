/**
 * Structural problems that do not stop a model from being shown but that a user must know about:
 * references to tensors nobody provides, tensors produced twice, cycles, missing opset imports, and
 * custom-op attributes left out (an error when the computation needs one, a warning when it only
 * describes the result, e.g. a MultiThreshold without out_dtype).
 */
import { attrMap } from '../analysis/shapeInference.js';
import { missingAttributes, missingText } from '../qonnx/ops/attrs.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { indexGraph, nodeLabel } from './graphIndex.js';
import type { Graph, Model } from './types.js';

export interface GraphProblem {
  severity: 'error' | 'warning';
  code: 'dangling-input' | 'dangling-output' | 'duplicate-producer' | 'cycle' | 'no-opset' | 'no-graph' | 'missing-attribute';
  message: string;
  /** node index (top-level graph) when the problem is located at a node */
  node?: number;
  tensor?: string;
}

const MAX_PER_KIND = 50;

export function validateModel(model: Model): GraphProblem[] {
  const problems: GraphProblem[] = [];
  if (!model.graph) {
    problems.push({ severity: 'error', code: 'no-graph', message: 'The model has no graph' });
    return problems;
  }
  if ((model.opsetImport?.length ?? 0) === 0)
    problems.push({ severity: 'warning', code: 'no-opset', message: 'The model declares no opset_import; standard ops are read as the latest opset' });
  validateGraph(model.graph, new Set(), problems, '');
  (model.graph.node ?? []).forEach((n, i) => {
    const def = resolveCustomOp(n, model);
    if (!def) return;
    const { required, descriptive } = missingAttributes(def.attrs, attrMap(n));
    for (const a of required)
      problems.push({ severity: 'error', code: 'missing-attribute', message: `Node ${nodeLabel(n, i)}: ${missingText(a)}; it cannot run without it`, node: i });
    for (const a of descriptive)
      problems.push({ severity: 'warning', code: 'missing-attribute', message: `Node ${nodeLabel(n, i)}: ${a.name} missing: ${a.ifMissing}`, node: i });
  });
  return problems;
}

function validateGraph(g: Graph, outer: Set<string>, problems: GraphProblem[], path: string): void {
  const idx = indexGraph(g);
  const known = new Set<string>(outer);
  for (const i of g.input ?? []) if (i.name) known.add(i.name);
  for (const t of g.initializer ?? []) if (t.name) known.add(t.name);
  for (const t of g.sparseInitializer ?? []) if (t.values?.name) known.add(t.values.name);
  for (const k of idx.producer.keys()) known.add(k);
  const where = path ? ` in subgraph ${path}` : '';
  let dangling = 0;
  idx.nodes.forEach((n, i) => {
    for (const t of n.input ?? []) {
      if (!t || known.has(t)) continue;
      if (dangling++ < MAX_PER_KIND)
        problems.push({
          severity: 'error',
          code: 'dangling-input',
          message: `Node ${nodeLabel(n, i)}${where} reads tensor '${t}', which no node, initializer or graph input provides`,
          node: path ? undefined : i,
          tensor: t,
        });
    }
  });
  for (const o of g.output ?? []) {
    if (o.name && !known.has(o.name))
      problems.push({ severity: 'error', code: 'dangling-output', message: `Graph output '${o.name}'${where} is not produced by any node`, tensor: o.name });
  }
  const seen = new Map<string, number>();
  idx.nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (!o) continue;
      const first = seen.get(o);
      if (first !== undefined)
        problems.push({
          severity: 'error',
          code: 'duplicate-producer',
          message: `Tensor '${o}'${where} is produced by both node ${nodeLabel(idx.nodes[first], first)} and node ${nodeLabel(n, i)}`,
          node: path ? undefined : i,
          tensor: o,
        });
      else seen.set(o, i);
    }
  });
  if (idx.cyclic.length > 0) {
    const names = idx.cyclic.slice(0, 6).map((i) => nodeLabel(idx.nodes[i], i));
    problems.push({
      severity: 'error',
      code: 'cycle',
      message: `The graph${where} has a cycle: ${idx.cyclic.length} node(s) depend on their own output, among them ${names.join(', ')}${idx.cyclic.length > 6 ? ', …' : ''}`,
      node: path ? undefined : idx.cyclic[0],
    });
  }
  // Subgraphs (If/Loop/Scan bodies) see every name of the enclosing scope.
  idx.nodes.forEach((n, i) => {
    for (const a of n.attribute ?? []) {
      const subs = a.g ? [a.g] : (a.graphs ?? []);
      subs.forEach((sg, k) => validateGraph(sg, known, problems, `${path}${nodeLabel(n, i)}.${a.name}${subs.length > 1 ? `[${k}]` : ''}`));
    }
  });
}
