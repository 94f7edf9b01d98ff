/**
 * How many runners (threads, each holding its own compiled copy of the model) the precision explorer
 * starts, and how many samples each stacks into one run: one runner per core, at most MAX_RUNNERS,
 * all within a memory budget. A runner holds the decoded model, its weights folded to float32 and
 * onnxruntime's own copy (about 3x the weights), every tensor of a run of one stacked batch of samples
 * (every tensor is a session output), and the calibration samples with their reference outputs.
 * More runners come first (they divide the time); a smaller batch only saves per-run overhead.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { elementCount, tensorShape } from '../onnx/tensorData.js';
import { MAX_BATCH } from './runner.js';

export const MAX_RUNNERS = 4;
/** what all runners together may hold (bytes) */
export const POOL_MEMORY_BUDGET = 2 ** 30;

export interface RunnerMemory {
  /** float32 bytes of every initializer */
  weights: number;
  /** float32 bytes of every computed tensor of one sample */
  activations: number;
  /** float32 bytes of the graph inputs and outputs of one sample */
  inputs: number;
  outputs: number;
  samples: number;
}

/** The estimate for one runner stacking `batch` samples per run (bytes). */
export function runnerBytes(m: RunnerMemory, batch: number): number {
  return 3 * m.weights + Math.max(1, batch) * m.activations + m.samples * (m.inputs + 2 * m.outputs);
}

/** What a runner holds, estimated from the model's initializers and inferred tensor shapes. */
export function runnerMemoryEstimate(model: Model, samples: number): RunnerMemory {
  const g = model.graph ?? {};
  let weights = 0;
  for (const t of g.initializer ?? []) weights += 4 * elementCount(tensorShape(t));
  const idx = indexGraph(g);
  const shapes = analyzeModel(model).shapes.tensors;
  let activations = 0;
  const inputs = new Set((g.input ?? []).map((i) => i.name ?? ''));
  let inputBytes = 0, outputBytes = 0;
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  for (const [name, info] of shapes) {
    if (idx.initializer.has(name)) continue;
    const n = 4 * elementCount((info.shape ?? []).map((d) => (typeof d === 'number' ? d : 1)));
    activations += n;
    if (inputs.has(name)) inputBytes += n;
    if (outputs.has(name)) outputBytes += n;
  }
  return { weights, activations, inputs: inputBytes, outputs: outputBytes, samples };
}

export interface PoolPlan {
  runners: number;
  /** samples stacked per run (the runner's maxBatch) */
  maxBatch: number;
  /** estimated bytes of one runner */
  runnerBytes: number;
}

/** Runners and batch: the most runners (up to one per core, MAX_RUNNERS) that fit the budget, then the largest batch that fits. */
export function explorePool(m: RunnerMemory, cores: number, budget = POOL_MEMORY_BUDGET): PoolPlan {
  const most = Math.max(1, Math.min(MAX_RUNNERS, Math.floor(cores) || 1));
  const top = Math.max(1, Math.min(MAX_BATCH, m.samples));
  for (let runners = most; runners >= 1; runners--) {
    for (let b = top; b >= 1; b = b > 1 ? Math.min(b - 1, Math.ceil(b / 2)) : 0) {
      const bytes = runnerBytes(m, b);
      if (runners * bytes <= budget) return { runners, maxBatch: b, runnerBytes: bytes };
    }
  }
  return { runners: 1, maxBatch: 1, runnerBytes: runnerBytes(m, 1) };
}
