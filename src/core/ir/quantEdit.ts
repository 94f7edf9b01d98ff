/** Edits of quantizer parameters (bit widths), shared by the what-if cost and the bit-width editor. */
import { int64From, int64ToNumber, type Model, type Tensor } from './types.js';
import { indexGraph } from './graphIndex.js';
import { attrMap } from '../analysis/shapeInference.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { canHold, numericTensor, tensorValues, toNumbers, WRITABLE_TYPES } from '../onnx/tensorData.js';
import type { Attribute, Node } from './types.js';
import { setAnnotation, getAnnotation } from '../qonnx/annotations.js';
import { FLOAT32 } from '../qonnx/datatypes.js';
import { quantizerRole, type QuantizerRole } from './quantizerRoles.js';

/** A float32 scalar initializer holding `v` (the form exporters use for Quant's bitwidth). */
export function scalarFloatTensor(name: string, v: number, like?: Tensor): Tensor {
  const raw = new Uint8Array(new Float32Array([v]).buffer);
  return { name, dims: (like?.dims ?? []).map((d) => int64From(int64ToNumber(d))), dataType: 1, rawData: raw };
}

/**
 * A parameter initializer holding `v` in the element type and shape of the tensor it replaces (`like`):
 * a QKeras export's INT64 bit width stays INT64, so the file's declarations and the ops that read it
 * (Brevitas computes bias bit widths with Add/Max over them) still agree. Undefined when that type cannot
 * hold `v` (2.5 in an INT64, a type we cannot write): the caller then adds a new FLOAT32 tensor instead.
 */
export function parameterLike(name: string, v: number, like?: Tensor): Tensor | undefined {
  const dataType = like?.dataType || 1;
  if (!WRITABLE_TYPES.has(dataType) || !canHold(dataType, v)) return undefined;
  const dims = (like?.dims ?? []).map((d) => int64ToNumber(d));
  const count = dims.reduce((a, b) => a * b, 1);
  return numericTensor(name, dataType, dims, new Array<number>(count).fill(v));
}

/**
 * The model with every Quant (IntQuant) node's bit width set to `bits`. Bit-width initializers are
 * replaced by value (their names stay), so the result costs and runs like a re-exported model.
 */
export function withAllQuantBits(model: Model, bits: number): Model {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const targets = new Set<string>();
  for (const n of idx.nodes) if ((n.opType === 'Quant' || n.opType === 'IntQuant') && n.input?.[3] && idx.initializer.has(n.input[3])) targets.add(n.input[3]);
  if (!targets.size) return model;
  return {
    ...model,
    graph: { ...g, initializer: (g.initializer ?? []).map((t) => (t.name && targets.has(t.name) ? (parameterLike(t.name, bits, t) ?? scalarFloatTensor(t.name, bits, t)) : t)) },
  };
}

// ---------------------------------------------------------------------------------------------------
// Editing one quantizer


export const QUANTIZER_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant']);

export interface QuantizerChange {
  bits?: number;
  signed?: boolean;
  narrow?: boolean;
  roundingMode?: string;
  /** a single scale value for the whole tensor */
  scale?: number;
  zeroPoint?: number;
  /** FloatQuant */
  exponentBits?: number;
  mantissaBits?: number;
}

/** Which input holds each parameter, per op (Trunc v1 has no out_scale input). */
function paramInput(n: Node, what: 'bits' | 'scale' | 'zeroPoint' | 'exponentBits' | 'mantissaBits'): number | undefined {
  const op = n.opType;
  const nin = n.input?.length ?? 0;
  if (op === 'Quant' || op === 'IntQuant') return { bits: 3, scale: 1, zeroPoint: 2 }[what as 'bits'];
  if (op === 'BipolarQuant') return what === 'scale' ? 1 : undefined;
  if (op === 'Trunc') return { bits: nin >= 6 ? 5 : 4, scale: 1, zeroPoint: 2 }[what as 'bits'];
  if (op === 'FloatQuant') return { scale: 1, exponentBits: 2, mantissaBits: 3 }[what as 'scale'];
  return undefined;
}

function uniqueName(used: Set<string>, base: string): string {
  let name = base;
  for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
  used.add(name);
  return name;
}

function setAttr(attrs: Attribute[], name: string, a: Attribute): Attribute[] {
  const i = attrs.findIndex((x) => x.name === name);
  const out = attrs.slice();
  if (i >= 0) out[i] = a;
  else out.push(a);
  return out;
}

/**
 * A new model in which quantizer `nodeIndex` has the given parameters. Parameter initializers are
 * replaced; one shared with other nodes is copied under a new name first, so that no other node
 * changes. A finn_datatype annotation on the quantizer's output is brought up to date.
 */
export function setQuantizer(model: Model, nodeIndex: number, change: QuantizerChange): Model {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const n = idx.nodes[nodeIndex];
  if (!n || !QUANTIZER_OPS.has(n.opType ?? '')) throw new Error(`Node #${nodeIndex} is not a quantizer`);
  const used = new Set<string>([...idx.initializer.keys(), ...idx.producer.keys(), ...(g.input ?? []).map((i) => i.name ?? '')]);
  let inputs = [...(n.input ?? [])];
  let attrs = [...(n.attribute ?? [])];
  const newInits: Tensor[] = [];
  const replaced = new Map<string, Tensor>();
  const setParam = (what: 'bits' | 'scale' | 'zeroPoint' | 'exponentBits' | 'mantissaBits', v: number | undefined) => {
    if (v === undefined) return;
    const k = paramInput(n, what);
    if (k === undefined) throw new Error(`${n.opType} has no ${what} parameter`);
    const cur = inputs[k];
    const old = cur ? idx.initializer.get(cur) : undefined;
    if (cur && !old) throw new Error(`The ${what} of ${n.name || n.opType} is computed by the graph, not a constant; it cannot be set here`);
    // shared with another node, or with another input of this node (e.g. Trunc's in_bw and out_bw)
    const sharedWithOthers = !!cur && ((idx.consumers.get(cur) ?? []).some((c) => c !== nodeIndex) || inputs.some((t, j) => j !== k && t === cur));
    // the same element type and shape as before; a type that cannot hold the value (an INT64 scale set to
    // 0.5) gets a new FLOAT32 tensor under a new name, so no declaration of the old name is contradicted
    const sameType = parameterLike(cur ?? '', v, old);
    if (!cur || sharedWithOthers || !sameType) {
      const name = uniqueName(used, `${n.name || `${n.opType}_${nodeIndex}`}_${what === 'bits' ? 'bitwidth' : what}`);
      newInits.push(parameterLike(name, v, old) ?? scalarFloatTensor(name, v, old));
      inputs[k] = name;
    } else replaced.set(cur, sameType);
  };
  setParam('bits', change.bits);
  setParam('scale', change.scale);
  setParam('zeroPoint', change.zeroPoint);
  setParam('exponentBits', change.exponentBits);
  setParam('mantissaBits', change.mantissaBits);
  if (change.signed !== undefined) attrs = setAttr(attrs, 'signed', { name: 'signed', type: 2, i: int64From(change.signed ? 1 : 0) });
  if (change.narrow !== undefined) attrs = setAttr(attrs, 'narrow', { name: 'narrow', type: 2, i: int64From(change.narrow ? 1 : 0) });
  if (change.roundingMode !== undefined) attrs = setAttr(attrs, 'rounding_mode', { name: 'rounding_mode', type: 3, s: new TextEncoder().encode(change.roundingMode.toUpperCase()) });
  const node: Node = { ...n, input: inputs, attribute: attrs };
  const nodes = (g.node ?? []).slice();
  nodes[nodeIndex] = node;
  let out: Model = {
    ...model,
    graph: {
      ...g,
      node: nodes,
      initializer: [...(g.initializer ?? []).map((t) => (t.name && replaced.has(t.name) ? replaced.get(t.name)! : t)), ...newInits],
    },
  };
  const o = node.output?.[0];
  if (o && getAnnotation(out, o, 'finn_datatype') !== undefined) {
    const def = resolveCustomOp(node, out);
    const oidx = indexGraph(out.graph ?? {});
    const consts = (node.input ?? []).map((t, k) => {
      const init = k > 0 && t ? oidx.initializer.get(t) : undefined;
      if (!init) return undefined;
      const v = tensorValues(init);
      return { shape: v.shape, data: Float32Array.from(toNumbers(v)) };
    });
    const dt = def?.inferDatatypes({ inputTypes: (node.input ?? []).map(() => FLOAT32), attrs: attrMap(node), constInputs: consts, allowScaledInt: true })[0];
    if (dt) out = setAnnotation(out, o, 'finn_datatype', dt.name);
  }
  return out;
}

/** Current parameters of a quantizer, for forms and tables. */
export interface QuantizerInfo {
  nodeIndex: number;
  name: string;
  opType: string;
  bits?: number;
  signed?: boolean;
  narrow?: boolean;
  roundingMode?: string;
  /** scalar scale, or the number of per-channel values */
  scale?: number;
  scaleCount?: number;
  zeroPoint?: number;
  exponentBits?: number;
  mantissaBits?: number;
  /** what it quantizes: a layer's weights, a layer's bias, or activations (see quantizerRoles.ts) */
  role: QuantizerRole;
  /** the compute node (Conv, MatMul, Gemm...) it feeds or follows, if any */
  layer?: number;
}

const LAYER_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);
const PASS_THROUGH = new Set(['Transpose', 'Reshape', 'Flatten', 'Identity', 'Squeeze', 'Unsqueeze', 'BatchNormalization', 'Relu', 'Add', 'Mul', 'Sub', 'Div', 'MaxPool', 'AveragePool', 'Clip', 'Pad', 'Concat', 'GlobalAveragePool', 'GlobalMaxPool', 'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth']);

function scalarOf(model: Model, t: string | undefined): { value?: number; count: number } | undefined {
  if (!t) return undefined;
  const init = indexGraph(model.graph ?? {}).initializer.get(t);
  if (!init) return undefined;
  try {
    const v = toNumbers(tensorValues(init));
    return { value: v.length === 1 ? v[0] : undefined, count: v.length };
  } catch {
    return undefined;
  }
}

export function quantizerInfo(model: Model, nodeIndex: number): QuantizerInfo {
  const idx = indexGraph(model.graph ?? {});
  const n = idx.nodes[nodeIndex];
  const a = attrMap(n);
  const get = (what: 'bits' | 'scale' | 'zeroPoint' | 'exponentBits' | 'mantissaBits') => {
    const k = paramInput(n, what);
    return k === undefined ? undefined : scalarOf(model, n.input?.[k]);
  };
  const op = n.opType ?? '';
  const kind = quantizerRole(idx, nodeIndex);
  const sc = get('scale');
  const info: QuantizerInfo = {
    nodeIndex,
    name: n.name || `#${nodeIndex}`,
    opType: op,
    role: kind.role,
    scale: sc?.value,
    scaleCount: sc?.count,
    roundingMode: op === 'BipolarQuant' ? undefined : String(a.rounding_mode ?? (op === 'Trunc' ? 'FLOOR' : 'ROUND')).toUpperCase(),
  };
  if (op === 'Quant' || op === 'IntQuant') {
    info.bits = get('bits')?.value;
    info.signed = Number(a.signed ?? 1) !== 0;
    info.narrow = Number(a.narrow ?? 1) !== 0;
    info.zeroPoint = get('zeroPoint')?.value;
  } else if (op === 'BipolarQuant') {
    info.bits = 1;
    info.signed = true;
  } else if (op === 'Trunc') {
    info.bits = get('bits')?.value;
    info.signed = Number(a.signed ?? 1) !== 0;
    info.narrow = Number(a.narrow ?? 0) !== 0;
  } else if (op === 'FloatQuant') {
    info.exponentBits = get('exponentBits')?.value;
    info.mantissaBits = get('mantissaBits')?.value;
    info.bits = info.exponentBits !== undefined && info.mantissaBits !== undefined ? 1 + info.exponentBits + info.mantissaBits : undefined;
  }
  // the layer it belongs to: downstream through layout ops for weights, else the producer chain
  const out = n.output?.[0];
  let cur = out;
  for (let guard = 0; cur && guard < 8; guard++) {
    const cs = idx.consumers.get(cur) ?? [];
    if (cs.length !== 1) break;
    const c = idx.nodes[cs[0]];
    if (LAYER_OPS.has(c.opType ?? '')) {
      info.layer = cs[0];
      break;
    }
    if (!PASS_THROUGH.has(c.opType ?? '')) break;
    cur = c.output?.[0];
  }
  if (kind.layer !== undefined) info.layer = kind.layer;
  return info;
}

/** Every quantizer of the model, in graph order. */
export function listQuantizers(model: Model): QuantizerInfo[] {
  const idx = indexGraph(model.graph ?? {});
  const out: QuantizerInfo[] = [];
  idx.nodes.forEach((n, i) => {
    if (QUANTIZER_OPS.has(n.opType ?? '')) out.push(quantizerInfo(model, i));
  });
  return out;
}

/** The quantizers around a compute layer: its weight quantizer, the quantizer of its input, and the next one after it. */
export function layerQuantizers(model: Model, layer: number): { weight?: number; input?: number; output?: number } {
  const idx = indexGraph(model.graph ?? {});
  const n = idx.nodes[layer];
  const back = (t: string | undefined): number | undefined => {
    for (let guard = 0; t && guard < 8; guard++) {
      const p = idx.producer.get(t);
      if (p === undefined) return undefined;
      const pn = idx.nodes[p];
      if (QUANTIZER_OPS.has(pn.opType ?? '')) return p;
      if (!PASS_THROUGH.has(pn.opType ?? '') || LAYER_OPS.has(pn.opType ?? '')) return undefined;
      t = pn.input?.[0];
    }
    return undefined;
  };
  let output: number | undefined;
  let cur = n?.output?.[0];
  for (let guard = 0; cur && guard < 8 && output === undefined; guard++) {
    const cs = idx.consumers.get(cur) ?? [];
    if (cs.length !== 1) break;
    const c = idx.nodes[cs[0]];
    if (QUANTIZER_OPS.has(c.opType ?? '')) output = cs[0];
    else if (!PASS_THROUGH.has(c.opType ?? '') || LAYER_OPS.has(c.opType ?? '')) break;
    cur = c.output?.[0];
  }
  return { weight: back(n?.input?.[1]), input: back(n?.input?.[0]), output };
}

/** Resolve a CLI/UI target: a quantizer's name, a tensor it produces, or a layer's name (its weight quantizer). */
export function findQuantizer(model: Model, target: string): number | undefined {
  const idx = indexGraph(model.graph ?? {});
  const byName = idx.nodes.findIndex((n) => n.name === target);
  if (byName >= 0) {
    if (QUANTIZER_OPS.has(idx.nodes[byName].opType ?? '')) return byName;
    return layerQuantizers(model, byName).weight;
  }
  const p = idx.producer.get(target);
  if (p !== undefined && QUANTIZER_OPS.has(idx.nodes[p].opType ?? '')) return p;
  const cs = idx.consumers.get(target) ?? [];
  const q = cs.find((c) => QUANTIZER_OPS.has(idx.nodes[c].opType ?? ''));
  return q;
}
