/**
 * One runner of the precision explorer's pool: a SweepRunner (src/core/explore/runner.ts) on its own
 * thread, with onnxruntime-web on one thread. The page starts it and hands it one end of a
 * MessageChannel; the explore worker (the coordinator) holds the other end and calls init once, then
 * evaluate for each configuration. The page terminates it when the sweep ends or is cancelled.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { OrtApi } from '../core/exec/engine.js';
import type { RuntimeTensor } from '../core/exec/runtimeTensor.js';
import { applyWidths, type ExplorePlan } from '../core/explore/explore.js';
import { SweepRunner, type RawEval } from '../core/explore/runner.js';
import type { Model } from '../core/ir/types.js';
import { decodeModel } from '../core/onnx/codec.js';
import { readExternalWeights } from './externalWeights.js';

ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
// the pool is the parallelism: one onnxruntime thread per runner
ort.env.wasm.numThreads = 1;

export interface RunnerInit {
  /** the model's file bytes (this runner's own copy) */
  bytes: Uint8Array;
  fileName: string;
  /** one list of [graph input, value] per calibration sample */
  samples: [string, RuntimeTensor][][];
  reference: 'float' | 'model';
  plan: ExplorePlan;
  /** external-data files opened with the model, by name */
  externalFiles: [string, Blob][];
  /** samples stacked into one run at most (memory) */
  maxBatch: number;
}

export interface RunnerReady {
  signal: number;
  referencePredictions: (number | undefined)[];
  /** time to decode, compile and run the reference (ms) */
  ms: number;
}

let runner: SweepRunner | undefined;
let model: Model | undefined;
let plan: ExplorePlan | undefined;

const api = {
  async init(s: RunnerInit): Promise<RunnerReady> {
    const t0 = performance.now();
    model = decodeModel(s.bytes, { fileName: s.fileName });
    plan = s.plan;
    const externalData = s.externalFiles.length ? await readExternalWeights(model, new Map(s.externalFiles)) : undefined;
    runner = await SweepRunner.create(
      { model, samples: s.samples.map((x) => new Map(x)), reference: s.reference, varied: s.plan.varied, externalData },
      ort as unknown as OrtApi,
      { maxBatch: s.maxBatch },
    );
    return { signal: runner.signal, referencePredictions: runner.referencePredictions, ms: performance.now() - t0 };
  },

  /** One configuration: through the parametric model, or (verify) the model with the widths written in. */
  async evaluate(widths: number[], verify: boolean): Promise<RawEval> {
    if (!runner || !model || !plan) throw new Error('the runner was not initialised');
    return verify ? runner.evaluateModel(applyWidths(model, plan, widths)) : runner.evaluate(widths);
  },
};

export type SweepRunnerApi = typeof api;

// The first message carries the port the coordinator talks on.
self.addEventListener(
  'message',
  (e: MessageEvent) => {
    const port = (e.data as { explorePort?: MessagePort } | null)?.explorePort;
    if (port) Comlink.expose(api, port);
  },
  { once: true },
);
