/** Tensors whose data lives in external files, wherever the model holds them. */
import type { Attribute, Graph, Model, Tensor } from '../ir/types.js';
import { externalRef, isExternal, type ExternalRef } from './tensorData.js';

export interface ExternalTensor {
  tensor: Tensor;
  ref: ExternalRef;
}

function collectFromTensor(t: Tensor | null | undefined, out: ExternalTensor[]): void {
  if (t && isExternal(t)) out.push({ tensor: t, ref: externalRef(t)! });
}

function collectFromAttributes(attrs: readonly Attribute[] | null | undefined, out: ExternalTensor[]): void {
  for (const a of attrs ?? []) {
    collectFromTensor(a.t, out);
    for (const t of a.tensors ?? []) collectFromTensor(t, out);
    if (a.sparseTensor) {
      collectFromTensor(a.sparseTensor.values, out);
      collectFromTensor(a.sparseTensor.indices, out);
    }
    for (const s of a.sparseTensors ?? []) {
      collectFromTensor(s.values, out);
      collectFromTensor(s.indices, out);
    }
    if (a.g) collectFromGraph(a.g, out);
    for (const g of a.graphs ?? []) collectFromGraph(g, out);
  }
}

function collectFromGraph(g: Graph, out: ExternalTensor[]): void {
  for (const t of g.initializer ?? []) collectFromTensor(t, out);
  for (const s of g.sparseInitializer ?? []) {
    collectFromTensor(s.values, out);
    collectFromTensor(s.indices, out);
  }
  for (const n of g.node ?? []) collectFromAttributes(n.attribute, out);
}

/** Every tensor of the model (graph, subgraphs, functions, training info) whose data is external. */
export function externalTensors(model: Model): ExternalTensor[] {
  const out: ExternalTensor[] = [];
  if (model.graph) collectFromGraph(model.graph, out);
  for (const f of model.functions ?? []) for (const n of f.node ?? []) collectFromAttributes(n.attribute, out);
  for (const ti of model.trainingInfo ?? []) {
    if (ti.initialization) collectFromGraph(ti.initialization, out);
    if (ti.algorithm) collectFromGraph(ti.algorithm, out);
  }
  return out;
}

/** Distinct external-data locations, in first-use order. */
export function externalLocations(model: Model): string[] {
  return [...new Set(externalTensors(model).map((e) => e.ref.location))];
}

