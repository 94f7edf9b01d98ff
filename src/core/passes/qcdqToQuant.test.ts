/**
 * QCDQToQuant, mostly as the round trip Quant -> QCDQ -> Quant: every Quant must come back with the
 * same bit width, signed and narrow, and the model must compute exactly what the original computed
 * (Engine on both, bit for bit: the same kernels run on the same values). QCDQ models written by
 * others (no Clip, default axis, weights stored as int8) are checked against onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { attrMap } from '../analysis/shapeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import { int64From, type Model, type Node } from '../ir/types.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { f32Tensor, FLOAT_T, INT8_T, numericTensor, readF32, UINT8_T, valueInfo } from './graphDraft.js';
import { expectClose, expectEqual, expectHealthy, loadShared, opCounts, randomFeeds, runEngine, runPlainOrt } from './passTestHarness.js';
import { qcdqToQuant, quantRangeFor } from './qcdqToQuant.js';
import { quantToQcdq } from './quantToQcdq.js';
import { buildQuantNet, uniform } from './testNets.js';

interface QuantInfo {
  bits: number;
  signed: number;
  narrow: number;
  scaleShape: number[];
}

function quantsByOutput(m: Model): Map<string, QuantInfo> {
  const idx = indexGraph(m.graph!);
  const out = new Map<string, QuantInfo>();
  for (const n of idx.nodes) {
    if (resolveCustomOp(n, m)?.opType !== 'Quant') continue;
    const a = attrMap(n);
    out.set(n.output![0], {
      bits: readF32(idx.initializer.get(n.input![3]))!.data[0],
      signed: Number(a.signed ?? 1),
      narrow: Number(a.narrow ?? 1),
      scaleShape: readF32(idx.initializer.get(n.input![1]))!.shape,
    });
  }
  return out;
}

async function expectSameComputation(a: Model, b: Model, seed: number) {
  const feeds = randomFeeds(a, seed);
  const ra = await runEngine(a, feeds, true);
  const rb = await runEngine(b, feeds, true);
  for (const t of quantsByOutput(a).keys()) expectEqual(rb.get(t), ra.get(t), `quantized ${t}`);
  for (const o of a.graph!.output!) expectEqual(rb.get(o.name!), ra.get(o.name!), `output ${o.name}`);
}

describe('quantRangeFor', () => {
  it('finds (bits, narrow) from an integer range, and nothing for ranges no Quant has', () => {
    expect(quantRangeFor(true, -1, 1, 8)).toEqual({ bits: 2, narrow: true });
    expect(quantRangeFor(true, -8, 7, 8)).toEqual({ bits: 4, narrow: false });
    expect(quantRangeFor(true, -127, 127, 8)).toEqual({ bits: 8, narrow: true });
    expect(quantRangeFor(false, 0, 15, 8)).toEqual({ bits: 4, narrow: false });
    expect(quantRangeFor(false, 0, 14, 8)).toEqual({ bits: 4, narrow: true });
    expect(quantRangeFor(false, 0, 1, 8)).toEqual({ bits: 1, narrow: false });
    expect(quantRangeFor(false, 0, 10, 8)).toBeUndefined();
    expect(quantRangeFor(true, -1, 0, 8)).toBeUndefined(); // a signed 1-bit Quant is bipolar
  });
});

describe('qcdq-to-quant', () => {
  it('round trip on TFC_2W2A: the same 8 Quant nodes (2-bit signed narrow) and bit-identical results', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const qcdq = quantToQcdq.run(m, {}).model;
    const r = qcdqToQuant.run(qcdq, {});
    expect(r.modified).toBe(true);
    expect(r.notes).toBeUndefined();
    const c = opCounts(r.model);
    expect([c.Quant, c.QuantizeLinear ?? 0, c.Clip ?? 0, c.DequantizeLinear ?? 0]).toEqual([8, 0, 0, 0]);
    const before = quantsByOutput(m), after = quantsByOutput(r.model);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [t, q] of before) expect(after.get(t), t).toEqual(q);
    expectHealthy(r.model);
    await expectSameComputation(m, r.model, 4);
  });

  it('round trip on ESPCN: per-channel scales come back as [C,1,1,1]; 4- and 8-bit, signed and unsigned', async () => {
    const m = loadShared('qonnx_espcn_subpixel_quant.onnx');
    const r = qcdqToQuant.run(quantToQcdq.run(m, {}).model, {});
    const before = quantsByOutput(m), after = quantsByOutput(r.model);
    expect(after.size).toBe(before.size);
    for (const [t, q] of before) expect(after.get(t), t).toEqual(q);
    expectHealthy(r.model);
    await expectSameComputation(m, r.model, 8);
  }, 60_000);

  it('round trip of unusual ranges: unsigned narrow 8-bit, 5-bit narrow per channel, 3-bit unsigned', async () => {
    const m = buildQuantNet(
      [
        { bits: 8, signed: false, narrow: true },
        { bits: 5, signed: true, narrow: true, scaleShape: [3, 1] },
        { bits: 3, signed: false, narrow: false },
        { bits: 8, signed: true, narrow: false, scaleShape: [1, 3, 1] },
      ],
      [2, 3, 4],
    );
    const r = qcdqToQuant.run(quantToQcdq.run(m, {}).model, {});
    const before = quantsByOutput(m), after = quantsByOutput(r.model);
    // the [3, 1] scale comes back with the input's rank, [1, 3, 1]: the same broadcast
    before.get('y1')!.scaleShape = [1, 3, 1];
    for (const [t, q] of before) expect(after.get(t), t).toEqual(q);
    await expectSameComputation(m, r.model, 9);
  });

  it('weights stored as int8 (DequantizeLinear on an initializer): a Quant on the dequantized floats, at the type width', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const stored = quantToQcdq.run(m, { quantizeWeights: true }).model;
    const r = qcdqToQuant.run(stored, {});
    expect(opCounts(r.model).Quant).toBe(8);
    const before = quantsByOutput(m), after = quantsByOutput(r.model);
    for (const [t, q] of before) {
      const got = after.get(t)!;
      // activations come back exactly; int8 weights come back as 8-bit (the type says no more)
      expect(got.bits === q.bits ? got : { ...got, bits: q.bits, narrow: q.narrow }, t).toEqual(q);
    }
    expectHealthy(r.model);
    await expectSameComputation(m, r.model, 6);
  });

  it('a QCDQ model written elsewhere: no Clip, per-axis without an axis attribute (default 1), zero point 128', async () => {
    // x [2, 3, 4] -> QuantizeLinear (uint8, per channel on axis 1, zero point 128) -> DequantizeLinear -> y
    const s = uniform(3, 5, 0.01, 0.02);
    const model: Model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'qdq',
        node: [
          { name: 'q', opType: 'QuantizeLinear', domain: '', input: ['x', 's', 'z'], output: ['xq'] },
          { name: 'dq', opType: 'DequantizeLinear', domain: '', input: ['xq', 's', 'z'], output: ['y'] },
        ],
        initializer: [f32Tensor('s', { shape: [3], data: s }), numericTensor('z', UINT8_T, [3], [128, 128, 128])],
        input: [valueInfo('x', FLOAT_T, [2, 3, 4])],
        output: [valueInfo('y', FLOAT_T, [2, 3, 4])],
      },
    };
    const r = qcdqToQuant.run(model, {});
    expect(r.notes).toBeUndefined();
    const q = quantsByOutput(r.model).get('y')!;
    expect(q).toEqual({ bits: 8, signed: 0, narrow: 0, scaleShape: [1, 3, 1] });
    const feeds = randomFeeds(model, 2);
    const ref = await runPlainOrt(model, feeds);
    const got = await runEngine(r.model, feeds);
    // zero point 128 is even, so ties agree too
    expectEqual(got.get('y'), ref.get('y'), 'y');
  });

  it('chains it cannot fuse are left alone, each with a reason', () => {
    const base = quantToQcdq.run(buildQuantNet([{ bits: 4, signed: true, narrow: false }, { bits: 4, signed: false, narrow: false }, { bits: 4, signed: true, narrow: false }]), {}).model;
    const g = base.graph!;
    const clips = g.node!.filter((n) => n.opType === 'Clip');
    // chain 0: Clip bounds [0, 10] (no Quant range); chain 1: DequantizeLinear with another scale;
    // chain 2: the QuantizeLinear output is also a graph output
    const nodes: Node[] = g.node!.map((n) => {
      if (n === clips[0]) return { ...n, input: [n.input![0], 'lo10', 'hi10'] };
      if (n.opType === 'DequantizeLinear' && n.output![0] === 'y1') return { ...n, input: [n.input![0], 'other_scale', n.input![2]] };
      return n;
    });
    const q2 = g.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === 'x' && n.name!.startsWith('q2'))!;
    const m: Model = {
      ...base,
      graph: {
        ...g,
        node: nodes,
        initializer: [...g.initializer!, numericTensor('lo10', INT8_T, [], [0]), numericTensor('hi10', INT8_T, [], [10]), f32Tensor('other_scale', { shape: [], data: Float32Array.of(0.5) })],
        output: [...g.output!, valueInfo(q2.output![0], INT8_T, [2, 3, 2])],
      },
    };
    const r = qcdqToQuant.run(m, {});
    expect(r.modified).toBe(false);
    expect(r.notes).toEqual([
      "DequantizeLinear 'q0_DequantizeLinear' left unchanged: the integer range [0, 10] is not the range of any signed Quant bit width",
      "DequantizeLinear 'q1_DequantizeLinear' left unchanged: QuantizeLinear 'q1_QuantizeLinear' uses another scale, zero point or axis",
      "DequantizeLinear 'q2_DequantizeLinear' left unchanged: the quantized integers are also read elsewhere",
    ]);
  });

  it('a model without QuantizeLinear/DequantizeLinear is returned as is', () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    const r = qcdqToQuant.run(m, {});
    expect(r.modified).toBe(false);
    expect(r.model).toBe(m);
  });

  it('the float results of the fused model match onnxruntime on the QCDQ model', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const qcdq = quantToQcdq.run(m, {}).model;
    const back = qcdqToQuant.run(qcdq, {}).model;
    const feeds = randomFeeds(m, 31);
    const ref = await runPlainOrt(qcdq, feeds);
    const got = await runEngine(back, feeds);
    for (const o of m.graph!.output!) expectClose(got.get(o.name!), ref.get(o.name!), 1e-5, 1e-6, o.name!);
  });
});
