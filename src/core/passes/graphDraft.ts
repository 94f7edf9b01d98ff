/**
 * A working copy of a graph that one round of a rewriting pass edits in place and then freezes into a
 * new immutable Model. Everything the round did not touch (nodes, initializers, value_info entries,
 * annotations, opset imports) is the same object as in the input model, so a version costs only what
 * changed. Also: fresh names, initializer values as float32, small attribute and value_info builders.
 */
import { stridesOf } from '../exec/constTensor.js';
import { attrMap } from '../analysis/shapeInference.js';
import type { Dim } from '../ir/tensorInfo.js';
import type { Attribute, Graph, Model, Node, OpsetId, Tensor, TensorAnnotation, ValueInfo } from '../ir/types.js';
import { int64From, int64ToNumber } from '../ir/types.js';
import { isExternal, tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import type { AttrValue, F32Tensor } from '../qonnx/opTypes.js';

export const FLOAT_T = 1, UINT8_T = 2, INT8_T = 3, UINT16_T = 4, INT16_T = 5, INT32_T = 6, INT64_T = 7;

// ---------------------------------------------------------------------------------------------------
// Attributes and nodes

export const attrInt = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });
export const attrFloat = (name: string, v: number): Attribute => ({ name, type: 1, f: v });
export const attrString = (name: string, s: string): Attribute => ({ name, type: 3, s: new TextEncoder().encode(s) });
export const attrInts = (name: string, vs: readonly number[]): Attribute => ({ name, type: 7, ints: vs.map((v) => int64From(v)) });

export function node(opType: string, input: string[], output: string[], name: string, attribute: Attribute[] = [], domain = ''): Node {
  const n: Node = { name, opType, domain, input, output };
  if (attribute.length) n.attribute = attribute;
  return n;
}

/** A node's attributes as plain values (ints, floats, strings). */
export const attrsOf = (n: Node): Record<string, AttrValue> => attrMap(n);

/** The node with one attribute replaced (or added); undefined `attr` removes it. */
export function withAttr(n: Node, name: string, attr: Attribute | undefined): Node {
  const rest = (n.attribute ?? []).filter((a) => a.name !== name);
  const at = (n.attribute ?? []).findIndex((a) => a.name === name);
  if (!attr) return { ...n, attribute: rest };
  const next = [...rest];
  next.splice(at >= 0 ? at : next.length, 0, attr);
  return { ...n, attribute: next };
}

export function isStandard(n: Node): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

// ---------------------------------------------------------------------------------------------------
// Tensors

/** An initializer's values as float32 (any numeric element type), or undefined (external, strings...). */
export function readF32(t: Tensor | undefined): F32Tensor | undefined {
  if (!t || isExternal(t)) return undefined;
  try {
    const v = tensorValues(t);
    if (Array.isArray(v.data)) return undefined;
    return { shape: v.shape, data: Float32Array.from(toNumbers(v)) };
  } catch {
    return undefined;
  }
}

/** An initializer's values as float64 numbers with its element type (for integer tensors). */
export function readNumbers(t: Tensor | undefined): { dataType: number; shape: number[]; data: Float64Array } | undefined {
  if (!t || isExternal(t)) return undefined;
  try {
    const v = tensorValues(t);
    if (Array.isArray(v.data)) return undefined;
    return { dataType: v.dataType, shape: v.shape, data: toNumbers(v) };
  } catch {
    return undefined;
  }
}

export { WRITABLE_TYPES, numericTensor } from '../onnx/tensorData.js';
import { numericTensor } from '../onnx/tensorData.js';

export const f32Tensor = (name: string, x: F32Tensor): Tensor => numericTensor(name, FLOAT_T, x.shape, x.data);
export const int64Tensor = (name: string, values: readonly number[]): Tensor => numericTensor(name, INT64_T, [values.length], values);

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}


/** numpy.transpose(x, perm) on any typed array layout. */
export function transposeData<T extends Float32Array | Float64Array>(shape: readonly number[], data: T, perm: readonly number[]): { shape: number[]; data: T } {
  const outShape = perm.map((p) => shape[p]);
  const is = stridesOf(shape);
  const n = data.length;
  const out = new (data.constructor as { new (n: number): T })(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let k = 0; k < outShape.length; k++) off += idx[k] * is[perm[k]];
    out[o] = data[off];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export function transposeF32(x: F32Tensor, perm: readonly number[]): F32Tensor {
  return transposeData(x.shape, x.data, perm);
}

/** numpy.delete(x, channels, axis): the tensor without the listed indices along `axis`. */
export function deleteIndices<T extends Float32Array | Float64Array>(shape: readonly number[], data: T, axis: number, remove: ReadonlySet<number>): { shape: number[]; data: T } {
  const keep: number[] = [];
  for (let c = 0; c < shape[axis]; c++) if (!remove.has(c)) keep.push(c);
  const outer = elementCount(shape.slice(0, axis));
  const inner = elementCount(shape.slice(axis + 1));
  const outShape = [...shape];
  outShape[axis] = keep.length;
  const out = new (data.constructor as { new (n: number): T })(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++)
    for (const c of keep) {
      const base = (a * shape[axis] + c) * inner;
      for (let i = 0; i < inner; i++) out[o++] = data[base + i];
    }
  return { shape: outShape, data: out };
}

// ---------------------------------------------------------------------------------------------------
// value_info

export function valueInfo(name: string, elemType: number, shape: readonly Dim[] | null | undefined): ValueInfo {
  const vi: ValueInfo = { name, type: { tensorType: { elemType } } };
  if (shape) vi.type!.tensorType!.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : typeof d === 'string' ? { dimParam: d } : {})) };
  return vi;
}

/** A value_info (graph input/output) with the same element type and new dims. */
export function withShape(vi: ValueInfo, shape: readonly Dim[]): ValueInfo {
  return valueInfo(vi.name ?? '', vi.type?.tensorType?.elemType ?? FLOAT_T, shape);
}

// ---------------------------------------------------------------------------------------------------
// The draft

export class GraphDraft {
  readonly source: Model;
  nodes: Node[];
  private readonly g: Graph;
  private readonly inits: Map<string, Tensor>;
  private readonly initOrder: string[];
  private readonly vis: Map<string, ValueInfo | null>;
  private readonly newVis: ValueInfo[] = [];
  private anns: TensorAnnotation[] | undefined;
  private opsets: OpsetId[] | undefined;
  private inputs: ValueInfo[] | undefined;
  private outputs: ValueInfo[] | undefined;
  private readonly used = new Set<string>();
  private initsChanged = false;
  private visChanged = false;
  private irVersion: number | undefined;

  constructor(model: Model) {
    this.source = model;
    this.g = model.graph ?? {};
    this.nodes = [...(this.g.node ?? [])];
    this.inits = new Map();
    this.initOrder = [];
    for (const t of this.g.initializer ?? []) {
      const n = t.name ?? '';
      if (!this.inits.has(n)) this.initOrder.push(n);
      this.inits.set(n, t);
    }
    this.vis = new Map((this.g.valueInfo ?? []).map((v) => [v.name ?? '', v]));
    for (const v of [...(this.g.input ?? []), ...(this.g.output ?? []), ...(this.g.valueInfo ?? [])]) if (v.name) this.used.add(v.name);
    for (const n of this.nodes) {
      if (n.name) this.used.add(n.name);
      for (const t of [...(n.input ?? []), ...(n.output ?? [])]) if (t) this.used.add(t);
    }
    for (const k of this.inits.keys()) this.used.add(k);
    for (const a of this.g.quantizationAnnotation ?? []) if (a.tensorName) this.used.add(a.tensorName);
  }

  /** A tensor or node name nobody uses yet: `base`, else `base_1`, `base_2`, ... */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  // -- nodes ------------------------------------------------------------------------------------------

  /** Index of the node producing `t` in the working list, or -1. */
  producer(t: string): number {
    return this.nodes.findIndex((n) => (n.output ?? []).includes(t));
  }

  /** Indices of the nodes reading `t` (each node once). */
  consumers(t: string): number[] {
    const out: number[] = [];
    this.nodes.forEach((n, i) => (n.input ?? []).includes(t) && out.push(i));
    return out;
  }

  isGraphOutput(t: string): boolean {
    return (this.outputs ?? this.g.output ?? []).some((o) => o.name === t);
  }

  isGraphInput(t: string): boolean {
    return (this.inputs ?? this.g.input ?? []).some((o) => o.name === t);
  }

  /** Replace node i by the given nodes (none: remove it). */
  replace(i: number, ...replacement: Node[]): void {
    this.nodes.splice(i, 1, ...replacement);
  }

  insert(i: number, ...added: Node[]): void {
    this.nodes.splice(i, 0, ...added);
  }

  /** Every input slot reading `from` in the given nodes now reads `to`. */
  rewire(nodeIndices: readonly number[], from: string, to: string): void {
    for (const i of nodeIndices) {
      const n = this.nodes[i];
      if (!(n.input ?? []).includes(from)) continue;
      this.nodes[i] = { ...n, input: (n.input ?? []).map((t) => (t === from ? to : t)) };
    }
  }

  // -- initializers ------------------------------------------------------------------------------------

  initializer(name: string | undefined | null): Tensor | undefined {
    return name ? this.inits.get(name) : undefined;
  }

  isInitializer(name: string | undefined | null): boolean {
    return !!name && this.inits.has(name);
  }

  setInitializer(t: Tensor): void {
    const n = t.name ?? '';
    if (!this.inits.has(n)) this.initOrder.push(n);
    this.inits.set(n, t);
    this.used.add(n);
    this.initsChanged = true;
  }

  removeInitializer(name: string): void {
    if (this.inits.delete(name)) this.initsChanged = true;
  }

  // -- value_info, graph inputs/outputs ----------------------------------------------------------------

  /** Forget the declared shape of a tensor (its value changed shape or layout). */
  dropValueInfo(name: string): void {
    if (this.vis.get(name)) {
      this.vis.set(name, null);
      this.visChanged = true;
    }
    const k = this.newVis.findIndex((v) => v.name === name);
    if (k >= 0) {
      this.newVis.splice(k, 1);
      this.visChanged = true;
    }
  }

  setValueInfo(vi: ValueInfo): void {
    this.dropValueInfo(vi.name ?? '');
    if (this.vis.has(vi.name ?? '')) this.vis.set(vi.name ?? '', vi);
    else this.newVis.push(vi);
    this.visChanged = true;
  }

  declaredValueInfo(name: string): ValueInfo | undefined {
    return this.vis.get(name) ?? this.newVis.find((v) => v.name === name) ?? undefined;
  }

  graphInputs(): ValueInfo[] {
    return this.inputs ?? [...(this.g.input ?? [])];
  }

  graphOutputs(): ValueInfo[] {
    return this.outputs ?? [...(this.g.output ?? [])];
  }

  setGraphInputs(v: ValueInfo[]): void {
    this.inputs = v;
  }

  setGraphOutputs(v: ValueInfo[]): void {
    this.outputs = v;
  }

  // -- annotations (finn_datatype, tensor_layout, ...) --------------------------------------------------

  annotation(tensor: string, key: string): string | undefined {
    const list = this.anns ?? this.g.quantizationAnnotation ?? [];
    for (const a of list) if (a.tensorName === tensor) for (const kv of a.quantParameterTensorNames ?? []) if (kv.key === key) return kv.value ?? undefined;
    return undefined;
  }

  /** Set (or with undefined remove) one annotation key of a tensor. */
  setAnnotation(tensor: string, key: string, value: string | undefined): void {
    if (this.annotation(tensor, key) === value) return;
    const list = [...(this.anns ?? this.g.quantizationAnnotation ?? [])];
    const at = list.findIndex((a) => a.tensorName === tensor);
    const entries = at >= 0 ? (list[at].quantParameterTensorNames ?? []).filter((kv) => kv.key !== key) : [];
    if (value !== undefined) entries.push({ key, value });
    if (at >= 0) {
      if (entries.length) list[at] = { ...list[at], quantParameterTensorNames: entries };
      else list.splice(at, 1);
    } else if (value !== undefined) list.push({ tensorName: tensor, quantParameterTensorNames: entries });
    this.anns = list;
  }

  // -- opsets --------------------------------------------------------------------------------------------

  opsetVersion(domain: string): number | undefined {
    const list = this.opsets ?? this.source.opsetImport ?? [];
    const o = list.find((x) => (x.domain ?? '') === domain || (domain === '' && x.domain === 'ai.onnx'));
    return o ? int64ToNumber(o.version) : undefined;
  }

  /** Import `domain` at `version` when it is not imported, or imported at a lower version. */
  requireOpset(domain: string, version: number): void {
    const list = [...(this.opsets ?? this.source.opsetImport ?? [])];
    const at = list.findIndex((x) => (x.domain ?? '') === domain || (domain === '' && x.domain === 'ai.onnx'));
    if (at >= 0 && int64ToNumber(list[at].version) >= version) return;
    if (at >= 0) list[at] = { ...list[at], version: int64From(version) };
    else list.push({ domain, version: int64From(version) });
    this.opsets = list;
  }

  requireIrVersion(v: number): void {
    if (int64ToNumber(this.source.irVersion) < v) this.irVersion = v;
  }

  // -- freeze ------------------------------------------------------------------------------------------

  build(): Model {
    const g = this.g;
    const graph: Graph = { ...g, node: this.nodes };
    if (this.initsChanged) graph.initializer = this.initOrder.filter((n) => this.inits.has(n)).map((n) => this.inits.get(n)!);
    if (this.visChanged) graph.valueInfo = [...[...this.vis.values()].filter((v): v is ValueInfo => !!v), ...this.newVis];
    if (this.anns) graph.quantizationAnnotation = this.anns;
    if (this.inputs) graph.input = this.inputs;
    if (this.outputs) graph.output = this.outputs;
    const m: Model = { ...this.source, graph };
    if (this.opsets) m.opsetImport = this.opsets;
    if (this.irVersion !== undefined) m.irVersion = int64From(this.irVersion);
    return m;
  }
}

/** Shape of an initializer (no data read). */
export const initShape = (t: Tensor): number[] => tensorShape(t);

/**
 * RemoveUnusedTensors (initializers, value_info and annotations no node or graph output uses), plus
 * graph inputs that only listed such an initializer (older exporters list every weight as an input;
 * without this, a weight a pass replaced would turn into an input nobody feeds).
 */
export function dropUnused(model: Model): Model {
  const g = model.graph ?? {};
  const used = new Set<string>();
  for (const n of g.node ?? []) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) if (t) used.add(t);
  for (const o of g.output ?? []) if (o.name) used.add(o.name);
  const initNames = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const inits = (g.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  const inputs = (g.input ?? []).filter((i) => used.has(i.name ?? '') || !initNames.has(i.name ?? ''));
  const vis = (g.valueInfo ?? []).filter((v) => used.has(v.name ?? ''));
  const anns = (g.quantizationAnnotation ?? []).filter((a) => used.has(a.tensorName ?? ''));
  const same = inits.length === (g.initializer?.length ?? 0) && inputs.length === (g.input?.length ?? 0) && vis.length === (g.valueInfo?.length ?? 0) && anns.length === (g.quantizationAnnotation?.length ?? 0);
  if (same) return model;
  return {
    ...model,
    graph: { ...g, initializer: inits, input: inputs, valueInfo: vis, ...(g.quantizationAnnotation ? { quantizationAnnotation: anns } : {}) },
  };
}
