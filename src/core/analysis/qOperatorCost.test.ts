/**
 * QOperator models (issue 13, point 5): a float model from testdata quantized the way onnxruntime's
 * quantizer writes it (testing/ortQuantized.ts) in QOperator format (QLinearConv, QLinearMatMul,
 * QLinearAdd, QGemm, QLinearSoftmax), in QDQ format, and with dynamic quantization (ConvInteger,
 * MatMulInteger). Each costed layer must have the float model's MACs and output elements; the bits come
 * from the element types (INT8 / UINT8 -> 8, INT4 -> 4) with the QDQ form's datatype names; onnxruntime
 * runs every QOperator / integer model built here (so they are valid files) and its outputs follow the
 * float model's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import type { Model } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { quantToQcdq } from '../passes/quantToQcdq.js';
import { prepareFloat, quantizeLikeOrt, type QuantizeOptions } from '../testing/ortQuantized.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';
import { buildViewGraph } from '../view/viewGraph.js';
import { costJson, inferenceCost, type CostReport } from './inferenceCost.js';

ort.env.wasm.numThreads = 1;

const load = (f: string): Model => decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS, f))));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-qop-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Deterministic inputs in [-1, 1] (a sine ramp with a seed). */
function inputOf(model: Model, seed: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  for (const i of model.graph!.input!) {
    if (inits.has(i.name)) continue;
    const dims = i.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[i.name!] = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, k) => Math.sin(k * 0.37 + seed * 1.3)), dims);
  }
  return feeds;
}

/** Runs a model in onnxruntime; `all` also returns every float node output (for calibration). */
async function runOrt(model: Model, feeds: Record<string, ort.Tensor>, all = false): Promise<Record<string, ort.Tensor>> {
  let m = model;
  if (all) {
    const outs = new Set(m.graph!.output!.map((o) => o.name));
    const extra = m.graph!.node!.flatMap((n) => n.output ?? []).filter((o) => !outs.has(o)).map((name) => ({ name }));
    m = { ...m, graph: { ...m.graph, output: [...m.graph!.output!, ...extra] } };
  }
  const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled' });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** Calibration ranges of every float tensor over a few inputs, as onnxruntime's MinMax calibrator takes them. */
async function calibrate(float: Model): Promise<Map<string, [number, number]>> {
  const ranges = new Map<string, [number, number]>();
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const feeds = inputOf(float, seed);
    const r = { ...(await runOrt(float, feeds, true)), ...feeds };
    for (const [k, t] of Object.entries(r)) {
      const d = t.data as Float32Array;
      let lo = Infinity, hi = -Infinity;
      for (const v of d) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const cur = ranges.get(k);
      ranges.set(k, cur ? [Math.min(cur[0], lo), Math.max(cur[1], hi)] : [lo, hi]);
    }
  }
  return ranges;
}

const layers = (r: CostReport) => r.nodes.map((c) => ({ macs: c.macs, memOElems: c.memOElems, memWElems: c.memWElems }));
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

/** onnxruntime runs the model, and its output follows the float model's within 10% of the output's magnitude. */
async function expectRunsLikeFloat(m: Model, float: Model): Promise<void> {
  for (const seed of [5, 6]) {
    const out = await runOrt(m, inputOf(float, seed));
    const ref = await runOrt(float, inputOf(float, seed));
    for (const [k, t] of Object.entries(ref)) {
      const a = out[k].data as Float32Array, b = t.data as Float32Array;
      expect(a.length).toBe(b.length);
      expect(maxAbs(Array.from(a, (v, j) => v - b[j]))).toBeLessThan(0.1 * maxAbs(b));
    }
  }
}

describe.each([
  ['qonnx_mnist_conv_float.onnx', ['QLinearConv', 'QLinearConv', 'QLinearMatMul'], ['ConvInteger', 'ConvInteger', 'MatMulInteger']],
  ['qonnx_hist_keras_dense_conversion_float.onnx', ['QLinearMatMul', 'QLinearMatMul', 'QLinearMatMul'], ['MatMulInteger', 'MatMulInteger', 'MatMulInteger']],
])('%s quantized like onnxruntime', (file, qopTypes, integerTypes) => {
  const float = prepareFloat(load(file));
  const ranges = calibrate(float);
  const build = async (o: QuantizeOptions) => quantizeLikeOrt(float, await ranges, o);
  const plain = inferenceCost(float, { discountSparsity: false });
  const floatUnsupported = inferenceCost(float).uncosted.map((u) => u.opType);

  it('the float model has costed layers (the reference numbers every form must give)', () => {
    expect(plain.nodes.length).toBe(3);
    expect(plain.errors).toEqual([]);
    expect(plain.nodes.every((c) => c.macs > 0)).toBe(true);
  });

  it('QOperator (INT8 weights): the float MACs, weight and output elements per layer; 8 x 8 bits; the JSON keys of the QDQ form', async () => {
    const m = await build({ format: 'qoperator' });
    const r = inferenceCost(m, { discountSparsity: false });
    expect(r.errors).toEqual([]);
    expect(r.nodes.map((c) => c.opType)).toEqual(qopTypes);
    expect(layers(r)).toEqual(layers(plain));
    for (const c of r.nodes) {
      expect(c.raw).toEqual({ 'op_mac_SCALEDINT<8>_SCALEDINT<8>': c.macs, 'mem_w_SCALEDINT<8>': c.memWElems, mem_o_UINT8: c.memOElems });
      expect(c.bops).toBe(64 * c.macs);
      expect(c.memWBits).toBe(8 * c.memWElems);
      expect(c.memOBits).toBe(8 * c.memOElems);
      expect(c.referenceFails).toMatch(new RegExp(`^qonnx-inference-cost has no cost model for ${c.opType} \\(costed here as (Conv|MatMul)`));
    }
    expect(r.total_cost.total_macs).toBe(plain.total_cost.total_macs);
    expect(r.total_cost.total_bops).toBe(64 * (plain.total_cost.total_macs as number));
    // the free float ops stay free (QLinearAdd as Add); what the float model leaves out is left out here too (Softmax)
    expect(r.uncosted.map((u) => u.opType.replace(/^QLinear/, ''))).toEqual(floatUnsupported);
    await expectRunsLikeFloat(m, float);
  });

  it('QDQ (INT8 weights): the same per-layer numbers and keys as the QOperator form, nothing marked beyond the reference', async () => {
    const qdq = inferenceCost(await build({ format: 'qdq' }), { discountSparsity: false });
    const qop = inferenceCost(await build({ format: 'qoperator' }), { discountSparsity: false });
    expect(qdq.errors).toEqual([]);
    expect(layers(qdq)).toEqual(layers(plain));
    expect(qdq.nodes.map((c) => c.raw['op_mac_SCALEDINT<8>_SCALEDINT<8>'])).toEqual(qop.nodes.map((c) => c.macs));
    expect(qdq.nodes.map((c) => c.raw['mem_w_SCALEDINT<8>'])).toEqual(qop.nodes.map((c) => c.memWElems));
    expect(qdq.nodes.map((c) => c.bops)).toEqual(qop.nodes.map((c) => c.bops));
    expect(qdq.nodes.filter((c) => c.referenceFails)).toEqual([]);
    await expectRunsLikeFloat(await build({ format: 'qdq' }), float);
  });

  it('with sparsity discounted, a weight counts as zero where it equals its zero point: QOperator and QDQ agree', async () => {
    for (const weight of ['int8', 'uint8'] as const) {
      const qop = inferenceCost(await build({ format: 'qoperator', weight }));
      const qdq = inferenceCost(await build({ format: 'qdq', weight }));
      expect(qop.nodes.map((c) => [c.macs, c.memWElems, c.density])).toEqual(qdq.nodes.map((c) => [c.macs, c.memWElems, c.density]));
    }
  });

  it('UINT8 weights (zero point 128) count 8 bits; INT4 weights 4 bits, in both forms', async () => {
    const u8 = inferenceCost(await build({ format: 'qoperator', weight: 'uint8' }), { discountSparsity: false });
    expect(layers(u8)).toEqual(layers(plain));
    for (const c of u8.nodes) expect([c.weightDatatype, c.bops, c.memWBits]).toEqual(['SCALEDINT<8>', 64 * c.macs, 8 * c.memWElems]);
    await expectRunsLikeFloat(await build({ format: 'qoperator', weight: 'uint8' }), float);
    for (const format of ['qoperator', 'qdq'] as const) {
      const r = inferenceCost(await build({ format, weight: 'int4' }), { discountSparsity: false });
      expect(r.errors).toEqual([]);
      expect(layers(r)).toEqual(layers(plain));
      for (const c of r.nodes) {
        expect(Object.keys(c.raw).filter((k) => !k.startsWith('mem_o'))).toEqual(['op_mac_SCALEDINT<8>_SCALEDINT<4>', 'mem_w_SCALEDINT<4>']);
        expect(c.bops).toBe(32 * c.macs);
        expect(c.memWBits).toBe(4 * c.memWElems);
      }
    }
  });

  it('dynamic quantization (ConvInteger / MatMulInteger): UINT8 x INT8 into INT32, the float MACs', async () => {
    const m = await build({ format: 'integer' });
    const r = inferenceCost(m, { discountSparsity: false });
    expect(r.errors).toEqual([]);
    expect(r.nodes.map((c) => c.opType)).toEqual(integerTypes);
    expect(layers(r)).toEqual(layers(plain));
    for (const c of r.nodes) {
      expect(c.raw).toEqual({ op_mac_UINT8_INT8: c.macs, mem_w_INT8: c.memWElems, mem_o_INT32: c.memOElems });
      expect(c.bops).toBe(64 * c.macs);
      expect(c.memOBits).toBe(32 * c.memOElems);
    }
    // DynamicQuantizeLinear is free like QuantizeLinear; Cast has no cost model in the reference
    expect(r.freeOps).toContain('DynamicQuantizeLinear');
    await expectRunsLikeFloat(m, float);
  });
});

describe('QGemm (com.microsoft): MatMul + bias Add of an MLP as one layer', () => {
  const file = 'qonnx_hist_keras_dense_conversion_float.onnx';
  const float = prepareFloat(load(file));
  it('costed as Gemm with the float MACs and INT8 bits; onnxruntime runs it', async () => {
    const m = quantizeLikeOrt(float, await calibrate(float), { format: 'qoperator', gemm: true });
    expect(m.graph!.node!.filter((n) => n.opType === 'QGemm' && n.domain === 'com.microsoft').length).toBe(3);
    const r = inferenceCost(m, { discountSparsity: false });
    expect(r.errors).toEqual([]);
    expect(r.nodes.map((c) => c.opType)).toEqual(['QGemm', 'QGemm', 'QGemm']);
    expect(layers(r)).toEqual(layers(inferenceCost(float, { discountSparsity: false })));
    for (const c of r.nodes) expect(c.raw).toEqual({ 'op_mac_SCALEDINT<8>_SCALEDINT<8>': c.macs, 'mem_w_SCALEDINT<8>': c.memWElems, mem_o_UINT8: c.memOElems });
    await expectRunsLikeFloat(m, float);
  });
});

describe('QCDQ: weights fold through QuantizeLinear -> Clip -> DequantizeLinear, as the reference folds them (with onnxruntime)', () => {
  // qonnx's published TFC_2W2A figures: 59008 MACs dense, 22355 with sparsity discounted (QONNX.md)
  const quant = load('zoo_TFC_2W2A.onnx');
  const qcdq = quantToQcdq.run(quant, {}).model;
  it.each([false, true])('TFC_2W2A in QCDQ form (discount sparsity %s): the Quant form\'s MACs and weight elements per layer', (discountSparsity) => {
    expect((qcdq.graph?.node ?? []).filter((n) => n.opType === 'Quant')).toEqual([]);
    const a = inferenceCost(quant, { discountSparsity });
    const b = inferenceCost(qcdq, { discountSparsity });
    expect(b.errors).toEqual([]);
    expect(b.nodes.map((c) => [c.opType, c.macs, c.memWElems])).toEqual(a.nodes.map((c) => [c.opType, c.macs, c.memWElems]));
    expect(b.total_cost.total_macs).toBe(discountSparsity ? 22355 : 59008);
  });
});

describe('the CLI and the graph', () => {
  const float = prepareFloat(load('qonnx_mnist_conv_float.onnx'));
  it('cost prints the JSON with the QOperator layers and names them on stderr as beyond the reference', async () => {
    const m = quantizeLikeOrt(float, await calibrate(float), { format: 'qoperator' });
    const f = path.join(tmp, 'mnist_qop.onnx');
    fs.writeFileSync(f, encodeModel(m));
    let stdout = '';
    let stderr = '';
    expect(await run(['cost', f, '--cost-breakdown'], { out: (x) => (stdout += x), err: (x) => (stderr += x) })).toBe(0);
    const r = inferenceCost(m);
    expect(stdout).toBe(costJson(r, true) + '\n');
    const json = JSON.parse(stdout);
    expect(json.total_cost.unsupported).toBe('set()');
    expect(Object.keys(json.optype_cost).sort()).toEqual(['QLinearConv', 'QLinearMatMul']);
    expect(stderr).toContain('qonnx-inference-cost cannot cost 3 layers counted here (QOperator, costed as their float ops)');
    for (const c of r.nodes) expect(stderr).toContain(`  ${c.name}: qonnx-inference-cost has no cost model for ${c.opType} (costed here as`);
    expect(stderr).not.toContain('partial');
  });

  it('QOperator nodes carry their element types as badges, the QDQ quantizers theirs', async () => {
    const m = quantizeLikeOrt(float, await calibrate(float), { format: 'qoperator' });
    const vg = buildViewGraph(m, { showConstants: false });
    const badge = (op: string) => vg.nodes.filter((n) => n.title === op).map((n) => n.badge);
    expect(badge('QLinearConv')).toEqual(['UINT8 × INT8 → UINT8', 'UINT8 × INT8 → UINT8']);
    expect(badge('QLinearMatMul')).toEqual(['UINT8 × INT8 → UINT8']);
    expect(badge('QLinearAdd')).toEqual(['UINT8 → UINT8']);
    expect(badge('QuantizeLinear')).toEqual(['UINT8']);
    // drawn in the colour of the float op they stand for
    expect(vg.nodes.filter((n) => n.title.startsWith('QLinear')).map((n) => [n.title, n.category])).toEqual([
      ['QLinearConv', 'compute'],
      ['QLinearConv', 'compute'],
      ['QLinearMatMul', 'compute'],
      ['QLinearAdd', 'elementwise'],
    ]);
    const i4 = buildViewGraph(quantizeLikeOrt(float, await calibrate(float), { format: 'qoperator', weight: 'int4' }), { showConstants: false });
    expect(i4.nodes.filter((n) => n.title === 'QLinearConv').map((n) => n.badge)).toEqual(['UINT8 × INT4 → UINT8', 'UINT8 × INT4 → UINT8']);
    // grouped into layers, a QLinearConv keeps its badge
    const grouped = buildViewGraph(m, { showConstants: false, groupLayers: true });
    expect(grouped.nodes.filter((n) => n.title === 'QLinearConv').map((n) => n.badge)).toEqual(['UINT8 × INT8 → UINT8', 'UINT8 × INT8 → UINT8']);
  });
});
