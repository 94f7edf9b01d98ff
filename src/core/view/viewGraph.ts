/**
 * The graph as the user sees it: which boxes exist, what is folded into them, and the labelled edges.
 * Pure: the same function feeds the canvas, SVG/PNG export, search and the layout worker.
 *
 * Folding (default on): initializers become rows inside the node that reads them, and a quantizer
 * whose data input is constant (a weight quantizer, possibly followed by a Transpose or Reshape of the
 * weight) becomes a row inside the node it feeds, so a layer reads as one box. `showConstants` turns both into nodes of their own.
 */
import { analyzeModel, type ModelAnalysis } from '../analysis/modelAnalysis.js';
import { floatQuantizerNote } from '../analysis/floatQuantizers.js';
import { linearQuantizerBadge, qOperatorBadge, qOperatorOf } from '../analysis/qOperators.js';
import { HEAD_H, NODE_W, sizeCard } from './cardSize.js';
import { groupLayers } from './groupLayers.js';
import { indexGraph, type GraphIndex } from '../ir/graphIndex.js';
import { datatypeLabel, formatShape, tensorInfo } from '../ir/tensorInfo.js';
import type { Model, Node } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';

export type ViewNodeKind = 'op' | 'input' | 'output' | 'const';

export interface FoldedRow {
  /** input slot name, e.g. "W" or "scale" */
  slot: string;
  tensor: string;
  text: string;
  /** node index of a folded quantizer, when the row is one */
  quantNode?: number;
  /** the constant tensors a summary row stands for (a quantizer's scale, zero point, bit width) */
  tensors?: string[];
  /** `text` cut into the lines the card shows (cardSize.ts); absent: one line */
  lines?: string[];
  /** why qonnx counts the folded quantizer as FLOAT32 although it has fewer bits (floatQuantizers.ts) */
  floatNote?: string;
}

export interface ViewNode {
  id: string;
  kind: ViewNodeKind;
  /** op type, or the tensor name for inputs/outputs/constants */
  title: string;
  subtitle: string;
  domain: string;
  nodeIndex?: number;
  tensor?: string;
  rows: FoldedRow[];
  /** short QONNX summary, e.g. "INT4 · narrow" */
  badge?: string;
  /** why qonnx counts this quantizer as FLOAT32 although its badge shows fewer bits (floatQuantizers.ts) */
  floatNote?: string;
  /** for a grouped layer: the node indices it stands for (the compute node first) */
  members?: number[];
  category: OpCategory;
  width: number;
  height: number;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  tensor: string;
  label: string;
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** node index -> view node id (folded quantizers map to the node they are folded into) */
  nodeIdOf: Map<number, string>;
  /** tensor -> ids of the edges that carry it */
  edgesOfTensor: Map<string, string[]>;
}

export type OpCategory = 'quant' | 'compute' | 'activation' | 'shape' | 'elementwise' | 'pool' | 'norm' | 'hardware' | 'io' | 'const' | 'other';

export const QONNX_DOMAINS = new Set(['qonnx.custom_op.general', 'onnx.brevitas', 'finn.custom_op.general', 'finn', 'qonnx.custom_op.channels_last']);
const QUANT_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold', 'QuantizeLinear', 'DequantizeLinear']);
const COMPUTE = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'MatMulInteger', 'ConvInteger', 'QLinearConv', 'QLinearMatMul', 'XnorPopcountMatMul', 'Einsum']);
const ACT = new Set(['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softmax', 'LogSoftmax', 'Gelu', 'PRelu', 'Clip', 'Sign', 'Softplus', 'Mish']);
const SHAPE = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'Shape', 'Expand', 'Tile', 'Pad', 'Identity', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Upsample', 'Im2Col', 'Cast']);
const ELTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Max', 'Min', 'Where', 'Equal', 'Greater', 'Less', 'Not', 'And', 'Or', 'Round', 'Floor', 'Ceil', 'ReduceMean', 'ReduceSum', 'ReduceMax']);
const POOL = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'MaxPoolNHWC', 'QuantAvgPool2d', 'LpPool']);
const NORM = new Set(['BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'LRN', 'GroupNormalization']);

export function opCategory(n: Node): OpCategory {
  const op = n.opType ?? '';
  const dom = n.domain ?? '';
  if (dom.startsWith('finn.custom_op.fpgadataflow')) return 'hardware';
  if (QUANT_OPS.has(op)) return 'quant';
  if (COMPUTE.has(op)) return 'compute';
  // QLinearAdd, QLinearSoftmax, QGemm...: the category of the float op they stand for
  const q = qOperatorOf(n);
  if (q && !QUANT_OPS.has(q.floatOp)) return opCategory({ opType: q.floatOp });
  if (ACT.has(op)) return 'activation';
  if (SHAPE.has(op)) return 'shape';
  if (ELTWISE.has(op)) return 'elementwise';
  if (POOL.has(op)) return 'pool';
  if (NORM.has(op)) return 'norm';
  return 'other';
}

export function isQuantizerOp(n: Node): boolean {
  const op = n.opType ?? '';
  return op === 'Quant' || op === 'IntQuant' || op === 'BipolarQuant' || op === 'Trunc' || op === 'FloatQuant';
}

/** Input slot names of common ops, for folded-row labels. */
const SLOTS: Record<string, string[]> = {
  Conv: ['X', 'W', 'B'],
  ConvTranspose: ['X', 'W', 'B'],
  Gemm: ['A', 'B', 'C'],
  MatMul: ['A', 'B'],
  BatchNormalization: ['X', 'scale', 'B', 'mean', 'var'],
  Quant: ['x', 'scale', 'zeropt', 'bitwidth'],
  IntQuant: ['x', 'scale', 'zeropt', 'bitwidth'],
  BipolarQuant: ['x', 'scale'],
  Trunc: ['x', 'scale', 'zeropt', 'in_bw', 'out_scale', 'out_bw'],
  FloatQuant: ['x', 'scale', 'exp_bw', 'mant_bw', 'exp_bias', 'max_val'],
  MultiThreshold: ['v', 'thresholds'],
  Reshape: ['data', 'shape'],
  Add: ['A', 'B'],
  Mul: ['A', 'B'],
  Sub: ['A', 'B'],
  Div: ['A', 'B'],
  Resize: ['X', 'roi', 'scales', 'sizes'],
  Upsample: ['X', 'scales'],
  Pad: ['data', 'pads', 'constant_value', 'axes'],
  Clip: ['input', 'min', 'max'],
  QuantizeLinear: ['x', 'y_scale', 'y_zero_point'],
  QLinearConv: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B'],
  QLinearMatMul: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
  QGemm: ['A', 'a_scale', 'a_zero_point', 'B', 'b_scale', 'b_zero_point', 'C', 'y_scale', 'y_zero_point'],
  QLinearAdd: ['A', 'A_scale', 'A_zero_point', 'B', 'B_scale', 'B_zero_point', 'C_scale', 'C_zero_point'],
  QLinearMul: ['A', 'A_scale', 'A_zero_point', 'B', 'B_scale', 'B_zero_point', 'C_scale', 'C_zero_point'],
  QLinearSoftmax: ['X', 'X_scale', 'x_zero_point', 'y_scale', 'y_zero_point'],
  ConvInteger: ['x', 'w', 'x_zero_point', 'w_zero_point'],
  MatMulInteger: ['A', 'B', 'a_zero_point', 'b_zero_point'],
  DequantizeLinear: ['x', 'x_scale', 'x_zero_point'],
};

export function slotName(n: Node, i: number): string {
  return SLOTS[n.opType ?? '']?.[i] ?? `in${i}`;
}

export function attrValue(n: Node, name: string): number | string | number[] | undefined {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  if (a.type === 2 || (a.type == null && a.i != null)) return int64ToNumber(a.i);
  if (a.type === 1) return a.f ?? 0;
  if (a.type === 3) return new TextDecoder().decode(a.s ?? new Uint8Array());
  if (a.type === 7) return (a.ints ?? []).map((v) => int64ToNumber(v));
  if (a.type === 6) return a.floats ?? [];
  return undefined;
}

/** Scalar value of a small constant tensor (an initializer), or undefined. */
export function scalarInit(idx: GraphIndex, name: string | undefined | null): number | undefined {
  if (!name) return undefined;
  const t = idx.initializer.get(name);
  if (!t) return undefined;
  try {
    const v = toNumbers(tensorValues(t));
    return v.length === 1 ? v[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Compact description of a quantizer, e.g. "INT4 · narrow" or "BIPOLAR". */
export function quantizerBadge(idx: GraphIndex, n: Node): string | undefined {
  const op = n.opType;
  const ins = n.input ?? [];
  if (op === 'Quant' || op === 'IntQuant') {
    const bits = scalarInit(idx, ins[3]);
    const signed = (attrValue(n, 'signed') ?? 1) !== 0;
    const narrow = (attrValue(n, 'narrow') ?? 1) !== 0;
    const b = bits === undefined ? '?' : String(bits);
    return `${signed ? 'INT' : 'UINT'}${b}${narrow ? ' · narrow' : ''}`;
  }
  if (op === 'BipolarQuant') return 'BIPOLAR';
  if (op === 'Trunc') {
    const ob = scalarInit(idx, ins[ins.length >= 6 ? 5 : 4]);
    return `→ ${ob ?? '?'} bits`;
  }
  if (op === 'FloatQuant') {
    const e = scalarInit(idx, ins[2]);
    const m = scalarInit(idx, ins[3]);
    return `FLOAT<${e ?? '?'},${m ?? '?'}>`;
  }
  if (op === 'MultiThreshold') {
    const dt = attrValue(n, 'out_dtype');
    return typeof dt === 'string' ? dt : undefined;
  }
  return undefined;
}

/**
 * The badge of a node on the graph and in its panel: a quantizer's bit width ("INT4 · narrow", "UINT8"
 * for a QuantizeLinear), a QOperator op's element types ("UINT8 × INT8 → UINT8" for a QLinearConv).
 */
export function nodeBadge(idx: GraphIndex, n: Node, analysis?: ModelAnalysis): string | undefined {
  const elemOf = (t: string | undefined) => (t ? tensorInfo(idx, t, analysis).elemType : 0);
  if (QUANT_OPS.has(n.opType ?? '')) return quantizerBadge(idx, n) ?? linearQuantizerBadge(n, elemOf);
  return qOperatorOf(n) ? qOperatorBadge(n, elemOf) : undefined;
}

/** The parameters of a scale/zero-point input in words: "scale 0.0339", "scale per-channel (64)". */
function paramText(idx: GraphIndex, label: string, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const v = scalarInit(idx, name);
  if (v !== undefined) return `${label} ${formatScalar(v)}`;
  const info = tensorInfo(idx, name);
  if (info.isInitializer && info.shape) {
    const big = info.shape.filter((d) => d !== 1);
    if (big.length === 1) return `${label} per-channel (${big[0]})`;
    return `${label} ${formatShape(info.shape)}`;
  }
  return `${label} computed`;
}

/**
 * Everything about a quantizer beyond its bit width, e.g. "signed · narrow · ROUND · scale per-channel (64)".
 */
export function quantizerDetail(idx: GraphIndex, n: Node): string | undefined {
  const op = n.opType;
  const ins = n.input ?? [];
  const parts: string[] = [];
  const rounding = (def: string) => String(attrValue(n, 'rounding_mode') ?? def).toUpperCase();
  if (op === 'Quant' || op === 'IntQuant') {
    parts.push((attrValue(n, 'signed') ?? 1) !== 0 ? 'signed' : 'unsigned');
    if ((attrValue(n, 'narrow') ?? 1) !== 0) parts.push('narrow');
    parts.push(rounding('ROUND'));
    const sc = paramText(idx, 'scale', ins[1]);
    if (sc) parts.push(sc);
    const zp = scalarInit(idx, ins[2]);
    if (zp !== 0) parts.push(paramText(idx, 'zero point', ins[2]) ?? '');
  } else if (op === 'BipolarQuant') {
    const sc = paramText(idx, 'scale', ins[1]);
    if (sc) parts.push(sc);
  } else if (op === 'Trunc') {
    parts.push(rounding('FLOOR'));
    const sc = paramText(idx, 'scale', ins[1]);
    if (sc) parts.push(sc);
    const inBw = scalarInit(idx, ins[3]);
    if (ins.length < 6 && inBw !== undefined) parts.push(`from ${inBw} bits`);
  } else if (op === 'FloatQuant') {
    parts.push(rounding('ROUND'));
    const sc = paramText(idx, 'scale', ins[1]);
    if (sc) parts.push(sc);
    const mx = scalarInit(idx, ins[5]);
    if (mx !== undefined) parts.push(`max ${formatScalar(mx)}`);
  } else if (op === 'MultiThreshold') {
    const th = ins[1] ? tensorInfo(idx, ins[1]).shape : null;
    if (th && th.length === 2) parts.push(`${th[1]} thresholds × ${th[0]} ch`);
    const sc = attrValue(n, 'out_scale');
    const bi = attrValue(n, 'out_bias');
    if (typeof sc === 'number' && sc !== 1) parts.push(`out scale ${formatScalar(sc)}`);
    if (typeof bi === 'number' && bi !== 0) parts.push(`out bias ${formatScalar(bi)}`);
  } else return undefined;
  return parts.filter(Boolean).join(' · ');
}

export interface ViewOptions {
  showConstants: boolean;
  /** one box per layer: a compute node with the chain that follows it (see groupLayers.ts) */
  groupLayers?: boolean;
}

function formatScalar(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

/**
 * An initializer is a constant even when it is also listed as a graph input (IR < 4 exporters list
 * every initializer there; the graph input only makes it overridable). Such inputs are not drawn as
 * input nodes, so treating them as non-constant would make the weights vanish from the view.
 */
function isConstInput(idx: GraphIndex, name: string): boolean {
  return idx.initializer.has(name);
}

function tensorText(idx: GraphIndex, name: string, analysis?: ModelAnalysis): string {
  const info = tensorInfo(idx, name, analysis);
  if (!info.shape && !info.elemType && !info.finnDatatype) return '';
  return `${formatShape(info.shape)} ${datatypeLabel(info)}`;
}

export function buildViewGraph(model: Model, opts: ViewOptions): ViewGraph {
  const graph = model.graph ?? {};
  const idx = indexGraph(graph);
  const analysis = analyzeModel(model);
  const nodes: ViewNode[] = [];
  const edges: ViewEdge[] = [];
  const nodeIdOf = new Map<number, string>();
  const edgesOfTensor = new Map<string, string[]>();
  const nodeList = idx.nodes;

  // Constant subgraphs (weight quantizers, transposes of weights, ...) fold into the node that reads
  // them: a node folds when every input is an initializer or the output of another folding node, and
  // its only output has exactly one reader.
  const foldedInto = new Map<number, number>();
  if (!opts.showConstants) {
    const isConst = new Uint8Array(nodeList.length);
    for (const i of idx.order) {
      const n = nodeList[i];
      const ins = (n.input ?? []).filter((t) => t);
      if (ins.length === 0 || (n.output?.length ?? 0) !== 1) continue;
      if (ins.every((t) => isConstInput(idx, t) || (idx.producer.has(t) && isConst[idx.producer.get(t)!]))) isConst[i] = 1;
    }
    const target = (i: number, depth = 0): number | undefined => {
      const out = nodeList[i].output?.[0];
      const cons = out ? idx.consumers.get(out) : undefined;
      if (!out || !cons || cons.length !== 1 || idx.output.has(out) || depth > 64) return undefined;
      return isConst[cons[0]] ? target(cons[0], depth + 1) : cons[0];
    };
    nodeList.forEach((_, i) => {
      if (!isConst[i]) return;
      const c = target(i);
      if (c !== undefined) foldedInto.set(i, c);
    });
  }
  /** "Quant INT2 · narrow → Transpose" for the folded chain that ends in tensor t */
  const chainText = (t: string): { text: string; quant?: number; floatNote?: string } => {
    const steps: string[] = [];
    let quant: number | undefined;
    let cur: string | undefined = t;
    for (let guard = 0; cur && guard < 16; guard++) {
      const p = idx.producer.get(cur);
      if (p === undefined || !foldedInto.has(p)) break;
      const pn = nodeList[p];
      if (isQuantizerOp(pn) && quant === undefined) quant = p;
      steps.unshift(`${pn.opType}${isQuantizerOp(pn) ? ` ${quantizerBadge(idx, pn) ?? ''}` : ''}`.trim());
      cur = (pn.input ?? []).find((x) => x && !isConstInput(idx, x)) ?? pn.input?.[0];
    }
    return { text: `${steps.join(' → ')} ${tensorText(idx, t, analysis)}`, quant, floatNote: quant !== undefined ? floatQuantizerNote(idx, nodeList[quant])?.reason : undefined };
  };

  const producerId = new Map<string, string>();
  const inputsShown = (graph.input ?? []).filter((v) => v.name && !idx.initializer.has(v.name));
  for (const v of inputsShown) {
    const id = `in:${v.name}`;
    nodes.push({ id, kind: 'input', title: v.name!, subtitle: tensorText(idx, v.name!, analysis), domain: '', tensor: v.name!, rows: [], category: 'io', width: NODE_W, height: HEAD_H });
    producerId.set(v.name!, id);
  }

  const constNodes = new Map<string, string>();
  nodeList.forEach((n, i) => {
    if (foldedInto.has(i)) return;
    const id = `n:${i}`;
    nodeIdOf.set(i, id);
    for (const o of n.output ?? []) if (o) producerId.set(o, id);
  });
  // Folded quantizers: their outputs appear to come from the consumer's row, so no edge is drawn.
  for (const [q, c] of foldedInto) nodeIdOf.set(q, `n:${c}`);

  nodeList.forEach((n, i) => {
    if (foldedInto.has(i)) return;
    const id = `n:${i}`;
    const rows: FoldedRow[] = [];
    (n.input ?? []).forEach((t, k) => {
      if (!t) return;
      const slot = slotName(n, k);
      const pq = idx.producer.get(t);
      if (pq !== undefined && foldedInto.get(pq) === i) {
        const c = chainText(t);
        rows.push({ slot, tensor: t, quantNode: c.quant, text: c.text, ...(c.floatNote ? { floatNote: c.floatNote } : {}) });
        return;
      }
      if (isConstInput(idx, t)) {
        if (opts.showConstants) {
          let cid = constNodes.get(t);
          if (!cid) {
            cid = `c:${t}`;
            constNodes.set(t, cid);
            nodes.push({ id: cid, kind: 'const', title: t, subtitle: tensorText(idx, t, analysis), domain: '', tensor: t, rows: [], category: 'const', width: NODE_W, height: HEAD_H });
          }
          producerId.set(t, cid);
        } else {
          const v = scalarInit(idx, t);
          const info = tensorInfo(idx, t, analysis);
          rows.push({ slot, tensor: t, text: v !== undefined ? `= ${formatScalar(v)}  ${datatypeLabel(info)}` : tensorText(idx, t, analysis) });
        }
      }
    });
    const cat = opCategory(n);
    const badge = nodeBadge(idx, n, analysis);
    if (cat === 'quant' && !opts.showConstants) {
      const detail = quantizerDetail(idx, n);
      if (detail !== undefined) {
        // parameter rows (scale, zero point, bit width...) read better as one line of words
        const kept = rows.filter((r) => r.slot === slotName(n, 0));
        const params = rows.filter((r) => r.slot !== slotName(n, 0)).map((r) => r.tensor);
        rows.length = 0;
        rows.push(...kept, { slot: '', tensor: '', tensors: params, text: detail });
      }
    }
    const floatNote = cat === 'quant' ? floatQuantizerNote(idx, n)?.reason : undefined;
    // Size from content: rows are shown whole (wrapped when wider than the widest card).
    const card = sizeCard({ title: n.opType ?? '?', badge, subtitle: n.name ?? '', rows });
    nodes.push({
      id,
      kind: 'op',
      title: n.opType ?? '?',
      subtitle: n.name ?? '',
      domain: n.domain ?? '',
      nodeIndex: i,
      rows: card.rows,
      badge,
      ...(floatNote ? { floatNote } : {}),
      category: cat,
      width: card.width,
      height: card.height,
    });
  });

  for (const v of graph.output ?? []) {
    if (!v.name) continue;
    const id = `out:${v.name}`;
    nodes.push({ id, kind: 'output', title: v.name, subtitle: tensorText(idx, v.name, analysis), domain: '', tensor: v.name, rows: [], category: 'io', width: NODE_W, height: HEAD_H });
    const src = producerId.get(v.name);
    if (src) addEdge(src, id, v.name);
  }

  function addEdge(source: string, target: string, tensor: string) {
    const id = `e${edges.length}`;
    edges.push({ id, source, target, tensor, label: tensorText(idx, tensor, analysis) });
    const l = edgesOfTensor.get(tensor);
    if (l) l.push(id);
    else edgesOfTensor.set(tensor, [id]);
  }

  nodeList.forEach((n, i) => {
    if (foldedInto.has(i)) return;
    const target = `n:${i}`;
    const seen = new Set<string>();
    for (const t of n.input ?? []) {
      if (!t || seen.has(t)) continue;
      seen.add(t);
      const src = producerId.get(t);
      if (!src || src === target) continue;
      if (!opts.showConstants && isConstInput(idx, t)) continue;
      const p = idx.producer.get(t);
      if (p !== undefined && foldedInto.has(p)) continue;
      addEdge(src, target, t);
    }
  });

  const vg: ViewGraph = { nodes, edges, nodeIdOf, edgesOfTensor };
  return opts.groupLayers ? groupLayers(vg) : vg;
}
