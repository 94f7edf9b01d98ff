/**
 * Which node of one version of a model is "the same" node in another version, decided by what the
 * node computes and where it sits, never by its name or its index: passes such as the QONNX cleanup
 * sort the graph and rename every node and tensor, so that the new Quant_3 may well be the old Quant_0.
 *
 * A node's signature, at four levels from strict to loose (each level's equality implies the next's):
 *   0. op type, domain (QONNX aliases as one), attributes, and per input slot: absent, computed, or a
 *      constant with a hash of its contents (a renamed initializer keeps its hash);
 *   1. the same, with constants only marked as constants (a pass may fold or transpose them);
 *   2. op type, domain and attributes;
 *   3. op type.
 * The pairing:
 *   - the same node object in both (versions share untouched nodes) pairs first;
 *   - graph inputs and outputs pair by name, else by position, and seed the propagation;
 *   - level by level, strict first: pairs spread along edges (the producers of paired inputs, the
 *     consumers of paired tensors, when the candidates agree at that level), and a signature held by
 *     exactly one unpaired node on each side pairs those two; repeated until nothing new pairs;
 *   - what is still ambiguous (look-alike nodes reading the same tensor, identical branches) is settled
 *     by name, then first output, then topological position; last, nodes that kept their name or their
 *     first output pair whatever their op.
 * Each node pair is visited a few times per level, so the cost is linear in the graph size.
 */
import { indexGraph, type GraphIndex } from './graphIndex.js';
import { int64ToNumber, type Attribute, type Graph, type Int64Like, type Model, type Node, type Tensor } from './types.js';
import { tensorValues } from '../onnx/tensorData.js';
import { GENERAL_DOMAIN_ALIASES } from '../qonnx/registry.js';
import { onnx } from '../onnx/onnxProto.js';

export interface NodePairing {
  /** for each node of a, the index of the same node in b, or -1 */
  bOfA: Int32Array;
  /** for each node of b, the index of the same node in a, or -1 */
  aOfB: Int32Array;
}

/** Ops whose inputs a pass may permute (constant inputs moved last): their slots are compared as a set. */
export const COMMUTATIVE = new Set(['Add', 'Mul', 'And', 'Or', 'Xor', 'Max', 'Min', 'Sum', 'Mean', 'Equal']);
/** Custom ops that exporters also put in the default domain (the cleanup moves them to the QONNX one). */
const QONNX_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);
const LEVELS = 4;
/** Consumers of a tensor above this count are matched once per round, not each time a neighbour pairs. */
const WIDE = 64;

// ---------------------------------------------------------------------------------------------------
// Hashing: two 32-bit lanes kept as one number below 2^52. A collision (odds about 2^-52 per pair of
// different values) could at worst pair two nodes less well or hide an attribute change from the diff;
// constants found equal by their hash are compared value by value before the diff calls them equal.

const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

class Hasher {
  private a = 0x811c9dc5 | 0;
  private b = 0x2f8a4b13 | 0;
  int(x: number): void {
    let k = Math.imul(x | 0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    let a = this.a ^ k;
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    this.b = Math.imul(this.b ^ (x | 0), 0x01000193) ^ (this.b >>> 15);
  }
  num(x: number): void {
    f64[0] = x;
    this.int(f64w[0]);
    this.int(f64w[1]);
  }
  /** An int64 field, whatever form it takes (Long, {low, high}, number, bigint). */
  int64(v: Int64Like | undefined): void {
    this.num(int64ToNumber(v));
  }
  str(s: string): void {
    this.int(s.length);
    for (let i = 0; i < s.length; i++) this.int(s.charCodeAt(i));
  }
  /** All the bytes of a small array; of a large one its length and 513 words spread over it. */
  bytes(u: Uint8Array): void {
    const len = u.byteLength;
    this.int(len);
    const words = len >> 2;
    if (words <= 1024) {
      if ((u.byteOffset & 3) === 0) {
        const w = new Int32Array(u.buffer, u.byteOffset, words);
        for (let k = 0; k < words; k++) this.int(w[k]);
      } else for (let k = 0; k < 4 * words; k += 4) this.int(u[k] | (u[k + 1] << 8) | (u[k + 2] << 16) | (u[k + 3] << 24));
    } else {
      const step = (words - 1) / 512;
      for (let s = 0; s <= 512; s++) {
        const k = 4 * Math.floor(s * step);
        this.int(u[k] | (u[k + 1] << 8) | (u[k + 2] << 16) | (u[k + 3] << 24));
      }
    }
    for (let k = words << 2; k < len; k++) this.int(u[k]);
  }
  /** The hash as a number below 2^52 (exact as a Map key, cheap to compare). */
  key(): number {
    return (this.a >>> 0) * 1048576 + (this.b >>> 12);
  }
}

/**
 * A tensor's values as the bytes raw_data holds (little-endian), wherever they are kept; undefined for
 * strings. Throws when the values live in an external file that is not loaded.
 */
export function tensorBytes(t: Tensor): Uint8Array | undefined {
  if (t.rawData?.byteLength && t.dataLocation !== 1) return t.rawData;
  const v = tensorValues(t);
  return Array.isArray(v.data) ? undefined : new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

const tensorHashes = new WeakMap<Tensor, number>();

/** A hash of a tensor's element type, shape and values (not its name, nor how the values are stored). */
export function tensorHash(t: Tensor): number {
  const hit = tensorHashes.get(t);
  if (hit !== undefined) return hit;
  const h = new Hasher();
  h.int(t.dataType ?? 0);
  h.int(t.dims?.length ?? 0);
  for (const d of t.dims ?? []) h.int64(d);
  try {
    const bytes = tensorBytes(t);
    if (bytes) h.bytes(bytes);
    else for (const s of tensorValues(t).data as string[]) h.str(s);
  } catch {
    // values out of reach (external file not loaded): where they live stands for them
    for (const e of t.externalData ?? []) h.str(`${e.key}=${e.value}`);
  }
  const key = h.key();
  tensorHashes.set(t, key);
  return key;
}

/**
 * A hash of an attribute's name and value. Equal for the same value however it is held: the type field
 * (built attributes may omit it), an int64 as a Long or a number, a zero value or an absent one (the
 * default), a float as the float32 it is stored as.
 */
export function attributeKey(a: Attribute): number {
  const h = new Hasher();
  h.str(a.name ?? '');
  if (a.g || a.graphs?.length || a.sparseTensor || a.sparseTensors?.length || a.tp || a.typeProtos?.length) {
    // rare (subgraphs, sparse tensors, types): their encoding stands for them
    h.int(9);
    h.bytes(onnx.AttributeProto.encode(a as onnx.AttributeProto).finish());
  } else {
    // each field behind its own tag, so that f = 1 and i = 1 differ
    if (a.f) h.int(1), h.num(Math.fround(a.f));
    const i = int64ToNumber(a.i);
    if (i) h.int(2), h.num(i);
    if (a.s?.length) h.int(3), h.bytes(a.s);
    if (a.t) h.int(4), h.num(tensorHash(a.t));
    if (a.floats?.length) h.int(5), a.floats.forEach((x) => h.num(Math.fround(x)));
    if (a.ints?.length) h.int(6), a.ints.forEach((x) => h.int64(x));
    if (a.strings?.length) h.int(7), a.strings.forEach((x) => h.bytes(x));
    if (a.tensors?.length) h.int(8), a.tensors.forEach((x) => h.num(tensorHash(x)));
    if (a.refAttrName) h.int(10), h.str(a.refAttrName);
  }
  return h.key();
}

const opTypeHashes = new Map<string, number>();

function opTypeHash(opType: string): number {
  let op = opTypeHashes.get(opType);
  if (op === undefined) {
    const h = new Hasher();
    h.str(opType);
    opTypeHashes.set(opType, (op = h.key()));
  }
  return op;
}

/** A hash of a node alone: op type, domain (QONNX aliases and the default domain of QONNX ops as one), output count and attributes (in any order). */
export function opKey(n: Node): number {
  const opType = n.opType ?? '';
  let dom = n.domain ?? '';
  if (dom === 'ai.onnx') dom = '';
  if (GENERAL_DOMAIN_ALIASES.includes(dom) || (dom === '' && QONNX_OPS.has(opType))) dom = 'qonnx';
  const h = new Hasher();
  h.num(opTypeHash(opType));
  h.str(dom);
  h.int(n.output?.length ?? 0);
  const attrs = n.attribute ?? [];
  if (attrs.length === 1) h.num(attributeKey(attrs[0]));
  else if (attrs.length) for (const k of attrs.map(attributeKey).sort((x, y) => x - y)) h.num(k);
  return h.key();
}

// ---------------------------------------------------------------------------------------------------
// One side of the comparison: tensors as integer ids, each looked up once and only when reached (an edit
// leaves most of a large graph paired by identity, and nothing of it is read)

const NO_NODES: readonly number[] = [];
/** node indices reading a tensor */
type Readers = readonly number[] | Int32Array;

class Side {
  readonly idx: GraphIndex;
  readonly nodes: readonly Node[];
  readonly n: number;
  private readonly tensorIds = new Map<string, number>();
  private readonly names: string[] = [];
  /** per tensor id: producer node (-2 not looked up yet, -1 none), its output slot, readers, initializer */
  private readonly prod: number[] = [];
  private readonly prodSlot: number[] = [];
  private readonly cons: (Readers | undefined)[] = [];
  private readonly inits: (Tensor | null | undefined)[] = [];
  /** per node: input and output tensor ids (-1 for an empty name), looked up when first asked */
  private readonly ins: (Int32Array | undefined)[];
  private readonly outs: (Int32Array | undefined)[];
  private rankOf: Int32Array | undefined;
  /** per level, each node's signature (a hash below 2^52), computed when first asked */
  private sigs: Float64Array[] = [];

  constructor(graph: Graph) {
    this.idx = indexGraph(graph);
    this.nodes = this.idx.nodes;
    this.n = this.nodes.length;
    this.ins = new Array(this.n);
    this.outs = new Array(this.n);
    for (let l = 0; l < LEVELS; l++) this.sigs.push(new Float64Array(this.n).fill(-1));
  }

  id(t: string): number {
    let v = this.tensorIds.get(t);
    if (v === undefined) {
      v = this.names.length;
      this.tensorIds.set(t, v);
      this.names.push(t);
      this.prod.push(-2);
      this.prodSlot.push(-1);
      this.cons.push(undefined);
      this.inits.push(undefined);
    }
    return v;
  }

  get tensorCount(): number {
    return this.names.length;
  }

  inputs(i: number): Int32Array {
    return (this.ins[i] ??= this.ids(this.nodes[i].input));
  }

  outputs(i: number): Int32Array {
    return (this.outs[i] ??= this.ids(this.nodes[i].output));
  }

  /**
   * Every node's tensors at once, producers and readers taken from the nodes themselves (cheaper than a
   * lookup per tensor when most of the graph is to be paired).
   */
  prepareAll(): void {
    for (let i = 0; i < this.n; i++) {
      this.inputs(i);
      this.outputs(i);
    }
    const nt = this.names.length;
    for (let t = 0; t < nt; t++) if (this.prod[t] === -2) this.prod[t] = -1;
    // readers as slices of one array (counted, then filled)
    const start = new Int32Array(nt + 1);
    for (let i = 0; i < this.n; i++) {
      const outs = this.outs[i]!;
      for (let k = 0; k < outs.length; k++) if (outs[k] >= 0 && this.prod[outs[k]] === -1) (this.prod[outs[k]] = i), (this.prodSlot[outs[k]] = k);
      for (const t of this.ins[i]!) if (t >= 0) start[t + 1]++;
    }
    for (let t = 0; t < nt; t++) start[t + 1] += start[t];
    const list = new Int32Array(start[nt]);
    const fill = start.slice(0, nt);
    for (let i = 0; i < this.n; i++) for (const t of this.ins[i]!) if (t >= 0) list[fill[t]++] = i;
    for (let t = 0; t < nt; t++) this.cons[t] = list.subarray(start[t], start[t + 1]);
    // initializers from the graph's list, in order (the last of a name wins, as in the index)
    for (let t = 0; t < this.inits.length; t++) if (this.inits[t] === undefined) this.inits[t] = null;
    for (const init of this.idx.graph.initializer ?? []) {
      const t = init.name != null ? this.tensorIds.get(init.name) : undefined;
      if (t !== undefined) this.inits[t] = init;
    }
  }

  private ids(names: string[] | null | undefined): Int32Array {
    const out = new Int32Array(names?.length ?? 0);
    for (let k = 0; k < out.length; k++) out[k] = names![k] ? this.id(names![k]) : -1;
    return out;
  }

  producer(t: number): number {
    if (this.prod[t] === -2) {
      const p = this.idx.producer.get(this.names[t]);
      this.prod[t] = p ?? -1;
      if (p !== undefined) this.prodSlot[t] = this.nodes[p].output!.indexOf(this.names[t]);
    }
    return this.prod[t];
  }

  producerSlot(t: number): number {
    this.producer(t);
    return this.prodSlot[t];
  }

  consumers(t: number): Readers {
    return (this.cons[t] ??= this.idx.consumers.get(this.names[t]) ?? NO_NODES);
  }

  init(t: number): Tensor | undefined {
    let v = this.inits[t];
    if (v === undefined) this.inits[t] = v = this.idx.initializer.get(this.names[t]) ?? null;
    return v ?? undefined;
  }

  commutative(i: number): boolean {
    return COMMUTATIVE.has(this.nodes[i].opType ?? '');
  }

  /** position in topological order, for tie-breaks */
  rank(i: number): number {
    if (!this.rankOf) {
      this.rankOf = new Int32Array(this.n);
      this.idx.order.forEach((x, k) => (this.rankOf![x] = k));
    }
    return this.rankOf[i];
  }

  sig(i: number, level: number): number {
    const cached = this.sigs[level][i];
    if (cached >= 0) return cached;
    let s: number;
    if (level === 3) s = opTypeHash(this.nodes[i].opType ?? '');
    else if (level === 2) s = opKey(this.nodes[i]);
    else {
      // per input slot: 0 absent, 1 computed, 2 a constant (level 1), the constant's hash + 3 (level 0)
      const slots: number[] = [];
      for (const t of this.inputs(i)) {
        const init = t >= 0 ? this.init(t) : undefined;
        slots.push(t < 0 ? 0 : !init ? 1 : level === 1 ? 2 : 3 + tensorHash(init));
      }
      if (this.commutative(i)) slots.sort((x, y) => x - y);
      const h = new Hasher();
      h.int(level);
      h.num(this.sig(i, 2));
      for (const x of slots) h.num(x);
      s = h.key();
    }
    this.sigs[level][i] = s;
    return s;
  }

  /** Graph inputs that are not initializers, and graph outputs, that some node reads or writes. */
  io(): { inputs: string[]; outputs: string[] } {
    const g = this.idx.graph;
    const known = (t: string) => this.idx.producer.has(t) || this.idx.consumers.has(t);
    return {
      inputs: (g.input ?? []).map((v) => v.name ?? '').filter((t) => known(t) && !this.idx.initializer.has(t)),
      outputs: (g.output ?? []).map((v) => v.name ?? '').filter(known),
    };
  }

  /** Which input slot of node i reads tensor t (-1 for any slot of a commutative op). */
  slotOf(i: number, t: number): number {
    return this.commutative(i) ? -1 : this.inputs(i).indexOf(t);
  }
}

/**
 * The input tensors of two paired nodes, slot by slot (as pairs of ids in `out`); for commutative ops
 * computed with computed and constant with constant, each in order.
 */
function inputPairs(A: Side, i: number, B: Side, j: number, out: number[]): void {
  out.length = 0;
  const ia = A.inputs(i), ib = B.inputs(j);
  if (A.commutative(i) && B.commutative(j)) {
    for (const constant of [false, true]) {
      let kb = 0;
      for (const ta of ia) {
        if (ta < 0 || !!A.init(ta) !== constant) continue;
        while (kb < ib.length && (ib[kb] < 0 || !!B.init(ib[kb]) !== constant)) kb++;
        if (kb >= ib.length) break;
        out.push(ta, ib[kb++]);
      }
    }
    return;
  }
  for (let k = 0; k < Math.min(ia.length, ib.length); k++) if (ia[k] >= 0 && ib[k] >= 0) out.push(ia[k], ib[k]);
}

/** Pair names of two lists: equal names first, then the rest by position. */
function pairNames(xs: string[], ys: string[]): [string, string][] {
  const setY = new Set(ys);
  const out: [string, string][] = [];
  const restX: string[] = [];
  const usedY = new Set<string>();
  for (const x of xs) {
    if (setY.has(x)) {
      out.push([x, x]);
      usedY.add(x);
    } else restX.push(x);
  }
  const restY = ys.filter((y) => !usedY.has(y));
  for (let k = 0; k < Math.min(restX.length, restY.length); k++) out.push([restX[k], restY[k]]);
  return out;
}

// ---------------------------------------------------------------------------------------------------

const memo = new WeakMap<Graph, WeakMap<Graph, NodePairing>>();
const NO_GRAPH: Graph = {};

/** Pair each node of `a` with the node of `b` that is the same node (see the header), or with none. */
export function pairNodes(a: Model, b: Model): NodePairing {
  const ga = a.graph ?? NO_GRAPH, gb = b.graph ?? NO_GRAPH;
  const hit = memo.get(ga)?.get(gb);
  if (hit) return hit;
  const result = computePairing(ga, gb);
  let inner = memo.get(ga);
  if (!inner) memo.set(ga, (inner = new WeakMap()));
  inner.set(gb, result);
  return result;
}

function computePairing(ga: Graph, gb: Graph): NodePairing {
  const ia = indexGraph(ga), ib = indexGraph(gb);
  const bOfA = new Int32Array(ia.nodes.length).fill(-1);
  const aOfB = new Int32Array(ib.nodes.length).fill(-1);
  let count = 0;
  let queue: number[] = [];
  let head = 0;
  const pair = (i: number, j: number) => {
    bOfA[i] = j;
    aOfB[j] = i;
    count++;
    queue.push(i);
  };

  // 1. the same node object
  const objA = new Map<Node, number[]>();
  ia.nodes.forEach((n, i) => {
    const l = objA.get(n);
    if (l) l.push(i);
    else objA.set(n, [i]);
  });
  ib.nodes.forEach((n, j) => {
    const i = objA.get(n)?.shift();
    if (i !== undefined) pair(i, j);
  });
  if (count === ia.nodes.length && count === ib.nodes.length) return { bOfA, aOfB };

  const A = new Side(ga), B = new Side(gb);
  // most of the graph to pair (a pass that renamed everything, a file read again): index it all at once
  if (ia.nodes.length - count > ia.nodes.length / 4) {
    A.prepareAll();
    B.prepareAll();
  }
  const ioA = A.io(), ioB = B.io();
  const ioPairs = [...pairNames(ioA.inputs, ioB.inputs), ...pairNames(ioA.outputs, ioB.outputs)].map(([x, y]) => [A.id(x), B.id(y)]);

  // stamps to list each consumer once
  const seenA = new Int32Array(A.n), seenB = new Int32Array(B.n);
  let stamp = 0;
  let wideDone = new Set<number>();
  const pairsBuf: number[] = [];

  /** Pair two candidate lists (unpaired, same op type, same slot) as far as the signatures decide. */
  function matchGroup(as: number[], bs: number[], level: number, tieBreak: boolean): void {
    if (as.length === 1 && bs.length === 1) {
      if (A.sig(as[0], level) === B.sig(bs[0], level)) pair(as[0], bs[0]);
      return;
    }
    for (let l = 0; l <= level && as.length && bs.length; l++) {
      const buckets = new Map<number, { a: number[]; b: number[] }>();
      for (const i of as) {
        const k = A.sig(i, l);
        const e = buckets.get(k);
        if (e) e.a.push(i);
        else buckets.set(k, { a: [i], b: [] });
      }
      for (const j of bs) buckets.get(B.sig(j, l))?.b.push(j);
      for (const e of buckets.values()) {
        if (e.a.length === 1 && e.b.length === 1) pair(e.a[0], e.b[0]);
        else if (tieBreak && l === level && e.a.length && e.b.length) breakTie(e.a, e.b);
      }
      as = as.filter((i) => bOfA[i] < 0);
      bs = bs.filter((j) => aOfB[j] < 0);
    }
  }

  /** Look-alikes: same name first, then same first output, then in topological order. */
  function breakTie(as: number[], bs: number[]): void {
    for (const key of [(n: Node) => n.name ?? '', (n: Node) => n.output?.[0] ?? '']) {
      const byKey = new Map<string, number>();
      for (const i of as) if (bOfA[i] < 0 && key(A.nodes[i])) byKey.set(key(A.nodes[i]), i);
      for (const j of bs) {
        const i = byKey.get(key(B.nodes[j]));
        if (aOfB[j] < 0 && i !== undefined && bOfA[i] < 0) pair(i, j);
      }
    }
    const ra = as.filter((i) => bOfA[i] < 0).sort((x, y) => A.rank(x) - A.rank(y));
    const rb = bs.filter((j) => aOfB[j] < 0).sort((x, y) => B.rank(x) - B.rank(y));
    for (let k = 0; k < Math.min(ra.length, rb.length); k++) pair(ra[k], rb[k]);
  }

  /** Two tensors that are the same: their producers, and their consumers, may be the same nodes. */
  function tensorPair(ta: number, tb: number, level: number, tieBreak: boolean): void {
    const pa = A.producer(ta), pb = B.producer(tb);
    if (pa >= 0 && pb >= 0 && bOfA[pa] < 0 && aOfB[pb] < 0 && A.producerSlot(ta) === B.producerSlot(tb) && A.sig(pa, level) === B.sig(pb, level)) pair(pa, pb);
    const ca = A.consumers(ta), cb = B.consumers(tb);
    if (!ca.length || !cb.length) return;
    if (ca.length + cb.length > WIDE) {
      const k = ta * B.tensorCount + tb;
      if (wideDone.has(k)) return;
      wideDone.add(k);
    }
    stamp++;
    const as: number[] = [], bs: number[] = [];
    for (const i of ca) if (bOfA[i] < 0 && seenA[i] !== stamp) (seenA[i] = stamp), as.push(i);
    if (!as.length) return;
    for (const j of cb) if (aOfB[j] < 0 && seenB[j] !== stamp) (seenB[j] = stamp), bs.push(j);
    if (!bs.length) return;
    if (as.length === 1 && bs.length === 1) {
      const i = as[0], j = bs[0];
      if (A.sig(i, 3) === B.sig(j, 3) && A.slotOf(i, ta) === B.slotOf(j, tb) && A.sig(i, level) === B.sig(j, level)) pair(i, j);
      return;
    }
    // candidates grouped by op type and the slot they read the tensor at
    const groups = new Map<string, { a: number[]; b: number[] }>();
    for (const i of as) {
      const k = `${A.sig(i, 3)}:${A.slotOf(i, ta)}`;
      const e = groups.get(k);
      if (e) e.a.push(i);
      else groups.set(k, { a: [i], b: [] });
    }
    for (const j of bs) groups.get(`${B.sig(j, 3)}:${B.slotOf(j, tb)}`)?.b.push(j);
    for (const e of groups.values()) if (e.b.length) matchGroup(e.a.filter((i) => bOfA[i] < 0), e.b.filter((j) => aOfB[j] < 0), level, tieBreak);
  }

  /**
   * The pairs next to an unpaired node (on either side): the producers of its inputs, the readers of
   * its outputs, and the other readers of its inputs that no node produces. Only these can lead to new pairs.
   */
  function frontier(): number[] {
    const out: number[] = [];
    if (!count) return out;
    const mark = new Uint8Array(A.n);
    const add = (i: number) => {
      if (i >= 0 && bOfA[i] >= 0 && !mark[i]) {
        mark[i] = 1;
        out.push(i);
      }
    };
    const around = (s: Side, k: number, toA: (x: number) => number) => {
      for (const t of s.inputs(k)) {
        if (t < 0) continue;
        const p = s.producer(t);
        if (p >= 0) add(toA(p));
        else for (const c of s.consumers(t)) add(toA(c));
      }
      for (const t of s.outputs(k)) if (t >= 0) for (const c of s.consumers(t)) add(toA(c));
    };
    for (let i = 0; i < A.n; i++) if (bOfA[i] < 0) around(A, i, (x) => x);
    for (let j = 0; j < B.n; j++) if (aOfB[j] < 0) around(B, j, (x) => aOfB[x]);
    return out;
  }

  /** Spread from every pair made so far (and from the graph's inputs and outputs) until nothing new pairs. */
  function spread(level: number, tieBreak: boolean, fromAll: boolean): void {
    if (fromAll) {
      wideDone = new Set();
      queue = frontier();
      head = 0;
      for (const [ta, tb] of ioPairs) tensorPair(ta, tb, level, tieBreak);
    }
    while (head < queue.length) {
      const i = queue[head++];
      const j = bOfA[i];
      inputPairs(A, i, B, j, pairsBuf);
      for (let k = 0; k < pairsBuf.length; k += 2) tensorPair(pairsBuf[k], pairsBuf[k + 1], level, tieBreak);
      const oa = A.outputs(i), ob = B.outputs(j);
      for (let k = 0; k < Math.min(oa.length, ob.length); k++) if (oa[k] >= 0 && ob[k] >= 0) tensorPair(oa[k], ob[k], level, tieBreak);
    }
    if (head > 1 << 16) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  /** Unpaired nodes grouped by signature on both sides. */
  let freeA: number[] = [], freeB: number[] = [];
  for (let i = 0; i < A.n; i++) if (bOfA[i] < 0) freeA.push(i);
  for (let j = 0; j < B.n; j++) if (aOfB[j] < 0) freeB.push(j);
  function unpairedBy(level: number): Map<number, { a: number[]; b: number[] }> {
    freeA = freeA.filter((i) => bOfA[i] < 0);
    freeB = freeB.filter((j) => aOfB[j] < 0);
    const buckets = new Map<number, { a: number[]; b: number[] }>();
    for (const i of freeA) {
      const k = A.sig(i, level);
      const e = buckets.get(k);
      if (e) e.a.push(i);
      else buckets.set(k, { a: [i], b: [] });
    }
    for (const j of freeB) buckets.get(B.sig(j, level))?.b.push(j);
    return buckets;
  }

  // 2. level by level: spread along edges, then pair signatures that only one unpaired node has on each side
  const done = () => count === A.n || count === B.n;
  for (let level = 0; level < LEVELS && !done(); level++) {
    spread(level, false, true);
    for (;;) {
      const before = count;
      for (const e of unpairedBy(level).values()) if (e.a.length === 1 && e.b.length === 1) pair(e.a[0], e.b[0]);
      if (count === before) break;
      spread(level, false, false);
    }
  }

  // 3. look-alikes: settle the ambiguous groups met along edges, then the remaining ones by signature
  if (!done()) spread(LEVELS - 1, true, true);
  for (let level = 0; level < LEVELS && !done(); ) {
    const before = count;
    for (const e of unpairedBy(level).values()) if (e.a.length && e.b.length) breakTie(e.a, e.b);
    if (count === before) {
      level++;
      continue;
    }
    spread(LEVELS - 1, true, false);
    level = 0;
  }

  // 4. a node rewritten in place (another op, the same name or the same output)
  if (!done()) {
    for (const key of [(n: Node) => n.name ?? '', (n: Node) => n.output?.[0] ?? '']) {
      const byKey = new Map<string, number>();
      for (let i = 0; i < A.n; i++) if (bOfA[i] < 0 && key(A.nodes[i])) byKey.set(key(A.nodes[i]), i);
      for (let j = 0; j < B.n; j++) {
        const i = aOfB[j] < 0 ? byKey.get(key(B.nodes[j])) : undefined;
        if (i !== undefined && bOfA[i] < 0) pair(i, j);
      }
    }
  }
  return { bOfA, aOfB };
}
