/**
 * PruneChannels is lossy: it changes what the model computes unless the removed channels carried
 * nothing. The correctness test is therefore: set to zero the weights that make the pruned channels
 * carry nothing (the producing layer's rows and biases, or the consuming layer's columns), run that
 * model, prune the same channels from it, and the pruned model must give the same outputs (output
 * channels that were pruned away are dropped from the comparison). Tolerance |d| <= 1e-5 |ref| +
 * 1e-6: dropping zero terms changes how onnxruntime blocks its float32 sums, not which terms are
 * added. Shapes are checked to shrink as expected.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { asFloat32 } from '../exec/runtimeTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import { shapeOfType } from '../ir/tensorInfo.js';
import { int64ToNumber, type Model } from '../ir/types.js';
import { toFixpoint } from './pass.js';
import { attrInt, deleteIndices, f32Tensor, readF32, readNumbers } from './graphDraft.js';
import { expectClose, expectHealthy, loadShared, randomFeeds, runEngine } from './passTestHarness.js';
import { pruneChannelsPass, type PruneSpec } from './pruneChannels.js';
import { NetBuilder } from './testNets.js';

const REL = 1e-5, ABS = 1e-6;

/** The model with the listed slices of initializers set to zero. */
function zeroed(m: Model, slices: [tensor: string, axis: number, channels: number[]][]): Model {
  const g = m.graph!;
  const inits = g.initializer!.map((t) => {
    const mine = slices.filter(([name]) => name === t.name);
    if (!mine.length) return t;
    const v = readF32(t)!;
    const data = Float32Array.from(v.data);
    for (const [, axis, chans] of mine) {
      const inner = v.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      const n = v.shape[axis];
      for (let i = 0; i < data.length; i++) if (chans.includes(Math.floor(i / inner) % n)) data[i] = 0;
    }
    return f32Tensor(t.name!, { shape: v.shape, data });
  });
  return { ...m, graph: { ...g, initializer: inits } };
}

const dimsOf = (m: Model, t: string) => {
  const idx = indexGraph(m.graph!);
  const init = idx.initializer.get(t);
  return init ? init.dims!.map((d) => int64ToNumber(d)) : undefined;
};

/**
 * Outputs of the pruned model equal the zeroed model's, minus the output channels pruned away. And the
 * zeroing mattered: the original model's outputs differ (so the pruned channels were not dead
 * anyway, which would make the comparison empty).
 */
async function expectSameAsZeroed(original: Model, zero: Model, pruned: Model, seed: number, droppedOutputChannels: Record<string, [number, number[]]> = {}, inputScale = 1) {
  const feeds = randomFeeds(zero, seed);
  for (const f of feeds.values()) {
    const d = f.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = inputScale === 1 ? d[i] : Math.abs(d[i]) * inputScale;
  }
  const orig = await runEngine(original, feeds);
  const a = await runEngine(zero, feeds);
  const diff = zero.graph!.output!.some((o) => {
    const x = asFloat32(orig.get(o.name!)!), y = asFloat32(a.get(o.name!)!);
    return x.some((v, i) => Math.abs(v - y[i]) > 1e-3 * (1 + Math.abs(v)));
  });
  expect(diff, 'zeroing the pruned channels changes the original model').toBe(true);
  // (no test prunes a graph input: the same feeds fit both models)
  const b = await runEngine(pruned, feeds);
  for (const o of zero.graph!.output!) {
    let ref: RuntimeTensor = a.get(o.name!)!;
    const drop = droppedOutputChannels[o.name!];
    if (drop) {
      const t = deleteIndices(ref.shape, asFloat32(ref), drop[0], new Set(drop[1]));
      ref = { dataType: 1, shape: t.shape, data: t.data };
    }
    expectClose(b.get(o.name!), ref, REL, ABS, o.name!);
  }
}

function prune(m: Model, spec: PruneSpec): Model {
  const r = pruneChannelsPass.run(m, { spec });
  expect(r.modified).toBe(true);
  expectHealthy(r.model);
  return r.model;
}

describe('prune-channels', () => {
  it('conv -> BN -> relu -> conv -> GAP -> flatten -> MatMul: output channels of the first conv; BN parameters and the next conv\'s input channels follow', async () => {
    const b = new NetBuilder(31);
    let t = b.conv('x', b.weight('w1', [8, 3, 3, 3]), b.weight('b1', [8]), { pads: [1, 1, 1, 1] });
    t = b.bn(t, 'bn', 8);
    t = b.op('Relu', [t]);
    t = b.conv(t, b.weight('w2', [6, 8, 3, 3]), b.weight('b2', [6]), {});
    t = b.op('GlobalAveragePool', [t]);
    t = b.op('Flatten', [t], [attrInt('axis', 1)]);
    t = b.op('MatMul', [t, b.weight('w3', [6, 4])]);
    const m = b.model([{ name: 'x', shape: [1, 3, 8, 8] }], [t]);
    const gone = [1, 5];
    // channels 1 and 5 carry nothing: the next conv reads them with zero weights
    const zero = zeroed(m, [['w2', 1, gone]]);
    const pruned = prune(zero, { w1: { '0': gone } });
    expect(dimsOf(pruned, 'w1')).toEqual([6, 3, 3, 3]);
    expect(dimsOf(pruned, 'b1')).toEqual([6]);
    for (const p of ['bn_gamma', 'bn_beta', 'bn_mean', 'bn_var']) expect(dimsOf(pruned, p), p).toEqual([6]);
    expect(dimsOf(pruned, 'w2')).toEqual([6, 6, 3, 3]);
    expect(dimsOf(pruned, 'b2')).toEqual([6]);
    expect(dimsOf(pruned, 'w3')).toEqual([6, 4]);
    await expectSameAsZeroed(m, zero, pruned, 1);
  });

  it('quantized weights (per-channel scale), a residual Add and Gemm(transB): the scale shrinks, the Add prunes the other branch (lossy, as the reference)', async () => {
    const b = new NetBuilder(32);
    const wq = b.quant(b.weight('w1', [8, 3, 3, 3]), 'q1', [8, 1, 1, 1], 4, true, true, 0.03, 0.06);
    const a = b.op('Relu', [b.conv('x', wq, b.weight('b1', [8]), { pads: [1, 1, 1, 1] })]);
    const c = b.op('Relu', [b.conv(a, b.weight('w2', [8, 8, 3, 3]), b.weight('b2', [8]), { pads: [1, 1, 1, 1] })]);
    let t = b.op('Add', [a, c]);
    t = b.op('Flatten', [b.op('GlobalAveragePool', [t])], [attrInt('axis', 1)]);
    t = b.op('Gemm', [t, b.weight('w3', [5, 8]), b.weight('b3', [5])], [attrInt('transB', 1)]);
    const m = b.model([{ name: 'x', shape: [1, 3, 6, 6] }], [t]);
    const gone = [2, 6];
    // branch a: the first conv's rows and biases; branch c: the second conv's rows and biases
    const zero = zeroed(m, [['w1', 0, gone], ['b1', 0, gone], ['w2', 0, gone], ['b2', 0, gone]]);
    const pruned = prune(zero, { w1: { '0': gone } });
    expect(dimsOf(pruned, 'w1')).toEqual([6, 3, 3, 3]);
    expect(dimsOf(pruned, 'q1_scale')).toEqual([6, 1, 1, 1]);
    expect(dimsOf(pruned, 'w2')).toEqual([6, 6, 3, 3]);
    expect(dimsOf(pruned, 'b2')).toEqual([6]);
    expect(dimsOf(pruned, 'w3')).toEqual([5, 6]);
    expect(dimsOf(pruned, 'b3')).toEqual([5]);
    await expectSameAsZeroed(m, zero, pruned, 2);
  });

  it('depthwise conv: its channels follow and its group shrinks', async () => {
    const b = new NetBuilder(33);
    let t = b.op('Relu', [b.conv('x', b.weight('w1', [8, 3, 1, 1]), b.weight('b1', [8]), {})]);
    t = b.conv(t, b.weight('wdw', [8, 1, 3, 3]), b.weight('bdw', [8]), { group: 8, pads: [1, 1, 1, 1] });
    t = b.conv(t, b.weight('w3', [4, 8, 1, 1]), undefined, {});
    const m = b.model([{ name: 'x', shape: [1, 3, 5, 5] }], [t]);
    const zero = zeroed(m, [['w3', 1, [3]]]);
    const pruned = prune(zero, { w1: { '0': [3] } });
    expect(dimsOf(pruned, 'wdw')).toEqual([7, 1, 3, 3]);
    const dw = pruned.graph!.node!.find((n) => n.opType === 'Conv' && n.input![1] === 'wdw')!;
    expect(int64ToNumber(dw.attribute!.find((x) => x.name === 'group')!.i)).toBe(7);
    expect(dimsOf(pruned, 'w3')).toEqual([4, 7, 1, 1]);
    await expectSameAsZeroed(m, zero, pruned, 3);
  });

  it('residual block (qonnx_residual_block_clean.onnx): channels reach the residual Add, the MaxPool and the graph output', async () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    const gone = [3, 7];
    // both branches of the Add carry nothing in channels 3 and 7
    const zero = zeroed(m, [['Conv_0_param0', 0, gone], ['Conv_0_param1', 0, gone], ['Conv_2_param0', 0, gone], ['Conv_2_param1', 0, gone]]);
    const pruned = prune(zero, { Conv_0_param0: { '0': gone } });
    expect(dimsOf(pruned, 'Conv_0_param0')).toEqual([12, 1, 8, 8]);
    expect(dimsOf(pruned, 'Conv_0_param1')).toEqual([12]);
    expect(dimsOf(pruned, 'Conv_1_param0')).toEqual([14, 12, 3, 3]);
    expect(dimsOf(pruned, 'Conv_1_param1')).toEqual([14]);
    expect(dimsOf(pruned, 'Conv_2_param0')).toEqual([12, 14, 3, 3]);
    expect(dimsOf(pruned, 'Conv_2_param1')).toEqual([12]);
    expect(shapeOfType(pruned.graph!.output![0].type)).toEqual([1, 12, 12, 12]);
    await expectSameAsZeroed(m, zero, pruned, 4, { global_out: [1, gone] });
  });

  it('MNIST conv: channels of the second conv reach the Reshape -> MatMul (16 features each), the Reshape target shrinks', async () => {
    const m = loadShared('qonnx_mnist_conv_float.onnx');
    const gone = [0, 9];
    const zero = zeroed(m, [['Parameter87', 0, gone], ['Parameter88', 0, gone]]);
    const pruned = prune(zero, { Parameter87: { '0': gone } });
    expect(dimsOf(pruned, 'Parameter87')).toEqual([14, 8, 5, 5]);
    expect(dimsOf(pruned, 'Parameter88')).toEqual([14, 1, 1]);
    const g = pruned.graph!;
    const mm = g.node!.find((n) => n.opType === 'MatMul')!;
    expect(dimsOf(pruned, mm.input![1])).toEqual([224, 10]);
    const rs = g.node!.find((n) => n.opType === 'Reshape')!;
    expect(Array.from(readNumbers(indexGraph(g).initializer.get(rs.input![1]))!.data)).toEqual([1, 224]);
    // pixel values 0..255 as MNIST images have (with inputs in [-1, 1] these channels never fire)
    await expectSameAsZeroed(m, zero, pruned, 5, {}, 255);
  });

  it('runs once under the fixpoint runner, and an empty spec changes nothing', () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    const r = toFixpoint(pruneChannelsPass, m, { spec: { Conv_0_param0: { '0': [0] } } });
    expect(dimsOf(r.model, 'Conv_0_param0')).toEqual([13, 1, 8, 8]);
    expect(pruneChannelsPass.run(m, { spec: { Conv_0_param0: { '0': [] } } }).modified).toBe(false);
    expect(pruneChannelsPass.lossy).toBe(true);
  });

  it('errors name the problem: unknown tensor, channel out of range, an op pruning does not support', () => {
    const m = loadShared('qonnx_residual_block_clean.onnx');
    expect(() => pruneChannelsPass.run(m, { spec: { nope: { '0': [1] } } })).toThrow(/'nope', which is not in the model/);
    expect(() => pruneChannelsPass.run(m, { spec: { Conv_0_param0: { '0': [14] } } })).toThrow(/channels in 0\.\.13/);
    const b = new NetBuilder(34);
    const c1 = b.conv('x', b.weight('w1', [4, 2, 1, 1]), undefined, {});
    const cat = b.op('Concat', [c1, 'x'], [attrInt('axis', 1)]);
    const m2 = b.model([{ name: 'x', shape: [1, 2, 3, 3] }], [cat]);
    expect(() => pruneChannelsPass.run(m2, { spec: { w1: { '0': [0] } } })).toThrow(/pass through Concat 'Concat_1'/);
  });
});
