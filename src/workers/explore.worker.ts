/**
 * The precision explorer's coordinator, off the page's thread: it decodes the model, makes the
 * calibration samples, plans, and runs runExplore (which also costs every configuration exactly) over
 * a pool of runner workers. The page creates the runners (sweepRunner.worker.ts) and hands this worker
 * one end of a MessageChannel per runner; every runner gets the model bytes, the samples and the plan
 * once, then configurations. Events (baseline, sensitivity, point, progress) go back to the page as
 * they come. The page terminates this worker and the runners when the sweep ends or is cancelled.
 */
import * as Comlink from 'comlink';
import { serializeError } from '../core/errors.js';
import type { RuntimeTensor } from '../core/exec/runtimeTensor.js';
import { planExplore, runExplore, type ConfigPoint, type EvalPool, type ExploreOptions, type ExplorePlan, type ExploreProgress, type ExploreResult, type SensitivityEntry } from '../core/explore/explore.js';
import { explorePool, runnerMemoryEstimate, type PoolPlan, type RunnerMemory } from '../core/explore/poolSize.js';
import type { RawEval } from '../core/explore/runner.js';
import { graphInputSpecs, randomSamples, samplesFromArrays } from '../core/explore/samples.js';
import type { NpyArray } from '../core/io/npyRead.js';
import type { Model } from '../core/ir/types.js';
import { decodeModel } from '../core/onnx/codec.js';
import type { Result } from './model.worker.js';
import type { RunnerReady, SweepRunnerApi } from './sweepRunner.worker.js';

/** Where the calibration samples come from. */
export type SampleSource =
  | { kind: 'random'; n: number; seed: number }
  /** one array per graph input, the samples along the first axis (.npz, or a .npy for a one-input model) */
  | { kind: 'arrays'; arrays: [string, NpyArray][] }
  /** ready-made samples (images converted on the page) */
  | { kind: 'tensors'; samples: [string, RuntimeTensor][][] };

export interface ExploreRequest {
  bytes: Uint8Array;
  fileName: string;
  externalFiles: [string, Blob][];
  options: ExploreOptions;
  reference: 'float' | 'model';
  source: SampleSource;
  /** one class index per sample (accuracy) */
  labels?: number[];
  /** the page's navigator.hardwareConcurrency */
  cores: number;
}

export interface Prepared {
  plan: ExplorePlan;
  samples: number;
  /** runners the page should start */
  poolSize: number;
  /** samples each runner stacks into one run, and its estimated bytes */
  pool: PoolPlan;
  memory: RunnerMemory;
  ms: number;
}

export interface ExploreEventSink {
  progress(p: ExploreProgress): void;
  baseline(p: ConfigPoint): void;
  sensitivity(e: SensitivityEntry): void;
  point(p: ConfigPoint): void;
  /** runners ready so far (while they compile) */
  runnersReady(ready: number, total: number): void;
}

export interface ExploreTimings {
  /** runners decoding, compiling and running the reference, in parallel (ms) */
  startMs: number;
  /** baseline and sensitivity pass (ms) */
  sensitivityMs: number;
  /** the front's configurations (ms) */
  frontMs: number;
}

let req: ExploreRequest | undefined;
let model: Model | undefined;
let plan: ExplorePlan | undefined;
let samples: Map<string, RuntimeTensor>[] = [];
let pool: PoolPlan | undefined;

function fail(e: unknown): Result<never> {
  return { ok: false, error: serializeError(e) };
}

const api = {
  /** Decode, make the samples, plan, and say how many runners to start. */
  prepare(r: ExploreRequest): Result<Prepared> {
    try {
      const t0 = performance.now();
      req = r;
      model = decodeModel(r.bytes, { fileName: r.fileName });
      plan = planExplore(model, r.options);
      const src = r.source;
      if (src.kind === 'random') samples = randomSamples(model, src.n, src.seed);
      else if (src.kind === 'arrays') {
        let arrays = new Map(src.arrays);
        const specs = graphInputSpecs(model);
        // one array for a one-input model, whatever it is called
        if (arrays.size === 1 && specs.length === 1 && !arrays.has(specs[0].name)) arrays = new Map([[specs[0].name, [...arrays.values()][0]]]);
        samples = samplesFromArrays(model, arrays);
      } else samples = src.samples.map((s) => new Map(s));
      if (!samples.length) throw new Error('no calibration samples');
      if (r.labels && r.labels.length !== samples.length) throw new Error(`the labels hold ${r.labels.length} classes for ${samples.length} samples`);
      const memory = runnerMemoryEstimate(model, samples.length);
      pool = explorePool(memory, r.cores);
      return { ok: true, value: { plan, samples: samples.length, poolSize: pool.runners, pool, memory, ms: performance.now() - t0 } };
    } catch (e) {
      return fail(e);
    }
  },

  /** Start the runners on the ports given (one each) and run the exploration. */
  async run(ports: MessagePort[], on: ExploreEventSink): Promise<Result<ExploreResult & { timings: ExploreTimings; runnerMs: number[] }>> {
    try {
      if (!req || !model || !plan || !pool) throw new Error('prepare was not called');
      const maxBatch = pool.maxBatch;
      const r = req, p = plan, m = model;
      const t0 = performance.now();
      const runners = ports.map((port) => Comlink.wrap<SweepRunnerApi>(port));
      const plainSamples = samples.map((s) => [...s]);
      let ready = 0;
      on.runnersReady(0, runners.length);
      let readies: RunnerReady[];
      try {
        readies = await Promise.all(
          runners.map(async (x) => {
            const res = await x.init({ bytes: r.bytes, fileName: r.fileName, samples: plainSamples, reference: r.reference, plan: p, externalFiles: r.externalFiles, maxBatch });
            on.runnersReady(++ready, runners.length);
            return res;
          }),
        );
      } catch (e) {
        throw new Error(`The model cannot run in the browser: ${(e as Error).message}`);
      }
      const tReady = performance.now();
      // a free runner takes the next configuration; runExplore keeps `ports.length` of them in flight
      const free = runners.slice();
      const waiting: ((x: Comlink.Remote<SweepRunnerApi>) => void)[] = [];
      const acquire = () => (free.length ? Promise.resolve(free.pop()!) : new Promise<Comlink.Remote<SweepRunnerApi>>((res) => waiting.push(res)));
      const release = (x: Comlink.Remote<SweepRunnerApi>) => {
        const w = waiting.shift();
        if (w) w(x);
        else free.push(x);
      };
      const evalPool: EvalPool = {
        signal: readies[0].signal,
        referencePredictions: readies[0].referencePredictions,
        async evaluate(widths: number[], verify: boolean): Promise<RawEval> {
          const x = await acquire();
          try {
            return await x.evaluate(widths, verify);
          } finally {
            release(x);
          }
        },
      };
      let tFront = 0;
      const result = await runExplore(
        m,
        p,
        evalPool,
        { ...r.options, labels: r.labels, samples: samples.length, concurrency: runners.length },
        {
          progress: (x) => {
            if (x.phase === 'front' && !tFront) tFront = performance.now();
            on.progress(x);
          },
          baseline: (x) => on.baseline(x),
          sensitivity: (x) => on.sensitivity(x),
          point: (x) => on.point(x),
        },
      );
      const tEnd = performance.now();
      if (!tFront) tFront = tEnd;
      return {
        ok: true,
        value: { ...result, timings: { startMs: tReady - t0, sensitivityMs: tFront - tReady, frontMs: tEnd - tFront }, runnerMs: readies.map((x) => x.ms) },
      };
    } catch (e) {
      return fail(e);
    }
  },
};

export type ExploreWorkerApi = typeof api;

Comlink.expose(api);
