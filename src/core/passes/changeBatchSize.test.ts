/**
 * ChangeBatchSize: with batch 2, each batch item of the new model's output equals the batch-1 model's
 * output for that item alone (TFC, whose Reshape target is computed from Shape; MNIST conv, whose Reshape
 * target [1, 256] is a constant; ESPCN). Reshape targets that do not name the batch size stay.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import { shapeOfType } from '../ir/tensorInfo.js';
import type { Model } from '../ir/types.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { changeBatchSize } from './changeBatchSize.js';
import { build, compareOutputs, errorsOf, initF, initI64, loadModel, nd, reread, runModel, seededInputs, vi } from './passTestSupport.js';
import { runTransform } from './tidy.js';

const valuesOf = (m: Model, t: string) => Array.from(toNumbers(tensorValues(indexGraph(m.graph!).initializer.get(t)!)));

/** Batch items: run the batch-1 model on each seed's input, the batch-2 model on both stacked. */
async function perItem(m1: Model, m2: Model, seeds: [number, number]) {
  const feeds = seeds.map((s) => seededInputs(m1, s));
  const inName = [...feeds[0].keys()][0];
  const a = feeds[0].get(inName)!, b = feeds[1].get(inName)!;
  const data = new Float32Array(a.data.length * 2);
  data.set(a.data as Float32Array, 0);
  data.set(b.data as Float32Array, a.data.length);
  const stacked: RuntimeTensor = { dataType: 1, shape: [2, ...a.shape.slice(1)], data };
  const in2 = m2.graph!.input![0].name!;
  const out1 = m1.graph!.output![0].name!, out2 = m2.graph!.output![0].name!;
  const r1 = await Promise.all(feeds.map((f) => runModel(m1, f)));
  const r2 = await runModel(m2, new Map([[in2, stacked]]));
  const y = r2.get(out2)!;
  expect(y.shape[0]).toBe(2);
  const per = (y.data as Float32Array).length / 2;
  const mismatches = [0, 1].flatMap((k) => {
    const item: RuntimeTensor = { dataType: 1, shape: y.shape.slice(1), data: (y.data as Float32Array).subarray(k * per, (k + 1) * per) };
    const one = r1[k].get(out1)!;
    return compareOutputs(new Map([[out1, { ...one, shape: one.shape.slice(1) }]]), new Map([[out2, item]]), { expected: [out1], actual: [out2] }, new Set()).mismatches;
  });
  return mismatches;
}

describe('changeBatchSize', () => {
  it('TFC: input and output get batch 2, and each batch item equals the batch-1 result', async () => {
    const m = loadModel('zoo_TFC_2W2A.onnx');
    const r = runTransform(changeBatchSize, m, { batch: 2 });
    expect(r.modified).toBe(true);
    expect(shapeOfType(r.model.graph!.input![0].type)).toEqual([2, 1, 28, 28]);
    expect(shapeOfType(r.model.graph!.output![0].type)).toEqual([2, 10]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect(await perItem(m, r.model, [1, 2])).toEqual([]);
  });

  it('MNIST conv: the constant Reshape target [1, 256] becomes [2, 256], the weight reshape [256, 10] stays; value_info re-inferred', async () => {
    const m = loadModel('qonnx_mnist_conv_float.onnx');
    const r = runTransform(changeBatchSize, m, { batch: 2 });
    expect(valuesOf(r.model, 'Pooling160_Output_0_reshape0_shape')).toEqual([2, 256]);
    expect(valuesOf(r.model, 'Parameter193_reshape1_shape')).toEqual([256, 10]);
    const viShape = (name: string) => shapeOfType(r.model.graph!.valueInfo!.find((v) => v.name === name)!.type);
    expect(viShape('Convolution28_Output_0')).toEqual([2, 8, 28, 28]);
    expect(viShape('Pooling160_Output_0_reshape0')).toEqual([2, 256]);
    expect(viShape('Parameter193_reshape1')).toEqual([256, 10]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect(await perItem(m, r.model, [3, 4])).toEqual([]);
    // already batch 2: nothing to do
    expect(changeBatchSize.run(r.model, { batch: 2 }).modified).toBe(false);
  });

  it('ESPCN (symbolic output dims): batch 2 items equal the batch-1 results', async () => {
    const m = loadModel('qonnx_espcn_subpixel_quant.onnx');
    const r = runTransform(changeBatchSize, m, { batch: 2 });
    expect(shapeOfType(r.model.graph!.output![0].type)?.[0]).toBe(2);
    expect(await perItem(m, r.model, [5, 6])).toEqual([]);
  });

  it('leaves Reshape targets -1 / 0 and shares nothing it changes', () => {
    const m = build({
      nodes: [nd('Reshape', ['x', 'flat'], ['a'], 'r1'), nd('Reshape', ['a', 'keep'], ['b'], 'r2'), nd('Reshape', ['b', 'flat'], ['y'], 'r3')],
      inits: [initI64('flat', [1, 12]), initI64('keep', [-1, 3, 4])],
      inputs: [vi('x', [1, 3, 4])],
      outputs: [vi('y', [1, 12])],
    });
    const r = changeBatchSize.run(m, { batch: 4 });
    const [r1, r2, r3] = r.model.graph!.node!;
    expect(valuesOf(r.model, r2.input![1])).toEqual([-1, 3, 4]);
    expect(valuesOf(r.model, r1.input![1])).toEqual([4, 12]);
    expect(valuesOf(r.model, r3.input![1])).toEqual([4, 12]);
    expect(r1.input![1]).not.toBe(r3.input![1]);
    expect(valuesOf(r.model, 'flat')).toEqual([1, 12]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect(() => changeBatchSize.run(m, { batch: 0 })).toThrow(/positive integer/);
  });

  it('keeps a second input whose dim 0 is not the batch', () => {
    const m = build({
      nodes: [nd('Add', ['x', 'w'], ['y'], 'add')],
      inits: [initF('unused', [1])],
      inputs: [vi('x', [1, 5]), vi('w', [5])],
      outputs: [vi('y', [1, 5])],
    });
    const r = changeBatchSize.run(m, { batch: 3 });
    expect(r.model.graph!.input!.map((i) => shapeOfType(i.type))).toEqual([[3, 5], [5]]);
  });
});
