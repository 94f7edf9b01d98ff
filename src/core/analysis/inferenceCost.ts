/**
 * Inference cost as qonnx-inference-cost computes it: MACs per (input, weight) datatype pair, weight
 * and output memory per datatype, totals in BOPs and bits. Preprocessing reproduces the reference's
 * pipeline (shape inference, unique parameter tensors, datatype inference with scaled-int, constant
 * folding that includes weight quantizers, removal of unused tensors and static inputs, datatype
 * inference again, unique node names), so node names and numbers match the reference exactly.
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Node, Tensor } from '../ir/types.js';
import { isExternal, tensorShape, tensorValues } from '../onnx/tensorData.js';
import { sortGraph } from '../passes/tidy.js';
import { annotateDatatypes, giveUniqueNodeNames, giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from '../passes/cleanupPasses.js';
import { foldConstants } from '../passes/foldConstants.js';
import { toFixpointTask } from '../passes/pass.js';
import { runSync, type Task, type TaskProgress } from '../task.js';
import { FLOAT32, parseDataType, tryParseDataType, type DataType } from '../qonnx/datatypes.js';
import { CHANNELS_LAST_DOMAIN } from '../qonnx/registry.js';
import { inferDatatypes, macOutputType } from './datatypeInference.js';
import { floatQuantizerOf, type FloatQuantizerNote } from './floatQuantizers.js';
import { inferShapes, attrMap } from './shapeInference.js';
import { pyJson, type PyValue } from './pyJson.js';
import { qOperatorDatatypes, qOperatorOf, type QOperatorSpec } from './qOperators.js';

export interface CostOptions {
  discountSparsity?: boolean;
  preprocess?: boolean;
  /**
   * count the quantizers the reference takes for FLOAT32 (a scaled BipolarQuant, a Quant with a
   * 1-element bit width array or a nonzero zero point: floatQuantizers.ts) with the bits they have:
   * the input / weight datatype of op_mac_* and mem_w_* keys becomes BIPOLAR, INT4, ... (mem_o_*
   * keeps the reference's output datatype). Off: the reference's numbers.
   */
  effectiveBits?: boolean;
}

/** One costed node, with everything the panel shows. */
export interface NodeCost {
  /** node name after preprocessing (the reference's key) */
  name: string;
  opType: string;
  /** index of the node in the model given to inferenceCost, when it can be traced back */
  originalIndex?: number;
  inDatatype: string;
  weightDatatype: string;
  outDatatype: string;
  macs: number;
  bops: number;
  memWElems: number;
  memWBits: number;
  memOElems: number;
  memOBits: number;
  /** weight density (nonzero / total), 1 without a constant weight */
  density: number;
  /** the reference's keys for this node, e.g. op_mac_INT2_INT2, mem_w_INT2, mem_o_INT32 */
  raw: Record<string, number>;
  /** the paper's BOPs with accumulator terms (see paperBops) */
  paperBops: number;
  /**
   * m, n, f_p of the paper formula for this node, and the input and weight bits it uses: the
   * reference's datatypes, except where qonnx counts a quantizer as FLOAT32 (floatNotes).
   */
  paper: { m: number; n: number; fp: number; accBits: number; ba: number; bw: number };
  /** why qonnx-inference-cost fails on this layer although it is costed here (a channels-last Conv, a QOperator op) */
  referenceFails?: string;
  /** what kind of layer referenceFails is about: a channels-last Conv, or a QOperator op (QLinearConv, ...) costed as its float op */
  beyondReference?: 'channels-last' | 'qoperator';
  /** input 0 ('in') or input 1 ('weight') counted as FLOAT32 although it comes from a quantizer with fewer bits */
  floatNotes?: { in?: FloatQuantizerNote; weight?: FloatQuantizerNote };
}

/** A layer the totals leave out: an op type the reference has no cost model for, or a node whose cost failed. */
export interface UncostedLayer {
  /** the node's name in the model given to inferenceCost, or "node #k (OpType)" when it has none */
  node: string;
  /** its index in that model, when it can be traced back */
  index?: number;
  opType: string;
  reason: string;
}

export interface CostReport {
  /** the reference's JSON objects */
  total_cost: Record<string, PyValue>;
  optype_cost: Record<string, Record<string, PyValue>>;
  node_cost: Record<string, Record<string, PyValue>>;
  nodes: NodeCost[];
  unsupported: string[];
  discountSparsity: boolean;
  /** nodes skipped as free (MaxPool, Relu, Quant, ...) */
  freeOps: string[];
  /** problems that made a node impossible to cost (missing shape, ...); `node` named as in UncostedLayer */
  errors: { node: string; index?: number; message: string }[];
  /** every layer not in the totals (unsupported op types and errors), in graph order */
  uncosted: UncostedLayer[];
  /** layers that need a cost model: the costed ones plus the uncosted ones (free ops such as Relu or Quant are not counted) */
  layerCount: number;
}

/** "partial: N of M layers not costed", or undefined when every layer is costed. */
export function partialSummary(r: Pick<CostReport, 'uncosted' | 'layerCount'>): string | undefined {
  return r.uncosted.length ? `partial: ${r.uncosted.length} of ${r.layerCount} layers not costed` : undefined;
}

export const ZERO_COST_OPS = new Set([
  'MaxPool', 'AveragePool', 'Quant', 'QuantizeLinear', 'DequantizeLinear', 'Reshape', 'Concat', 'Transpose', 'Div', 'Mul', 'Add', 'Sub',
  'BatchNormalization', 'Relu', 'Elu', 'Selu', 'Sigmoid', 'Identity', 'Flatten', 'Pad', 'Clip', 'Trunc',
]);
const COSTED = new Set(['Conv', 'MatMul', 'Gemm', 'Upsample']);

/** The reference's preprocessing pipeline. Node output names are kept, so nodes can be traced back. */
export function preprocessForCost(model: Model): Model {
  return runSync(preprocessForCostTask(model));
}

/*
 * The reference applies each step with ModelWrapper.transform, which runs its cleanup after every
 * transformation, and that cleanup sorts the graph (SortGraph: level by level, file order within a
 * level). So by the time GiveUniqueNodeNames numbers the nodes, they are in that order: on a residual
 * block whose 1x1 shortcut Conv comes after the main path in the file, the shortcut (one level up) is
 * numbered before the main path's second Conv. `sorted` reproduces that after every step.
 */
function* preprocessForCostTask(model: Model): Task<Model> {
  const step = (label: string): TaskProgress => ({ label, done: 0, total: 0 });
  const sorted = (x: Model) => sortGraph.run(x, {}).model;
  let m = sorted(model);
  yield step('Giving parameter tensors unique names');
  m = sorted(giveUniqueParameterTensors.run(m, {}).model);
  yield step('Annotating datatypes');
  m = sorted(annotateDatatypes.run(m, { allowScaledInt: true }).model);
  yield step('Folding constants');
  m = sorted((yield* toFixpointTask(foldConstants, m, { excludeOpTypes: [] })).model);
  yield step('Removing unused tensors');
  m = sorted(removeUnusedTensors.run(m, {}).model);
  m = sorted(removeStaticGraphInputs.run(m, {}).model);
  yield step('Annotating datatypes');
  m = sorted(annotateDatatypes.run(m, { allowScaledInt: true }).model);
  return m;
}

/** The finn_datatype annotations as written in the model (what the reference's get_tensor_datatype reads). */
function annotatedDatatypes(idx: ReturnType<typeof indexGraph>): Map<string, DataType> {
  const types = new Map<string, DataType>();
  for (const [t, kv] of idx.annotation) {
    const dt = tryParseDataType(kv.get('finn_datatype'));
    if (dt) types.set(t, dt);
  }
  return types;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

const densities = new WeakMap<object, number>();

function density(model: Model, name: string): number {
  const t = indexGraph(model.graph ?? {}).initializer.get(name);
  if (!t || isExternal(t)) return 1;
  const hit = densities.get(t);
  if (hit !== undefined) return hit;
  const d = countDensity(t);
  densities.set(t, d);
  return d;
}

/**
 * Density of a quantized weight (QOperator ops): the share of values that differ from their zero point
 * (a scalar, or one per channel along `axis`), i.e. of nonzero dequantized weights, as the QDQ form's
 * folded DequantizeLinear has them.
 */
function quantizedDensity(model: Model, name: string, zpName: string | undefined, axis: number): number {
  const idx = indexGraph(model.graph ?? {});
  const t = idx.initializer.get(name);
  if (!t || isExternal(t)) return 1;
  const zpT = zpName ? idx.initializer.get(zpName) : undefined;
  if (!zpT) return density(model, name);
  const v = tensorValues(t).data;
  const zp = tensorValues(zpT).data;
  if (Array.isArray(v) || Array.isArray(zp) || !v.length) return 1;
  if (zp.length <= 1) {
    const z = zp.length ? Number(zp[0]) : 0;
    let nz = 0;
    for (let i = 0; i < v.length; i++) if (Number(v[i]) !== z) nz++;
    return nz / v.length;
  }
  const shape = tensorShape(t);
  const ax = axis < 0 ? shape.length + axis : axis;
  const inner = prod(shape.slice(ax + 1));
  if (shape[ax] !== zp.length) return density(model, name);
  let nz = 0;
  for (let i = 0; i < v.length; i++) if (Number(v[i]) !== Number(zp[Math.floor(i / inner) % zp.length])) nz++;
  return nz / v.length;
}

function countDensity(t: Tensor): number {
  const v = tensorValues(t).data;
  if (Array.isArray(v)) return 1;
  let nz = 0;
  for (let i = 0; i < v.length; i++) if (v[i] != 0) nz++; // eslint-disable-line eqeqeq
  return v.length ? nz / v.length : 1;
}

export function inferenceCost(model: Model, opts: CostOptions = {}): CostReport {
  return runSync(inferenceCostTask(model, opts));
}

/**
 * inferenceCost as a task: progress per preprocessing step, folded node and costed node, so a worker
 * can show it and cancel between steps (a 20,000-node graph takes about a second).
 */
export function* inferenceCostTask(model: Model, opts: CostOptions = {}): Task<CostReport> {
  const discount = opts.discountSparsity ?? true;
  const original = model.graph?.node ?? [];
  const originOf = new Map<string, number>();
  original.forEach((n, i) => {
    const o = n.output?.[0];
    if (o && !originOf.has(o)) originOf.set(o, i);
  });
  let m = opts.preprocess === false ? model : yield* preprocessForCostTask(model);
  m = giveUniqueNodeNames.run(m, {}).model;
  yield { label: 'Inferring shapes', done: 0, total: 0 };
  const shapes = inferShapes(m).tensors;
  const idx = indexGraph(m.graph ?? {});
  yield { label: 'Inferring datatypes', done: 0, total: 0 };
  // Fix: without preprocessing the reference runs no datatype inference; it reads each tensor's
  // finn_datatype annotation (model.get_tensor_datatype), FLOAT32 when there is none. Inferring here
  // turned unannotated Quant outputs into INT2 etc. and so gave numbers the reference never prints.
  const types = opts.preprocess === false ? annotatedDatatypes(idx) : inferDatatypes(m, { allowScaledInt: true }).types;
  const dtOf = (t: string | undefined): DataType => (t ? types.get(t) ?? FLOAT32 : FLOAT32);
  // Messages say what is wrong; the node is named once, by whoever shows the message (nameOf).
  const shapeOf = (t: string | undefined, what: string): number[] => {
    const s = t ? shapes.get(t)?.shape : null;
    if (!s || s.some((d) => typeof d !== 'number')) throw new Error(`its ${what} has ${s ? `a symbolic shape [${s.join(',')}]` : 'no known shape'}`);
    return s as number[];
  };
  /** A node as the user finds it in the opened model: its name there, else its position and op type. */
  const nameOf = (n: Node): { node: string; index?: number } => {
    const k = n.output?.[0] ? originOf.get(n.output[0]) : undefined;
    if (k === undefined) return { node: n.name || `${n.opType ?? '?'} node` };
    const orig = original[k];
    return { node: orig.name ? orig.name : `node #${k} (${orig.opType ?? '?'})`, index: k };
  };

  const nodes: NodeCost[] = [];
  const unsupported = new Set<string>();
  const free = new Set<string>();
  const errors: CostReport['errors'] = [];
  const uncosted: UncostedLayer[] = [];
  const originalIdx = indexGraph(model.graph ?? {});
  for (const [i, n] of idx.nodes.entries()) {
    const op = n.opType ?? '';
    yield { label: 'Costing layers', done: i, total: idx.nodes.length };
    // a QOperator op (QLinearConv, QGemm, QLinearAdd...) counts as the float op it stands for
    const q = qOperatorOf(n);
    const costAs = q?.floatOp ?? op;
    if (!COSTED.has(costAs) || (q && q.b === undefined)) {
      if (ZERO_COST_OPS.has(costAs)) free.add(op);
      else {
        unsupported.add(op);
        uncosted.push({ ...nameOf(n), opType: op, reason: `qonnx-inference-cost has no cost model for ${op}${q ? ` (${q.floatOp} on quantized values)` : ''}` });
      }
      continue;
    }
    try {
      const c = costNode(m, n, discount, dtOf, shapeOf, originOf, q && { spec: q, elemOf: (t) => (t ? shapes.get(t)?.elemType ?? 0 : 0) });
      if (c.originalIndex !== undefined && !q) withRealBits(c, originalIdx.nodes[c.originalIndex], originalIdx, opts.effectiveBits === true);
      nodes.push(c);
    } catch (e) {
      const who = nameOf(n);
      errors.push({ ...who, message: (e as Error).message });
      uncosted.push({ ...who, opType: op, reason: (e as Error).message });
    }
  }
  const node_cost: Record<string, Record<string, PyValue>> = {};
  const byType = new Map<string, NodeCost[]>();
  for (const c of nodes) {
    node_cost[c.name] = withTotals(c.raw);
    const l = byType.get(c.opType) ?? [];
    l.push(c);
    byType.set(c.opType, l);
  }
  const optype_cost: Record<string, Record<string, PyValue>> = {};
  for (const [op, l] of byType) optype_cost[op] = withTotals(sumRaw(l.map((c) => c.raw)));
  const total: Record<string, PyValue> = withTotals(sumRaw(nodes.map((c) => c.raw)));
  const unsupportedList = [...unsupported].sort();
  total.unsupported = unsupportedList.length ? `{${unsupportedList.map((u) => `'${u}'`).join(', ')}}` : 'set()';
  total.discount_sparsity = discount;
  return {
    total_cost: total,
    optype_cost,
    node_cost,
    nodes,
    unsupported: unsupportedList,
    discountSparsity: discount,
    freeOps: [...free].sort(),
    errors,
    // in the order of the file given (the preprocessed graph is sorted level by level)
    uncosted: uncosted.map((u, k) => ({ u, k })).sort((a, b) => (a.u.index ?? Infinity) - (b.u.index ?? Infinity) || a.k - b.k).map((x) => x.u),
    layerCount: nodes.length + uncosted.length,
  };
}

/**
 * Where the reference counts input 0 or the weight as FLOAT32 but the tensor comes from a quantizer
 * with fewer bits (floatQuantizers.ts), the paper formula uses those bits and the node says why.
 */
function withRealBits(c: NodeCost, orig: Node, idx: ReturnType<typeof indexGraph>, effective: boolean): void {
  const note = (slot: number, dt: string) => (dt === 'FLOAT32' ? floatQuantizerOf(idx, orig.input?.[slot]) : undefined);
  const inNote = note(0, c.inDatatype);
  const wNote = c.opType === 'Upsample' ? undefined : note(1, c.weightDatatype);
  if (!inNote && !wNote) return;
  c.floatNotes = {};
  if (inNote) c.floatNotes.in = { bits: inNote.bits, reason: inNote.reason };
  if (wNote) c.floatNotes.weight = { bits: wNote.bits, reason: wNote.reason };
  const ba = inNote?.bits ?? c.paper.ba;
  // Upsample has no weight: its formula uses the input's bits twice, as finish() does
  const bw = c.opType === 'Upsample' ? ba : wNote?.bits ?? c.paper.bw;
  c.paper = { ...c.paper, ba, bw };
  c.paperBops = paperBops(c.paper.m, c.paper.n, c.paper.fp, ba, bw);
  if (effective) withEffectiveKeys(c, inNote?.datatype, c.opType === 'Upsample' ? inNote?.datatype : wNote?.datatype);
}

/** The node's reference keys with the input / weight datatype replaced by the quantizer's real one (effectiveBits). */
function withEffectiveKeys(c: NodeCost, inType: string | undefined, wType: string | undefined): void {
  const idt = parseDataType(inType ?? c.inDatatype);
  const wdt = parseDataType(wType ?? c.weightDatatype);
  const raw: Record<string, number> = {};
  for (const [k, v] of Object.entries(c.raw)) {
    const key = k.startsWith('op_mac_') ? `op_mac_${idt.name}_${wdt.name}` : k.startsWith('mem_w_') ? `mem_w_${wdt.name}` : k;
    raw[key] = (raw[key] ?? 0) + v;
  }
  c.raw = raw;
  c.inDatatype = idt.name;
  if (c.opType !== 'Upsample') c.weightDatatype = wdt.name;
  c.bops = idt.bitwidth * wdt.bitwidth * c.macs;
  c.memWBits = c.memWElems * wdt.bitwidth;
}

function sumRaw(rs: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Add total_bops, total_macs and memory totals from the per-datatype keys, as the reference does. */
function withTotals(raw: Record<string, number>): Record<string, PyValue> {
  const out: Record<string, PyValue> = { ...raw };
  let bops = 0, macs = 0, wBits = 0, wElems = 0, oBits = 0, oElems = 0;
  for (const [k, v] of Object.entries(raw)) {
    const parts = k.split('_');
    if (k.startsWith('op_mac')) {
      bops += parseDataType(parts[2]).bitwidth * parseDataType(parts[3]).bitwidth * v;
      macs += v;
    } else if (k.startsWith('mem_w')) {
      wBits += parseDataType(parts[2]).bitwidth * v;
      wElems += v;
    } else if (k.startsWith('mem_o')) {
      oBits += parseDataType(parts[2]).bitwidth * v;
      oElems += v;
    }
  }
  Object.assign(out, { total_bops: bops, total_macs: macs, total_mem_w_bits: wBits, total_mem_w_elems: wElems, total_mem_o_bits: oBits, total_mem_o_elems: oElems });
  return out;
}

function costNode(
  m: Model,
  n: Node,
  discount: boolean,
  dtOf: (t: string | undefined) => DataType,
  shapeOf: (t: string | undefined, what: string) => number[],
  originOf: Map<string, number>,
  q?: { spec: QOperatorSpec; elemOf: (t: string | undefined) => number },
): NodeCost {
  const idx = indexGraph(m.graph ?? {});
  // a QOperator node is costed as its float op on its quantized data inputs (qOperators.ts)
  const op = q ? q.spec.floatOp : n.opType ?? '';
  const [i0, i1] = q ? [n.input?.[q.spec.a!] ?? '', n.input?.[q.spec.b!] ?? ''] : n.input ?? [];
  const o0 = n.output?.[0];
  let idt = dtOf(i0), wdt = dtOf(i1);
  // a channels-last Conv's output takes input 0's datatype (the reference's wrapper rule); its cost
  // uses the output datatype the standard Conv would have (datatypeInference's MAC rule)
  let odt = op === 'Conv' && n.domain === CHANNELS_LAST_DOMAIN ? macOutputType('Conv', (n.input ?? []).filter(Boolean).map((t) => dtOf(t))) : dtOf(o0);
  let referenceFails: string | undefined;
  if (q) {
    // bit widths from the element types: SCALEDINT<8> for an int8 input with a scale, as the QDQ form's DequantizeLinear gives
    const d = qOperatorDatatypes(n, q.spec, q.elemOf);
    if (!d.a || !d.b || !d.out) throw new Error('the element types of its quantized inputs or output are not known');
    idt = d.a;
    wdt = d.b;
    odt = d.out;
    referenceFails = `qonnx-inference-cost has no cost model for ${n.opType} (costed here as ${op} on ${idt.name} × ${wdt.name})`;
  }
  // density of a weight: a quantized weight is zero where it equals its zero point
  const weightDensity = (name: string) => {
    if (!q) return density(m, name);
    const zpSlot = name === i0 ? q.spec.aZeroPoint : q.spec.bZeroPoint;
    const transB = Number(attrMap(n).transB ?? 0) === 1;
    // per-channel zero points run along the output channels: axis 0 of a Conv weight, the columns of a MatMul B
    const axis = op === 'Conv' || (op === 'Gemm' && transB) || name === i0 ? 0 : -1;
    return quantizedDensity(m, name, zpSlot !== undefined ? n.input?.[zpSlot] : undefined, axis);
  };
  const a = attrMap(n);
  let macs: number;
  let memW: number | undefined;
  let dens = 1;
  let paper = { m: 0, n: 0, fp: 0 };
  const oShape = shapeOf(o0, 'output');
  const memO = prod(oShape);
  if (op === 'Conv') {
    const iShape = shapeOf(i0, 'input');
    const wShape = shapeOf(i1, 'weight');
    // channels-last (qonnx.custom_op.channels_last, e.g. hls4ml's exports): x [N, H, W, C], W [OC, KH, KW, C/group];
    // the same count on those axes. The reference reads axis 1 as the channels and cannot cost it.
    const nhwc = n.domain === CHANNELS_LAST_DOMAIN;
    const k = (a.kernel_shape as number[] | undefined) ?? (nhwc ? wShape.slice(1, -1) : wShape.slice(2));
    const group = a.group !== undefined ? Number(a.group) : 1;
    const bsize = iShape[0];
    const ifm = nhwc ? iShape[iShape.length - 1] : iShape[1];
    const ofm = nhwc ? oShape[oShape.length - 1] : oShape[1];
    const spatial = nhwc ? oShape.slice(1, -1) : oShape.slice(2);
    if (nhwc) referenceFails = 'qonnx-inference-cost cannot cost a channels-last Conv (it reads axis 1 as the channels)';
    if (ofm !== wShape[0]) throw new Error(`output channels ${ofm} differ from the weight's ${wShape[0]}`);
    if (ofm % group !== 0) throw new Error(`${ofm} output channels are not divisible by group ${group}`);
    macs = bsize * Math.floor(ofm / group) * ifm * prod(k) * prod(spatial);
    memW = prod(wShape);
    if (discount) {
      dens = weightDensity(i1);
      macs *= dens;
      memW *= dens;
    }
    // paper: m = output elements, n = MACs per output element
    paper = { m: memO, n: (ifm / group) * prod(k), fp: 1 - dens };
  } else if (op === 'MatMul' || op === 'Gemm') {
    let iShape = shapeOf(i0, 'input');
    let wShape = shapeOf(i1, 'weight');
    if (op === 'Gemm') {
      if (Number(a.transA ?? 0) === 1) iShape = [...iShape].reverse();
      if (Number(a.transB ?? 0) === 1) wShape = [...wShape].reverse();
    }
    macs = iShape[iShape.length - 1] * prod(oShape);
    const c0 = idx.initializer.has(i0), c1 = idx.initializer.has(i1);
    let wname: string | undefined;
    if (c0 && !c1) {
      memW = prod(iShape);
      wname = i0;
    } else if (!c0 && c1) {
      memW = prod(wShape);
      wname = i1;
    } else if (!c0 && !c1) memW = 0;
    else throw new Error('both inputs are constant (fold constants first)');
    if (discount && wname) {
      dens = weightDensity(wname);
      macs *= dens;
      memW! *= dens;
    }
    paper = { m: prod(oShape), n: iShape[iShape.length - 1], fp: 1 - dens };
  } else {
    // Upsample
    const mode = String(a.mode ?? 'nearest');
    const iShape = shapeOf(i0, 'input');
    if (mode === 'nearest') macs = 0;
    else if (mode === 'linear') {
      const scales = i1 ? idx.initializer.get(i1) : undefined;
      const sv = scales ? Array.from(tensorValues(scales).data as Float32Array) : [];
      macs = 2 * sv.filter((s) => s > 1).length * prod(oShape.slice(2)) * iShape[1] * iShape[0];
    } else throw new Error(`Upsample mode ${mode} is not supported for estimation`);
    const raw: Record<string, number> = { [`op_mac_${idt.name}_${idt.name}`]: macs, [`mem_o_${odt.name}`]: memO };
    return finish(n, raw, idt, idt, odt, macs, 0, memO, 1, { m: 0, n: 0, fp: 0 }, originOf);
  }
  const raw: Record<string, number> = { [`op_mac_${idt.name}_${wdt.name}`]: macs, [`mem_w_${wdt.name}`]: memW!, [`mem_o_${odt.name}`]: memO };
  const c = finish(n, raw, idt, wdt, odt, macs, memW!, memO, dens, paper, originOf);
  if (referenceFails) {
    c.referenceFails = referenceFails;
    c.beyondReference = q ? 'qoperator' : 'channels-last';
  }
  return c;
}

function finish(
  n: Node,
  raw: Record<string, number>,
  idt: DataType,
  wdt: DataType,
  odt: DataType,
  macs: number,
  memW: number,
  memO: number,
  dens: number,
  p: { m: number; n: number; fp: number },
  originOf: Map<string, number>,
): NodeCost {
  const ba = idt.bitwidth, bw = wdt.bitwidth;
  const accBits = p.n > 0 ? Math.log2(p.n) : 0;
  return {
    name: n.name ?? '',
    opType: n.opType ?? '',
    originalIndex: n.output?.[0] !== undefined ? originOf.get(n.output[0]) : undefined,
    inDatatype: idt.name,
    weightDatatype: wdt.name,
    outDatatype: odt.name,
    macs,
    bops: ba * bw * macs,
    memWElems: memW,
    memWBits: memW * wdt.bitwidth,
    memOElems: memO,
    memOBits: memO * odt.bitwidth,
    density: dens,
    raw,
    paperBops: paperBops(p.m, p.n, p.fp, ba, bw),
    paper: { ...p, accBits, ba, bw },
  };
}

/**
 * BOPs with accumulator terms (Baskin et al., "UNIQ"/"BOPs" formula, as used in the QONNX paper):
 * m * n * ((1 - f_p) * b_a * b_w + b_a + b_w + log2(n)), where m is the number of outputs, n the
 * number of MACs per output (fan-in) and f_p the fraction of pruned (zero) weights.
 */
export function paperBops(m: number, n: number, fp: number, ba: number, bw: number): number {
  if (m === 0 || n === 0) return 0;
  return m * n * ((1 - fp) * ba * bw + ba + bw + Math.log2(n));
}

/** The reference's JSON output for these options. */
export function costJson(r: CostReport, breakdown: boolean): string {
  const obj: Record<string, PyValue> = { total_cost: r.total_cost };
  if (breakdown) {
    obj.optype_cost = r.optype_cost;
    obj.node_cost = r.node_cost;
  }
  return pyJson(obj);
}

