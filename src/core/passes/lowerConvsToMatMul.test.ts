/**
 * LowerConvsToMatMul, checked with the Engine against the original model: Conv runs in onnxruntime,
 * its lowering runs Im2Col (the project's kernel) and MatMul (onnxruntime), which sum the same
 * products in another order. Tolerance |d| <= 1e-5 |ref| + 1e-6 for float results (float32
 * summation-order differences); exact where all sums are exact (integer input, quantized weights);
 * for quantized models the float twin within that tolerance and quantization-step flips in under 0.1%
 * of the output elements (see convertToChannelsLast.test.ts for why).
 */
import { describe, expect, it } from 'vitest';
import { attrMap } from '../analysis/shapeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { convertToChannelsLast } from './convertToChannelsLast.js';
import { attrInts, attrString, readF32 } from './graphDraft.js';
import { lowerConvsToMatMul } from './lowerConvsToMatMul.js';
import { expectClose, expectCloseUpToFlips, expectEqual, expectHealthy, loadShared, opCounts, randomFeeds, runEngine } from './passTestHarness.js';
import { NetBuilder } from './testNets.js';

const REL = 1e-5, ABS = 1e-6;
const ops = (m: Model) => m.graph!.node!.map((n) => n.opType!);

async function compare(original: Model, lowered: Model, seed: number, mode: 'exact' | 'float' | 'quantized') {
  const feeds = randomFeeds(original, seed);
  const a = await runEngine(original, feeds);
  const b = await runEngine(lowered, feeds);
  for (const o of original.graph!.output!) {
    if (mode === 'exact') expectEqual(b.get(o.name!), a.get(o.name!), o.name!);
    else if (mode === 'float') expectClose(b.get(o.name!), a.get(o.name!), REL, ABS, o.name!);
    else expectCloseUpToFlips(b.get(o.name!), a.get(o.name!), REL, ABS, 1e-3, o.name!);
  }
  if (mode === 'quantized') {
    const fa = await runEngine(original, feeds, false, { bypassQuantizers: true });
    const fb = await runEngine(lowered, feeds, false, { bypassQuantizers: true });
    for (const o of original.graph!.output!) expectClose(fb.get(o.name!), fa.get(o.name!), REL, ABS, `float twin ${o.name}`);
  }
}

describe('lower-convs-to-matmul', () => {
  it('eltwise test case, then channels-last: the reference\'s op sequence, equal outputs', async () => {
    const m = loadShared('qonnx_eltwise_chanlast_testcase.onnx');
    const r = lowerConvsToMatMul.run(m, {});
    expect(ops(r.model)).toEqual(['Transpose', 'Im2Col', 'MatMul', 'Transpose', 'Mul', 'Add', 'Relu', 'Mul', 'Quant']);
    const im2col = r.model.graph!.node!.find((n) => n.opType === 'Im2Col')!;
    expect(attrMap(im2col)).toMatchObject({ stride: [2, 2], kernel_size: [3, 3], pad_amount: [0, 0, 0, 0], input_shape: '(1,224,224,3)', depthwise: 0, dilations: [1, 1] });
    const w = readF32(indexGraph(r.model.graph!).initializer.get(r.model.graph!.node!.find((n) => n.opType === 'MatMul')!.input![1]))!;
    expect(w.shape).toEqual([27, 32]);
    expectHealthy(r.model);
    await compare(m, r.model, 1, 'exact');
    const cl = convertToChannelsLast.run(r.model, {});
    expect(ops(cl.model)).toEqual(['Transpose', 'Im2Col', 'MatMul', 'Mul', 'Add', 'Relu', 'Mul', 'Quant', 'Transpose']);
    await compare(m, cl.model, 2, 'exact');
  }, 60_000);

  it('residual block (biases, 8x8 stride 4, padding 1): biases become Adds, every Conv lowered', async () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    const r = lowerConvsToMatMul.run(m, {});
    const c = opCounts(r.model);
    expect([c.Conv ?? 0, c.Im2Col, c.MatMul, c.Transpose, c.Add]).toEqual([0, 3, 3, 6, 4]);
    expectHealthy(r.model);
    await compare(m, r.model, 3, 'float');
  });

  it('MNIST conv (auto_pad SAME_UPPER): explicit padding 2 on each side', async () => {
    const m = loadShared('qonnx_mnist_conv_float.onnx');
    const r = lowerConvsToMatMul.run(m, {});
    const pads = r.model.graph!.node!.filter((n) => n.opType === 'Im2Col').map((n) => attrMap(n).pad_amount);
    expect(pads).toEqual([[2, 2, 2, 2], [2, 2, 2, 2]]);
    expectHealthy(r.model);
    await compare(m, r.model, 4, 'float');
  });

  it('ESPCN (per-channel quantized weights): the Quant reads the rearranged weight, its [OC,1,1,1] scale becomes [1, OC]', async () => {
    const m = loadShared('qonnx_espcn_subpixel_quant.onnx');
    const r = lowerConvsToMatMul.run(m, {});
    const g = r.model.graph!;
    const idx = indexGraph(g);
    const mm = g.node!.filter((n) => n.opType === 'MatMul');
    expect(mm).toHaveLength(4);
    const q = idx.nodes[idx.producer.get(mm[0].input![1])!];
    expect(q.opType).toBe('Quant');
    expect(readF32(idx.initializer.get(q.input![0]))!.shape).toEqual([3 * 5 * 5, 64]);
    expect(readF32(idx.initializer.get(q.input![1]))!.shape).toEqual([1, 64]);
    expectHealthy(r.model);
    await compare(m, r.model, 5, 'quantized');
  }, 120_000);

  it('depthwise (quantized), grouped, pointwise, dilated and strided SAME convs', async () => {
    const b = new NetBuilder(21);
    const wdw = b.quant(b.weight('w_dw', [4, 1, 3, 3]), 'q_dw', [4, 1, 1, 1], 4, true, true, 0.05, 0.1);
    let t = b.conv('x', wdw, b.weight('b_dw', [4]), { group: 4, pads: [1, 1, 1, 1] });
    t = b.op('Relu', [t]);
    t = b.conv(t, b.weight('w_g', [6, 2, 3, 3]), undefined, { group: 2, dilations: [2, 2], pads: [2, 2, 2, 2] });
    t = b.conv(t, b.weight('w_pw', [5, 6, 1, 1]), undefined, {});
    t = b.op('Conv', [t, b.weight('w_same', [3, 5, 3, 3])], [attrString('auto_pad', 'SAME_LOWER'), attrInts('strides', [2, 2])]);
    const m = b.model([{ name: 'x', shape: [1, 4, 10, 10] }], [t]);
    const r = lowerConvsToMatMul.run(m, {});
    expect(r.notes).toBeUndefined();
    const g = r.model.graph!;
    const idx = indexGraph(g);
    const im2cols = g.node!.filter((n) => n.opType === 'Im2Col').map((n) => attrMap(n));
    // the pointwise Conv needs no Im2Col
    expect(im2cols).toHaveLength(3);
    expect(im2cols.map((a) => a.depthwise)).toEqual([1, 0, 0]);
    expect(im2cols[2].pad_amount).toEqual([1, 1, 0, 0]); // SAME_LOWER, 10 -> 5 with stride 2: one pixel of padding, at the start
    const sparse = [...idx.annotation.entries()].filter(([, kv]) => kv.has('tensor_sparsity'));
    expect(sparse.map(([, kv]) => kv.get('tensor_sparsity'))).toEqual(["{'dw': {'kernel_shape': [3, 3]}}"]);
    expectHealthy(r.model);
    await compare(m, r.model, 6, 'float');
  });

  it('leaves Convs it cannot lower and says why', () => {
    const b = new NetBuilder(22);
    const c1 = b.conv('x', 'w_dyn', undefined, {});
    const c2 = b.op('Conv', ['x1d', b.weight('w1', [2, 3, 3])]);
    const m = b.model([{ name: 'x', shape: [1, 3, 4, 4] }, { name: 'w_dyn', shape: [2, 3, 1, 1] }, { name: 'x1d', shape: [1, 3, 8] }], [c1, c2]);
    const r = lowerConvsToMatMul.run(m, {});
    expect(r.modified).toBe(false);
    expect(r.model).toBe(m);
    expect(r.notes).toEqual(["Conv 'Conv_0' left unchanged: its weight is not an initializer or a Quant of one", "Conv 'Conv_1' left unchanged: it is not a 2-D convolution (input rank 3)"]);
  });
});
