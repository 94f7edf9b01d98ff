/**
 * Quantizer kinds (weight / bias / activation) on the real models in testdata/models and on models built
 * in the shapes Brevitas and QKeras export, checked against a criterion written here the other way round:
 * from each compute layer back to the quantizer that feeds its input 1 (weight) or input 2 (bias), and
 * from each Add after a compute layer back to the quantizer of its other operand (bias), through layout
 * ops, counting only quantizers whose data input is an initializer. Every other quantizer is an activation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { brevitasGemm, convBias, qkerasDense } from '../testing/quantModels.js';
import { TEST_MODELS } from '../testing/paths.js';
import { indexGraph } from './graphIndex.js';
import { listQuantizers } from './quantEdit.js';
import { isConstantTensor, quantizerRole } from './quantizerRoles.js';
import { int64From, type Model } from './types.js';

const QUANT_OPS = ['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant'];
const THROUGH = ['Transpose', 'Reshape', 'Flatten'];
const COMPUTE = ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'];

/** quantizer node name -> [kind, layer name] by walking back from the consumers. */
function expectedKinds(m: Model): Map<string, [string, string?]> {
  const nodes = m.graph?.node ?? [];
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output?.forEach((o) => producer.set(o, i)));
  const upThrough = (t: string | undefined) => {
    let p = t === undefined ? undefined : producer.get(t);
    while (p !== undefined && THROUGH.includes(nodes[p].opType!)) p = producer.get(nodes[p].input![0]);
    return p;
  };
  const kinds = new Map<string, [string, string?]>();
  nodes.forEach((n) => {
    if (QUANT_OPS.includes(n.opType!)) kinds.set(n.name!, ['activation']);
  });
  const mark = (t: string | undefined, kind: string, layer: string) => {
    const q = upThrough(t);
    if (q === undefined || !QUANT_OPS.includes(nodes[q].opType!) || !inits.has(nodes[q].input![0])) return;
    if (kinds.get(nodes[q].name!)![0] !== 'weight') kinds.set(nodes[q].name!, [kind, layer]);
  };
  for (const n of nodes) if (COMPUTE.includes(n.opType!)) mark(n.input![1], 'weight', n.name!);
  for (const n of nodes) {
    if (COMPUTE.includes(n.opType!) && n.opType !== 'MatMul') mark(n.input![2], 'bias', n.name!);
    if (n.opType === 'Add') {
      for (const k of [0, 1]) {
        const other = upThrough(n.input![1 - k]);
        if (other !== undefined && COMPUTE.includes(nodes[other].opType!)) mark(n.input![k], 'bias', nodes[other].name!);
      }
    }
  }
  return kinds;
}

function actualKinds(m: Model): Map<string, [string, string?]> {
  const nodes = m.graph?.node ?? [];
  return new Map(listQuantizers(m).map((q) => [q.name, q.role === 'activation' ? [q.role] : [q.role, nodes[q.layer!].name!]]));
}

const count = (k: Map<string, [string, string?]>, kind: string) => [...k.values()].filter((v) => v[0] === kind).length;

describe('quantizer kinds on the real models', () => {
  const files = fs.readdirSync(TEST_MODELS).filter((f) => f.endsWith('.onnx'));
  // weight / bias / activation counts, from what each model is (TFC: 4 MatMul layers; ESPCN: 4 Conv
  // layers with plain float biases; the FP8 model: one Gemm with FloatQuant input and weights)
  const COUNTS: Record<string, [number, number, number]> = {
    'zoo_TFC_2W2A.onnx': [4, 0, 4],
    'zoo_TFC_1W2A.onnx': [4, 0, 4],
    'zoo_TFC_1W1A.onnx': [4, 0, 4],
    'qonnx_espcn_subpixel_quant.onnx': [4, 0, 4],
    'qonnx_espcn_nnresize_quant.onnx': [4, 0, 5],
    'qonnx_act_weight_fp8.onnx': [1, 0, 1],
    'qonnx_hist_qkeras_qactivation_16.onnx': [0, 0, 1],
    'qonnx_eltwise_chanlast_testcase.onnx': [0, 0, 1],
  };
  it('the files with quantizers are the ones counted here', () => {
    const withQuantizers = files.filter((f) => listQuantizers(decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))))).length > 0);
    expect(withQuantizers.sort()).toEqual(Object.keys(COUNTS).sort());
  });
  for (const f of Object.keys(COUNTS)) {
    it(`${f}: every quantizer's kind and layer match the walk back from the layers`, () => {
      const m = decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))));
      const exp = expectedKinds(m);
      expect(actualKinds(m)).toEqual(exp);
      expect([count(exp, 'weight'), count(exp, 'bias'), count(exp, 'activation')]).toEqual(COUNTS[f]);
    });
  }
});

describe('quantizer kinds on exporter-shaped models', () => {
  it('Brevitas Gemm: the bias quantizer (computed scale and bit width) is a bias, not a weight', () => {
    const m = brevitasGemm();
    expect(actualKinds(m)).toEqual(expectedKinds(m));
    expect(Object.fromEntries(actualKinds(m))).toEqual({
      Quant_in: ['activation'],
      Quant_w1: ['weight', 'Gemm_1'],
      Quant_b1: ['bias', 'Gemm_1'],
      Quant_a1: ['activation'],
      Quant_w2: ['weight', 'Gemm_2'],
    });
  });

  it('QKeras Dense (MatMul + Add): the four weight and bias constants split into two of each', () => {
    const m = qkerasDense();
    expect(actualKinds(m)).toEqual(expectedKinds(m));
    expect(count(actualKinds(m), 'weight')).toBe(2);
    expect(count(actualKinds(m), 'bias')).toBe(2);
    // Add_2 has the bias first: the order of the Add's operands does not matter
    expect(actualKinds(m).get('Quant_b2')).toEqual(['bias', 'MatMul_2']);
  });

  it('Conv: bias input quantizer, a bias through Reshape into an Add, and a residual activation into an Add', () => {
    const m = convBias();
    expect(actualKinds(m)).toEqual(expectedKinds(m));
    expect(Object.fromEntries(actualKinds(m))).toEqual({
      Quant_in: ['activation'],
      Quant_w1: ['weight', 'Conv_1'],
      Quant_b1: ['bias', 'Conv_1'],
      Quant_skip: ['activation'],
      Quant_w2: ['weight', 'Conv_2'],
      Quant_b2: ['bias', 'Conv_2'],
    });
  });

  it("a quantizer of computed data that reaches MatMul's input 1 (attention's K) is an activation", () => {
    const m = qkerasDense();
    const g = m.graph!;
    // Quant_w2 now quantizes the activation a1q (a graph-input-derived tensor) instead of the constant W2
    const nodes = g.node!.map((n) => (n.name === 'Quant_w2' ? { ...n, input: ['r1', ...n.input!.slice(1)] } : n));
    const edited: Model = decodeModel(encodeModel({ ...m, graph: { ...g, node: nodes } }));
    const idx = indexGraph(edited.graph!);
    const k = nodes.findIndex((n) => n.name === 'Quant_w2');
    expect(isConstantTensor(idx, 'r1')).toBe(false);
    expect(quantizerRole(idx, k)).toEqual({ role: 'activation' });
  });

  it('data computed from constants only (a Constant node, a Mul of initializers) still counts as a weight', () => {
    const m = qkerasDense();
    const g = m.graph!;
    const nodes = [
      { name: 'Const_c', opType: 'Constant', input: [], output: ['c2'], attribute: [{ name: 'value', type: 4, t: { dims: [int64From(1)], dataType: 1, floatData: [2] } }] },
      { name: 'Mul_w1', opType: 'Mul', input: ['W1', 'c2'], output: ['W1x2'] },
      ...g.node!.map((n) => (n.name === 'Quant_w1' ? { ...n, input: ['W1x2', ...n.input!.slice(1)] } : n)),
    ];
    const edited = decodeModel(encodeModel({ ...m, graph: { ...g, node: nodes } }));
    const q = listQuantizers(edited).find((x) => x.name === 'Quant_w1')!;
    expect(q.role).toBe('weight');
    expect(edited.graph!.node![q.layer!].name).toBe('MatMul_1');
  });
});

describe('isConstantTensor', () => {
  it('a tensor on a cycle is not constant, and the walk ends', () => {
    const nodes = [
      { name: 'a', opType: 'Add', input: ['W', 'r'], output: ['s'] },
      { name: 'b', opType: 'Relu', input: ['s'], output: ['r'] },
      { name: 'c', opType: 'Neg', input: ['W'], output: ['n'] },
    ];
    const idx = indexGraph({ node: nodes, initializer: [{ name: 'W', dims: [], dataType: 1, floatData: [1] }] });
    expect(isConstantTensor(idx, 's')).toBe(false);
    expect(isConstantTensor(idx, 'r')).toBe(false);
    expect(isConstantTensor(idx, 'n')).toBe(true);
    expect(isConstantTensor(idx, 'W')).toBe(true);
    expect(isConstantTensor(idx, 'nobody')).toBe(false);
  });

  it('a chain of 50,000 constant ops does not overflow the stack', () => {
    const nodes = Array.from({ length: 50000 }, (_, i) => ({ name: `n${i}`, opType: 'Neg', input: [i ? `t${i - 1}` : 'W'], output: [`t${i}`] }));
    const idx = indexGraph({ node: nodes, initializer: [{ name: 'W', dims: [], dataType: 1, floatData: [1] }] });
    expect(isConstantTensor(idx, 't49999')).toBe(true);
  });
});
