/**
 * What changed between two models: nodes added, removed and changed (op, inputs, outputs,
 * attributes, constant inputs), quantizer precision differences. Used for the transformation preview,
 * the edited-node markers and the model comparison view. Nodes are paired by pairNodes (what they
 * compute and where they sit, not their names: a pass may sort and rename every node), and each
 * quantizer's precision is compared with that of the quantizer it was.
 */
import { indexGraph } from './graphIndex.js';
import { attributeKey, COMMUTATIVE, opKey, pairNodes, tensorBytes, tensorHash } from './pairNodes.js';
import { QUANTIZER_OPS, quantizerInfo, type QuantizerInfo } from './quantEdit.js';
import { int64ToNumber, type Attribute, type Model, type Tensor } from './types.js';
import { encodeModel } from '../onnx/codec.js';
import { onnx } from '../onnx/onnxProto.js';

export interface NodeChange {
  /** index in model a / model b */
  a: number;
  b: number;
  name: string;
  opType: string;
  what: string[];
}

export interface ModelDiff {
  added: { b: number; name: string; opType: string }[];
  removed: { a: number; name: string; opType: string }[];
  changed: NodeChange[];
  /** quantizer precision that differs between paired quantizers (named as in b; `was` its name in a when renamed) */
  precision: { name: string; before: string; after: string; was?: string }[];
  initializersAdded: string[];
  initializersRemoved: string[];
}

/** Same type, shape and values (the name is not compared: a renamed constant is the same constant). */
function tensorEqual(x: Tensor | undefined, y: Tensor | undefined): boolean {
  if (x === y) return true;
  if (!x || !y) return false;
  // different hashes: different type, shape or values; the same hash: compare every value (a large
  // tensor's hash reads a sample of it)
  if (tensorHash(x) !== tensorHash(y)) return false;
  let bx: Uint8Array | undefined, by: Uint8Array | undefined;
  try {
    bx = tensorBytes(x);
    by = tensorBytes(y);
  } catch {
    bx = by = undefined;
  }
  if (!bx || !by) {
    const ex = onnx.TensorProto.encode({ ...x, name: '' } as onnx.TensorProto).finish();
    const ey = onnx.TensorProto.encode({ ...y, name: '' } as onnx.TensorProto).finish();
    return bytesEqual(ex, ey);
  }
  const dx = x.dims ?? [], dy = y.dims ?? [];
  return (x.dataType ?? 0) === (y.dataType ?? 0) && dx.length === dy.length && dx.every((d, k) => int64ToNumber(d) === int64ToNumber(dy[k])) && bytesEqual(bx, by);
}

function sameList(x: readonly string[] | null | undefined, y: readonly string[] | null | undefined): boolean {
  const a = x ?? [], b = y ?? [];
  return a.length === b.length && a.every((v, k) => v === b[k]);
}

/** The same attributes in the same order (the common case, checked without building maps). */
function sameAttributes(x: readonly Attribute[] | null | undefined, y: readonly Attribute[] | null | undefined): boolean {
  const a = x ?? [], b = y ?? [];
  return a.length === b.length && a.every((v, k) => v === b[k] || (v.name === b[k].name && attributeKey(v) === attributeKey(b[k])));
}

function bytesEqual(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A quantizer's precision in a few characters: INT4 narrow, UINT8, E4M3, BIPOLAR. */
export function precisionLabel(q: QuantizerInfo): string {
  if (q.opType === 'FloatQuant') return `E${q.exponentBits}M${q.mantissaBits}`;
  if (q.opType === 'BipolarQuant') return 'BIPOLAR';
  return `${q.signed === false ? 'UINT' : 'INT'}${q.bits ?? '?'}${q.narrow ? ' narrow' : ''}${q.roundingMode && q.roundingMode !== 'ROUND' ? ` ${q.roundingMode}` : ''}`;
}

export function diffModels(a: Model, b: Model): ModelDiff {
  const ia = indexGraph(a.graph ?? {}), ib = indexGraph(b.graph ?? {});
  // nodes are paired by what they compute and where they sit, not by name: passes rename and reorder
  const { aOfB, bOfA } = pairNodes(a, b);
  const diff: ModelDiff = { added: [], removed: [], changed: [], precision: [], initializersAdded: [], initializersRemoved: [] };
  /** paired nodes (b indices, in order) whose op, attributes or constants differ */
  const reread: number[] = [];
  ib.nodes.forEach((nb, j) => {
    const i = aOfB[j] >= 0 ? aOfB[j] : undefined;
    if (i === undefined) {
      diff.added.push({ b: j, name: nb.name ?? '', opType: nb.opType ?? '' });
      return;
    }
    const na = ia.nodes[i];
    if (na === nb && (nb.input ?? []).every((t) => ia.initializer.get(t) === ib.initializer.get(t))) return;
    const what: string[] = [];
    if ((na.name ?? '') !== (nb.name ?? '')) what.push(`renamed from ${na.name || '(unnamed)'}`);
    // decoded nodes carry domain '' where built ones may leave it out: both are the default domain
    if (na.opType !== nb.opType) what.push(`op ${na.opType} → ${nb.opType}`);
    else if ((na.domain ?? '') !== (nb.domain ?? '')) what.push(`domain ${na.domain || 'ai.onnx'} → ${nb.domain || 'ai.onnx'}`);
    if (!sameList(na.input, nb.input)) what.push('inputs');
    if (!sameList(na.output, nb.output)) what.push('outputs');
    // attributes by value (a Long or a number, a zero or an absent default, are the same value)
    let paramsDiffer = na.opType !== nb.opType;
    if (na.attribute !== nb.attribute && !sameAttributes(na.attribute, nb.attribute)) {
      const aa = new Map((na.attribute ?? []).map((x) => [x.name ?? '', attributeKey(x)]));
      const ab = new Map((nb.attribute ?? []).map((x) => [x.name ?? '', attributeKey(x)]));
      for (const [k, v] of ab) if (aa.get(k) !== v) what.push(aa.has(k) ? `attribute ${k}` : `attribute ${k} added`), (paramsDiffer = true);
      for (const k of aa.keys()) if (!ab.has(k)) what.push(`attribute ${k} removed`), (paramsDiffer = true);
    }
    // constants slot by slot: a renamed but equal constant is no change
    (nb.input ?? []).forEach((t, k) => {
      const x = ia.initializer.get(na.input?.[k] ?? ''), y = ib.initializer.get(t);
      if (!x !== !y) paramsDiffer = true;
      if (y && x !== y && !tensorEqual(x, y)) what.push(`constant ${t}`), (paramsDiffer = true);
    });
    if ((na.input?.length ?? 0) !== (nb.input?.length ?? 0)) paramsDiffer = true;
    if (paramsDiffer) reread.push(j);
    if (what.length) diff.changed.push({ a: i, b: j, name: nb.name ?? '', opType: nb.opType ?? '', what });
  });
  ia.nodes.forEach((n, i) => {
    if (bOfA[i] < 0) diff.removed.push({ a: i, name: n.name ?? '', opType: n.opType ?? '' });
  });
  // precision of each quantizer against the quantizer it was (in b's graph order, under b's name); only
  // a quantizer whose op, attributes or constants differ can have another precision
  for (const j of reread) {
    const i = aOfB[j];
    if (!QUANTIZER_OPS.has(ib.nodes[j].opType ?? '') || !QUANTIZER_OPS.has(ia.nodes[i].opType ?? '')) continue;
    const before = precisionLabel(quantizerInfo(a, i)), q = quantizerInfo(b, j), after = precisionLabel(q);
    if (before === after) continue;
    const was = ia.nodes[i].name ?? '';
    diff.precision.push(was === (ib.nodes[j].name ?? '') ? { name: q.name, before, after } : { name: q.name, before, after, was: was || '(unnamed)' });
  }
  for (const k of ib.initializer.keys()) if (!ia.initializer.has(k)) diff.initializersAdded.push(k);
  for (const k of ia.initializer.keys()) if (!ib.initializer.has(k)) diff.initializersRemoved.push(k);
  return diff;
}

/**
 * Indices (in b) of the nodes that compute something else than in a: added ones, and those paired (by
 * pairNodes) with a node of another op, other attributes or constants, or other connections (an input
 * read from another node, another output of it, or another graph input). A node that was only renamed,
 * moved in the node list, reads renamed tensors, or had its QONNX domain spelled another way is not
 * edited: after a cleanup nothing is marked, and a later edit marks just the node it changed.
 */
export function editedNodes(a: Model, b: Model): Set<number> {
  const out = new Set<number>();
  if (a === b) return out;
  const ia = indexGraph(a.graph ?? {}), ib = indexGraph(b.graph ?? {});
  const { aOfB } = pairNodes(a, b);
  const graphInputs = (m: Model) => (m.graph?.input ?? []).map((v) => v.name ?? '').filter((t) => !(m === a ? ia : ib).initializer.has(t));
  const inputsA = graphInputs(a), inputsB = graphInputs(b);
  /** where an input of a node of a comes from: nothing, a constant, a graph input, or output k of node i */
  const sourceA = (t: string): string => {
    if (!t) return '';
    if (ia.initializer.has(t)) return 'c';
    const p = ia.producer.get(t);
    return p !== undefined ? `${p}:${ia.nodes[p].output!.indexOf(t)}` : `in:${t}`;
  };
  /** the same for b, in a's terms (a node as the node of a it is; a graph input by name, else position) */
  const sourceB = (t: string): string => {
    if (!t) return '';
    if (ib.initializer.has(t)) return 'c';
    const p = ib.producer.get(t);
    if (p !== undefined) return aOfB[p] >= 0 ? `${aOfB[p]}:${ib.nodes[p].output!.indexOf(t)}` : `new:${t}`;
    if (ia.input.has(t) && !ia.initializer.has(t)) return `in:${t}`;
    const at = inputsA[inputsB.indexOf(t)];
    return at !== undefined ? `in:${at}` : `new:${t}`;
  };
  ib.nodes.forEach((nb, j) => {
    const i = aOfB[j];
    if (i < 0) return void out.add(j);
    const na = ia.nodes[i];
    const xs = na.input ?? [], ys = nb.input ?? [];
    if (xs.length !== ys.length || (na !== nb && opKey(na) !== opKey(nb))) return void out.add(j);
    // connections: slot by slot, or as a set for ops whose inputs a pass may permute
    const sa = xs.map(sourceA), sb = ys.map(sourceB);
    const commutative = COMMUTATIVE.has(nb.opType ?? '');
    if (commutative ? [...sa].sort().join() !== [...sb].sort().join() : sa.some((s, k) => s !== sb[k])) return void out.add(j);
    // constants by value (a renamed constant is the same constant)
    const ca = xs.flatMap((t) => ia.initializer.get(t) ?? []), cb = ys.flatMap((t) => ib.initializer.get(t) ?? []);
    if (commutative) {
      const left = [...ca];
      for (const y of cb) {
        const k = left.findIndex((x) => tensorEqual(x, y));
        if (k < 0) return void out.add(j);
        left.splice(k, 1);
      }
    } else if (cb.some((y, k) => !tensorEqual(ca[k], y))) out.add(j);
  });
  return out;
}

/**
 * The quantizers of b whose precision (op, bits, signedness, narrow range, rounding, scale, zero point,
 * float format) differs from that of the quantizer they were in a (paired by pairNodes, not by index or
 * name), each with what it was. A quantizer with no counterpart in a is not in the map.
 */
export function editedQuantizers(a: Model, b: Model): Map<number, QuantizerInfo> {
  const out = new Map<number, QuantizerInfo>();
  if (a === b) return out;
  const ia = indexGraph(a.graph ?? {}), ib = indexGraph(b.graph ?? {});
  const { aOfB } = pairNodes(a, b);
  ib.nodes.forEach((nb, j) => {
    const i = aOfB[j];
    if (i < 0 || !QUANTIZER_OPS.has(nb.opType ?? '')) return;
    const na = ia.nodes[i];
    // the same node reading the same constants holds the same precision
    if (na === nb && (nb.input ?? []).every((t) => ia.initializer.get(t) === ib.initializer.get(t))) return;
    if (!QUANTIZER_OPS.has(na.opType ?? '')) return;
    const was = quantizerInfo(a, i), now = quantizerInfo(b, j);
    const keys = ['opType', 'bits', 'signed', 'narrow', 'roundingMode', 'scale', 'scaleCount', 'zeroPoint', 'exponentBits', 'mantissaBits'] as const;
    if (keys.some((k) => was[k] !== now[k])) out.set(j, was);
  });
  return out;
}

export function diffIsEmpty(d: ModelDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.initializersAdded.length && !d.initializersRemoved.length;
}

/** Whether two models encode to the same bytes. */
export function sameBytes(a: Model, b: Model): boolean {
  const x = encodeModel(a), y = encodeModel(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
