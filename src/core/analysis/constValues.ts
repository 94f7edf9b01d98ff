/**
 * Values of tensors that are computed from constants only, such as the output of a weight quantizer:
 * the quantized weights themselves, which the file does not store. Evaluated with the QONNX kernels
 * (src/core/qonnx/ops) and a few layout ops, recursively, and cached per model.
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Node } from '../ir/types.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import type { F32Tensor } from '../qonnx/opTypes.js';
import { broadcastShapes, broadcastTo } from '../qonnx/ops/broadcast.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { attrMap } from './shapeInference.js';
import { analyzeModel } from './modelAnalysis.js';

/** Largest tensor evaluated on demand (elements). */
const MAX_ELEMENTS = 1 << 24;

const cache = new WeakMap<Model, Map<string, F32Tensor | null>>();

export interface ConstValue {
  value: F32Tensor;
  /** the node that computed it (undefined for an initializer) */
  producer?: number;
}

function transpose(x: F32Tensor, perm: number[]): F32Tensor {
  const rank = x.shape.length;
  const shape = perm.map((p) => x.shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= x.shape[k];
  }
  const out = new Float32Array(x.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += idx[k] * inStrides[perm[k]];
    out[o] = x.data[off];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return { shape, data: out };
}

/** The value of a tensor if it is an initializer or computable from initializers, else undefined. */
export function constValue(model: Model, name: string): ConstValue | undefined {
  const idx = indexGraph(model.graph ?? {});
  let memo = cache.get(model);
  if (!memo) cache.set(model, (memo = new Map()));
  const eval1 = (t: string, depth: number): F32Tensor | undefined => {
    if (memo!.has(t)) return memo!.get(t) ?? undefined;
    let v: F32Tensor | undefined;
    const init = idx.initializer.get(t);
    if (init) {
      try {
        const tv = tensorValues(init);
        if (!Array.isArray(tv.data) && tv.data.length <= MAX_ELEMENTS) v = { shape: tv.shape, data: Float32Array.from(toNumbers(tv)) };
      } catch {
        v = undefined;
      }
    } else if (depth < 16) {
      const p = idx.producer.get(t);
      if (p !== undefined) v = evalNode(idx.nodes[p], t, depth);
    }
    memo!.set(t, v ?? null);
    return v;
  };
  const evalNode = (n: Node, out: string, depth: number): F32Tensor | undefined => {
    const ins = (n.input ?? []).map((t) => (t ? eval1(t, depth + 1) : undefined));
    if (ins.some((x, k) => x === undefined && n.input?.[k])) return undefined;
    const k = (n.output ?? []).indexOf(out);
    const custom = resolveCustomOp(n, model);
    try {
      if (custom) return custom.execute(ins as F32Tensor[], attrMap(n))[k];
      const a = attrMap(n);
      const x = ins[0]!;
      switch (n.opType) {
        case 'Identity':
          return x;
        case 'Transpose':
          return transpose(x, (a.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i));
        case 'Reshape':
        case 'Flatten':
        case 'Squeeze':
        case 'Unsqueeze': {
          // same values in a new shape, which shape inference knows
          const shape = inferredShape(model, out);
          return shape ? { shape, data: x.data } : undefined;
        }
        case 'Mul':
        case 'Div':
        case 'Add':
        case 'Sub': {
          const y = ins[1]!;
          const shape = broadcastShapes([x.shape, y.shape]);
          const xa = broadcastTo(x, shape), ya = broadcastTo(y, shape);
          const o = new Float32Array(xa.length);
          for (let i = 0; i < o.length; i++)
            o[i] = n.opType === 'Mul' ? xa[i] * ya[i] : n.opType === 'Div' ? xa[i] / ya[i] : n.opType === 'Add' ? xa[i] + ya[i] : xa[i] - ya[i];
          return { shape, data: o };
        }
        default:
          return undefined;
      }
    } catch {
      return undefined;
    }
  };
  const value = eval1(name, 0);
  if (!value) return undefined;
  const p = idx.initializer.has(name) ? undefined : idx.producer.get(name);
  return { value, producer: p };
}

function inferredShape(model: Model, t: string): number[] | undefined {
  const s = analyzeModel(model).shapes.tensors.get(t)?.shape;
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
}

const LAYOUT_OPS = new Set(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * Integer view of a quantizer's output: value / scale + zero point (Quant), value / scale (BipolarQuant),
 * with the integer range the quantizer allows. Undefined when the tensor is not a quantizer output
 * or its scale is not constant.
 */
export function integerView(model: Model, name: string): { ints: Float32Array; shape: number[]; min?: number; max?: number } | undefined {
  const idx = indexGraph(model.graph ?? {});
  const p = idx.producer.get(name);
  if (p === undefined) return undefined;
  const n = idx.nodes[p];
  const op = n.opType;
  if (LAYOUT_OPS.has(op ?? '') && n.input?.[0]) {
    // a quantized weight that was transposed or reshaped after its quantizer: carry the integers along
    const inner = integerView(model, n.input[0]);
    if (!inner) return undefined;
    if (op === 'Transpose') {
      const perm = (attrMap(n).perm as number[] | undefined) ?? inner.shape.map((_, i) => inner.shape.length - 1 - i);
      const t = transpose({ shape: inner.shape, data: inner.ints }, perm);
      return { ...inner, ints: t.data, shape: t.shape };
    }
    const shape = inferredShape(model, name);
    return shape ? { ...inner, shape } : undefined;
  }
  if (op !== 'Quant' && op !== 'IntQuant' && op !== 'BipolarQuant') return undefined;
  const v = constValue(model, name);
  const scale = n.input?.[1] ? constValue(model, n.input[1])?.value : undefined;
  if (!v || !scale) return undefined;
  const zp = op !== 'BipolarQuant' && n.input?.[2] ? constValue(model, n.input[2])?.value : undefined;
  const s = broadcastTo(scale, v.value.shape);
  const z = zp ? broadcastTo(zp, v.value.shape) : undefined;
  const ints = new Float32Array(v.value.data.length);
  for (let i = 0; i < ints.length; i++) ints[i] = Math.fround(Math.fround(v.value.data[i] / s[i]) + (z ? z[i] : 0));
  if (op === 'BipolarQuant') return { ints, shape: v.value.shape, min: -1, max: 1 };
  const bits = n.input?.[3] ? constValue(model, n.input[3])?.value.data[0] : undefined;
  const a = attrMap(n);
  const signed = Number(a.signed ?? 1) !== 0;
  const narrow = Number(a.narrow ?? 1) !== 0;
  if (bits === undefined) return { ints, shape: v.value.shape };
  if (bits === 1 && signed) return { ints, shape: v.value.shape, min: -1, max: 1 };
  const min = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
  return { ints, shape: v.value.shape, min, max };
}
