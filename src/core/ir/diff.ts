/**
 * What changed between two models: nodes added, removed and changed (op, inputs, outputs,
 * attributes, constant inputs), quantizer precision differences. Used for the transformation preview,
 * the edited-node markers and the model comparison view.
 */
import { indexGraph } from './graphIndex.js';
import { listQuantizers } from './quantEdit.js';
import type { Attribute, Model, Node, Tensor } from './types.js';
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
  /** quantizer precision that differs (matched by node name) */
  precision: { name: string; before: string; after: string }[];
  initializersAdded: string[];
  initializersRemoved: string[];
}

function attrBytes(a: Attribute): string {
  return Array.from(onnx.AttributeProto.encode(a as onnx.AttributeProto).finish()).join(',');
}

/** Same type, shape and values (the name is not compared: a renamed constant is the same constant). */
function tensorEqual(x: Tensor | undefined, y: Tensor | undefined): boolean {
  if (x === y) return true;
  if (!x || !y) return false;
  const ex = onnx.TensorProto.encode({ ...x, name: '' } as onnx.TensorProto).finish();
  const ey = onnx.TensorProto.encode({ ...y, name: '' } as onnx.TensorProto).finish();
  if (ex.length !== ey.length) return false;
  for (let i = 0; i < ex.length; i++) if (ex[i] !== ey[i]) return false;
  return true;
}

/** A key that identifies "the same node" across versions: its name, or its first output. */
function nodeKey(n: Node, i: number): string {
  return n.name ? `name:${n.name}` : n.output?.[0] ? `out:${n.output[0]}` : `index:${i}`;
}

function describe(q: ReturnType<typeof listQuantizers>[number]): string {
  if (q.opType === 'FloatQuant') return `E${q.exponentBits}M${q.mantissaBits}`;
  if (q.opType === 'BipolarQuant') return 'BIPOLAR';
  return `${q.signed === false ? 'UINT' : 'INT'}${q.bits ?? '?'}${q.narrow ? ' narrow' : ''}${q.roundingMode && q.roundingMode !== 'ROUND' ? ` ${q.roundingMode}` : ''}`;
}

export function diffModels(a: Model, b: Model): ModelDiff {
  const ia = indexGraph(a.graph ?? {}), ib = indexGraph(b.graph ?? {});
  const keyA = new Map<string, number>();
  ia.nodes.forEach((n, i) => keyA.set(nodeKey(n, i), i));
  // nodes renamed by a pass are still the same node when they produce the same first output
  const outA = new Map<string, number>();
  ia.nodes.forEach((n, i) => n.output?.[0] && outA.set(n.output[0], i));
  const matched = new Set<number>();
  const diff: ModelDiff = { added: [], removed: [], changed: [], precision: [], initializersAdded: [], initializersRemoved: [] };
  // First pass: by name or first output. Second pass (passes that rename everything, such as
  // cleanup): the k-th unmatched node of an op type in b is the k-th unmatched one of that type in a.
  const pairOf = new Map<number, number>();
  ib.nodes.forEach((nb, j) => {
    let i = keyA.get(nodeKey(nb, j));
    if (i === undefined || matched.has(i)) {
      const byOut = nb.output?.[0] ? outA.get(nb.output[0]) : undefined;
      i = byOut !== undefined && ia.nodes[byOut].opType === nb.opType ? byOut : undefined;
    }
    if (i !== undefined && !matched.has(i)) {
      matched.add(i);
      pairOf.set(j, i);
    }
  });
  // Within an op type, nodes whose inputs are constants in the same slots pair first (a weight
  // quantizer with a weight quantizer, not with an activation quantizer that a sort moved ahead of it).
  const shapeKey = (n: Node, init: Map<string, Tensor>) => `${n.opType ?? ''}|${(n.input ?? []).map((t) => (!t ? '-' : init.has(t) ? 'c' : 'd')).join('')}`;
  for (const key of [(n: Node, init: Map<string, Tensor>) => shapeKey(n, init), (n: Node) => n.opType ?? '']) {
    const freeA = new Map<string, number[]>();
    ia.nodes.forEach((n, i) => {
      if (matched.has(i)) return;
      const k = key(n, ia.initializer);
      const l = freeA.get(k) ?? [];
      l.push(i);
      freeA.set(k, l);
    });
    ib.nodes.forEach((nb, j) => {
      if (pairOf.has(j)) return;
      const i = freeA.get(key(nb, ib.initializer))?.shift();
      if (i !== undefined) {
        matched.add(i);
        pairOf.set(j, i);
      }
    });
  }
  ib.nodes.forEach((nb, j) => {
    const i = pairOf.get(j);
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
    if ((na.input ?? []).join('\u0000') !== (nb.input ?? []).join('\u0000')) what.push('inputs');
    if ((na.output ?? []).join('\u0000') !== (nb.output ?? []).join('\u0000')) what.push('outputs');
    const aa = new Map((na.attribute ?? []).map((x) => [x.name ?? '', attrBytes(x)]));
    const ab = new Map((nb.attribute ?? []).map((x) => [x.name ?? '', attrBytes(x)]));
    for (const [k, v] of ab) if (aa.get(k) !== v) what.push(aa.has(k) ? `attribute ${k}` : `attribute ${k} added`);
    for (const k of aa.keys()) if (!ab.has(k)) what.push(`attribute ${k} removed`);
    // constants slot by slot: a renamed but equal constant is no change
    (nb.input ?? []).forEach((t, k) => {
      const x = ia.initializer.get(na.input?.[k] ?? ''), y = ib.initializer.get(t);
      if (y && x !== y && !tensorEqual(x, y)) what.push(`constant ${t}`);
    });
    if (what.length) diff.changed.push({ a: i, b: j, name: nb.name ?? '', opType: nb.opType ?? '', what });
  });
  ia.nodes.forEach((n, i) => {
    if (!matched.has(i)) diff.removed.push({ a: i, name: n.name ?? '', opType: n.opType ?? '' });
  });
  const qa = new Map(listQuantizers(a).map((q) => [q.name, describe(q)]));
  for (const q of listQuantizers(b)) {
    const before = qa.get(q.name);
    const after = describe(q);
    if (before !== undefined && before !== after) diff.precision.push({ name: q.name, before, after });
  }
  for (const k of ib.initializer.keys()) if (!ia.initializer.has(k)) diff.initializersAdded.push(k);
  for (const k of ia.initializer.keys()) if (!ib.initializer.has(k)) diff.initializersRemoved.push(k);
  return diff;
}

/** Indices (in b) of nodes that differ from a: changed or added. Cheap when b shares a's objects. */
export function editedNodes(a: Model, b: Model): Set<number> {
  if (a === b) return new Set();
  const d = diffModels(a, b);
  return new Set([...d.changed.map((c) => c.b), ...d.added.map((x) => x.b)]);
}

export function diffIsEmpty(d: ModelDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.initializersAdded.length && !d.initializersRemoved.length;
}

/** Whether two models encode to the same bytes. */
export function sameBytes(a: Model, b: Model): boolean {
  const x = encodeModel(a), y = encodeModel(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
