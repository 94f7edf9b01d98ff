/**
 * QuantToQCDQ on real models. The converted model holds standard ops only, so it runs in a plain
 * onnxruntime session (no Engine, no QONNX kernels); its quantized tensors (every former Quant output)
 * must equal, bit for bit, what the Engine computes on the original, and its graph outputs must agree
 * within 1e-5 relative (+1e-6 absolute): the float ops after the quantizers run in one unoptimized
 * session here and in optimized segments in the Engine, which may sum in another order. Run through
 * the Engine itself, the converted model gives the original's results bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { int64ToNumber, type Model } from '../ir/types.js';
import { readF32, readNumbers } from './graphDraft.js';
import { expectClose, expectEqual, expectHealthy, loadShared, opCounts, randomFeeds, runEngine, runPlainOrt } from './passTestHarness.js';
import { quantToQcdq } from './quantToQcdq.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { buildQuantNet } from './testNets.js';

const quantOutputs = (m: Model) => (m.graph?.node ?? []).filter((n) => resolveCustomOp(n, m)?.opType === 'Quant').map((n) => n.output![0]);
const defaultOpset = (m: Model) => int64ToNumber((m.opsetImport ?? []).find((o) => !o.domain)?.version);

async function checkAgainstOriginal(original: Model, converted: Model, seed: number) {
  const back = expectHealthy(converted);
  expect((back.graph?.node ?? []).every((n) => !n.domain || n.domain === 'ai.onnx'), 'only standard ops').toBe(true);
  const qs = quantOutputs(original);
  const feeds = randomFeeds(original, seed);
  const ref = await runEngine(original, feeds, true);
  const got = await runPlainOrt(back, feeds, qs);
  for (const t of qs) expectEqual(got.get(t), ref.get(t), `quantized tensor ${t}`);
  for (const o of original.graph?.output ?? []) expectClose(got.get(o.name!), ref.get(o.name!), 1e-5, 1e-6, `output ${o.name}`);
  // the Engine on the converted model (its sessions cut and optimized like the original's): identical
  const viaEngine = await runEngine(back, feeds, true);
  for (const t of qs) expectEqual(viaEngine.get(t), ref.get(t), `Engine: quantized tensor ${t}`);
  for (const o of original.graph?.output ?? []) expectEqual(viaEngine.get(o.name!), ref.get(o.name!), `Engine: output ${o.name}`);
}

describe('quant-to-qcdq', () => {
  it('TFC_2W2A (opset 9): 8 Quant -> 8 QuantizeLinear + 8 Clip + 8 DequantizeLinear (as the reference counts); runs in plain onnxruntime', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const r = quantToQcdq.run(m, {});
    expect(r.modified).toBe(true);
    expect(r.notes).toBeUndefined();
    const c = opCounts(r.model);
    expect([c.Quant ?? 0, c.QuantizeLinear, c.Clip, c.DequantizeLinear]).toEqual([0, 8, 8, 8]);
    expect(defaultOpset(r.model)).toBe(13);
    expect(int64ToNumber(r.model.irVersion)).toBeGreaterThanOrEqual(7);
    // the opset-9 Unsqueeze of the exporter's Shape->Gather->Unsqueeze chain now reads its axes as an input
    const unsq = r.model.graph!.node!.find((n) => n.opType === 'Unsqueeze')!;
    expect(unsq.input).toHaveLength(2);
    expect((unsq.attribute ?? []).some((a) => a.name === 'axes')).toBe(false);
    // every quantizer of TFC_2W2A is signed narrow 2-bit: Clip to [-1, 1] in int8
    const g = r.model.graph!;
    const idx = indexGraph(g);
    const clips = g.node!.filter((n) => n.opType === 'Clip').map((n) => [readNumbers(idx.initializer.get(n.input![1]))!, readNumbers(idx.initializer.get(n.input![2]))!]);
    for (const [lo, hi] of clips) expect([lo.dataType, lo.data[0], hi.dataType, hi.data[0]]).toEqual([3, -1, 3, 1]);
    await checkAgainstOriginal(m, r.model, 11);
  });

  it('ESPCN (opset 11, per-channel weight scales): QuantizeLinear/DequantizeLinear carry axis 0 and 1-D scales; unsigned 4-bit activations clip to [0, 15] in uint8', async () => {
    const m = loadShared('qonnx_espcn_subpixel_quant.onnx');
    const r = quantToQcdq.run(m, {});
    expect(r.modified).toBe(true);
    const g = r.model.graph!;
    const idx = indexGraph(g);
    const perAxis = g.node!.filter((n) => n.opType === 'DequantizeLinear' && (n.attribute ?? []).some((a) => a.name === 'axis'));
    // three of the four weight quantizers are per output channel, the last one per tensor
    expect(perAxis.length).toBe(3);
    const clips = g.node!.filter((n) => n.opType === 'Clip').map((n) => [readNumbers(idx.initializer.get(n.input![1]))!, readNumbers(idx.initializer.get(n.input![2]))!]);
    expect(clips.some(([lo, hi]) => lo.dataType === 2 && lo.data[0] === 0 && hi.data[0] === 15)).toBe(true);
    for (const n of perAxis) {
      expect(int64ToNumber(n.attribute!.find((a) => a.name === 'axis')!.i)).toBe(0);
      const s = readF32(idx.initializer.get(n.input![1]))!;
      // back through Clip and QuantizeLinear to the float weight
      let t = n.input![0];
      while (!idx.initializer.has(t)) t = idx.nodes[idx.producer.get(t)!].input![0];
      expect(s.shape).toEqual([int64ToNumber(idx.initializer.get(t)!.dims![0])]);
    }
    expect(opCounts(r.model).Quant ?? 0).toBe(0);
    await checkAgainstOriginal(m, r.model, 5);
  }, 60_000);

  it('ESPCN with nearest Resize (opset 11 -> 13): converts and runs in plain onnxruntime', async () => {
    const m = loadShared('qonnx_espcn_nnresize_quant.onnx');
    const r = quantToQcdq.run(m, {});
    expect(r.notes).toBeUndefined();
    expect(opCounts(r.model).Quant ?? 0).toBe(0);
    expect(defaultOpset(r.model)).toBe(13);
    await checkAgainstOriginal(m, r.model, 13);
  }, 60_000);

  it('quantizeWeights: weight quantizers become int8 initializers read by DequantizeLinear alone', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const r = quantToQcdq.run(m, { quantizeWeights: true });
    const g = r.model.graph!;
    const idx = indexGraph(g);
    const c = opCounts(r.model);
    // 4 weight quantizers lose their QuantizeLinear and Clip
    expect([c.QuantizeLinear, c.Clip, c.DequantizeLinear]).toEqual([4, 4, 8]);
    const intWeights = g.node!.filter((n) => n.opType === 'DequantizeLinear' && idx.initializer.has(n.input![0])).map((n) => readNumbers(idx.initializer.get(n.input![0]))!);
    expect(intWeights).toHaveLength(4);
    for (const w of intWeights) {
      expect(w.dataType).toBe(3);
      expect(Math.min(...w.data)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...w.data)).toBeLessThanOrEqual(1);
    }
    await checkAgainstOriginal(m, r.model, 12);
  });

  it('skips what QCDQ cannot express and says why; the rest converts', async () => {
    const m = buildQuantNet([
      { bits: 4, signed: true, narrow: false },
      { bits: 1, signed: true, narrow: false },
      { bits: 12, signed: true, narrow: false },
      { bits: 4, signed: false, narrow: false, rounding: 'FLOOR' },
      { bits: 4, signed: true, narrow: false, zeropt: 1 },
      { bits: 4, signed: true, narrow: false, scaleShape: [1, 3, 2] },
      { bits: 8, signed: false, narrow: true },
      { bits: 8, signed: true, narrow: false },
    ]);
    const r = quantToQcdq.run(m, {});
    expect(r.modified).toBe(true);
    expect(r.notes).toEqual([
      "Quant 'q1' left unchanged: its bit width 1 is outside 2..8",
      "Quant 'q2' left unchanged: its bit width 12 is outside 2..8",
      "Quant 'q3' left unchanged: its rounding mode is FLOOR, not ROUND",
      "Quant 'q4' left unchanged: its zero point is not 0",
      "Quant 'q5' left unchanged: its scale of shape [1, 3, 2] is neither per-tensor nor per-channel",
    ]);
    const c = opCounts(r.model);
    expect(c.Quant).toBe(5);
    expect(c.QuantizeLinear).toBe(3);
    // 4-bit and unsigned narrow 8-bit need a Clip (the reference forgets the latter); int8 does not
    expect(c.Clip).toBe(2);
    expectHealthy(r.model);
    // the mixed model still runs (Engine) and computes what it did
    const feeds = randomFeeds(m, 3);
    const a = await runEngine(m, feeds);
    const b = await runEngine(r.model, feeds);
    for (const o of m.graph!.output!) expectEqual(b.get(o.name!), a.get(o.name!), o.name!);
  });

  it('a model without convertible Quant nodes is returned as is', () => {
    const m = loadShared('qonnx_hist_qkeras_qactivation_16.onnx');
    const r = quantToQcdq.run(m, {});
    expect(r.modified).toBe(false);
    expect(r.model).toBe(m);
    expect(r.notes?.[0]).toMatch(/bit width 1 is outside 2\.\.8/);
  });

  it('per-channel scale of lower rank than the input: axis counted from the right (numpy broadcasting)', async () => {
    const m = buildQuantNet([{ bits: 5, signed: true, narrow: true, scaleShape: [3, 1, 1] }], [2, 3, 4, 4]);
    const r = quantToQcdq.run(m, {});
    const dq = r.model.graph!.node!.find((n) => n.opType === 'DequantizeLinear')!;
    expect(int64ToNumber(dq.attribute!.find((a) => a.name === 'axis')!.i)).toBe(1);
    await checkAgainstOriginal(m, r.model, 21);
  });
});
