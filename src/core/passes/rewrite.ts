/**
 * Building blocks the rewriting passes share: fresh tensor names, constant values of initializers,
 * attribute and node builders, and a splice that replaces nodes in place (so the node list stays in
 * topological order) while every untouched node, tensor and value_info is shared with the old model.
 */
import { fromTensor, toTensor, type ConstTensor } from '../exec/constTensor.js';
import type { GraphIndex } from '../ir/graphIndex.js';
import type { Attribute, Graph, Model, Node, Tensor } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { isExternal } from '../onnx/tensorData.js';

/** Every tensor name a graph mentions (inputs, outputs, value_info, initializers, node inputs/outputs). */
export function tensorNamesOf(g: Graph): Set<string> {
  const s = new Set<string>();
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (v.name) s.add(v.name);
  for (const t of g.initializer ?? []) if (t.name) s.add(t.name);
  for (const n of g.node ?? []) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) if (t) s.add(t);
  for (const a of g.quantizationAnnotation ?? []) if (a.tensorName) s.add(a.tensorName);
  return s;
}

/** Hands out tensor names that no existing or previously handed-out tensor uses. */
export class NameSource {
  private readonly used: Set<string>;
  constructor(g: Graph) {
    this.used = tensorNamesOf(g);
  }
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** The value of an initializer (undefined when it is not one, lives in external data, or cannot be read). */
export function constValue(idx: GraphIndex, name: string | undefined | null): ConstTensor | undefined {
  if (!name) return undefined;
  const t = idx.initializer.get(name);
  if (!t || isExternal(t)) return undefined;
  try {
    return fromTensor(t);
  } catch {
    return undefined;
  }
}

export function f32Const(shape: number[], values: ArrayLike<number>): ConstTensor {
  return { dataType: 1, shape, data: Float64Array.from(values, (v) => Math.fround(v)) };
}

export function initializer(name: string, c: ConstTensor): Tensor {
  return toTensor(name, c);
}

export const attrI = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });
export const attrF = (name: string, v: number): Attribute => ({ name, type: 1, f: v });
export const attrInts = (name: string, vs: number[]): Attribute => ({ name, type: 7, ints: vs.map((v) => int64From(v)) });

export function makeNode(opType: string, input: string[], output: string[], name = '', attribute: Attribute[] = [], domain = ''): Node {
  const n: Node = { opType, input, output, name, domain };
  if (attribute.length) n.attribute = attribute;
  return n;
}

/**
 * Node list with node i replaced by `replacements.get(i)` (empty list: removed); other nodes are the
 * same objects as before.
 */
export function spliceNodes(nodes: readonly Node[], replacements: Map<number, Node[]>): Node[] {
  const out: Node[] = [];
  nodes.forEach((n, i) => {
    const r = replacements.get(i);
    if (r) out.push(...r);
    else out.push(n);
  });
  return out;
}

/** Consumers of a tensor, counting a node once per input slot; graph outputs count as a use too. */
export function useCount(idx: GraphIndex, t: string): number {
  return (idx.consumers.get(t)?.length ?? 0) + (idx.output.has(t) ? 1 : 0);
}

/** The model with a new graph built from the old one. */
export function withGraph(model: Model, g: Graph): Model {
  return { ...model, graph: g };
}

/** Element types that constValue/initializer convert without loss (float32/64, int8/32/64, uint8, bool). */
export const REWRITABLE_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 6, 7, 9, 11]);

/** The same tensor with other dims (same element count), keeping its stored bytes. */
export function withDims(t: Tensor, dims: number[], name = t.name ?? ''): Tensor {
  return { ...t, name, dims: dims.map((d) => int64From(d)) };
}

/**
 * Annotations with those of `from` handed to `to` when `to` has none (used when a node that produced
 * `from` now produces `to` directly); `from`'s entries are dropped either way.
 */
export function moveAnnotation(g: Graph, from: string, to: string): Graph['quantizationAnnotation'] {
  const anns = g.quantizationAnnotation;
  if (!anns?.some((a) => a.tensorName === from)) return anns;
  const toHas = anns.some((a) => a.tensorName === to);
  return anns.flatMap((a) => (a.tensorName !== from ? [a] : toHas ? [] : [{ ...a, tensorName: to }]));
}

/** numpy broadcast of two static shapes, or undefined when they do not broadcast. */
export { broadcastStatic as broadcast } from '../exec/constTensor.js';
