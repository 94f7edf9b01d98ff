/**
 * A float model quantized the way onnxruntime's static quantizer (quantize_static) writes it, for tests
 * of the QOperator cost and badges:
 * - 'qoperator': QuantizeLinear on the input; Conv (+ its bias Add) -> QLinearConv with an int32 bias;
 *   MatMul -> QLinearMatMul and its bias Add -> com.microsoft QLinearAdd (or MatMul + Add -> com.microsoft
 *   QGemm with an int32 bias, `gemm`); Relu folded into the output quantization (range from 0);
 *   MaxPool / Reshape / Identity on the quantized tensor; Softmax -> com.microsoft QLinearSoftmax;
 *   DequantizeLinear at the outputs.
 * - 'qdq': the float graph with QuantizeLinear -> DequantizeLinear before each Conv / MatMul input and
 *   after its output, and its weight an integer initializer read through DequantizeLinear.
 * - 'integer': dynamic quantization (quantize_dynamic): DynamicQuantizeLinear -> ConvInteger / MatMulInteger
 *   -> Cast -> Mul by the two scales, the rest in float.
 * Activations are UINT8 (asymmetric, from the given calibration ranges), weights per-tensor symmetric
 * INT8, UINT8 (zero point 128) or INT4. Scales and zero points follow onnxruntime's formulas.
 */
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { int64From, int64ToNumber, type Attribute, type Model, type Node, type Tensor, type ValueInfo } from '../ir/types.js';
import { indexGraph } from '../ir/graphIndex.js';
import { numericTensor, tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import { foldConstants } from '../passes/foldConstants.js';
import { removeStaticGraphInputs } from '../passes/cleanupPasses.js';
import { sortGraph } from '../passes/tidy.js';

export type QuantFormat = 'qoperator' | 'qdq' | 'integer';
export type WeightType = 'int8' | 'uint8' | 'int4';

export interface QuantizeOptions {
  format: QuantFormat;
  weight?: WeightType;
  /** MatMul + bias Add as one com.microsoft QGemm (qoperator only) */
  gemm?: boolean;
}

const MS = 'com.microsoft';
const ELEM = { uint8: 2, int8: 3, int4: 22, int32: 6, float: 1 } as const;

/** The float model with its constant subgraphs folded and its weights no longer graph inputs, sorted (IR 7 at least). */
export function prepareFloat(model: Model): Model {
  let m = foldConstants.run(model, { excludeOpTypes: [] }).model;
  m = removeStaticGraphInputs.run(m, {}).model;
  // weights that are no longer graph inputs need IR 4 or later
  m = { ...m, irVersion: int64From(Math.max(7, int64ToNumber(m.irVersion))) };
  return sortGraph.run(m, {}).model;
}

function f32(name: string, v: number): Tensor {
  return numericTensor(name, ELEM.float, [], [v]);
}

/** An initializer of a 4-bit signed type, packed two values per byte (low nibble first). */
function int4Tensor(name: string, shape: number[], values: number[]): Tensor {
  const raw = new Uint8Array(Math.ceil(values.length / 2));
  values.forEach((v, i) => (raw[i >> 1] |= (v & 0xf) << ((i & 1) * 4)));
  return { name, dims: shape.map((d) => int64From(d)), dataType: ELEM.int4, rawData: raw };
}

const intAttr = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });

interface Weight {
  q: Tensor;
  scale: number;
  zp: number;
  zpTensor: Tensor;
}

/** Per-tensor symmetric quantization of a weight (onnxruntime's weight defaults); uint8 uses zero point 128. */
function quantizeWeight(t: Tensor, name: string, kind: WeightType): Weight {
  const v = Array.from(toNumbers(tensorValues(t)));
  const shape = tensorShape(t);
  const qmax = kind === 'int4' ? 7 : 127;
  const absMax = Math.max(...v.map(Math.abs)) || 1;
  const scale = absMax / qmax;
  const zp = kind === 'uint8' ? 128 : 0;
  const q = v.map((x) => Math.max(kind === 'uint8' ? 0 : -qmax - 1, Math.min(kind === 'uint8' ? 255 : qmax, Math.round(x / scale) + zp)));
  const tensor = kind === 'int4' ? int4Tensor(`${name}_quantized`, shape, q) : numericTensor(`${name}_quantized`, ELEM[kind], shape, q);
  const zpTensor = kind === 'int4' ? int4Tensor(`${name}_zero_point`, [], [0]) : numericTensor(`${name}_zero_point`, ELEM[kind], [], [zp]);
  return { q: tensor, scale, zp, zpTensor };
}

/** uint8 activation parameters from a calibration range, as onnxruntime computes them (the range always holds 0). */
function activationParams(range: [number, number] | undefined): { scale: number; zp: number } {
  const lo = Math.min(0, range?.[0] ?? 0);
  const hi = Math.max(0, range?.[1] ?? 1);
  const scale = (hi - lo) / 255 || 1;
  return { scale, zp: Math.round(-lo / scale) };
}

/**
 * Quantize a prepared float model (prepareFloat). `ranges` holds each float tensor's calibration
 * [min, max] (graph input and node outputs), e.g. from running the float model.
 */
export function quantizeLikeOrt(float: Model, ranges: Map<string, [number, number]>, opts: QuantizeOptions): Model {
  const g = float.graph ?? {};
  const idx = indexGraph(g);
  const wkind = opts.weight ?? 'int8';
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const added = new Set<string>();
  const addInit = (t: Tensor) => {
    if (!added.has(t.name!)) inits.push(t);
    added.add(t.name!);
  };
  const initOf = (t: string | undefined) => (t ? idx.initializer.get(t) : undefined);
  const consumersOf = (t: string) => (idx.consumers.get(t) ?? []).map((k) => idx.nodes[k]);
  const soleConsumer = (t: string, op: string): Node | undefined => {
    const c = consumersOf(t);
    return c.length === 1 && c[0].opType === op && !idx.output.has(t) ? c[0] : undefined;
  };
  const done = new Set<Node>();

  // quantized twin of each float tensor: name, scale and zero point initializers
  const quantized = new Map<string, { q: string; s: string; z: string }>();
  const params = (t: string, range?: [number, number], fixed?: { scale: number; zp: number }) => {
    const p = fixed ?? activationParams(range ?? ranges.get(t));
    addInit(f32(`${t}_scale`, p.scale));
    addInit(numericTensor(`${t}_zero_point`, ELEM.uint8, [], [p.zp]));
    return { q: `${t}_quantized`, s: `${t}_scale`, z: `${t}_zero_point` };
  };
  /** the quantized tensor for float tensor t, quantizing it here if nothing produced it quantized */
  const q = (t: string) => {
    let r = quantized.get(t);
    if (!r) {
      r = params(t);
      nodes.push({ name: `${t}_QuantizeLinear`, opType: 'QuantizeLinear', input: [t, r.s, r.z], output: [r.q] });
      quantized.set(t, r);
    }
    return r;
  };
  /** float tensor t for a float consumer: dequantized from its quantized twin when it was only produced quantized */
  const floatProduced = new Set<string>([...(g.input ?? []).map((i) => i.name!), ...idx.initializer.keys()]);
  const f = (t: string) => {
    if (!floatProduced.has(t)) {
      const r = quantized.get(t)!;
      nodes.push({ name: `${t}_DequantizeLinear`, opType: 'DequantizeLinear', input: [r.q, r.s, r.z], output: [t] });
      floatProduced.add(t);
    }
    return t;
  };
  /** the output of a layer ends here or after a following Relu (folded into the range, as onnxruntime does) */
  const layerEnd = (t: string): { out: string; range?: [number, number] } => {
    const relu = soleConsumer(t, 'Relu');
    if (!relu) return { out: t };
    done.add(relu);
    return { out: relu.output![0], range: ranges.get(relu.output![0]) };
  };
  const weight = (name: string) => {
    const w = quantizeWeight(initOf(name)!, name, wkind);
    addInit(w.q);
    addInit(w.zpTensor);
    addInit(f32(`${name}_scale`, w.scale));
    return { ...w, s: `${name}_scale`, z: w.zpTensor.name!, qn: w.q.name! };
  };
  /** int32 bias for input and weight scales (onnxruntime: round(b / (s_x * s_w))) */
  const bias32 = (name: string, t: Tensor, sx: number, sw: number, shape: number[]) => {
    const v = Array.from(toNumbers(tensorValues(t))).map((b) => Math.round(b / (sx * sw)));
    addInit(numericTensor(name, ELEM.int32, shape, v));
    return name;
  };
  const scaleOf = (t: string) => Number(toNumbers(tensorValues(inits.find((x) => x.name === t)!))[0]);
  const constBias = (t: string): { add: Node; b: Tensor } | undefined => {
    const add = soleConsumer(t, 'Add');
    const other = add?.input?.find((x) => x !== t);
    const b = initOf(other);
    return add && b ? { add, b } : undefined;
  };

  for (const i of idx.order) {
    const n = idx.nodes[i];
    if (done.has(n)) continue;
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    const out = n.output?.[0] ?? '';
    const wName = op === 'Conv' || op === 'MatMul' || op === 'Gemm' ? ins.find((x, k) => k === 1 && initOf(x)) : undefined;

    if (opts.format === 'qdq') {
      if (wName) {
        const x = q(ins[0]);
        nodes.push({ name: `${ins[0]}_DequantizeLinear_${i}`, opType: 'DequantizeLinear', input: [x.q, x.s, x.z], output: [`${ins[0]}_dq_${i}`] });
        const w = weight(wName);
        nodes.push({ name: `${wName}_DequantizeLinear`, opType: 'DequantizeLinear', input: [w.qn, w.s, w.z], output: [`${wName}_dq`] });
        nodes.push({ ...n, input: [`${ins[0]}_dq_${i}`, `${wName}_dq`, ...ins.slice(2)], output: [`${out}_float`] });
        const y = params(out);
        nodes.push({ name: `${out}_QuantizeLinear`, opType: 'QuantizeLinear', input: [`${out}_float`, y.s, y.z], output: [y.q] });
        nodes.push({ name: `${out}_DequantizeLinear`, opType: 'DequantizeLinear', input: [y.q, y.s, y.z], output: [out] });
        for (const x2 of ins.slice(2)) if (initOf(x2)) addInit(initOf(x2)!);
      } else {
        nodes.push(n);
        for (const x2 of ins) if (initOf(x2)) addInit(initOf(x2)!);
      }
      floatProduced.add(out);
      continue;
    }

    if (opts.format === 'integer') {
      if (wName && op !== 'Gemm') {
        const x = ins[0];
        nodes.push({ name: `${x}_DynamicQuantizeLinear_${i}`, opType: 'DynamicQuantizeLinear', input: [f(x)], output: [`${x}_q_${i}`, `${x}_s_${i}`, `${x}_z_${i}`] });
        const w = weight(wName);
        nodes.push({ name: `${n.name}_${op}Integer`, opType: `${op}Integer`, input: [`${x}_q_${i}`, w.qn, `${x}_z_${i}`, w.z], output: [`${out}_int32`], attribute: n.attribute });
        nodes.push({ name: `${out}_Cast`, opType: 'Cast', input: [`${out}_int32`], output: [`${out}_cast`], attribute: [intAttr('to', ELEM.float)] });
        nodes.push({ name: `${out}_scale_Mul`, opType: 'Mul', input: [`${x}_s_${i}`, w.s], output: [`${out}_scale`] });
        nodes.push({ name: `${out}_Mul`, opType: 'Mul', input: [`${out}_cast`, `${out}_scale`], output: [out] });
      } else {
        nodes.push({ ...n, input: ins.map((x) => (x ? (initOf(x) ? x : f(x)) : x)) });
        for (const x2 of ins) if (initOf(x2)) addInit(initOf(x2)!);
      }
      floatProduced.add(out);
      continue;
    }

    // QOperator
    if (wName && (op === 'Conv' || op === 'MatMul')) {
      const x = q(ins[0]);
      const w = weight(wName);
      const sx = scaleOf(x.s);
      const bias = constBias(out);
      const wShape = tensorShape(initOf(wName)!);
      if (op === 'Conv') {
        // Conv + bias Add: one QLinearConv with an int32 bias
        if (bias) done.add(bias.add);
        const end = layerEnd(bias ? bias.add.output![0] : out);
        const y = params(end.out, end.range);
        const b = bias ? [bias32(`${wName}_bias_quantized`, bias.b, sx, w.scale, [wShape[0]])] : [];
        nodes.push({ name: `${n.name || out}_quant`, opType: 'QLinearConv', input: [x.q, x.s, x.z, w.qn, w.s, w.z, y.s, y.z, ...b], output: [y.q], attribute: n.attribute });
        quantized.set(end.out, y);
      } else if (opts.gemm && bias) {
        done.add(bias.add);
        const end = layerEnd(bias.add.output![0]);
        const y = params(end.out, end.range);
        const c = bias32(`${wName}_bias_quantized`, bias.b, sx, w.scale, [wShape[1]]);
        nodes.push({ name: `${n.name || out}_quant`, opType: 'QGemm', domain: MS, input: [x.q, x.s, x.z, w.qn, w.s, w.z, c, y.s, y.z], output: [y.q] });
        quantized.set(end.out, y);
      } else {
        const y = params(out);
        nodes.push({ name: `${n.name || out}_quant`, opType: 'QLinearMatMul', input: [x.q, x.s, x.z, w.qn, w.s, w.z, y.s, y.z], output: [y.q] });
        quantized.set(out, y);
        if (bias) {
          // the bias is quantized as a uint8 tensor of its own and added with QLinearAdd
          done.add(bias.add);
          const bv = Array.from(toNumbers(tensorValues(bias.b)));
          const bp = activationParams([Math.min(...bv), Math.max(...bv)]);
          const bn = bias.b.name!;
          addInit(numericTensor(`${bn}_quantized`, ELEM.uint8, tensorShape(bias.b), bv.map((v) => Math.max(0, Math.min(255, Math.round(v / bp.scale) + bp.zp)))));
          addInit(f32(`${bn}_scale`, bp.scale));
          addInit(numericTensor(`${bn}_zero_point`, ELEM.uint8, [], [bp.zp]));
          const end = layerEnd(bias.add.output![0]);
          const z = params(end.out, end.range);
          nodes.push({ name: `${bias.add.name || end.out}_quant`, opType: 'QLinearAdd', domain: MS, input: [y.q, y.s, y.z, `${bn}_quantized`, `${bn}_scale`, `${bn}_zero_point`, z.s, z.z], output: [z.q] });
          quantized.set(end.out, z);
        }
      }
      continue;
    }
    if ((op === 'MaxPool' || op === 'Reshape' || op === 'Identity' || op === 'Flatten') && quantized.has(ins[0])) {
      const x = quantized.get(ins[0])!;
      for (const x2 of ins.slice(1)) if (initOf(x2)) addInit(initOf(x2)!);
      nodes.push({ ...n, input: [x.q, ...ins.slice(1)], output: [`${out}_quantized`] });
      quantized.set(out, { q: `${out}_quantized`, s: x.s, z: x.z });
      continue;
    }
    if (op === 'Softmax' && quantized.has(ins[0])) {
      const x = quantized.get(ins[0])!;
      // onnxruntime fixes the output scale of a uint8 softmax at 1/256, zero point 0
      const y = params(out, undefined, { scale: 1 / 256, zp: 0 });
      nodes.push({ name: `${n.name || out}_quant`, opType: 'QLinearSoftmax', domain: MS, input: [x.q, x.s, x.z, y.s, y.z], output: [y.q], attribute: [...(n.attribute ?? []), intAttr('opset', 13)] });
      quantized.set(out, y);
      continue;
    }
    // anything else in float
    nodes.push({ ...n, input: ins.map((x) => (x ? (initOf(x) ? x : f(x)) : x)) });
    for (const x2 of ins) if (initOf(x2)) addInit(initOf(x2)!);
    floatProduced.add(out);
  }
  for (const o of g.output ?? []) f(o.name!);

  const graphInputs: ValueInfo[] = (g.input ?? []).filter((v) => !idx.initializer.has(v.name!));
  const opset = opts.weight === 'int4' ? 21 : 13;
  const m: Model = {
    irVersion: int64From(opts.weight === 'int4' ? 10 : 8),
    producerName: 'onnx.quantize',
    opsetImport: [{ domain: '', version: int64From(opset) }, { domain: MS, version: int64From(1) }],
    graph: { name: `${g.name ?? 'g'}_${opts.format}`, node: nodes, initializer: inits, input: graphInputs, output: g.output },
  };
  return decodeModel(encodeModel(m));
}
