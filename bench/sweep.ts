/**
 * The precision explorer's speed (issue: "sensitivity pass of a 20-quantizer, VGG-sized CNN (about 12 M MACs
 * per sample) over 6 widths on 32 calibration samples"): the synthetic CNN of src/core/testing/synth.ts with
 * 20 Quant nodes, 32 seeded random samples, a pool of 1 and of 2 runners (worker_threads, one onnxruntime
 * thread each), the sensitivity pass and the verified front timed apart.
 */
import { Worker } from 'node:worker_threads';
import { encodeModel } from '../src/core/onnx/codec.js';
import { makeCnn } from '../src/core/testing/synth.js';
import { planExplore, runExplore, type EvalPool, type ExplorePlan } from '../src/core/explore/explore.js';
import { randomSamples } from '../src/core/explore/samples.js';
import { inferenceCost } from '../src/core/analysis/inferenceCost.js';
import type { RawEval } from '../src/core/explore/runner.js';
import type { Model } from '../src/core/ir/types.js';

export interface SweepBenchRow {
  runners: number;
  quantizers: number;
  macsPerSample: number;
  samples: number;
  batch: number;
  setupMs: number;
  sensitivityConfigs: number;
  sensitivityMs: number;
  frontPoints: number;
  frontMs: number;
}

export function sweepBenchModel(): Model {
  return makeCnn({ blocks: 9, targetWeightBytes: 2e6, inputSize: 32, residualEvery: 0, stages: 3 });
}

async function workerPool(model: Model, plan: ExplorePlan, samples: ReturnType<typeof randomSamples>, n: number) {
  const bytes = encodeModel(model);
  const workers: Worker[] = [];
  const ready: Promise<{ setupMs: number; signal: number; referencePredictions: (number | undefined)[]; batch: number }>[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL('./sweepWorkerEntry.mjs', import.meta.url), { workerData: { bytes, samples: samples.map((s) => [...s]), plan } });
    workers.push(w);
    ready.push(new Promise((res, rej) => {
      w.once('message', res);
      w.once('error', rej);
    }));
  }
  const info = await Promise.all(ready);
  const free = workers.slice();
  const waiting: ((w: Worker) => void)[] = [];
  let nextId = 0;
  const take = () => (free.length ? Promise.resolve(free.pop()!) : new Promise<Worker>((r) => waiting.push(r)));
  const give = (w: Worker) => (waiting.length ? waiting.shift()!(w) : free.push(w));
  const pool: EvalPool = {
    signal: info[0].signal,
    referencePredictions: info[0].referencePredictions,
    async evaluate(widths, verify) {
      const w = await take();
      const id = nextId++;
      try {
        return await new Promise<RawEval>((res) => {
          const on = (m: { id: number; result: RawEval }) => {
            if (m.id !== id) return;
            w.off('message', on);
            res(m.result);
          };
          w.on('message', on);
          w.postMessage({ id, widths, verify });
        });
      } finally {
        give(w);
      }
    },
  };
  return { pool, setupMs: Math.max(...info.map((i) => i.setupMs)), batch: info[0].batch, close: () => Promise.all(workers.map((w) => w.terminate())) };
}

export async function runSweepBench(runnerCounts: number[] = [1, 2], sampleCount = 32, log: (s: string) => void = () => {}): Promise<SweepBenchRow[]> {
  const model = sweepBenchModel();
  const plan = planExplore(model, {});
  const samples = randomSamples(model, sampleCount, 0);
  const macs = Number(inferenceCost(model).total_cost.total_macs);
  const rows: SweepBenchRow[] = [];
  for (const n of runnerCounts) {
    log(`sweep ${plan.quantizers.length} quantizers x ${sampleCount} samples, ${n} runner${n > 1 ? 's' : ''} ...`);
    const t0 = performance.now();
    const p = await workerPool(model, plan, samples, n);
    const setupMs = performance.now() - t0;
    let tSens = 0, tFront = 0, sensConfigs = 0;
    const start = performance.now();
    try {
      const r = await runExplore(model, plan, p.pool, { samples: sampleCount, concurrency: n }, {
        progress: (pr) => {
          if (pr.phase === 'front' && pr.done === 0) tSens = performance.now() - start;
          if (pr.phase === 'done') tFront = performance.now() - start - tSens;
          if (pr.phase === 'sensitivity') sensConfigs = pr.total;
        },
      });
      rows.push({ runners: n, quantizers: plan.quantizers.length, macsPerSample: macs, samples: sampleCount, batch: p.batch, setupMs, sensitivityConfigs: sensConfigs, sensitivityMs: tSens, frontPoints: r.points.length, frontMs: tFront });
    } finally {
      await p.close();
    }
  }
  return rows;
}

export function sweepTable(rows: SweepBenchRow[]): string {
  const out = ['## Precision explorer (sweep) in Node', ''];
  if (!rows.length) return out.join('\n');
  const r0 = rows[0];
  out.push(`Synthetic CNN: ${r0.quantizers} quantizers, ${(r0.macsPerSample / 1e6).toFixed(1)} M MACs per sample, ${r0.samples} random samples (stacked ${r0.batch} per run), candidate widths 2,3,4,5,6,8. Each runner is a worker_threads worker with one onnxruntime-web thread.`, '');
  out.push('| runners | setup | sensitivity configs | sample-inferences | sensitivity pass | sample-inferences/s | front points | front | total |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const inf = r.sensitivityConfigs * r.samples;
    out.push(`| ${r.runners} | ${(r.setupMs / 1000).toFixed(1)} s | ${r.sensitivityConfigs} | ${inf} | ${(r.sensitivityMs / 1000).toFixed(1)} s | ${Math.round(inf / (r.sensitivityMs / 1000))} | ${r.frontPoints} | ${(r.frontMs / 1000).toFixed(1)} s | ${((r.setupMs + r.sensitivityMs + r.frontMs) / 1000).toFixed(1)} s |`);
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runSweepBench(process.argv.includes('--one') ? [1] : [1, 2], 32, (s) => process.stderr.write(s + '\n'));
  process.stdout.write(sweepTable(rows) + '\n');
}
