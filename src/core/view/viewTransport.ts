/**
 * A view graph sent from the model worker to the page: its lists as JSON slices (core/io/jsonSlices.ts),
 * so that the page takes the 5,000 boxes and 6,000 edges of a 20,000-node overview a few milliseconds
 * at a time rather than in one structured-clone deserialisation.
 */
import { eachJsonSlice, fromJsonSlices, toJsonSlices } from '../io/jsonSlices.js';
import type { Task } from '../task.js';
import type { ViewEdge, ViewGraph, ViewNode } from './viewGraph.js';

export interface PackedView {
  nodes: string[];
  edges: string[];
  nodeIdOf: string[];
  edgesOfTensor: string[];
}

const NODES_PER_SLICE = 300;

export function packView(vg: ViewGraph): PackedView {
  return {
    nodes: toJsonSlices(vg.nodes, NODES_PER_SLICE),
    edges: toJsonSlices(vg.edges),
    nodeIdOf: toJsonSlices([...vg.nodeIdOf]),
    edgesOfTensor: toJsonSlices([...vg.edgesOfTensor]),
  };
}

export function* unpackViewTask(p: PackedView): Task<ViewGraph> {
  const nodes = yield* fromJsonSlices<ViewNode>(p.nodes, 'Receiving the view');
  const edges = yield* fromJsonSlices<ViewEdge>(p.edges, 'Receiving the view');
  // the maps filled slice by slice, not from one array of all their entries at the end
  const nodeIdOf = new Map<number, string>();
  yield* eachJsonSlice<[number, string]>(p.nodeIdOf, ([k, v]) => nodeIdOf.set(k, v), 'Receiving the view');
  const edgesOfTensor = new Map<string, string[]>();
  yield* eachJsonSlice<[string, string[]]>(p.edgesOfTensor, ([k, v]) => edgesOfTensor.set(k, v), 'Receiving the view');
  return { nodes, edges, nodeIdOf, edgesOfTensor };
}
