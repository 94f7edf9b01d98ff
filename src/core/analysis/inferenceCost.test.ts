/**
 * Inference cost against the reference: the golden TFC_2W2A totals published by qonnx, totals of
 * the other TFC variants and of mnist-conv derived by hand from their layer sizes, and per-node numbers
 * on tiny models built here, each computed by hand in the comment beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { withAllQuantBits } from '../ir/quantEdit.js';
import type { Attribute, Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { attrFloat, attrInt, attrInts, attrString, QONNX_DOMAIN } from '../testing/synth.js';
import { costJson, inferenceCost, partialSummary, preprocessForCost, type CostOptions, type CostReport } from './inferenceCost.js';

const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../testdata/models');
const load = (f: string): Model => decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS, f))));

// ---------------------------------------------------------------------------------------------------
// Tiny model builder

const FLOAT = 1, INT64 = 7;

function vi(name: string, shape: number[]): ValueInfo {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: int64From(d) })) } } } };
}
function initF(name: string, dims: number[], values?: number[]): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  // default: nonzero values 1, 2, 3, ... (density 1)
  return { name, dims: dims.map((d) => int64From(d)), dataType: FLOAT, floatData: values ?? Array.from({ length: n }, (_, i) => i + 1) };
}
function initI64(name: string, values: number[], dims: number[] = [values.length]): Tensor {
  return { name, dims: dims.map((d) => int64From(d)), dataType: INT64, int64Data: values.map((v) => int64From(v)) };
}
function node(opType: string, input: string[], output: string[], attribute: Attribute[] = [], domain?: string, name?: string): Node {
  const n: Node = { opType, input, output, name: name ?? `n_${output[0]}` };
  if (attribute.length) n.attribute = attribute;
  if (domain !== undefined) n.domain = domain;
  return n;
}
/** Quant node attributes: signed, narrow, ROUND. */
const quantAttrs = (signed = 1, narrow = 1) => [attrInt('narrow', narrow), attrString('rounding_mode', 'ROUND'), attrInt('signed', signed)];
/** Scale, zero point and bit width initializers of a Quant named `p`. */
const quantParams = (p: string, scale: number, bits: number): Tensor[] => [initF(`${p}_s`, [], [scale]), initF(`${p}_z`, [], [0]), initF(`${p}_b`, [], [bits])];
const quantIns = (x: string, p: string) => [x, `${p}_s`, `${p}_z`, `${p}_b`];

interface Spec {
  nodes: Node[];
  inputs: ValueInfo[];
  outputs?: ValueInfo[];
  inits?: Tensor[];
  ann?: Record<string, string>;
  opset?: number;
}

/** Encoded and decoded again, so the model is exactly what a file would give. */
function build(s: Spec): Model {
  const m: Model = {
    irVersion: int64From(7),
    opsetImport: [{ domain: '', version: int64From(s.opset ?? 13) }],
    graph: {
      name: 'g',
      node: s.nodes,
      input: s.inputs,
      output: s.outputs ?? [],
      initializer: s.inits ?? [],
      quantizationAnnotation: Object.entries(s.ann ?? {}).map(([tensorName, value]) => ({ tensorName, quantParameterTensorNames: [{ key: 'finn_datatype', value }] })),
    },
  };
  return decodeModel(encodeModel(m));
}

/** The single costed node's reference keys (node_cost entry without the total_* keys). */
function onlyNode(r: CostReport): Record<string, number> {
  expect(r.errors).toEqual([]);
  expect(r.nodes).toHaveLength(1);
  return r.nodes[0].raw;
}
const cost = (s: Spec, o: CostOptions = {}) => inferenceCost(build(s), o);

// ---------------------------------------------------------------------------------------------------

describe('TFC models from the zoo', () => {
  const totals = (r: CostReport) => ({
    total_macs: r.total_cost.total_macs,
    total_bops: r.total_cost.total_bops,
    total_mem_w_bits: r.total_cost.total_mem_w_bits,
    total_mem_o_bits: r.total_cost.total_mem_o_bits,
  });

  it('zoo_TFC_2W2A: golden dense and sparse totals of QONNX.md', () => {
    const m = load('zoo_TFC_2W2A.onnx');
    const dense = inferenceCost(m, { discountSparsity: false });
    const sparse = inferenceCost(m, { discountSparsity: true });
    expect(totals(dense)).toEqual({ total_macs: 59008, total_bops: 236032, total_mem_w_bits: 118016, total_mem_o_bits: 6464 });
    expect(totals(sparse)).toEqual({ total_macs: 22355, total_bops: 89420, total_mem_w_bits: 44710, total_mem_o_bits: 6464 });
    expect(inferenceCost(m).total_cost.total_bops).toBe(89420); // sparsity is discounted by default
  });

  it('zoo_TFC_2W2A: the full key set of the reference, and its values', () => {
    const r = inferenceCost(load('zoo_TFC_2W2A.onnx'));
    expect(r.total_cost).toEqual({
      discount_sparsity: true,
      mem_o_INT32: 202, // 64 + 64 + 64 + 10 outputs, INT2 x INT2 accumulates in INT32
      mem_w_INT2: 22355,
      op_mac_INT2_INT2: 22355,
      total_bops: 89420,
      total_macs: 22355,
      total_mem_o_bits: 6464,
      total_mem_o_elems: 202,
      total_mem_w_bits: 44710,
      total_mem_w_elems: 22355,
      unsupported: 'set()',
    });
    expect(Object.keys(r.optype_cost)).toEqual(['MatMul']);
    expect(Object.keys(r.node_cost)).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
    expect(r.errors).toEqual([]);
  });

  it('zoo_TFC_2W2A: the sparse MAC count is the nonzero count of the 2-bit weights, counted here', () => {
    // The weight quantizers have scale 1, zero point 0, 2 bits, signed, narrow: q = round_half_even(clamp(w, -1, 1)),
    // which is zero exactly when |w| <= 0.5. Count that in the raw float weights of the file.
    const m = load('zoo_TFC_2W2A.onnx');
    const idx = indexGraph(m.graph!);
    let nonzero = 0, total = 0;
    for (const n of idx.nodes) {
      if (n.opType !== 'Quant') continue;
      const w = idx.initializer.get(n.input![0]);
      if (!w) continue; // activation quantizer
      expect(Array.from(toNumbers(tensorValues(idx.initializer.get(n.input![1])!)))).toEqual([1]);
      expect(Array.from(toNumbers(tensorValues(idx.initializer.get(n.input![3])!)))).toEqual([2]);
      for (const v of toNumbers(tensorValues(w))) {
        total++;
        if (Math.abs(Math.fround(v)) > 0.5) nonzero++;
      }
    }
    expect(total).toBe(59008);
    expect(nonzero).toBe(22355);
    // per layer, MACs = nonzero weights (one MAC per weight at batch 1)
    const r = inferenceCost(m);
    expect(r.nodes.reduce((s, c) => s + c.macs, 0)).toBe(nonzero);
  });

  // 784-64-64-64-10 MLP: MACs = 784*64 + 64*64 + 64*64 + 64*10 = 50176 + 4096 + 4096 + 640 = 59008.
  // Outputs 64 + 64 + 64 + 10 = 202, INT32 (a signed integer input) = 6464 bits.
  // Bipolar weights are never zero, so dense and sparse agree.
  it('zoo_TFC_1W1A: bipolar x bipolar, 1 bit each', () => {
    const m = load('zoo_TFC_1W1A.onnx');
    for (const discountSparsity of [false, true]) {
      const r = inferenceCost(m, { discountSparsity });
      expect(totals(r)).toEqual({ total_macs: 59008, total_bops: 59008 * 1 * 1, total_mem_w_bits: 59008 * 1, total_mem_o_bits: 202 * 32 });
      expect(r.total_cost.op_mac_BIPOLAR_BIPOLAR).toBe(59008);
      expect(r.total_cost.mem_w_BIPOLAR).toBe(59008);
      // activation quantizers are BipolarQuant on dynamic tensors: not folded and not in the free list
      expect(r.total_cost.unsupported).toBe("{'BipolarQuant'}");
    }
  });

  it('zoo_TFC_1W2A: 2-bit activations x bipolar weights', () => {
    const m = load('zoo_TFC_1W2A.onnx');
    for (const discountSparsity of [false, true]) {
      const r = inferenceCost(m, { discountSparsity });
      expect(totals(r)).toEqual({ total_macs: 59008, total_bops: 59008 * 2 * 1, total_mem_w_bits: 59008 * 1, total_mem_o_bits: 202 * 32 });
      expect(r.total_cost.op_mac_INT2_BIPOLAR).toBe(59008);
      expect(r.total_cost.unsupported).toBe('set()');
    }
  });

  it('per layer: MatMul_0..3 with 784x64, 64x64, 64x64, 64x10 weights', () => {
    const r = inferenceCost(load('zoo_TFC_1W2A.onnx'));
    expect(r.nodes.map((c) => [c.name, c.macs, c.memWElems, c.memOElems])).toEqual([
      ['MatMul_0', 50176, 50176, 64],
      ['MatMul_1', 4096, 4096, 64],
      ['MatMul_2', 4096, 4096, 64],
      ['MatMul_3', 640, 640, 10],
    ]);
  });

  it('what-if with every Quant at 4 bits: 4 * 4 * 22355 BOPs, because the zeros do not move', () => {
    // Scale stays 1: q = round(clamp(w, -7, 7)) is zero exactly when |w| <= 0.5, as at 2 bits
    // (clamp to [-1, 1] does not touch values below 0.5), so density and MACs stay 22355.
    const r = inferenceCost(withAllQuantBits(load('zoo_TFC_2W2A.onnx'), 4));
    expect(r.total_cost.op_mac_INT4_INT4).toBe(22355);
    expect(r.total_cost.total_bops).toBe(4 * 4 * 22355);
    expect(r.total_cost.total_mem_w_bits).toBe(4 * 22355);
  });

  it('what-if at 8 bits keeps the zeros too; at 1 bit the quantizer is a sign function with no zeros at all', () => {
    const m = load('zoo_TFC_2W2A.onnx');
    expect(inferenceCost(withAllQuantBits(m, 8)).total_cost.total_bops).toBe(8 * 8 * 22355);
    expect(inferenceCost(withAllQuantBits(m, 2)).total_cost.total_bops).toBe(89420); // the model as it is
    // 1 bit, signed: y = (x >= 0 ? 1 : -1), datatype BIPOLAR; density 1, so all 59008 MACs at 1 x 1 bit
    const one = inferenceCost(withAllQuantBits(m, 1));
    expect(one.total_cost.op_mac_BIPOLAR_BIPOLAR).toBe(59008);
    expect(one.total_cost.total_bops).toBe(59008);
  });

  it('mnist-conv (float): totals from the layer sizes', () => {
    // Conv 1->8, 5x5, same padding on 28x28: 8*1*25*784 = 156800 MACs, 200 weights, 6272 outputs.
    // MaxPool to 14x14; Conv 8->16, 5x5, same: 16*8*25*196 = 627200 MACs, 3200 weights, 3136 outputs.
    // MaxPool to 7x7, Reshape to 256, MatMul 256x10: 2560 MACs, 2560 weights, 10 outputs.
    const r = inferenceCost(load('qonnx_mnist_conv_float.onnx'));
    expect(r.nodes.map((c) => [c.name, c.macs, c.memWElems, c.memOElems])).toEqual([
      ['Conv_0', 156800, 200, 6272],
      ['Conv_1', 627200, 3200, 3136],
      ['MatMul_0', 2560, 2560, 10],
    ]);
    expect(r.total_cost.total_macs).toBe(786560);
    expect(r.total_cost.total_bops).toBe(786560 * 32 * 32);
    expect(r.total_cost.total_mem_w_bits).toBe(5960 * 32);
    expect(r.total_cost.total_mem_o_bits).toBe(9418 * 32);
    expect(r.total_cost.unsupported).toBe('set()');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('Conv', () => {
  const conv = (x: number[], w: number[], attrs: Attribute[], wValues?: number[]) =>
    cost({
      inputs: [vi('x', x)],
      inits: [initF('w', w, wValues)],
      nodes: [node('Conv', ['x', 'w'], ['y'], [attrInts('kernel_shape', w.slice(2)), ...attrs])],
    });

  it('plain 3x3: N * OC * IC * k * out pixels', () => {
    // x [1,3,8,8], W [4,3,3,3] -> y [1,4,6,6]: 1*4*3*9*36 = 3888 MACs, 108 weights, 144 outputs
    expect(onlyNode(conv([1, 3, 8, 8], [4, 3, 3, 3], []))).toEqual({ op_mac_FLOAT32_FLOAT32: 3888, mem_w_FLOAT32: 108, mem_o_FLOAT32: 144 });
  });

  it('strided and padded, batch 2', () => {
    // x [2,3,9,9], W [8,3,3,3], stride 2, pad 1: out (9+2-3)/2+1 = 5 -> [2,8,5,5]
    // 2*8*3*9*25 = 10800 MACs, 216 weights, 400 outputs
    const r = conv([2, 3, 9, 9], [8, 3, 3, 3], [attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1])]);
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 10800, mem_w_FLOAT32: 216, mem_o_FLOAT32: 400 });
    expect(r.total_cost.total_bops).toBe(10800 * 32 * 32);
    expect(r.total_cost.total_mem_w_bits).toBe(216 * 32);
  });

  it('grouped: (OC/group) * IC, the same as OC * IC/group', () => {
    // x [1,8,6,6], W [4,4,3,3], group 2, pad 1 -> [1,4,6,6]: each output reads 4 channels * 9 = 36 MACs,
    // 144 outputs -> 5184 MACs; weights 144
    const r = conv([1, 8, 6, 6], [4, 4, 3, 3], [attrInt('group', 2), attrInts('pads', [1, 1, 1, 1])]);
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 5184, mem_w_FLOAT32: 144, mem_o_FLOAT32: 144 });
  });

  it('depthwise: one input channel per output', () => {
    // x [1,6,5,5], W [6,1,3,3], group 6 -> [1,6,3,3]: 54 outputs * 9 = 486 MACs, 54 weights
    const r = conv([1, 6, 5, 5], [6, 1, 3, 3], [attrInt('group', 6)]);
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 486, mem_w_FLOAT32: 54, mem_o_FLOAT32: 54 });
    expect(r.nodes[0].paper.n).toBe(9); // fan-in of one output
  });

  it('bias is not counted in weight memory', () => {
    const r = cost({
      inputs: [vi('x', [1, 3, 8, 8])],
      inits: [initF('w', [4, 3, 3, 3]), initF('b', [4])],
      nodes: [node('Conv', ['x', 'w', 'b'], ['y'], [attrInts('kernel_shape', [3, 3])])],
    });
    expect(onlyNode(r).mem_w_FLOAT32).toBe(108);
  });

  it('sparsity discount: MACs and weight memory times the density, outputs unchanged', () => {
    // W [2,1,2,2] with 2 zeros of 8: density 0.75; x [1,1,3,3] -> [1,2,2,2]: 2*1*4*4 = 32 dense MACs
    const w = [0, 1, 2, 3, 4, 0, 5, 6];
    const mk = (discountSparsity: boolean) =>
      cost({ inputs: [vi('x', [1, 1, 3, 3])], inits: [initF('w', [2, 1, 2, 2], w)], nodes: [node('Conv', ['x', 'w'], ['y'], [attrInts('kernel_shape', [2, 2])])] }, { discountSparsity });
    expect(onlyNode(mk(false))).toEqual({ op_mac_FLOAT32_FLOAT32: 32, mem_w_FLOAT32: 8, mem_o_FLOAT32: 8 });
    const on = mk(true);
    expect(onlyNode(on)).toEqual({ op_mac_FLOAT32_FLOAT32: 24, mem_w_FLOAT32: 6, mem_o_FLOAT32: 8 });
    expect(on.nodes[0].density).toBe(0.75);
    expect(on.total_cost.discount_sparsity).toBe(true);
    expect(mk(false).total_cost.discount_sparsity).toBe(false);
  });
});

describe('MatMul and Gemm', () => {
  it('constant right operand', () => {
    // [2,5] @ [5,3]: 5 * 6 = 30 MACs, 15 weights, 6 outputs
    const r = cost({ inputs: [vi('x', [2, 5])], inits: [initF('w', [5, 3])], nodes: [node('MatMul', ['x', 'w'], ['y'])] });
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 30, mem_w_FLOAT32: 15, mem_o_FLOAT32: 6 });
  });

  it('constant left operand: its size is the weight memory, and its zeros are discounted', () => {
    // [4,5] @ [5,3]: 5 * 12 = 60 MACs; weight = input 0, 20 elements, 5 of them zero: density 0.75
    const w = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? 0 : i));
    const mk = (discountSparsity: boolean) => cost({ inputs: [vi('x', [5, 3])], inits: [initF('w', [4, 5], w)], nodes: [node('MatMul', ['w', 'x'], ['y'])] }, { discountSparsity });
    expect(onlyNode(mk(false))).toEqual({ op_mac_FLOAT32_FLOAT32: 60, mem_w_FLOAT32: 20, mem_o_FLOAT32: 12 });
    expect(onlyNode(mk(true))).toEqual({ op_mac_FLOAT32_FLOAT32: 45, mem_w_FLOAT32: 15, mem_o_FLOAT32: 12 });
  });

  it('both operands dynamic (attention-style batched): weight memory 0, key still present', () => {
    // [2,4,5] @ [2,5,3] -> [2,4,3]: 5 * 24 = 120 MACs
    const r = cost({ inputs: [vi('a', [2, 4, 5]), vi('b', [2, 5, 3])], nodes: [node('MatMul', ['a', 'b'], ['y'])] });
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 120, mem_w_FLOAT32: 0, mem_o_FLOAT32: 24 });
    expect(r.total_cost.total_mem_w_bits).toBe(0);
  });

  it('Gemm honours transA (the shared dimension is A\'s first axis then) and transB', () => {
    // A stored [5,2] with transA = 1 is [2,5]; B stored [3,5] with transB = 1 is [5,3]: y [2,3],
    // MACs = 5 * 6 = 30 (reading A untransposed would give 2 * 6 = 12); 15 weights
    const r = cost({
      inputs: [vi('a', [5, 2])],
      inits: [initF('b', [3, 5]), initF('c', [3])],
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], [attrInt('transA', 1), attrInt('transB', 1)])],
    });
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 30, mem_w_FLOAT32: 15, mem_o_FLOAT32: 6 });
    // without transposition: [2,5] x [5,3]
    const plain = cost({ inputs: [vi('a', [2, 5])], inits: [initF('b', [5, 3])], nodes: [node('Gemm', ['a', 'b'], ['y'])] });
    expect(onlyNode(plain)).toEqual({ op_mac_FLOAT32_FLOAT32: 30, mem_w_FLOAT32: 15, mem_o_FLOAT32: 6 });
  });

  it('FLOAT32 x FLOAT32 counts 32 * 32 = 1024 bit operations per MAC', () => {
    const r = cost({ inputs: [vi('x', [1, 7])], inits: [initF('w', [7, 2])], nodes: [node('MatMul', ['x', 'w'], ['y'])] });
    expect(r.total_cost.total_bops).toBe(14 * 1024);
  });
});

describe('Upsample', () => {
  // opset 9: scales is an input. x [1,3,4,4], scales [1,1,2,2] -> [1,3,8,8], 192 outputs
  const up = (mode: string) =>
    cost({
      opset: 9,
      inputs: [vi('x', [1, 3, 4, 4])],
      inits: [initF('scales', [4], [1, 1, 2, 2])],
      nodes: [node('Upsample', ['x', 'scales'], ['y'], [attrString('mode', mode)])],
      ann: { x: 'INT8' },
    });

  it('nearest: no MACs; keys op_mac_<in>_<in> and mem_o only (no weight memory)', () => {
    // nearest passes the input datatype through
    expect(onlyNode(up('nearest'))).toEqual({ op_mac_INT8_INT8: 0, mem_o_INT8: 192 });
  });

  it('linear: 2 * (scales > 1) * output pixels * C * N', () => {
    // 2 * 2 * 64 * 3 * 1 = 768; the output of a linear resize has no datatype rule: FLOAT32
    const r = up('linear');
    expect(onlyNode(r)).toEqual({ op_mac_INT8_INT8: 768, mem_o_FLOAT32: 192 });
    expect(r.total_cost.total_bops).toBe(768 * 8 * 8);
    expect(r.total_cost.total_mem_w_elems).toBe(0);
  });
});

describe('datatypes in the keys', () => {
  // w [2,3] = [0.2, -0.7, 1.6, -0.4, 0.9, 0.1]; INT2 narrow, scale 1: round(clamp(w, -1, 1)) = [0, -1, 1, 0, 1, 0]
  const W = [0.2, -0.7, 1.6, -0.4, 0.9, 0.1];
  const quantized = (inScale: number, inBits: number, opts: CostOptions = {}) =>
    cost(
      {
        inputs: [vi('x', [1, 3])],
        inits: [initF('w', [3, 2], W), ...quantParams('qa', inScale, inBits), ...quantParams('qw', 1, 2)],
        nodes: [
          node('Quant', quantIns('x', 'qa'), ['xq'], quantAttrs(1, 0), QONNX_DOMAIN),
          node('Quant', quantIns('w', 'qw'), ['wq'], quantAttrs(1, 1), QONNX_DOMAIN),
          node('MatMul', ['xq', 'wq'], ['y']),
        ],
      },
      opts,
    );

  it('op_mac_SCALEDINT<8>_INT2: input quantizer with scale 0.5, weight quantizer with scale 1', () => {
    // [1,3] @ [3,2]: 6 MACs dense, density 3/6 -> 3; output SCALEDINT<32>
    const r = quantized(0.5, 8);
    expect(onlyNode(r)).toEqual({ 'op_mac_SCALEDINT<8>_INT2': 3, mem_w_INT2: 3, 'mem_o_SCALEDINT<32>': 2 });
    expect(r.total_cost.total_bops).toBe(3 * 8 * 2);
    expect(r.total_cost.total_mem_w_bits).toBe(3 * 2);
    expect(r.total_cost.total_mem_o_bits).toBe(2 * 32);
    expect(r.nodes[0].density).toBe(0.5);
    expect(r.total_cost.unsupported).toBe('set()'); // Quant is free
  });

  it('integer x integer gives mem_o_INT32', () => {
    const r = quantized(1, 4, { discountSparsity: false });
    expect(onlyNode(r)).toEqual({ op_mac_INT4_INT2: 6, mem_w_INT2: 6, mem_o_INT32: 2 });
    expect(r.total_cost.total_bops).toBe(6 * 4 * 2);
  });

  it('the quantized weight is folded into an initializer holding round(clamp(w)), annotated INT2', () => {
    const m = preprocessForCost(build({
      inputs: [vi('x', [1, 3])],
      inits: [initF('w', [3, 2], W), ...quantParams('qw', 1, 2)],
      nodes: [node('Quant', quantIns('w', 'qw'), ['wq'], quantAttrs(1, 1), QONNX_DOMAIN), node('MatMul', ['x', 'wq'], ['y'])],
    }));
    const idx = indexGraph(m.graph!);
    expect(idx.nodes.map((n) => n.opType)).toEqual(['MatMul']);
    // -0 where w was negative, as numpy's round(-0.4) gives -0.0 (a zero for the density all the same)
    expect(Array.from(toNumbers(tensorValues(idx.initializer.get('wq')!)))).toEqual([0, -1, 1, -0, 1, 0]);
    expect(idx.annotation.get('wq')?.get('finn_datatype')).toBe('INT2');
    // the float weight and the quantizer's parameters are gone
    expect([...idx.initializer.keys()]).toEqual(['wq']);
  });
});

describe('weight Quant -> Transpose chains', () => {
  // w [2,3] -> Quant (INT2, scale 1) -> Transpose -> [3,2]; x [1,3] @ [3,2]
  const W = [0.2, -0.7, 1.6, -0.4, 0.9, 0.1];
  const spec = (ann?: Record<string, string>): Spec => ({
    inputs: [vi('x', [1, 3])],
    outputs: [vi('y', [1, 2])],
    inits: [initF('w', [2, 3], W), ...quantParams('qw', 1, 2)],
    nodes: [
      node('Quant', quantIns('w', 'qw'), ['wq'], quantAttrs(1, 1), QONNX_DOMAIN, 'weight_quant'),
      node('Transpose', ['wq'], ['wt'], [attrInts('perm', [1, 0])], undefined, 'weight_t'),
      node('MatMul', ['x', 'wt'], ['y'], [], undefined, 'fc'),
    ],
    ann,
  });

  it('fold into one transposed INT2 initializer', () => {
    const m = preprocessForCost(build(spec()));
    const idx = indexGraph(m.graph!);
    expect(idx.nodes.map((n) => n.opType)).toEqual(['MatMul']);
    const wt = idx.initializer.get('wt')!;
    // round(clamp(W)) = [[0,-1,1],[0,1,0]], transposed
    expect(Array.from(toNumbers(tensorValues(wt)))).toEqual([0, -0, -1, 1, 1, 0]);
    expect(wt.dims!.map(Number)).toEqual([3, 2]);
    expect(idx.annotation.get('wt')?.get('finn_datatype')).toBe('INT2');
    const r = inferenceCost(build(spec()));
    // 6 MACs dense, 3 nonzero weights
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_INT2: 3, mem_w_INT2: 3, mem_o_FLOAT32: 2 });
    expect(r.nodes[0].name).toBe('MatMul_0');
    expect(r.nodes[0].originalIndex).toBe(2); // traced back to 'fc'
  });

  it('--no-preprocess: the quantizer stays, so the weight is not an initializer (mem_w 0) and, as nothing is annotated, every tensor is FLOAT32', () => {
    // The reference reads datatypes from annotations only (get_tensor_datatype: FLOAT32 when absent);
    // datatype inference is part of the preprocessing it skips.
    const r = inferenceCost(build(spec()), { preprocess: false });
    expect(onlyNode(r)).toEqual({ op_mac_FLOAT32_FLOAT32: 6, mem_w_FLOAT32: 0, mem_o_FLOAT32: 2 });
    expect(r.total_cost.total_bops).toBe(6 * 1024);
    expect(r.total_cost.unsupported).toBe('set()'); // Quant and Transpose are free
    expect(r.nodes[0].name).toBe('MatMul_0'); // unique names are given anyway
  });

  it('--no-preprocess reads the annotations the file carries', () => {
    const r = inferenceCost(build(spec({ x: 'INT4', wt: 'INT2', y: 'INT32' })), { preprocess: false });
    expect(onlyNode(r)).toEqual({ op_mac_INT4_INT2: 6, mem_w_INT2: 0, mem_o_INT32: 2 });
  });
});

describe('unsupported, free ops and node names', () => {
  it('unsupported op types as the Python set text, free ops not listed', () => {
    const r = cost({
      inputs: [vi('x', [1, 4])],
      inits: [initF('w', [4, 4]), initF('b', [4])],
      nodes: [
        node('MatMul', ['x', 'w'], ['a']),
        node('Add', ['a', 'b'], ['a2']),
        node('Relu', ['a2'], ['r']),
        node('Softmax', ['r'], ['s']),
        node('Erf', ['s'], ['e']),
        node('Softmax', ['e'], ['z']),
      ],
    });
    expect(r.total_cost.unsupported).toBe("{'Erf', 'Softmax'}");
    expect(r.unsupported).toEqual(['Erf', 'Softmax']);
    expect(r.freeOps).toEqual(['Add', 'Relu']);
    expect(Object.keys(r.node_cost)).toEqual(['MatMul_0']);
  });

  it('only free ops: set()', () => {
    const r = cost({
      inputs: [vi('x', [1, 2, 4, 4])],
      nodes: [
        node('Relu', ['x'], ['a']),
        node('MaxPool', ['a'], ['b'], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]),
        node('Flatten', ['b'], ['c']),
        node('Sigmoid', ['c'], ['d']),
        node('Identity', ['d'], ['e']),
      ],
    });
    expect(r.total_cost.unsupported).toBe('set()');
    expect(r.unsupported).toEqual([]);
    expect(r.nodes).toEqual([]);
    expect(r.total_cost.total_bops).toBe(0);
    expect(r.freeOps).toEqual(['Flatten', 'Identity', 'MaxPool', 'Relu', 'Sigmoid']);
  });

  it('nodes are named <OpType>_<k> after folding (folded nodes are not counted)', () => {
    // Shape -> Gather -> Unsqueeze -> Concat -> Reshape (a PyTorch flatten) folds away except the Reshape
    const r = cost({
      inputs: [vi('x', [1, 2, 2, 2])],
      inits: [initI64('idx0', [0], []), initI64('minus1', [-1]), initF('w1', [8, 4]), initF('w2', [4, 3])],
      nodes: [
        node('Shape', ['x'], ['shp'], [], undefined, 'my_shape'),
        node('Gather', ['shp', 'idx0'], ['n'], [attrInt('axis', 0)], undefined, 'g'),
        node('Unsqueeze', ['n'], ['n1'], [attrInts('axes', [0])], undefined, 'u'),
        node('Concat', ['n1', 'minus1'], ['tgt'], [attrInt('axis', 0)], undefined, 'c'),
        node('Reshape', ['x', 'tgt'], ['flat'], [], undefined, 'flatten'),
        node('MatMul', ['flat', 'w1'], ['h'], [], undefined, 'fc1'),
        node('Relu', ['h'], ['hr'], [], undefined, 'act'),
        node('MatMul', ['hr', 'w2'], ['y'], [], undefined, 'fc2'),
      ],
      opset: 11,
    });
    expect(r.errors).toEqual([]);
    expect(r.nodes.map((c) => [c.name, c.originalIndex, c.macs])).toEqual([
      ['MatMul_0', 5, 8 * 4],
      ['MatMul_1', 7, 4 * 3],
    ]);
    expect(r.total_cost.unsupported).toBe('set()');
  });

  it('a node that cannot be costed is reported in errors, not thrown', () => {
    // the input shape is unknown: no dims at all
    const r = cost({ inputs: [{ name: 'x', type: { tensorType: { elemType: FLOAT } } }], inits: [initF('w', [4, 2])], nodes: [node('MatMul', ['x', 'w'], ['y'])] });
    expect(r.nodes).toEqual([]);
    expect(r.errors).toHaveLength(1);
    // named as in the file (the builder names it n_y), not by the reference's MatMul_0
    expect(r.errors[0]).toEqual({ node: 'n_y', index: 0, message: 'its output has no known shape' });
  });
});

describe('partial results: layers the totals leave out', () => {
  const noShape = (name: string): ValueInfo => ({ name, type: { tensorType: { elemType: FLOAT } } });

  it('names each uncosted layer once: by its name, else "node #k (OpType)"; counts N of M layers', () => {
    // x -> MatMul fc1 (costed) -> Relu (free) -> Softmax sm (no cost model)
    // z (no shape) -> unnamed MatMul (fails: unknown input shape) -> Erf, unnamed (no cost model)
    const r = cost({
      inputs: [vi('x', [1, 4]), noShape('z')],
      inits: [initF('w', [4, 4]), initF('w2', [4, 2])],
      nodes: [
        node('MatMul', ['x', 'w'], ['a'], [], undefined, 'fc1'),
        node('Relu', ['a'], ['r'], [], undefined, 'act'),
        node('Softmax', ['r'], ['s'], [], undefined, 'sm'),
        node('MatMul', ['z', 'w2'], ['b'], [], undefined, ''),
        node('Erf', ['b'], ['e'], [], undefined, ''),
      ],
    });
    expect(r.nodes.map((c) => c.name)).toEqual(['MatMul_0']);
    expect(r.uncosted).toEqual([
      { node: 'sm', index: 2, opType: 'Softmax', reason: 'qonnx-inference-cost has no cost model for Softmax' },
      { node: 'node #3 (MatMul)', index: 3, opType: 'MatMul', reason: 'its output has no known shape' },
      { node: 'node #4 (Erf)', index: 4, opType: 'Erf', reason: 'qonnx-inference-cost has no cost model for Erf' },
    ]);
    expect(r.errors).toEqual([{ node: 'node #3 (MatMul)', index: 3, message: 'its output has no known shape' }]);
    // Relu is free, not a layer left out: 1 costed + 3 uncosted
    expect(r.layerCount).toBe(4);
    expect(partialSummary(r)).toBe('partial: 3 of 4 layers not costed');
    // a message never repeats the node's name
    for (const u of r.uncosted) expect(`${u.node}: ${u.reason}`.split(u.node)).toHaveLength(2);
    // the reference's JSON is unchanged by all this: the same keys as a complete result
    expect(Object.keys(r.total_cost).sort()).toEqual(['discount_sparsity', 'mem_o_FLOAT32', 'mem_w_FLOAT32', 'op_mac_FLOAT32_FLOAT32', 'total_bops', 'total_macs', 'total_mem_o_bits', 'total_mem_o_elems', 'total_mem_w_bits', 'total_mem_w_elems', 'unsupported']);
  });

  it('a Conv that cannot be costed, named Conv_0 in the file: "Conv_0: <what is wrong>", the name once', () => {
    // 3 output channels in 2 groups: the reference's formula needs OC divisible by group
    const r = cost({
      inputs: [vi('x', [1, 2, 4, 4])],
      inits: [initF('w', [3, 1, 1, 1])],
      nodes: [node('Conv', ['x', 'w'], ['y'], [attrInts('kernel_shape', [1, 1]), attrInt('group', 2)], undefined, 'Conv_0')],
    });
    expect(r.errors).toEqual([{ node: 'Conv_0', index: 0, message: '3 output channels are not divisible by group 2' }]);
    expect(r.uncosted.map((u) => `${u.node}: ${u.reason}`)).toEqual(['Conv_0: 3 output channels are not divisible by group 2']);
    expect(partialSummary(r)).toBe('partial: 1 of 1 layers not costed');
  });

  it('a complete result is not partial', () => {
    const r = inferenceCost(load('zoo_TFC_2W2A.onnx'));
    expect(r.uncosted).toEqual([]);
    expect(r.layerCount).toBe(4);
    expect(partialSummary(r)).toBeUndefined();
  });

  // FINN hardware graphs: every layer is an op type the reference lists as unsupported (its sets are in
  // UNSUPPORTED below), so every node of those types in the file is a layer left out, named by the file.
  const HARDWARE: Record<string, string[]> = {
    'finn_cybsec_PE_SIMD.onnx': ['MVAU_hls'],
    'finn_step_set_fifo_depths.onnx': ['MVAU_hls', 'StreamingDataWidthConverter_rtl', 'StreamingFIFO_rtl'],
    'finn_tfc_w1a1_after_conv_to_hls.onnx': ['MultiThreshold', 'StreamingFCLayer_Batch'],
  };
  for (const [f, ops] of Object.entries(HARDWARE)) {
    it(`${f}: every node of an unsupported type is listed, named as in the file`, () => {
      const m = load(f);
      const expected = m.graph!.node!.flatMap((n, k) => (ops.includes(n.opType!) ? [{ node: n.name ? n.name : `node #${k} (${n.opType})`, index: k, opType: n.opType }] : []));
      expect(expected.length).toBeGreaterThan(0);
      const r = inferenceCost(m);
      expect(r.uncosted.map(({ node, index, opType }) => ({ node, index, opType }))).toEqual(expected);
      expect(r.layerCount).toBe(r.nodes.length + expected.length);
      expect(partialSummary(r)).toBe(`partial: ${expected.length} of ${r.layerCount} layers not costed`);
    });
  }

  it('finn_cybsec_PE_SIMD: unnamed hardware layers read "node #k (MVAU_hls)"', () => {
    const r = inferenceCost(load('finn_cybsec_PE_SIMD.onnx'));
    expect(r.uncosted.map((u) => u.node)).toEqual(['node #0 (MVAU_hls)', 'node #1 (MVAU_hls)', 'node #2 (MVAU_hls)', 'node #3 (MVAU_hls)']);
    expect(partialSummary(r)).toBe('partial: 4 of 4 layers not costed');
  });

  it('MetaFi step_qonnx_to_finn: its unnamed MultiThreshold nodes are named by position', () => {
    const m = load('finnplus_metafi_step_qonnx_to_finn.onnx');
    const file = m.graph!.node!;
    const r = inferenceCost(m);
    const mt = r.uncosted.filter((u) => u.opType === 'MultiThreshold');
    expect(mt.length).toBe(file.filter((n) => n.opType === 'MultiThreshold').length);
    for (const u of mt) {
      expect(file[u.index!].opType).toBe('MultiThreshold');
      expect(u.node).toBe(file[u.index!].name ? file[u.index!].name : `node #${u.index} (MultiThreshold)`);
    }
    expect(mt[0].node).toBe('node #0 (MultiThreshold)');
    expect(r.layerCount).toBe(r.nodes.length + r.uncosted.length);
  });
});

describe('breakdown', () => {
  it('optype_cost and node_cost: sums equal the totals; costJson has them only with the breakdown', () => {
    const r = cost({
      inputs: [vi('x', [1, 1, 4, 4])],
      inits: [initF('w1', [2, 1, 3, 3]), initF('w2', [2, 2, 1, 1]), initF('w3', [8, 3])],
      nodes: [
        node('Conv', ['x', 'w1'], ['a'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])]),
        node('Conv', ['a', 'w2'], ['b'], [attrInts('kernel_shape', [1, 1])]),
        node('Flatten', ['b'], ['f']),
        node('Gemm', ['f', 'w3'], ['y'], [attrFloat('alpha', 1)]),
      ],
    });
    // Conv_0: 2*1*9*16 = 288; Conv_1: 2*2*1*16 = 64; Gemm_0: 32*3 = 96
    expect(Object.fromEntries(Object.entries(r.node_cost).map(([k, v]) => [k, v.total_macs]))).toEqual({ Conv_0: 288, Conv_1: 64, Gemm_0: 96 });
    expect(r.optype_cost.Conv.total_macs).toBe(352);
    expect(r.optype_cost.Gemm.total_macs).toBe(96);
    expect(r.total_cost.total_macs).toBe(448);
    expect(r.optype_cost.Conv.mem_w_FLOAT32).toBe(18 + 4);
    expect(r.optype_cost.Conv).not.toHaveProperty('unsupported');
    const withBd = JSON.parse(costJson(r, true));
    expect(Object.keys(withBd)).toEqual(['node_cost', 'optype_cost', 'total_cost']);
    expect(Object.keys(JSON.parse(costJson(r, false)))).toEqual(['total_cost']);
  });
});

describe('shared parameters', () => {
  it('a weight shared by two layers keeps its annotated datatype in both (unique copies carry the annotation)', () => {
    // w [4,4] annotated INT4 read by two MatMuls; preprocessing gives the second its own copy
    const r = cost({
      inputs: [vi('x', [1, 4])],
      inits: [initF('w', [4, 4])],
      nodes: [node('MatMul', ['x', 'w'], ['a']), node('MatMul', ['a', 'w'], ['y'])],
      ann: { x: 'INT4', w: 'INT4' },
    });
    expect(r.errors).toEqual([]);
    expect(r.node_cost.MatMul_0).toMatchObject({ op_mac_INT4_INT4: 16, mem_w_INT4: 16, mem_o_INT32: 4 });
    expect(r.node_cost.MatMul_1).toMatchObject({ op_mac_INT32_INT4: 16, mem_w_INT4: 16, mem_o_INT32: 4 });
    expect(r.total_cost.total_mem_w_bits).toBe(32 * 4);
    expect(r.total_cost.total_bops).toBe(16 * 4 * 4 + 16 * 32 * 4);
  });
});

describe('every model in testdata/models', () => {
  const files = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();

  it('has the models this suite expects', () => {
    expect(files.length).toBe(21);
  });

  // What the reference reports as unsupported for each: FINN hardware graphs cost nothing (their
  // layers are opaque custom ops), FINN-style graphs list MultiThreshold, float models list Softmax etc.
  const UNSUPPORTED: Record<string, string> = {
    'finn_cybsec_PE_SIMD.onnx': "{'MVAU_hls'}",
    'finn_step_set_fifo_depths.onnx': "{'MVAU_hls', 'StreamingDataWidthConverter_rtl', 'StreamingFIFO_rtl'}",
    'finn_tfc_w1a1_after_conv_to_hls.onnx': "{'MultiThreshold', 'StreamingFCLayer_Batch'}",
    'qonnx_act_weight_fp8.onnx': "{'FloatQuant'}",
    'qonnx_espcn_nnresize_float.onnx': "{'Resize'}",
    'qonnx_espcn_subpixel_float.onnx': "{'DepthToSpace'}",
    'qonnx_sdp.onnx': "{'Softmax'}",
    'zoo_TFC_2W2A.onnx': 'set()',
  };

  for (const f of files) {
    it(`${f}: costs without throwing and without errors`, () => {
      const m = load(f);
      for (const discountSparsity of [true, false]) {
        const r = inferenceCost(m, { discountSparsity });
        expect(r.errors).toEqual([]);
        const t = r.total_cost;
        for (const k of ['total_macs', 'total_bops', 'total_mem_w_bits', 'total_mem_o_bits']) expect(Number.isFinite(t[k])).toBe(true);
        // totals are the sums over the costed nodes
        expect(t.total_macs).toBe(r.nodes.reduce((s, c) => s + c.macs, 0));
        expect(t.total_bops).toBeCloseTo(r.nodes.reduce((s, c) => s + c.bops, 0), 0);
        if (UNSUPPORTED[f]) expect(t.unsupported).toBe(UNSUPPORTED[f]);
        // the JSON is valid and round-trips the totals
        expect(JSON.parse(costJson(r, true)).total_cost.total_macs).toBe(t.total_macs);
      }
    });
  }
});

describe('node names on branched graphs', () => {
  it('a residual block whose 1x1 shortcut Conv follows the main path in the file is numbered as the reference numbers it', () => {
    // The reference's ModelWrapper.transform runs its cleanup after every preprocessing step, and the
    // cleanup sorts the graph level by level (a level: every node whose producers are all in earlier
    // levels; file order within a level). GiveUniqueNodeNames then numbers Convs in that order:
    // level 0 holds the main path's first Conv (a) and the shortcut (s), level 2 the second Conv (b),
    // so a = Conv_0, s = Conv_1, b = Conv_2, although the file lists a, b, s.
    const r = cost({
      inputs: [vi('x', [1, 4, 8, 8])],
      inits: [initF('wa', [8, 4, 3, 3]), initF('wb', [8, 8, 3, 3]), initF('ws', [8, 4, 1, 1])],
      nodes: [
        node('Conv', ['x', 'wa'], ['a'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])], undefined, 'main_a'),
        node('Relu', ['a'], ['ar'], [], undefined, 'relu'),
        node('Conv', ['ar', 'wb'], ['b'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])], undefined, 'main_b'),
        node('Conv', ['x', 'ws'], ['s'], [attrInts('kernel_shape', [1, 1])], undefined, 'shortcut'),
        node('Add', ['b', 's'], ['y'], [], undefined, 'add'),
      ],
    });
    const macs = Object.fromEntries(Object.entries(r.node_cost).map(([k, v]) => [k, v.total_macs]));
    // a: 8*4*9*64 = 18432; s: 8*4*1*64 = 2048; b: 8*8*9*64 = 36864
    expect(macs).toEqual({ Conv_0: 18432, Conv_1: 2048, Conv_2: 36864 });
  });
});
