import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { TEST_MODELS } from '../testing/paths.js';
import { explorePool, MAX_RUNNERS, POOL_MEMORY_BUDGET, runnerBytes, runnerMemoryEstimate, type RunnerMemory } from './poolSize.js';
import { MAX_BATCH } from './runner.js';

const load = (n: string) => decodeModel(new Uint8Array(readFileSync(path.join(TEST_MODELS, n))), { fileName: n });

describe('explore pool', () => {
  it('counts the weights and the tensors of a run of TFC', () => {
    const m = runnerMemoryEstimate(load('zoo_TFC_2W2A.onnx'), 4);
    // TFC: 784x64 + 64x64 + 64x64 + 64x10 weights (plus BatchNorm parameters and quantizer scalars), float32
    const fc = 4 * (784 * 64 + 64 * 64 * 2 + 64 * 10);
    expect(m.weights).toBeGreaterThanOrEqual(fc);
    expect(m.weights).toBeLessThan(fc * 1.05);
    // its 784-value input and 10 outputs, and the tensors between them
    expect(m.inputs).toBe(4 * 784);
    expect(m.outputs).toBe(4 * 10);
    expect(m.activations).toBeGreaterThan(4 * (784 + 10 + 3 * 64));
    expect(runnerBytes(m, 4)).toBeGreaterThan(runnerBytes(m, 1));
  });

  it('TFC: a runner per core and every sample in one run', () => {
    const m = runnerMemoryEstimate(load('zoo_TFC_2W2A.onnx'), 16);
    expect(explorePool(m, 2)).toMatchObject({ runners: 2, maxBatch: 16 });
    expect(explorePool(m, 16)).toMatchObject({ runners: MAX_RUNNERS, maxBatch: 16 });
    expect(explorePool(runnerMemoryEstimate(load('zoo_TFC_2W2A.onnx'), 100), 2).maxBatch).toBe(MAX_BATCH);
  });

  it('ESPCN (3x128x128 images, ~45 MB of tensors a sample): two runners on two cores, each stacking fewer samples', () => {
    const m = runnerMemoryEstimate(load('qonnx_espcn_subpixel_quant.onnx'), 16);
    expect(m.activations).toBeGreaterThan(4 * 64 * 128 * 128 * 4);
    const p = explorePool(m, 2);
    expect(p.runners).toBe(2);
    expect(p.maxBatch).toBeLessThan(16);
    expect(p.maxBatch).toBeGreaterThanOrEqual(1);
    expect(2 * p.runnerBytes).toBeLessThanOrEqual(POOL_MEMORY_BUDGET);
  });

  it('fewer runners when even one sample a run does not fit; never none', () => {
    const big: RunnerMemory = { weights: POOL_MEMORY_BUDGET / 8, activations: 1e6, inputs: 1e3, outputs: 1e3, samples: 8 };
    expect(explorePool(big, 8)).toMatchObject({ runners: 2, maxBatch: 8 });
    const huge: RunnerMemory = { ...big, weights: POOL_MEMORY_BUDGET };
    expect(explorePool(huge, 8)).toMatchObject({ runners: 1, maxBatch: 1 });
    expect(explorePool(big, 0).runners).toBe(1);
  });
});
