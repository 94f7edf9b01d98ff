/**
 * The standard ONNX ops that constant folding evaluates (weights transposed or reshaped after their
 * quantizer, Shape -> Gather -> Concat chains, scale arithmetic). Anything else stays unfolded.
 */
import type { Node } from '../ir/types.js';
import type { AttrValue } from '../qonnx/opTypes.js';
import { BOOL, broadcastStatic, count, FLOAT, INT64, INT8, normalize, stridesOf, UINT8, type ConstTensor } from './constTensor.js';

function binary(a: ConstTensor, b: ConstTensor, f: (x: number, y: number) => number, outType = a.dataType): ConstTensor | undefined {
  const shape = broadcastStatic(a.shape, b.shape);
  if (!shape) return undefined;
  const n = count(shape);
  const out = new Float64Array(n);
  const os = stridesOf(shape);
  const as = stridesOf(a.shape), bs = stridesOf(b.shape);
  const r = shape.length;
  for (let i = 0; i < n; i++) {
    let ai = 0, bi = 0, rem = i;
    for (let k = 0; k < r; k++) {
      const idx = Math.floor(rem / os[k]);
      rem -= idx * os[k];
      const ka = k - (r - a.shape.length), kb = k - (r - b.shape.length);
      if (ka >= 0 && a.shape[ka] !== 1) ai += idx * as[ka];
      if (kb >= 0 && b.shape[kb] !== 1) bi += idx * bs[kb];
    }
    out[i] = f(a.data[ai], b.data[bi]);
  }
  return normalize({ dataType: outType, shape, data: out });
}

const f32 = Math.fround;

function transpose(x: ConstTensor, perm: number[]): ConstTensor {
  const shape = perm.map((p) => x.shape[p]);
  const is = stridesOf(x.shape);
  const n = x.data.length;
  const out = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += idx[k] * is[perm[k]];
    out[o] = x.data[off];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return { dataType: x.dataType, shape, data: out };
}

const axisOf = (a: number, r: number) => (a < 0 ? a + r : a);

/**
 * The scale and zero point of each element of x for QuantizeLinear / DequantizeLinear: per tensor, or
 * per channel along `axis` (default 1). Undefined for blocked or mismatched parameters (left unfolded).
 */
function linearParams(x: ConstTensor, scale: ConstTensor, zp: ConstTensor | undefined, attrs: Record<string, AttrValue>): ((i: number) => [number, number]) | undefined {
  if (scale.dataType !== FLOAT || Number(attrs.block_size ?? 0) > 0) return undefined;
  if (scale.data.length === 1 && (!zp || zp.data.length === 1)) {
    const p: [number, number] = [scale.data[0], zp ? zp.data[0] : 0];
    return () => p;
  }
  const axis = axisOf(Number(attrs.axis ?? 1), x.shape.length);
  const c = x.shape[axis];
  if (scale.data.length !== c || (zp && zp.data.length !== c)) return undefined;
  const inner = count(x.shape.slice(axis + 1));
  return (i) => {
    const k = Math.floor(i / inner) % c;
    return [scale.data[k], zp ? zp.data[k] : 0];
  };
}

/**
 * DequantizeLinear of a constant (a QDQ model's integer weight): (x - zero point) * scale in float32,
 * as onnxruntime computes it (the reference folds it with onnxruntime).
 */
function dequantize(x: ConstTensor, scale: ConstTensor, zp: ConstTensor | undefined, attrs: Record<string, AttrValue>): ConstTensor | undefined {
  const p = linearParams(x, scale, zp, attrs);
  if (!p) return undefined;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const [s, z] = p(i);
    out[i] = f32((x.data[i] - z) * s);
  }
  return { dataType: FLOAT, shape: [...x.shape], data: out };
}

/** Round half to even, as QuantizeLinear rounds (std::nearbyint). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * QuantizeLinear of a constant (a QCDQ weight quantizer): saturate(round_half_even(x / scale) + zero
 * point) with the division in float32, as onnxruntime computes it; uint8 / int8 outputs only.
 */
function quantize(x: ConstTensor, scale: ConstTensor, zp: ConstTensor | undefined, attrs: Record<string, AttrValue>): ConstTensor | undefined {
  const type = zp ? zp.dataType : Number(attrs.output_dtype ?? 0) || UINT8;
  if ((type !== UINT8 && type !== INT8) || Number(attrs.saturate ?? 1) === 0) return undefined;
  const p = linearParams(x, scale, zp, attrs);
  if (!p) return undefined;
  const [lo, hi] = type === UINT8 ? [0, 255] : [-128, 127];
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const [s, z] = p(i);
    out[i] = Math.min(hi, Math.max(lo, roundHalfEven(f32(x.data[i] / s)) + z));
  }
  return { dataType: type, shape: [...x.shape], data: out };
}

/**
 * Evaluate a standard op whose inputs are all known. Returns undefined for ops (or attribute forms)
 * this evaluator does not cover, so the caller leaves the node in place.
 */
export function evalConstOp(n: Node, ins: (ConstTensor | undefined)[], attrs: Record<string, AttrValue>): ConstTensor[] | undefined {
  const x = ins[0];
  const ints = (name: string, i: number): number[] | undefined => (Array.isArray(attrs[name]) ? (attrs[name] as number[]) : ins[i] ? Array.from(ins[i]!.data) : undefined);
  switch (n.opType) {
    case 'Identity':
      return x && [x];
    case 'DequantizeLinear':
      return x && ins[1] && wrap(dequantize(x, ins[1], ins[2], attrs));
    case 'QuantizeLinear':
      return x && ins[1] && wrap(quantize(x, ins[1], ins[2], attrs));
    case 'Clip': {
      // bounds from inputs 1 and 2 (opset 11+) or the min / max attributes (before)
      if (!x) return undefined;
      const lo = ins[1] ? ins[1].data[0] : attrs.min !== undefined ? Number(attrs.min) : -Infinity;
      const hi = ins[2] ? ins[2].data[0] : attrs.max !== undefined ? Number(attrs.max) : Infinity;
      return [{ ...x, data: x.data.map((v) => Math.min(hi, Math.max(lo, v))) }];
    }
    case 'Cast': {
      if (!x) return undefined;
      return [normalize({ dataType: Number(attrs.to ?? FLOAT), shape: x.shape, data: Float64Array.from(x.data) })];
    }
    case 'Transpose':
      return x && [transpose(x, (attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i))];
    case 'Reshape': {
      const target = ints('shape', 1);
      if (!x || !target) return undefined;
      const shape = target.map((d, i) => (d === 0 && !Number(attrs.allowzero ?? 0) ? x.shape[i] : d));
      const neg = shape.indexOf(-1);
      if (neg >= 0) shape[neg] = x.data.length / count(shape.filter((_, i) => i !== neg));
      if (count(shape) !== x.data.length) return undefined;
      return [{ ...x, shape }];
    }
    case 'Flatten': {
      if (!x) return undefined;
      const axis = axisOf(Number(attrs.axis ?? 1), x.shape.length);
      return [{ ...x, shape: [count(x.shape.slice(0, axis)), count(x.shape.slice(axis))] }];
    }
    case 'Squeeze': {
      if (!x) return undefined;
      const axes = ints('axes', 1)?.map((a) => axisOf(a, x.shape.length));
      return [{ ...x, shape: x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }];
    }
    case 'Unsqueeze': {
      const axes = ints('axes', 1);
      if (!x || !axes) return undefined;
      const r = x.shape.length + axes.length;
      const ax = axes.map((a) => axisOf(a, r));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
      return [{ ...x, shape }];
    }
    case 'Concat': {
      if (ins.some((t) => !t) || !x) return undefined;
      const ts = ins as ConstTensor[];
      const axis = axisOf(Number(attrs.axis ?? 0), x.shape.length);
      const outer = count(x.shape.slice(0, axis));
      const shape = [...x.shape];
      shape[axis] = ts.reduce((s, t) => s + t.shape[axis], 0);
      const out = new Float64Array(count(shape));
      let o = 0;
      for (let i = 0; i < outer; i++)
        for (const t of ts) {
          const chunk = count(t.shape.slice(axis));
          out.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
          o += chunk;
        }
      return [{ dataType: x.dataType, shape, data: out }];
    }
    case 'Gather': {
      const ind = ins[1];
      if (!x || !ind) return undefined;
      const axis = axisOf(Number(attrs.axis ?? 0), x.shape.length);
      const outer = count(x.shape.slice(0, axis));
      const inner = count(x.shape.slice(axis + 1));
      const dim = x.shape[axis];
      const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
      const out = new Float64Array(count(shape));
      let o = 0;
      for (let i = 0; i < outer; i++)
        for (const k0 of ind.data) {
          const k = k0 < 0 ? k0 + dim : k0;
          out.set(x.data.subarray((i * dim + k) * inner, (i * dim + k + 1) * inner), o);
          o += inner;
        }
      return [{ dataType: x.dataType, shape, data: out }];
    }
    case 'Shape':
      return x && [{ dataType: INT64, shape: [x.shape.length], data: Float64Array.from(x.shape) }];
    case 'Add': return x && ins[1] && wrap(binary(x, ins[1], x.dataType === FLOAT ? (a, b) => f32(a + b) : (a, b) => a + b));
    case 'Sub': return x && ins[1] && wrap(binary(x, ins[1], x.dataType === FLOAT ? (a, b) => f32(a - b) : (a, b) => a - b));
    case 'Mul': return x && ins[1] && wrap(binary(x, ins[1], x.dataType === FLOAT ? (a, b) => f32(a * b) : (a, b) => a * b));
    case 'Div': return x && ins[1] && wrap(binary(x, ins[1], x.dataType === FLOAT ? (a, b) => f32(a / b) : (a, b) => Math.trunc(a / b)));
    case 'Pow': return x && ins[1] && wrap(binary(x, ins[1], (a, b) => f32(a ** b)));
    case 'Equal': return x && ins[1] && wrap(binary(x, ins[1], (a, b) => +(a === b), BOOL));
    case 'Neg': return x && [normalize({ ...x, data: x.data.map((v) => -v) })];
    case 'Sqrt': return x && [normalize({ ...x, data: x.data.map(Math.sqrt) })];
    case 'Reciprocal': return x && [normalize({ ...x, data: x.data.map((v) => 1 / v) })];
    case 'Relu': return x && [normalize({ ...x, data: x.data.map((v) => Math.max(0, v)) })];
    case 'Abs': return x && [normalize({ ...x, data: x.data.map(Math.abs) })];
    case 'Floor': return x && [normalize({ ...x, data: x.data.map(Math.floor) })];
    case 'Ceil': return x && [normalize({ ...x, data: x.data.map(Math.ceil) })];
    default:
      return undefined;
  }
}

function wrap(t: ConstTensor | undefined): ConstTensor[] | undefined {
  return t ? [t] : undefined;
}
