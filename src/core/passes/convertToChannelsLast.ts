/**
 * ConvertToChannelsLastAndClean: every Conv, MaxPool and BatchNormalization on a 3-d or 4-d tensor
 * becomes its channels-last wrapper (domain qonnx.custom_op.channels_last, same attributes), with a
 * Transpose to channels-last before it (on the input, and on a Conv's weight) and one back after it.
 * Then the Transposes are cleaned away as the reference does (qonnx/transformation/channels_last.py),
 * each step repeated until nothing changes:
 *   - a to-channels-first Transpose followed by a to-channels-last one cancels;
 *   - a to-channels-last Transpose moves upstream through Relu, Selu, LeakyRelu, Sigmoid, Tanh, and
 *     through Quant / Add / Sub / Mul / Div with single-valued parameters;
 *   - a Transpose after a weight quantizer is folded into its initializers;
 *   - a to-channels-first Transpose moves downstream through elementwise ops, the op's other inputs
 *     getting the inverse Transpose (computed offline for initializers, Unsqueeze + Transpose nodes
 *     for computed tensors of lower rank);
 *   - a Transpose whose output feeds several nodes is duplicated per reader;
 *   - a to-channels-first Transpose -> Flatten/Reshape(N, -1) -> MatMul/Gemm is absorbed by permuting
 *     the weight's rows, leaving a Flatten;
 *   - constants are folded (the Transposes of weights become transposed initializers).
 * With `makeInputChannelsLast` the graph input itself becomes channels-last (its first Transpose goes).
 *
 * What stays as in the reference: the order of the steps, the sets of ops moved through, which
 * Transposes survive (at most one at the input and one per output of layout-sensitive models).
 * Fixes: a Quant is only moved through when its parameters are single-valued (a per-channel scale
 * would broadcast along the wrong axis after the swap); a Transpose is only moved past an op when it
 * is that op's only reader (the reference rewired the op's output for every reader); a Transpose
 * pair is cancelled for every reader of the second one (the reference rewired only the first); the
 * weight permutation of a quantized MatMul keeps per-row quantizer parameters consistent or is
 * skipped; Conv and MaxPool with auto_pad, dilations or ceil_mode keep those attributes and the
 * kernels honour them. Nodes that cannot be converted (unknown rank, 5-d tensors, MaxPool with an
 * Indices output, BatchNormalization in training mode) are listed in `notes`.
 */
import { inferShapes, type ShapeInferenceResult } from '../analysis/shapeInference.js';
import type { Model, Node } from '../ir/types.js';
import { toChannelsFirstPerm, toChannelsLastPerm } from '../qonnx/ops/channelsLastLayout.js';
import { CHANNELS_LAST_DOMAIN, resolveCustomOp } from '../qonnx/registry.js';
import { foldConstants } from './foldConstants.js';
import { attrInt, attrInts, attrsOf, dropUnused, GraphDraft, int64Tensor, isStandard, node, numericTensor, readNumbers, transposeData, WRITABLE_TYPES, withShape } from './graphDraft.js';
import type { TransformDef } from './registry.js';

export interface ChannelsLastParams {
  makeInputChannelsLast?: boolean;
}

const CHANNELS_LAST_OPS = new Set(['Conv', 'MaxPool', 'BatchNormalization']);
const MOVE_THROUGH = new Set(['Relu', 'Selu', 'LeakyRelu', 'Sigmoid', 'Tanh']);
const MOVE_THROUGH_IF_SCALAR = new Set(['Mul', 'Div', 'Sub', 'Add']);
const ELTWISE = new Set([
  'Identity', 'Relu', 'LeakyRelu', 'Clip', 'Selu', 'Celu', 'Elu', 'Sigmoid', 'HardSigmoid', 'Tanh', 'Softplus', 'Exp', 'Log', 'Sqrt', 'Erf',
  'Floor', 'Ceil', 'Round', 'Sign', 'Mul', 'Div', 'Sub', 'Add', 'Mod', 'And', 'Or', 'Xor', 'Equal', 'Less', 'LessOrEqual', 'Greater',
  'GreaterOrEqual', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'Max', 'Min',
]);
const ELTWISE_QUANTIZERS = new Set(['Quant', 'BipolarQuant', 'Trunc', 'FloatQuant']);

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const inversePerm = (p: readonly number[]) => p.map((_, i) => p.indexOf(i));

type Step = (m: Model, notes: string[]) => Model | undefined;

/** Shapes of a model version (shape inference only: the datatypes are not needed here). */
const shapeCache = new WeakMap<Model, ShapeInferenceResult['tensors']>();
function shapesOf(m: Model): ShapeInferenceResult['tensors'] {
  let s = shapeCache.get(m);
  if (!s) {
    try {
      s = inferShapes(m).tensors;
    } catch {
      s = new Map();
    }
    shapeCache.set(m, s);
  }
  return s;
}

/** Rank of a tensor (shape inference), or undefined. */
const rankOf = (m: Model, t: string | undefined | null) => (t ? shapesOf(m).get(t)?.shape?.length : undefined);
const shapeOf = (m: Model, t: string | undefined | null) => (t ? shapesOf(m).get(t)?.shape ?? null : null);

function transposePerm(m: Model, n: Node): number[] | undefined {
  const r = rankOf(m, n.input?.[0]);
  const p = attrsOf(n).perm as number[] | undefined;
  if (p) return p;
  return r === undefined ? undefined : Array.from({ length: r }, (_, i) => r - 1 - i);
}

const isTranspose = (n: Node) => n.opType === 'Transpose' && isStandard(n);

/**
 * For 3-d tensors the to-channels-last and to-channels-first permutations are the same ([0, 2, 1]), so
 * the direction of a Transpose is told by where it sits: a "to-last" one leads (through elementwise
 * ops) into a channels-last node, a "to-first" one is fed (through elementwise ops) by one.
 * Without this, moving it down and moving it up would undo each other forever.
 */
function leadsIntoChannelsLast(m: Model, d: GraphDraft, t: string): boolean {
  for (let guard = 0; guard < 1000; guard++) {
    const cons = d.consumers(t);
    if (cons.length !== 1) return false;
    const n = d.nodes[cons[0]];
    if (n.domain === CHANNELS_LAST_DOMAIN) return true;
    if (!isEltwise(m, n) || (n.output ?? []).length !== 1) return false;
    t = n.output![0];
  }
  return false;
}

function fedByChannelsLast(m: Model, d: GraphDraft, t: string): boolean {
  for (let guard = 0; guard < 1000; guard++) {
    const pi = d.producer(t);
    if (pi < 0) return false;
    const n = d.nodes[pi];
    if (n.domain === CHANNELS_LAST_DOMAIN) return true;
    if (!isEltwise(m, n)) return false;
    t = n.input?.[0] ?? '';
  }
  return false;
}

function layoutPerm(m: Model, n: Node, which: 'last' | 'first'): boolean {
  if (!isTranspose(n)) return false;
  const r = rankOf(m, n.input?.[0]);
  const p = transposePerm(m, n);
  if (r === undefined || !p || r < 3) return false;
  return sameList(p, which === 'last' ? toChannelsLastPerm(r) : toChannelsFirstPerm(r));
}

/** The model's default opset (for the Unsqueeze form). */
const opsetOf = (d: GraphDraft) => d.opsetVersion('') ?? 13;

// ---------------------------------------------------------------------------------------------------
// InsertChannelsLastDomainsAndTrafos

function insertChannelsLast(m: Model, notes: string[]): Model | undefined {
  const d = new GraphDraft(m);
  let changed = false;
  const out: Node[] = [];
  for (const n of d.nodes) {
    const op = n.opType ?? '';
    if (!CHANNELS_LAST_OPS.has(op) || !isStandard(n)) {
      out.push(n);
      continue;
    }
    const label = `${op} '${n.name || n.output?.[0]}'`;
    const x = n.input?.[0] ?? '';
    const r = rankOf(m, x);
    const outs = (n.output ?? []).filter(Boolean);
    let why: string | undefined;
    if (op === 'BatchNormalization' && r === 2) why = ''; // channels only: nothing to transpose
    else if (r === undefined) why = 'the rank of its input is unknown';
    else if (r !== 3 && r !== 4) why = `its input has ${r} axes (only 3 or 4 are supported)`;
    else if (outs.length !== 1) why = op === 'MaxPool' ? 'its Indices output is used' : 'it has training outputs';
    else if (op === 'BatchNormalization' && Number(attrsOf(n).training_mode ?? 0) !== 0) why = 'it runs in training mode';
    else if (op === 'Conv' && rankOf(m, n.input?.[1]) !== r) why = 'its weight rank is unknown or differs from the input rank';
    if (why !== undefined) {
      if (why) notes.push(`${label} left channels-first: ${why}`);
      out.push(n);
      continue;
    }
    const rank = r!;
    const base = n.name || n.output![0];
    const inputs = [...(n.input ?? [])];
    const transposed = op === 'Conv' ? [0, 1] : [0];
    for (const k of transposed) {
      const t = inputs[k];
      const tl = d.fresh(`${t}_channels_last`);
      out.push(node('Transpose', [t], [tl], d.fresh(`${base}_to_channels_last_${k}`), [attrInts('perm', toChannelsLastPerm(rank))]));
      const dt = d.annotation(t, 'finn_datatype');
      if (dt !== undefined) d.setAnnotation(tl, 'finn_datatype', dt);
      inputs[k] = tl;
    }
    const y = n.output![0];
    const yl = d.fresh(`${y}_channels_last`);
    const dt = d.annotation(y, 'finn_datatype');
    if (dt !== undefined) d.setAnnotation(yl, 'finn_datatype', dt);
    out.push({ ...n, domain: CHANNELS_LAST_DOMAIN, input: inputs, output: [yl] });
    out.push(node('Transpose', [yl], [y], d.fresh(`${base}_to_channels_first`), [attrInts('perm', toChannelsFirstPerm(rank))]));
    changed = true;
  }
  if (!changed) return undefined;
  d.nodes = out;
  d.requireOpset(CHANNELS_LAST_DOMAIN, 1);
  return d.build();
}

// ---------------------------------------------------------------------------------------------------
// RemoveConsecutiveChanFirstAndChanLastTrafos (any two Transposes that compose to the identity)

function removeConsecutive(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  const gone = new Set<Node>();
  for (let i = 0; i < d.nodes.length; i++) {
    const t1 = d.nodes[i];
    if (!isTranspose(t1) || gone.has(t1)) continue;
    const mid = t1.output?.[0] ?? '';
    const cons = d.consumers(mid);
    if (cons.length !== 1 || d.isGraphOutput(mid)) continue;
    const t2 = d.nodes[cons[0]];
    if (!isTranspose(t2) || gone.has(t2) || (t2.input ?? []).length !== 1) continue;
    const p1 = transposePerm(m, t1), p2 = transposePerm(m, t2);
    if (!p1 || !p2 || p1.length !== p2.length || !p2.every((v, k) => p1[v] === k)) continue;
    const src = t1.input?.[0] ?? '';
    const y = t2.output?.[0] ?? '';
    if (d.isGraphOutput(y)) {
      // the graph output keeps its name: the producer of src writes it instead (when src is a node output)
      const pi = d.producer(src);
      if (pi < 0 || gone.has(d.nodes[pi]) || d.isGraphOutput(src) || d.consumers(src).length !== 1) continue;
      d.nodes[pi] = { ...d.nodes[pi], output: (d.nodes[pi].output ?? []).map((o) => (o === src ? y : o)) };
    } else d.rewire(d.consumers(y), y, src);
    gone.add(t1);
    gone.add(t2);
  }
  if (!gone.size) return undefined;
  d.nodes = d.nodes.filter((n) => !gone.has(n));
  return d.build();
}

// ---------------------------------------------------------------------------------------------------
// MoveChanLastUpstream

function singleValued(m: Model, t: string | undefined): boolean {
  if (!t) return true;
  const s = shapeOf(m, t);
  return !!s && s.every((v) => v === 1);
}

function moveChanLastUpstream(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  const touched = new Set<Node>();
  for (let i = 0; i < d.nodes.length; i++) {
    const t = d.nodes[i];
    if (touched.has(t) || !layoutPerm(m, t, 'last')) continue;
    if (rankOf(m, t.input![0]) === 3 && !leadsIntoChannelsLast(m, d, t.output![0])) continue;
    const mid = t.input![0];
    const pi = d.producer(mid);
    if (pi < 0) continue;
    const p = d.nodes[pi];
    if (touched.has(p)) continue;
    const pop = resolveCustomOp(p, m)?.opType ?? (isStandard(p) ? p.opType ?? '' : '');
    let ok = MOVE_THROUGH.has(pop) && isStandard(p);
    if (MOVE_THROUGH_IF_SCALAR.has(pop) && isStandard(p)) ok = singleValued(m, p.input?.[1]);
    if (pop === 'Quant' && !isStandard(p)) ok = (p.input ?? []).slice(1).every((x) => singleValued(m, x));
    if (!ok || (p.output ?? []).length !== 1) continue;
    if (d.consumers(mid).length !== 1 || d.isGraphOutput(mid)) continue;
    const x = p.input?.[0] ?? '';
    if (!x || d.isInitializer(x)) continue;
    const y = t.output![0];
    // x -> T -> mid -> P -> y
    d.nodes[i] = { ...p, input: [mid, ...(p.input ?? []).slice(1)], output: [y] };
    d.nodes[pi] = { ...t, input: [x], output: [mid] };
    touched.add(d.nodes[i]).add(d.nodes[pi]);
    const dt = d.annotation(x, 'finn_datatype');
    d.setAnnotation(mid, 'finn_datatype', dt);
    d.dropValueInfo(mid);
  }
  return touched.size ? d.build() : undefined;
}

// ---------------------------------------------------------------------------------------------------
// FoldTransposeIntoQuantInit

function foldTransposeIntoQuant(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  for (let i = 0; i < d.nodes.length; i++) {
    const t = d.nodes[i];
    if (!isTranspose(t)) continue;
    const qOut = t.input![0];
    const qi = d.producer(qOut);
    if (qi < 0) continue;
    const q = d.nodes[qi];
    const qop = resolveCustomOp(q, m)?.opType;
    if (qop !== 'Quant' && qop !== 'BipolarQuant') continue;
    if (!(q.input ?? []).every((x) => d.isInitializer(x))) continue;
    if (d.consumers(qOut).length !== 1 || d.isGraphOutput(qOut)) continue;
    const vals = (q.input ?? []).map((x) => readNumbers(d.initializer(x)));
    if (vals.some((v) => !v || !WRITABLE_TYPES.has(v.dataType))) continue;
    const rank = vals[0]!.shape.length;
    const perm = transposePerm(m, t);
    if (!perm || perm.length !== rank || vals.some((v) => v!.shape.length > rank)) continue;
    const inputs = (q.input ?? []).map((name, k) => {
      const v = vals[k]!;
      if (k > 0 && v.data.length === 1) return name;
      const padded = [...new Array(rank - v.shape.length).fill(1), ...v.shape];
      const tr = transposeData(padded, v.data, perm);
      const target = d.fresh(`${name}_transposed`);
      d.setInitializer(numericTensor(target, v.dataType, tr.shape, tr.data));
      return target;
    });
    const y = t.output![0];
    d.nodes[qi] = { ...q, input: inputs, output: [y] };
    d.nodes.splice(i, 1);
    if (d.annotation(y, 'finn_datatype') === undefined) d.setAnnotation(y, 'finn_datatype', d.annotation(qOut, 'finn_datatype'));
    return dropUnused(d.build());
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// MoveChanFirstDownstream

function isEltwise(m: Model, n: Node): boolean {
  const custom = resolveCustomOp(n, m);
  if (custom) return ELTWISE_QUANTIZERS.has(custom.opType);
  return isStandard(n) && ELTWISE.has(n.opType ?? '');
}

function moveChanFirstDownstream(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  const touched = new Set<Node>();
  for (let i = 0; i < d.nodes.length; i++) {
    const t = d.nodes[i];
    if (touched.has(t) || !layoutPerm(m, t, 'first')) continue;
    const x = t.input![0];
    if (d.producer(x) < 0) continue; // at the top of the graph: left for RemoveConsecutive
    if (rankOf(m, x) === 3 && !fedByChannelsLast(m, d, x)) continue;
    const t1 = t.output![0];
    const cons = d.consumers(t1);
    if (cons.length !== 1 || d.isGraphOutput(t1)) continue;
    const ei = cons[0];
    const e = d.nodes[ei];
    if (touched.has(e) || !isEltwise(m, e) || (e.output ?? []).length !== 1) continue;
    const rank = rankOf(m, x)!;
    const perm = transposePerm(m, t)!;
    const inv = inversePerm(perm);
    const before: Node[] = [];
    const inputs: string[] = [];
    let ok = true;
    for (const inp of e.input ?? []) {
      if (inp === t1) {
        inputs.push(x);
        continue;
      }
      if (!inp) {
        inputs.push(inp);
        continue;
      }
      const s = shapeOf(m, inp);
      if (!s || s.length > rank) {
        ok = false;
        break;
      }
      if (s.length === 0 || s.every((v) => v === 1)) {
        inputs.push(inp); // broadcasts the same in either layout
        continue;
      }
      const init = readNumbers(d.initializer(inp));
      if (init) {
        if (!WRITABLE_TYPES.has(init.dataType)) {
          ok = false;
          break;
        }
        const padded = [...new Array(rank - init.shape.length).fill(1), ...init.shape];
        const tr = transposeData(padded, init.data, inv);
        const name = d.fresh(`${inp}_channels_last`);
        d.setInitializer(numericTensor(name, init.dataType, tr.shape, tr.data));
        inputs.push(name);
        continue;
      }
      let src = inp;
      if (s.length < rank) {
        const axes = Array.from({ length: rank - s.length }, (_, k) => k);
        const u = d.fresh(`${inp}_unsqueezed`);
        if (opsetOf(d) >= 13) {
          const an = d.fresh(`${inp}_unsqueeze_axes`);
          d.setInitializer(int64Tensor(an, axes));
          before.push(node('Unsqueeze', [inp, an], [u], d.fresh(`${e.name || 'eltwise'}_unsqueeze`)));
        } else before.push(node('Unsqueeze', [inp], [u], d.fresh(`${e.name || 'eltwise'}_unsqueeze`), [attrInts('axes', axes)]));
        src = u;
      }
      const tl = d.fresh(`${inp}_channels_last`);
      before.push(node('Transpose', [src], [tl], d.fresh(`${e.name || 'eltwise'}_inverse_transpose`), [attrInts('perm', inv)]));
      const dt = d.annotation(inp, 'finn_datatype');
      if (dt !== undefined) d.setAnnotation(tl, 'finn_datatype', dt);
      inputs.push(tl);
    }
    if (!ok) continue;
    const t2 = e.output![0];
    // x -> E -> t1 -> T -> t2
    const newE: Node = { ...e, input: inputs, output: [t1] };
    const newT: Node = { ...t, input: [t1], output: [t2] };
    d.setAnnotation(t1, 'finn_datatype', d.annotation(t2, 'finn_datatype'));
    d.dropValueInfo(t1);
    d.nodes = d.nodes.flatMap((n, k) => (k === i ? [] : k === ei ? [...before, newE, newT] : [n]));
    for (const n of [...before, newE, newT]) touched.add(n);
    i--; // the node after T now sits at i
  }
  return touched.size ? d.build() : undefined;
}

// ---------------------------------------------------------------------------------------------------
// MoveTransposePastFork

function moveTransposePastFork(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  for (let i = 0; i < d.nodes.length; i++) {
    const t = d.nodes[i];
    if (!isTranspose(t)) continue;
    const y = t.output![0];
    const cons = d.consumers(y);
    if (cons.length < 2) continue;
    const copies: Node[] = [];
    for (const ci of cons.slice(1)) {
      const y2 = d.fresh(`${y}_fork`);
      copies.push({ ...t, name: d.fresh(`${t.name || 'Transpose'}_fork`), output: [y2] });
      d.rewire([ci], y, y2);
      const dt = d.annotation(y, 'finn_datatype');
      if (dt !== undefined) d.setAnnotation(y2, 'finn_datatype', dt);
    }
    d.nodes.splice(i + 1, 0, ...copies);
    return d.build();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// AbsorbChanFirstIntoMatMul

function absorbChanFirstIntoMatMul(m: Model, notes: string[]): Model | undefined {
  const d = new GraphDraft(m);
  for (let i = 0; i < d.nodes.length; i++) {
    const f = d.nodes[i];
    if (!isStandard(f) || (f.opType !== 'Flatten' && f.opType !== 'Reshape')) continue;
    const fin = f.input![0], fout = f.output![0];
    const is = shapeOf(m, fin), os = shapeOf(m, fout);
    if (!is || !os || os.length !== 2 || is[0] !== os[0]) continue;
    const ti = d.producer(fin);
    if (ti < 0 || !layoutPerm(m, d.nodes[ti], 'first')) continue;
    const t = d.nodes[ti];
    if (d.consumers(fin).length !== 1 || d.isGraphOutput(fin)) continue;
    const cons = d.consumers(fout);
    if (cons.length !== 1 || d.isGraphOutput(fout)) continue;
    const mm = d.nodes[cons[0]];
    if (!isStandard(mm) || (mm.opType !== 'MatMul' && mm.opType !== 'Gemm') || mm.input?.[0] !== fout) continue;
    const label = `${mm.opType} '${mm.name || mm.output?.[0]}'`;
    const transB = mm.opType === 'Gemm' && Number(attrsOf(mm).transB ?? 0) !== 0;
    // the weight: an initializer, or a Quant of one whose parameters do not vary along the rows
    let wName = mm.input?.[1] ?? '';
    let quant: Node | undefined;
    if (!d.isInitializer(wName)) {
      const qi = d.producer(wName);
      const q = qi >= 0 ? d.nodes[qi] : undefined;
      if (!q || resolveCustomOp(q, m)?.opType !== 'Quant' || !d.isInitializer(q.input?.[0]) || d.consumers(wName).length !== 1) {
        notes.push(`${label}: the Transpose before it stays, its weight is not an initializer or a quantized initializer`);
        continue;
      }
      const rowAxis = transB ? 1 : 0;
      const paramsOk = (q.input ?? []).slice(1).every((p) => {
        const s = shapeOf(m, p);
        if (!s) return false;
        const ax = rowAxis - (2 - s.length);
        return ax < 0 || s[ax] === 1;
      });
      if (!paramsOk) {
        notes.push(`${label}: the Transpose before it stays, its weight quantizer has per-row parameters`);
        continue;
      }
      quant = q;
      wName = q.input![0];
    }
    const w = readNumbers(d.initializer(wName));
    const xs = shapeOf(m, t.input![0]);
    if (!w || w.shape.length !== 2 || !xs || !xs.every((v) => typeof v === 'number') || !WRITABLE_TYPES.has(w.dataType)) continue;
    const rank = xs.length;
    const [h, ww, c] = rank === 4 ? [xs[1] as number, xs[2] as number, xs[3] as number] : [xs[1] as number, 1, xs[2] as number];
    let W = w;
    if (transB) W = { ...W, ...transposeData(W.shape, W.data, [1, 0]) };
    const [mw, mh] = W.shape;
    if (mw !== c * h * ww) continue;
    // rows were ordered (c, h, w) by the channels-first flatten; the channels-last flatten gives (h, w, c)
    let p = transposeData([c, h, ww, mh], W.data, [1, 2, 0, 3]);
    if (transB) p = transposeData([mw, mh], p.data, [1, 0]);
    const newW = d.fresh(`${wName}_channels_last_rows`);
    d.setInitializer(numericTensor(newW, w.dataType, transB ? [mh, mw] : [mw, mh], p.data));
    if (quant) {
      const qi = d.nodes.indexOf(quant);
      d.nodes[qi] = { ...quant, input: [newW, ...(quant.input ?? []).slice(1)] };
    } else {
      const mi = d.nodes.indexOf(mm);
      d.nodes[mi] = { ...mm, input: [fout, newW, ...(mm.input ?? []).slice(2)] };
    }
    const flat = node('Flatten', [t.input![0]], [fout], d.fresh(`${f.name || 'Flatten'}_channels_last`), [attrInt('axis', 1)]);
    d.nodes = d.nodes.flatMap((n) => (n === t ? [] : n === f ? [flat] : [n]));
    return dropUnused(d.build());
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// MakeInputChannelsLast

const LAYOUTS: Record<number, [string, string]> = { 3: ["['N', 'C', 'W']", "['N', 'W', 'C']"], 4: ["['N', 'C', 'H', 'W']", "['N', 'H', 'W', 'C']"] };

function makeInputChannelsLast(m: Model): Model | undefined {
  const d = new GraphDraft(m);
  const inputs = d.graphInputs();
  const k = inputs.findIndex((i) => !d.isInitializer(i.name));
  if (k < 0) return undefined;
  const name = inputs[k].name ?? '';
  const s = shapeOf(m, name);
  if (!s || s.length < 3 || !LAYOUTS[s.length]) return undefined;
  const [cf, cl] = LAYOUTS[s.length];
  if (d.annotation(name, 'tensor_layout') === cl) return undefined;
  const rank = s.length;
  const clShape = toChannelsLastPerm(rank).map((p) => s[p]);
  const inner = d.fresh(`${name}_transposed`);
  d.rewire(d.consumers(name), name, inner);
  d.nodes.unshift(node('Transpose', [name], [inner], d.fresh(`${name}_to_channels_first`), [attrInts('perm', toChannelsFirstPerm(rank))]));
  const next = [...inputs];
  next[k] = withShape(inputs[k], clShape);
  d.setGraphInputs(next);
  d.setAnnotation(name, 'tensor_layout', cl);
  d.setAnnotation(inner, 'tensor_layout', cf);
  const dt = d.annotation(name, 'finn_datatype');
  if (dt !== undefined) d.setAnnotation(inner, 'finn_datatype', dt);
  return d.build();
}

// ---------------------------------------------------------------------------------------------------

function fixpoint(step: Step, m: Model, notes: string[], limit = 10_000): { model: Model; changed: boolean } {
  let changed = false;
  for (let k = 0; k < limit; k++) {
    const next = step(m, notes);
    if (!next) break;
    m = next;
    changed = true;
  }
  return { model: m, changed };
}

const fold: Step = (m) => {
  const r = foldConstants.run(m, {});
  return r.modified ? r.model : undefined;
};

/** value_info entries whose declared shape no longer matches the inferred one get the inferred shape. */
function refreshValueInfo(m: Model): Model {
  const g = m.graph ?? {};
  const shapes = shapesOf(m);
  let changed = false;
  const vis = (g.valueInfo ?? []).map((v) => {
    const inf = shapes.get(v.name ?? '')?.shape;
    const decl = v.type?.tensorType?.shape?.dim;
    if (!inf || !decl) return v;
    const same = decl.length === inf.length && decl.every((dd, k) => (dd.dimValue != null ? Number(dd.dimValue) === inf[k] : true));
    if (same) return v;
    changed = true;
    return withShape(v, inf);
  });
  const outs = (g.output ?? []).map((v) => {
    const inf = shapes.get(v.name ?? '')?.shape;
    const decl = v.type?.tensorType?.shape?.dim;
    if (!inf || !decl || !inf.every((x) => typeof x === 'number')) return v;
    const same = decl.length === inf.length && decl.every((dd, k) => (dd.dimValue != null ? Number(dd.dimValue) === inf[k] : true));
    if (same) return v;
    changed = true;
    return withShape(v, inf);
  });
  return changed ? { ...m, graph: { ...g, valueInfo: vis, output: outs } } : m;
}

export const convertToChannelsLast: TransformDef<ChannelsLastParams> = {
  id: 'convert-to-channels-last',
  title: 'Convert to channels-last',
  summary:
    'Wrap Conv, MaxPool and BatchNormalization into channels-last (NHWC) versions and move the Transposes this needs to the graph boundaries, cancelling them where they meet (ConvertToChannelsLastAndClean)',
  params: [
    {
      name: 'makeInputChannelsLast',
      kind: 'boolean',
      default: false,
      doc: 'Also make the graph input channels-last (its shape becomes [N, H, W, C]), so that no Transpose is left at the start',
    },
  ],
  lossy: false,
  run(model, params) {
    const notes: string[] = [];
    let m = model;
    let any = false;
    const inserted = insertChannelsLast(m, notes);
    if (inserted) {
      m = inserted;
      any = true;
    }
    const cleanup: Step[] = [
      removeConsecutive,
      moveChanLastUpstream,
      foldTransposeIntoQuant,
      removeConsecutive,
      moveChanFirstDownstream,
      moveTransposePastFork,
      removeConsecutive,
      // its notes are only meaningful once folding has had its say: collected after the loop
      (x) => absorbChanFirstIntoMatMul(x, []),
    ];
    if (params.makeInputChannelsLast) cleanup.push(makeInputChannelsLast, removeConsecutive);
    for (let round = 0; round < 100; round++) {
      let changed = false;
      for (const step of cleanup) {
        const r = fixpoint(step, m, notes);
        if (r.changed) {
          m = r.model;
          changed = true;
        }
      }
      if (changed || any) {
        const f = fixpoint(fold, m, notes);
        m = f.model;
        changed ||= f.changed;
      }
      if (!changed) break;
      any = true;
    }
    absorbChanFirstIntoMatMul(m, notes);
    const uniqueNotes = [...new Set(notes)];
    if (!any) return uniqueNotes.length ? { model, modified: false, notes: uniqueNotes } : { model, modified: false };
    m = refreshValueInfo(dropUnused(m));
    return uniqueNotes.length ? { model: m, modified: true, notes: uniqueNotes } : { model: m, modified: true };
  },
};
