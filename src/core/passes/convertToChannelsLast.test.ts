/**
 * ConvertToChannelsLastAndClean on real models and small built ones. The converted model runs in the
 * Engine (the channels-last Conv/MaxPool/BatchNormalization run on the project's float32 kernels) and
 * is compared with the Engine on the original (where those ops run in onnxruntime).
 *
 * Tolerances: where the inputs and weights make every sum exact (the eltwise test case: UINT8 input,
 * quantized weights) the outputs are equal bit for bit. Float models: |d| <= 1e-5 |ref| + 1e-6, the
 * difference between summing a convolution in float64 (kernel, rounded once) and in float32
 * (onnxruntime): measured at most ~1.5e-6 relative on these models. Quantized models with float
 * convolutions: the same tolerance on the float twin (quantizers bypassed); with quantizers on, a
 * value that sits within rounding error of a quantization threshold may land on the neighbouring
 * level (and shift later layers), so such flips are allowed in under 0.1% of the output elements.
 */
import { describe, expect, it } from 'vitest';
import { int64ToNumber, type Model } from '../ir/types.js';
import { shapeOfType } from '../ir/tensorInfo.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { CHANNELS_LAST_DOMAIN } from '../qonnx/registry.js';
import { attrInt, attrInts, transposeData } from './graphDraft.js';
import { convertToChannelsLast } from './convertToChannelsLast.js';
import { expectClose, expectCloseUpToFlips, expectEqual, expectHealthy, loadShared, opCounts, randomFeeds, runEngine } from './passTestHarness.js';
import { NetBuilder } from './testNets.js';

const REL = 1e-5, ABS = 1e-6;

const opsWithDomain = (m: Model) => m.graph!.node!.map((n) => (n.domain === CHANNELS_LAST_DOMAIN ? `${n.opType}(CL)` : n.opType!));

/** The same feeds with the first graph input transposed to channels-last. */
function channelsLastFeeds(feeds: Map<string, RuntimeTensor>, name: string): Map<string, RuntimeTensor> {
  const out = new Map(feeds);
  const t = feeds.get(name)!;
  const r = t.shape.length;
  const perm = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  const tr = transposeData(t.shape, Float32Array.from(t.data as Float32Array), perm);
  out.set(name, { dataType: 1, shape: tr.shape, data: tr.data });
  return out;
}

async function compare(original: Model, converted: Model, seed: number, mode: 'exact' | 'float' | 'quantized', clInput = false) {
  const feeds = randomFeeds(original, seed);
  const inName = original.graph!.input![0].name!;
  const a = await runEngine(original, feeds);
  const b = await runEngine(converted, clInput ? channelsLastFeeds(feeds, inName) : feeds);
  for (const o of original.graph!.output!) {
    if (mode === 'exact') expectEqual(b.get(o.name!), a.get(o.name!), o.name!);
    else if (mode === 'float') expectClose(b.get(o.name!), a.get(o.name!), REL, ABS, o.name!);
    else expectCloseUpToFlips(b.get(o.name!), a.get(o.name!), REL, ABS, 1e-3, o.name!);
  }
  if (mode === 'quantized') {
    const fa = await runEngine(original, feeds, false, { bypassQuantizers: true });
    const fb = await runEngine(converted, clInput ? channelsLastFeeds(feeds, inName) : feeds, false, { bypassQuantizers: true });
    for (const o of original.graph!.output!) expectClose(fb.get(o.name!), fa.get(o.name!), REL, ABS, `float twin ${o.name}`);
  }
}

describe('convert-to-channels-last', () => {
  it('eltwise test case: Transpose, Conv (channels last), Mul, Add, Relu, Mul, Quant, Transpose; equal outputs', async () => {
    const m = loadShared('qonnx_eltwise_chanlast_testcase.onnx');
    const r = convertToChannelsLast.run(m, {});
    expect(r.modified).toBe(true);
    expect(r.notes).toBeUndefined();
    expect(opsWithDomain(r.model)).toEqual(['Transpose', 'Conv(CL)', 'Mul', 'Add', 'Relu', 'Mul', 'Quant', 'Transpose']);
    // the per-channel Mul/Add parameters [1, 32, 1, 1] were transposed to [1, 1, 1, 32]
    const mul = r.model.graph!.node!.find((n) => n.opType === 'Mul')!;
    const p = r.model.graph!.initializer!.find((t) => t.name === mul.input![1])!;
    expect(p.dims!.map((d) => int64ToNumber(d))).toEqual([1, 1, 1, 32]);
    expect(r.model.opsetImport!.some((o) => o.domain === CHANNELS_LAST_DOMAIN)).toBe(true);
    expectHealthy(r.model);
    await compare(m, r.model, 1, 'exact');
    // a second run has nothing left to do
    expect(convertToChannelsLast.run(r.model, {}).modified).toBe(false);
  }, 60_000);

  it('eltwise test case with makeInputChannelsLast: the input becomes [1, 224, 224, 3] and its Transpose goes', async () => {
    const m = loadShared('qonnx_eltwise_chanlast_testcase.onnx');
    const r = convertToChannelsLast.run(m, { makeInputChannelsLast: true });
    expect(opsWithDomain(r.model)).toEqual(['Conv(CL)', 'Mul', 'Add', 'Relu', 'Mul', 'Quant', 'Transpose']);
    const inp = r.model.graph!.input![0];
    expect(shapeOfType(inp.type)).toEqual([1, 224, 224, 3]);
    const layout = r.model.graph!.quantizationAnnotation!.find((a) => a.tensorName === inp.name)!.quantParameterTensorNames!.find((kv) => kv.key === 'tensor_layout')!.value;
    expect(layout).toBe("['N', 'H', 'W', 'C']");
    expectHealthy(r.model);
    await compare(m, r.model, 2, 'exact', true);
  }, 60_000);

  it('residual block: every Conv and the MaxPool channels-last, the residual Add between them, one Transpose at each end', async () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    const r = convertToChannelsLast.run(m, {});
    expect(opsWithDomain(r.model)).toEqual(['Transpose', 'Conv(CL)', 'Conv(CL)', 'Relu', 'Conv(CL)', 'Relu', 'Add', 'MaxPool(CL)', 'Transpose']);
    expectHealthy(r.model);
    await compare(m, r.model, 3, 'float');
  }, 60_000);

  it('MNIST conv (auto_pad SAME_UPPER, [C,1,1] biases, Reshape -> MatMul): the flatten Transpose is absorbed into the MatMul weight', async () => {
    const m = loadShared('qonnx_mnist_conv_float.onnx');
    const r = convertToChannelsLast.run(m, {});
    expect(r.notes).toBeUndefined();
    expect(opsWithDomain(r.model)).toEqual(['Transpose', 'Conv(CL)', 'Add', 'Relu', 'MaxPool(CL)', 'Conv(CL)', 'Add', 'Relu', 'MaxPool(CL)', 'Flatten', 'MatMul', 'Add']);
    expectHealthy(r.model);
    await compare(m, r.model, 4, 'float');
    const r2 = convertToChannelsLast.run(m, { makeInputChannelsLast: true });
    expect(opCounts(r2.model).Transpose ?? 0).toBe(0);
    await compare(m, r2.model, 5, 'float', true);
  }, 60_000);

  it('ESPCN (quantized, BatchNormalization, DepthToSpace): convs and BNs channels-last, a Transpose stays before DepthToSpace', async () => {
    const m = loadShared('qonnx_espcn_subpixel_quant.onnx');
    const r = convertToChannelsLast.run(m, {});
    const ops = opsWithDomain(r.model);
    expect(ops.filter((o) => o === 'Conv(CL)')).toHaveLength(4);
    expect(ops.filter((o) => o === 'BatchNormalization(CL)')).toHaveLength(3);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
    expect(ops[ops.indexOf('DepthToSpace') - 1]).toBe('Transpose');
    expectHealthy(r.model);
    await compare(m, r.model, 6, 'quantized');
  }, 120_000);

  it('TFC (no layout-sensitive op): no Transpose left; with makeInputChannelsLast one stays at the input (as the reference expects)', async () => {
    const m = loadShared('zoo_TFC_2W2A.onnx');
    const r = convertToChannelsLast.run(m, {});
    expect(opCounts(r.model).Transpose ?? 0).toBe(0);
    await compare(m, r.model, 7, 'exact');
    const r2 = convertToChannelsLast.run(m, { makeInputChannelsLast: true });
    expect(opCounts(r2.model).Transpose).toBe(1);
    await compare(m, r2.model, 8, 'exact', true);
  });

  it('1-d network (3-d tensors, where to-first and to-last are the same permutation): terminates, lower-rank computed input gets Unsqueeze + Transpose', async () => {
    const b = new NetBuilder(11);
    let t = b.conv('x', b.weight('w', [6, 4, 3]), b.weight('bias', [6]), { pads: [1, 1], strides: [1], dilations: [1], kernel: [3] });
    t = b.bn(t, 'bn', 6);
    t = b.op('Relu', [t]);
    t = b.op('MaxPool', [t], [attrInts('kernel_shape', [2]), attrInts('strides', [2])]);
    t = b.op('Add', [t, 'y']); // y: [6, 8], a computed input of lower rank
    const m = b.model([{ name: 'x', shape: [1, 4, 16] }, { name: 'y', shape: [6, 8] }], [t]);
    const r = convertToChannelsLast.run(m, {});
    const ops = opsWithDomain(r.model);
    expect(ops.filter((o) => o.endsWith('(CL)'))).toEqual(['Conv(CL)', 'BatchNormalization(CL)', 'MaxPool(CL)']);
    expect(ops).toContain('Unsqueeze');
    expectHealthy(r.model);
    await compare(m, r.model, 9, 'float');
  });

  it('leaves what it cannot convert and says why; BatchNormalization on [N, C] needs no conversion', async () => {
    const b = new NetBuilder(12);
    const c3 = b.op('Conv', ['x5', b.weight('w3', [2, 2, 1, 1, 1])], [attrInts('kernel_shape', [1, 1, 1])]);
    const mp = b.op('MaxPool', ['x4'], [attrInts('kernel_shape', [2, 2]), attrInt('storage_order', 0)]);
    b.nodes[b.nodes.length - 1].output = [mp, 'indices'];
    const bn = b.bn('x2', 'bn', 3);
    const m = b.model([{ name: 'x5', shape: [1, 2, 2, 2, 2] }, { name: 'x4', shape: [1, 2, 4, 4] }, { name: 'x2', shape: [2, 3] }], [c3, mp, 'indices', bn]);
    const r = convertToChannelsLast.run(m, {});
    expect(r.modified).toBe(false);
    expect(r.notes).toEqual([`Conv 'Conv_0' left channels-first: its input has 5 axes (only 3 or 4 are supported)`, `MaxPool 'MaxPool_1' left channels-first: its Indices output is used`]);
  });
});
