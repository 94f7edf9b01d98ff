/**
 * PruneChannels: remove channels from tensors and everything that depends on them, as the reference's
 * PruneChannels (ApplyMasks + PropagateMasks + RemoveMaskedChannels, lossy mode) does.
 *
 * The spec `{tensor: {axis: [channels]}}` marks channels to remove, e.g.
 * `{"conv1.weight": {"0": [3, 7]}}` (output channels 3 and 7 of a Conv). The marks then spread until
 * nothing changes, each op linking the axes that must shrink together:
 *   - elementwise ops (Add, Sub, Mul, Div, Relu, Clip, Quant, BipolarQuant, Trunc, ...): every input
 *     and the output, along the axes they share (numpy broadcasting: a size-1 axis is not linked);
 *     the reference's lossy mode does the same, so pruning one input of a residual Add prunes the
 *     other branch too;
 *   - BatchNormalization: x, y on axis 1 and the four parameters on axis 0;
 *   - QuantizeLinear / DequantizeLinear: also their per-axis scale and zero point;
 *   - MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool: axis 1;
 *   - Conv: input axis 1 <-> weight axis 1, output axis 1 <-> weight axis 0 <-> bias; a depthwise Conv
 *     (group = input channels = output channels) links input and output, and its group shrinks;
 *   - MatMul: A's last axis <-> B axis 0, output's last axis <-> B axis 1; Gemm likewise (transA/transB)
 *     and its C;
 *   - Transpose: axes follow the permutation; Flatten / Reshape to [N, C*H*W]: channel c of the input
 *     is features c*H*W .. (c+1)*H*W - 1 of the output (a marked feature marks its whole channel);
 *     a Reshape's shape initializer is rewritten.
 * Then every marked initializer loses those slices, and declared shapes (value_info, graph inputs and
 * outputs) shrink. Constants are folded first (weights computed from initializers become
 * initializers) and shared parameter tensors are given one copy per reader, so pruning one layer's
 * parameter never prunes another layer.
 *
 * lossy: the pruned model computes something else unless the removed channels carried no information
 * (e.g. their weights were zero). A mark reaching an op not listed above, a grouped (non-depthwise)
 * Conv, a Reshape whose target is not an initializer, or a tensor of non-numeric type is an error
 * (the reference silently produced inconsistent shapes); a mark reaching a graph output shrinks it.
 *
 * The reference's PruneChannels reports "not modified" so that ModelWrapper.transform runs it once; a
 * fixpoint runner here would prune again, so the pass recognises a model it produced itself and
 * reports no change for it.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import type { Dim } from '../ir/tensorInfo.js';
import { int64ToNumber, type Model, type Node, type ValueInfo } from '../ir/types.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { giveUniqueParameterTensors } from './cleanupPasses.js';
import { foldConstants } from './foldConstants.js';
import { attrInt, attrsOf, deleteIndices, dropUnused, GraphDraft, int64Tensor, isStandard, numericTensor, readNumbers, WRITABLE_TYPES, withAttr, withShape } from './graphDraft.js';
import type { TransformDef } from './registry.js';

export type PruneSpec = Record<string, Record<string, number[]>>;

export interface PruneChannelsParams {
  spec: PruneSpec;
}

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'Tanh', 'Selu', 'Elu', 'Celu', 'HardSigmoid', 'HardSwish',
  'Softplus', 'Identity', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Floor', 'Ceil', 'Round', 'Sign', 'Erf', 'Max', 'Min', 'Sum', 'Mean',
  'Pow', 'Dropout',
]);
const QONNX_ELEMENTWISE = new Set(['Quant', 'BipolarQuant', 'Trunc', 'FloatQuant']);
const POOLS = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool']);

/** Two (tensor, axis) ends whose marks are the same set; `block` > 1: a's channel c is b's c*block .. c*block+block-1. */
interface Link {
  a: string;
  axisA: number;
  b: string;
  axisB: number;
  block: number;
}

const produced = new WeakSet<Model>();

const key = (t: string, axis: number) => `${t}\u0000${axis}`;

export function pruneChannels(model: Model, spec: PruneSpec): Model {
  // constant weights (e.g. Reshape of an initializer) become initializers; one copy of a parameter per reader
  let m = model;
  for (let k = 0; k < 10; k++) {
    const r = foldConstants.run(m, {});
    if (!r.modified) break;
    m = r.model;
  }
  m = giveUniqueParameterTensors.run(m, {}).model;
  const shapes = analyzeModel(m).shapes.tensors;
  const d = new GraphDraft(m);
  const dimsOf = (t: string): number[] | undefined => {
    const init = d.initializer(t);
    if (init) return (init.dims ?? []).map((x) => int64ToNumber(x));
    const s = shapes.get(t)?.shape;
    return s && s.every((x) => typeof x === 'number') ? (s as number[]) : undefined;
  };
  const known = (t: string) => d.isInitializer(t) || d.producer(t) >= 0 || d.isGraphInput(t);

  // marks from the spec
  const marks = new Map<string, Set<number>>();
  for (const [t, axes] of Object.entries(spec)) {
    if (!known(t)) throw new Error(`prune-channels: the spec names tensor '${t}', which is not in the model`);
    const dims = dimsOf(t);
    if (!dims) throw new Error(`prune-channels: the shape of '${t}' is unknown`);
    if (typeof axes !== 'object' || axes === null || Array.isArray(axes)) throw new Error(`prune-channels: spec['${t}'] must be an object {axis: [channels]}`);
    for (const [ax, chans] of Object.entries(axes)) {
      let axis = Number(ax);
      if (!Number.isInteger(axis) || axis < -dims.length || axis >= dims.length) throw new Error(`prune-channels: '${t}' has ${dims.length} axes, the spec names axis ${ax}`);
      if (axis < 0) axis += dims.length;
      if (!Array.isArray(chans) || chans.some((c) => !Number.isInteger(c) || c < 0 || c >= dims[axis]))
        throw new Error(`prune-channels: spec['${t}']['${ax}'] must list channels in 0..${dims[axis] - 1}`);
      const s = marks.get(key(t, axis)) ?? new Set<number>();
      for (const c of chans) s.add(c);
      marks.set(key(t, axis), s);
    }
  }

  // the links each node makes between axes
  const links: Link[] = [];
  const accepts = new Map<Node, Set<string>>(); // node -> (tensor, axis) ends it links
  const unsupported: Node[] = [];
  const link = (n: Node, a: string, axisA: number, b: string, axisB: number, block = 1) => {
    links.push({ a, axisA, b, axisB, block });
    const s = accepts.get(n) ?? new Set<string>();
    s.add(key(a, axisA));
    s.add(key(b, axisB));
    accepts.set(n, s);
  };
  for (const n of d.nodes) {
    const custom = resolveCustomOp(n, m);
    const op = custom ? custom.opType : isStandard(n) ? n.opType ?? '' : '';
    const ins = n.input ?? [];
    const y = n.output?.[0] ?? '';
    const ys = dimsOf(y);
    const a = attrsOf(n);
    if (!ys) {
      unsupported.push(n);
      continue;
    }
    if ((!custom && ELEMENTWISE.has(op)) || (custom && QONNX_ELEMENTWISE.has(op))) {
      for (const t of ins) {
        if (!t) continue;
        const s = dimsOf(t);
        if (!s) continue;
        const off = ys.length - s.length;
        s.forEach((dim, k) => {
          if (dim === ys[k + off] && dim > 1) link(n, t, k, y, k + off);
        });
      }
    } else if (!custom && op === 'BatchNormalization') {
      link(n, ins[0], 1, y, 1);
      for (const p of ins.slice(1, 5)) if (p) link(n, p, 0, y, 1);
    } else if (!custom && (op === 'QuantizeLinear' || op === 'DequantizeLinear')) {
      const xs = dimsOf(ins[0]);
      if (xs) xs.forEach((dim, k) => dim > 1 && link(n, ins[0], k, y, k));
      const sc = dimsOf(ins[1] ?? '');
      if (xs && sc && sc.length === 1 && sc[0] > 1) {
        let axis = Number(a.axis ?? 1);
        if (axis < 0) axis += xs.length;
        for (const p of ins.slice(1, 3)) if (p) link(n, p, 0, y, axis);
      }
    } else if (!custom && POOLS.has(op)) {
      link(n, ins[0], 1, y, 1);
      link(n, ins[0], 0, y, 0);
    } else if (!custom && op === 'Conv') {
      const xs = dimsOf(ins[0]), ws = dimsOf(ins[1]);
      if (!xs || !ws) {
        unsupported.push(n);
        continue;
      }
      const group = Number(a.group ?? 1);
      if (group === 1) {
        link(n, ins[0], 1, ins[1], 1);
        link(n, y, 1, ins[1], 0);
      } else if (group === xs[1] && ws[0] === xs[1] && ws[1] === 1) {
        link(n, ins[0], 1, y, 1);
        link(n, y, 1, ins[1], 0);
      } else {
        unsupported.push(n);
        continue;
      }
      if (ins[2]) link(n, y, 1, ins[2], 0);
      link(n, ins[0], 0, y, 0);
    } else if (!custom && (op === 'MatMul' || op === 'Gemm')) {
      const as = dimsOf(ins[0]), bs = dimsOf(ins[1]);
      if (!as || !bs || bs.length !== 2 || (op === 'Gemm' && as.length !== 2)) {
        unsupported.push(n);
        continue;
      }
      const tA = op === 'Gemm' && Number(a.transA ?? 0) !== 0, tB = op === 'Gemm' && Number(a.transB ?? 0) !== 0;
      link(n, ins[0], tA ? 0 : as.length - 1, ins[1], tB ? 1 : 0);
      link(n, y, ys.length - 1, ins[1], tB ? 0 : 1);
      if (op === 'Gemm' && ins[2]) {
        const cs = dimsOf(ins[2]);
        if (cs && cs.length >= 1 && cs[cs.length - 1] > 1) link(n, y, 1, ins[2], cs.length - 1);
        if (cs && cs.length === 2 && cs[0] > 1) link(n, y, 0, ins[2], 0);
      }
      if (as.length >= 2) link(n, ins[0], tA ? 1 : as.length - 2, y, ys.length - 2);
    } else if (!custom && op === 'Transpose') {
      const xs = dimsOf(ins[0]);
      if (!xs) {
        unsupported.push(n);
        continue;
      }
      const perm = (a.perm as number[] | undefined) ?? xs.map((_, k) => xs.length - 1 - k);
      perm.forEach((p, k) => link(n, ins[0], p, y, k));
    } else if (!custom && (op === 'Flatten' || op === 'Reshape')) {
      const xs = dimsOf(ins[0]);
      const flat = xs && ys.length === 2 && xs.length >= 2 && xs[0] === ys[0] && ys[1] === xs.slice(1).reduce((p, q) => p * q, 1);
      if (!flat || (op === 'Flatten' && Number(a.axis ?? 1) !== 1)) {
        unsupported.push(n);
        continue;
      }
      link(n, ins[0], 0, y, 0);
      link(n, ins[0], 1, y, 1, xs!.slice(2).reduce((p, q) => p * q, 1));
    } else unsupported.push(n);
  }

  // spread the marks until nothing changes
  const get = (t: string, axis: number) => marks.get(key(t, axis));
  const addAll = (t: string, axis: number, vals: Iterable<number>): boolean => {
    let s = marks.get(key(t, axis));
    let changed = false;
    for (const v of vals) {
      if (!s) {
        s = new Set();
        marks.set(key(t, axis), s);
      }
      if (!s.has(v)) {
        s.add(v);
        changed = true;
      }
    }
    return changed;
  };
  for (let round = 0, changed = true; changed && round < 10_000; round++) {
    changed = false;
    for (const l of links) {
      const sa = get(l.a, l.axisA), sb = get(l.b, l.axisB);
      if (sa) {
        const expanded: number[] = [];
        for (const c of sa) for (let j = 0; j < l.block; j++) expanded.push(c * l.block + j);
        if (addAll(l.b, l.axisB, expanded)) changed = true;
      }
      if (sb) {
        const channels = new Set<number>();
        for (const i of sb) channels.add(Math.floor(i / l.block));
        if (addAll(l.a, l.axisA, channels)) changed = true;
      }
    }
  }

  // every mark must be understood by every node touching its tensor
  const marked = new Map<string, number[]>(); // tensor -> axes
  for (const [k, s] of marks) {
    if (!s.size) continue;
    const [t, ax] = k.split('\u0000');
    marked.set(t, [...(marked.get(t) ?? []), Number(ax)]);
  }
  for (const n of d.nodes) {
    for (const t of [...(n.input ?? []), ...(n.output ?? [])]) {
      const axes = t ? marked.get(t) : undefined;
      if (!axes) continue;
      const label = `${n.opType} '${n.name || n.output?.[0]}'`;
      if (unsupported.includes(n)) throw new Error(`prune-channels: the channels removed from '${t}' would have to pass through ${label}, which pruning does not support`);
      for (const ax of axes)
        if (!accepts.get(n)?.has(key(t, ax))) throw new Error(`prune-channels: ${label} cannot have axis ${ax} of '${t}' pruned`);
    }
  }

  // remove the channels
  for (const [t, axes] of marked) {
    const dims = dimsOf(t)!;
    const init = d.initializer(t);
    if (init) {
      const v = readNumbers(init);
      if (!v || !WRITABLE_TYPES.has(v.dataType)) throw new Error(`prune-channels: initializer '${t}' has an element type pruning cannot rewrite`);
      let cur = { shape: v.shape, data: v.data };
      for (const ax of axes) cur = deleteIndices(cur.shape, cur.data, ax, get(t, ax)!);
      d.setInitializer(numericTensor(t, v.dataType, cur.shape, cur.data));
      if (cur.shape.some((x) => x === 0)) throw new Error(`prune-channels: every channel of '${t}' would be removed`);
      d.dropValueInfo(t);
    }
    const newDims: Dim[] = [...dims];
    for (const ax of axes) newDims[ax] = dims[ax] - get(t, ax)!.size;
    const vi = d.declaredValueInfo(t);
    if (vi && vi.type?.tensorType?.shape) d.setValueInfo(withShape(vi, newDims));
    const resize = (list: ValueInfo[]) => list.map((v) => (v.name === t && v.type?.tensorType?.shape ? withShape(v, newDims) : v));
    if (d.isGraphInput(t)) d.setGraphInputs(resize(d.graphInputs()));
    if (d.isGraphOutput(t)) d.setGraphOutputs(resize(d.graphOutputs()));
  }

  // attributes and shape tensors that hold channel counts
  d.nodes = d.nodes.map((n) => {
    if (!isStandard(n)) return n;
    if (n.opType === 'Conv' && Number(attrsOf(n).group ?? 1) > 1) {
      const removed = get(n.input?.[1] ?? '', 0)?.size ?? 0;
      if (removed) return withAttr(n, 'group', attrInt('group', Number(attrsOf(n).group) - removed));
    }
    if (n.opType === 'Reshape') {
      const y = n.output?.[0] ?? '';
      const removed = get(y, 1)?.size ?? 0;
      if (!removed) return n;
      const target = readNumbers(d.initializer(n.input?.[1]));
      if (!target) throw new Error(`prune-channels: Reshape '${n.name || y}' computes its target shape, which pruning cannot rewrite`);
      const next = Array.from(target.data);
      if (next[1] > 0) next[1] -= removed;
      const name = d.fresh(`${n.input![1]}_pruned`);
      d.setInitializer(int64Tensor(name, next));
      return { ...n, input: [n.input![0], name, ...(n.input ?? []).slice(2)] };
    }
    return n;
  });
  const out = dropUnused(d.build());
  produced.add(out);
  return out;
}

export const pruneChannelsPass: TransformDef<PruneChannelsParams> = {
  id: 'prune-channels',
  title: 'Prune channels',
  summary: 'Remove the given channels of the given tensors (e.g. output channels of a Conv weight) and of every layer they reach (next layer inputs, BatchNorm parameters, quantizer scales)',
  params: [
    {
      name: 'spec',
      kind: 'json',
      required: true,
      doc: 'Channels to remove per tensor and axis, e.g. {"conv1.weight": {"0": [3, 7]}} removes output channels 3 and 7 of that Conv',
    },
  ],
  lossy: true,
  run(model, params) {
    if (produced.has(model)) return { model, modified: false };
    const spec = params.spec;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error('prune-channels: spec must be an object {tensor: {axis: [channels]}}');
    if (Object.values(spec).every((axes) => Object.values(axes ?? {}).every((c) => Array.isArray(c) && c.length === 0))) return { model, modified: false };
    return { model: pruneChannels(model, spec), modified: true };
  },
};
