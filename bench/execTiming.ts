/**
 * Timing helpers of the execution suite, shared by the Node child (execWorker.ts) and the Chromium bench
 * page (execPage/main.ts): no Node imports; onnxruntime is passed in.
 */
import { analyzeModel } from '../src/core/analysis/modelAnalysis.js';
import type { OrtApi, OrtTensor } from '../src/core/exec/engine.js';
import { randomInput } from '../src/core/exec/inputs.js';
import type { RuntimeTensor } from '../src/core/exec/runtimeTensor.js';
import { indexGraph } from '../src/core/ir/graphIndex.js';
import type { Model } from '../src/core/ir/types.js';
import { encodeModel } from '../src/core/onnx/codec.js';
import { resolveCustomOp } from '../src/core/qonnx/registry.js';

export const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seeded random inputs for every graph input that is not an initializer (symbolic dims as 1). */
export function feedsFor(model: Model, seed: number): Map<string, RuntimeTensor> {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const a = analyzeModel(model);
  const feeds = new Map<string, RuntimeTensor>();
  for (const i of g.input ?? []) {
    const name = i.name ?? '';
    if (idx.initializer.has(name)) continue;
    const shape = (a.shapes.tensors.get(name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    feeds.set(name, randomInput(shape, i.type?.tensorType?.elemType ?? 1, a.datatypeOf(name), seed));
  }
  return feeds;
}

/** How many calls of `oneCallMs` fill ~10 ms (1 to 2000). */
export const batchSize = (oneCallMs: number) => Math.max(1, Math.min(2000, Math.ceil(10 / Math.max(oneCallMs, 1e-3))));

/** The op types of the custom (QONNX/FINN) nodes left in a model: a plain session cannot run it when any. */
export const customOpsLeft = (model: Model): string[] => (model.graph?.node ?? []).filter((n) => resolveCustomOp(n, model)).map((n) => n.opType ?? '?');

export interface PlainSession {
  run: () => Promise<unknown>;
  release: () => Promise<void>;
}

/** One plain onnxruntime session on a standard-op model, only graph outputs, default (full) optimisation. */
export async function plainOrt(ort: OrtApi, model: Model, feeds: Map<string, RuntimeTensor>): Promise<PlainSession> {
  // Older exporters list initializers among the graph inputs; onnxruntime then treats them as
  // overridable and skips constant folding and fusions (Conv+BatchNormalization). The baseline gets
  // them removed, as onnxruntime's own warning recommends: the fastest plain float run.
  const g = model.graph ?? {};
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const clean: Model = { ...model, graph: { ...g, input: (g.input ?? []).filter((i) => !inits.has(i.name)) } };
  const s = await ort.InferenceSession.create(encodeModel(clean), { logSeverityLevel: 3 });
  const f: Record<string, OrtTensor> = {};
  const types: Record<number, string> = { 1: 'float32', 7: 'int64', 6: 'int32', 2: 'uint8', 3: 'int8', 9: 'bool' };
  for (const [k, v] of feeds) if (s.inputNames.includes(k)) f[k] = new ort.Tensor(types[v.dataType], v.data, v.shape);
  return { run: () => s.run(f), release: async () => s.release?.() };
}

/**
 * Per-call times of several functions after warm-up, sampled in turns (one batch of each per round) so
 * that a slow spell of the machine affects all of them alike: the ratios between them are what the
 * tables report. A call under ~10 ms is repeated (enough calls to fill ~10 ms). By default each call is
 * one sample: the median over many single calls is what a 0.05 ms inference costs, where a long batch's
 * mean would carry every garbage-collection pause of the batch. Where the timer is coarse (5 µs in a
 * cross-origin isolated page, 4-8 times a 20 µs inference's step), `minSampleMs` makes a sample the
 * mean of just enough consecutive calls to last that long.
 */
export async function interleaved(rounds: number, warmup: number, fs: (() => Promise<unknown>)[], minSampleMs = 0): Promise<number[][]> {
  const reps: number[] = [];
  const per: number[] = [];
  for (const f of fs) {
    for (let i = 0; i < warmup; i++) await f();
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await f();
    const one = (performance.now() - t0) / 5;
    reps.push(batchSize(one));
    per.push(Math.max(1, Math.ceil(minSampleMs / Math.max(one, 1e-3))));
  }
  const out: number[][] = fs.map(() => []);
  for (let i = 0; i < rounds; i++)
    for (const [j, f] of fs.entries())
      for (let r = 0; r < reps[j]; r += per[j]) {
        const t = performance.now();
        for (let k = 0; k < per[j]; k++) await f();
        out[j].push((performance.now() - t) / per[j]);
      }
  return out;
}
