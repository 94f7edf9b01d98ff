/**
 * Rewrites activation quantizers into standard ONNX ops that compute the same float32 values, so a
 * quantized model runs as one onnxruntime session instead of sessions cut at every quantizer (each
 * cut costs a session call, copies out of wasm memory and a JS kernel pass; measured in bench/exec).
 *
 * Only rewrites that are exact for every finite input are made; anything else stays a QONNX kernel
 * step. Quant (scale, zero point and bit width constant, x float32):
 *
 *   Div(x, scale) [-> Add(zeropt)] -> Clip(min, max) -> round -> [Sub(zeropt) ->] Mul(scale)
 *
 * the kernel's own float32 sequence (src/core/qonnx/ops/quant.ts: clamp before rounding). Rounding:
 *   - ROUND / HALF_EVEN: the Round op from opset 11 (half to even). Before opset 11 there is no Round,
 *     so (y + 1.5·2^23) − 1.5·2^23: float32 addition rounds half to even at unit spacing while
 *     2^23 ≤ y + 1.5·2^23 < 2^24, i.e. for |y| ≤ 2^22, which the clamp guarantees (bit widths ≤ 22).
 *   - FLOOR / CEIL: the Floor / Ceil ops.
 *   - UP, DOWN, HALF_UP, HALF_DOWN stay kernels.
 * A zero point that is all zeros adds and subtracts nothing (values unchanged; only the sign of a zero
 * result may differ, -0 vs +0, which compare equal). Signed 1-bit Quant (bipolar) stays a kernel.
 *
 * BipolarQuant: Where(x >= 0, 1, -1) * scale, with NaN counting as negative as in the kernel:
 * GreaterOrEqual from opset 12; opset 9-11 use Where(Or(Less(x, 0), IsNaN(x)), -1, 1).
 *
 * MultiThreshold (thresholds constant, opset 12 or later): the count of thresholds each value reaches,
 * as Unsqueeze(x, last) >= thresholds laid out [1, .., C, .., 1, B] -> Cast(float) -> ReduceSum(last)
 * -> Mul(out_scale) -> Add(out_bias). The count is an exact small integer and the scale and bias steps
 * are the kernel's own float32 operations. Below opset 12 there is no GreaterOrEqual and Not(Less)
 * would count NaN, so those stay kernels.
 *
 * Trunc and FloatQuant are not rewritten.
 */
import { attrMap, inferShapes, type InferredTensor } from '../analysis/shapeInference.js';
import { fromTensor } from './constTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Dim } from '../ir/tensorInfo.js';
import type { Model, Node, Tensor } from '../ir/types.js';
import { isExternal } from '../onnx/tensorData.js';
import { attrF, attrI, attrInts, f32Const, initializer, makeNode, NameSource } from '../passes/rewrite.js';
import { resolveAttrs } from '../qonnx/ops/attrs.js';
import { isChannelsLast, MULTI_THRESHOLD_ATTRS } from '../qonnx/ops/multiThreshold.js';
import { maxInt, minInt, QUANT_ATTRS } from '../qonnx/ops/quant.js';
import { opsetVersion, resolveCustomOp } from '../qonnx/registry.js';

export interface Lowering {
  model: Model;
  /** tensors made by the rewrite (not part of the user's model; never shown) */
  internal: Set<string>;
  /** names of the quantizer nodes rewritten */
  lowered: string[];
}

/** 1.5·2^23: adding then subtracting it rounds a float32 |y| ≤ 2^22 to the nearest integer, ties to even. */
export const ROUND_MAGIC = 12582912;

interface Const {
  shape: number[];
  data: Float64Array;
}

function readConst(t: Tensor | undefined): Const | undefined {
  if (!t || isExternal(t) || t.dataType !== 1) return undefined;
  try {
    const c = fromTensor(t);
    return { shape: c.shape, data: c.data as Float64Array };
  } catch {
    return undefined;
  }
}

/**
 * Quant nodes whose clamp range is a run-time input (the precision explorer's parametric model): keyed by
 * the quantizer's output tensor, the graph inputs that hold its integer range (the float32 values of
 * minInt / maxInt for the width being tried). Its bit-width input is then not read by the rewrite.
 */
export type RangeInputs = ReadonlyMap<string, { lo: string; hi: string }>;

export function lowerQuantizers(model: Model, rangeInputs?: RangeInputs): Lowering {
  const g = model.graph ?? {};
  const opset = opsetVersion(model, '') ?? 0;
  const none: Lowering = { model, internal: new Set(), lowered: [] };
  if (opset < 7) return none; // numpy broadcasting of Div/Mul/Add starts at opset 7
  const idx = indexGraph(g);
  let types: Map<string, InferredTensor> | undefined;
  const info = (name: string) => {
    if (!types) {
      try {
        types = inferShapes(model).tensors;
      } catch {
        types = new Map();
      }
    }
    return types.get(name);
  };
  const isF32 = (name: string) => info(name)?.elemType === 1;
  const names = new NameSource(g);
  const internal = new Set<string>();
  const lowered: string[] = [];
  const newInits: Tensor[] = [];
  const replacements = new Map<number, Node[]>();
  // Shared scalar constants (one initializer per value).
  const scalars = new Map<number, string>();
  const scalar = (v: number): string => {
    let name = scalars.get(v);
    if (!name) {
      name = names.fresh(`__lower_const_${String(v).replace(/[^0-9a-z]/gi, '_')}`);
      scalars.set(v, name);
      newInits.push(initializer(name, f32Const([], [v])));
      internal.add(name);
    }
    return name;
  };

  idx.nodes.forEach((n, i) => {
    const def = resolveCustomOp(n, model);
    if (!def) return;
    const ins = n.input ?? [];
    const out = n.output?.[0];
    if (!out || !ins[0] || !isF32(ins[0])) return;
    const base = n.name || out;
    const tmp = (suffix: string) => {
      const t = names.fresh(`${out}__${suffix}`);
      internal.add(t);
      return t;
    };
    const mk = (op: string, input: string[], output: string, suffix: string, attrs: Node['attribute'] = []) =>
      makeNode(op, input, [output], `${base}/lowered_${suffix}`, attrs ?? []);

    if (def.opType === 'Quant') {
      const scale = readConst(idx.initializer.get(ins[1] ?? ''));
      const zp = readConst(idx.initializer.get(ins[2] ?? ''));
      const range = rangeInputs?.get(out);
      // a run-time range clamps to graph inputs: only where Clip takes its bounds as inputs (opset 11)
      if (range && opset < 11) return;
      const bits = range ? undefined : readConst(idx.initializer.get(ins[3] ?? ''));
      if (!scale || !zp || (!range && (!bits || bits.data.length < 1))) return;
      const b = bits ? bits.data[0] : 2;
      if (bits && (!bits.data.every((v) => v === b) || !Number.isInteger(b) || b < 1)) return;
      let a;
      try {
        a = resolveAttrs('Quant', QUANT_ATTRS, attrMap(n));
      } catch {
        return;
      }
      const signed = a.flag('signed');
      const narrow = a.flag('narrow');
      if (b === 1 && signed) return; // bipolar branch of Quant (the explorer never lowers a range that may be 1 signed bit)
      const lo = minInt(signed, narrow, b);
      const hi = maxInt(signed, narrow, b);
      if (Math.max(Math.abs(lo), Math.abs(hi)) > 2 ** 22) return; // (the explorer's ranges stay within 22 bits too)
      const mode = a.str('rounding_mode').toUpperCase();
      if (!['ROUND', 'HALF_EVEN', 'FLOOR', 'CEIL'].includes(mode)) return;
      // Parameters of higher rank than x would broadcast x up; the kernel and onnxruntime agree on
      // that too, but keep to per-tensor and per-channel parameters, whose output has x's shape.
      const rank = info(ins[0])?.shape?.length;
      if (rank === undefined || scale.shape.length > rank || zp.shape.length > rank) return;
      const zeroZp = zp.data.every((v) => v === 0);
      const nodes: Node[] = [];
      let t = tmp('div');
      nodes.push(mk('Div', [ins[0], ins[1]], t, 'div'));
      if (!zeroZp) {
        const t2 = tmp('addzp');
        nodes.push(mk('Add', [t, ins[2]], t2, 'addzp'));
        t = t2;
      }
      const clipped = tmp('clip');
      if (range) nodes.push(mk('Clip', [t, range.lo, range.hi], clipped, 'clip'));
      else if (opset >= 11) nodes.push(mk('Clip', [t, scalar(lo), scalar(hi)], clipped, 'clip'));
      else nodes.push(mk('Clip', [t], clipped, 'clip', [attrF('min', lo), attrF('max', hi)]));
      t = clipped;
      const rounded = tmp('round');
      if (mode === 'FLOOR') nodes.push(mk('Floor', [t], rounded, 'floor'));
      else if (mode === 'CEIL') nodes.push(mk('Ceil', [t], rounded, 'ceil'));
      else if (opset >= 11) nodes.push(mk('Round', [t], rounded, 'round'));
      else {
        const up = tmp('magic');
        nodes.push(mk('Add', [t, scalar(ROUND_MAGIC)], up, 'round_add'));
        nodes.push(mk('Sub', [up, scalar(ROUND_MAGIC)], rounded, 'round_sub'));
      }
      t = rounded;
      if (!zeroZp) {
        const t2 = tmp('subzp');
        nodes.push(mk('Sub', [t, ins[2]], t2, 'subzp'));
        t = t2;
      }
      nodes.push(mk('Mul', [t, ins[1]], out, 'mul'));
      replacements.set(i, nodes);
      lowered.push(base);
    } else if (def.opType === 'MultiThreshold') {
      const nodes = lowerMultiThreshold(n, ins, out, opset, info(ins[0])?.shape ?? undefined, idx.initializer.get(ins[1] ?? ''), tmp, mk, scalar, (name, t) => {
        newInits.push(t);
        internal.add(name);
      }, names);
      if (!nodes) return;
      replacements.set(i, nodes);
      lowered.push(base);
    } else if (def.opType === 'BipolarQuant') {
      if (opset < 9 || !readConst(idx.initializer.get(ins[1] ?? ''))) return;
      const nodes: Node[] = [];
      const sign = tmp('sign');
      if (opset >= 12) {
        const ge = tmp('ge');
        nodes.push(mk('GreaterOrEqual', [ins[0], scalar(0)], ge, 'ge'));
        nodes.push(mk('Where', [ge, scalar(1), scalar(-1)], sign, 'where'));
      } else {
        const lt = tmp('lt');
        const nan = tmp('isnan');
        const neg = tmp('neg');
        nodes.push(mk('Less', [ins[0], scalar(0)], lt, 'lt'));
        nodes.push(mk('IsNaN', [ins[0]], nan, 'isnan'));
        nodes.push(mk('Or', [lt, nan], neg, 'or'));
        nodes.push(mk('Where', [neg, scalar(-1), scalar(1)], sign, 'where'));
      }
      nodes.push(mk('Mul', [sign, ins[1]], out, 'mul'));
      replacements.set(i, nodes);
      lowered.push(base);
    }
  });
  if (!replacements.size) return none;
  const node: Node[] = [];
  idx.nodes.forEach((n, i) => node.push(...(replacements.get(i) ?? [n])));
  return { model: { ...model, graph: { ...g, node, initializer: [...(g.initializer ?? []), ...newInits] } }, internal, lowered };
}

type MakeNode = (op: string, input: string[], output: string, suffix: string, attrs?: Node['attribute']) => Node;

function lowerMultiThreshold(
  n: Node,
  ins: string[],
  out: string,
  opset: number,
  shape: readonly Dim[] | undefined,
  thresholdsInit: Tensor | undefined,
  tmp: (suffix: string) => string,
  mk: MakeNode,
  scalar: (v: number) => string,
  addInit: (name: string, t: Tensor) => void,
  names: NameSource,
): Node[] | undefined {
  const rank = shape?.length;
  if (opset < 12 || rank === undefined || rank < 1) return undefined;
  const thr = readConst(thresholdsInit);
  if (!thr || thr.shape.length !== 2) return undefined;
  let a;
  try {
    a = resolveAttrs('MultiThreshold', MULTI_THRESHOLD_ATTRS, attrMap(n));
  } catch {
    return undefined;
  }
  const axis = isChannelsLast(a.str('data_layout')) ? rank - 1 : 1;
  if (axis >= rank) return undefined;
  const [tc, B] = thr.shape;
  // per-channel thresholds need a known channel count that matches (else the kernel's message)
  if (tc !== 1 && shape![axis] !== tc) return undefined;
  // thresholds as [1, .., tc (at the channel axis), .., 1, B], broadcast against x unsqueezed at the end
  const dims = Array.from({ length: rank + 1 }, (_, k) => (k === axis ? tc : k === rank ? B : 1));
  const thrName = names.fresh(`${out}__thresholds`);
  addInit(thrName, initializer(thrName, { dataType: 1, shape: dims, data: thr.data }));
  const nodes: Node[] = [];
  const xu = tmp('unsqueezed');
  if (opset >= 13) {
    const axesName = names.fresh(`${out}__axes`);
    addInit(axesName, initializer(axesName, { dataType: 7, shape: [1], data: Float64Array.of(rank) }));
    nodes.push(mk('Unsqueeze', [ins[0], axesName], xu, 'unsqueeze'));
  } else nodes.push(mk('Unsqueeze', [ins[0]], xu, 'unsqueeze', [attrInts('axes', [rank])]));
  const ge = tmp('reached');
  nodes.push(mk('GreaterOrEqual', [xu, thrName], ge, 'ge'));
  const asFloat = tmp('reached_f');
  nodes.push(mk('Cast', [ge], asFloat, 'cast', [attrI('to', 1)]));
  const scale = a.float('out_scale');
  const bias = a.float('out_bias');
  const count = scale === 1 && bias === 0 ? out : tmp('count');
  if (opset >= 13) {
    const axesName = names.fresh(`${out}__sum_axes`);
    addInit(axesName, initializer(axesName, { dataType: 7, shape: [1], data: Float64Array.of(rank) }));
    nodes.push(mk('ReduceSum', [asFloat, axesName], count, 'sum', [attrI('keepdims', 0)]));
  } else nodes.push(mk('ReduceSum', [asFloat], count, 'sum', [attrInts('axes', [rank]), attrI('keepdims', 0)]));
  let t = count;
  if (scale !== 1) {
    const scaled = bias === 0 ? out : tmp('scaled');
    nodes.push(mk('Mul', [t, scalar(Math.fround(scale))], scaled, 'scale'));
    t = scaled;
  }
  if (bias !== 0) nodes.push(mk('Add', [t, scalar(Math.fround(bias))], out, 'bias'));
  return nodes;
}
