/**
 * The precision explorer's speed (issue: "sensitivity pass of a 20-quantizer, VGG-sized CNN (about 12 M MACs
 * per sample) over 6 widths on 32 calibration samples"): the synthetic CNN of src/core/testing/synth.ts with
 * 20 Quant nodes, 32 seeded random samples, a pool of 1 and of 2 runners (worker_threads, one onnxruntime
 * thread each), the sensitivity pass and the verified front timed apart.
 *
 * In Chromium (runSweepBrowser): the production build (bench/out/web, served by vite preview), the same
 * model written to bench/out, opened in the page; the Explore panel with random inputs (32 samples,
 * seed 0) and its default widths, Start, and the app's own timings read from its explore store
 * (window.__qonnxStudio.useExplore): runners starting, baseline + sensitivity pass, front; on the pool
 * of runner workers the app chose (navigator.hardwareConcurrency, at most 4, within ~1 GB).
 */
import { Worker } from 'node:worker_threads';
import { encodeModel } from '../src/core/onnx/codec.js';
import { makeCnn } from '../src/core/testing/synth.js';
import { planExplore, runExplore, type EvalPool, type ExplorePlan } from '../src/core/explore/explore.js';
import { randomSamples } from '../src/core/explore/samples.js';
import { inferenceCost } from '../src/core/analysis/inferenceCost.js';
import type { RawEval } from '../src/core/explore/runner.js';
import type { Model } from '../src/core/ir/types.js';
import type { CnnOptions } from '../src/core/testing/synth.js';
import type { Browser, Page } from 'playwright-core';
import { buildApp, FILES_SUBDIR, launch, pageFetch, pageOpen, placeFile, startPreview } from './browser.js';
import { ensureCnn } from './synthFiles.js';

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

const SWEEP_CNN: CnnOptions = { blocks: 9, targetWeightBytes: 2e6, inputSize: 32, residualEvery: 0, stages: 3 };

export function sweepBenchModel(): Model {
  return makeCnn(SWEEP_CNN);
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

// ---------------------------------------------------------------------------------------------------
// In Chromium

/** The same figures as the Node rows, with the app's own timings: setupMs is the runners decoding,
 * compiling and running the reference in parallel (timings.startMs), sensitivityMs the baseline and the
 * sensitivity pass, batch the pool's maxBatch (samples stacked per run). */
export interface SweepBrowserRow extends SweepBenchRow {
  browser: string;
  /** navigator.hardwareConcurrency in the page */
  cores: number;
  /** page side, from Start to the results in the store (encode, prepare, worker start, the sweep) */
  wallMs: number;
  runs: number;
}

type SweepWindow = {
  __qonnxStudio: {
    useApp: { getState(): { setExplorePanelOpen(v: boolean): void; notice: { kind: string; message: string } | null } };
    useExplore: {
      getState(): {
        run: {
          status: string;
          message?: string;
          plan?: { quantizers: unknown[] };
          samples?: number;
          poolSize?: number;
          maxBatch?: number;
          points: unknown[];
          runs?: number;
          timings?: { startMs: number; sensitivityMs: number; frontMs: number };
          wallMs?: number;
        } | null;
      };
    };
  };
};

/** Wait in the page until the sweep ends; its numbers from the explore store. */
async function pageSweepResult(timeoutMs: number) {
  const w = window as unknown as SweepWindow;
  const t0 = performance.now();
  for (;;) {
    const r = w.__qonnxStudio.useExplore.getState().run;
    if (r && (r.status === 'error' || r.status === 'cancelled')) throw new Error(`the sweep ended: ${r.status}: ${r.message}`);
    if (r && r.status === 'done' && r.timings) {
      return {
        cores: navigator.hardwareConcurrency,
        quantizers: r.plan?.quantizers.length ?? 0,
        samples: r.samples ?? 0,
        runners: r.poolSize ?? 0,
        batch: r.maxBatch ?? 0,
        setupMs: r.timings.startMs,
        // as runExplore's progress counts them (and the Node table): the opened widths once, then each
        // quantizer alone at each other width (runs also holds the baseline's exec-style run and the front)
        sensitivityConfigs: (r.runs ?? 0) - r.points.length - 1,
        sensitivityMs: r.timings.sensitivityMs,
        frontPoints: r.points.length,
        frontMs: r.timings.frontMs,
        wallMs: r.wallMs ?? NaN,
        runs: r.runs ?? 0,
      };
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`the sweep did not end within ${timeoutMs} ms (status ${r?.status})`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface SweepBrowserOptions {
  samples?: number;
  /** the app is already built into bench/out/web */
  built?: boolean;
  timeoutMs?: number;
  log?: (s: string) => void;
}

export async function runSweepBrowser(opts: SweepBrowserOptions = {}): Promise<SweepBrowserRow> {
  const log = opts.log ?? (() => undefined);
  const n = opts.samples ?? 32;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  if (!opts.built) {
    log('sweep in Chromium: vite build → bench/out/web ...');
    await buildApp(false);
  }
  const f = ensureCnn(SWEEP_CNN);
  const name = 'sweep_cnn_20q.onnx';
  placeFile(f.path, `${name}.bin`);
  const macs = Number(inferenceCost(sweepBenchModel()).total_cost.total_macs);
  const server = await startPreview();
  let browser: Browser | undefined;
  try {
    browser = (await launch(log)).browser;
    // service workers blocked: a production build's worker reloads the page once when it takes control
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1, serviceWorkers: 'block' });
    await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
    const page: Page = await context.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.getByTestId('start-screen').waitFor({ state: 'visible', timeout: 30_000 });
    await page.evaluate(pageFetch, `${server.url}${FILES_SUBDIR}/${encodeURIComponent(name)}.bin`);
    await page.evaluate(pageOpen, { name, timeoutMs: 120_000 });
    await page.getByTestId('explore-button').click();
    await page.getByTestId('explore-panel').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('explore-source').selectOption('random');
    await page.getByTestId('explore-n').fill(String(n));
    await page.getByTestId('explore-seed').fill('0');
    await page.getByTestId('explore-bits').fill('2,3,4,5,6,8');
    log(`sweep in Chromium: ${n} random samples, widths 2,3,4,5,6,8 ...`);
    await page.getByTestId('explore-start').click();
    const r = await page.evaluate(pageSweepResult, timeoutMs);
    await page.getByTestId('explore-done').waitFor({ state: 'visible', timeout: 30_000 });
    log(`  → ${r.runners} runners: setup ${(r.setupMs / 1000).toFixed(1)} s, sensitivity ${(r.sensitivityMs / 1000).toFixed(1)} s, front ${(r.frontMs / 1000).toFixed(1)} s`);
    if (process.env.SWEEP_BENCH_SCREENSHOT) await page.screenshot({ path: process.env.SWEEP_BENCH_SCREENSHOT });
    await context.close();
    return { browser: `Chromium ${browser.version()}`, macsPerSample: macs, ...r };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
}

export function sweepBrowserTable(r: SweepBrowserRow): string {
  const out = [`## Precision explorer (sweep) in Chromium (${r.browser})`, ''];
  out.push(`The same CNN (${r.quantizers} quantizers, ${(r.macsPerSample / 1e6).toFixed(1)} M MACs per sample) opened in the production build; Explore with random inputs (${r.samples} samples, seed 0), widths 2,3,4,5,6,8, on the pool the app chose for ${r.cores} core${r.cores === 1 ? '' : 's'} (runner workers, one onnxruntime-web thread each). Times are the app's own: runners starting (decode, compile, reference outputs), baseline + sensitivity pass, front; total is the page's, from Start to the results (encoding the model, preparing the samples, starting the workers included).`, '');
  const inf = r.sensitivityConfigs * r.samples;
  out.push('| runners | samples per run | setup | sensitivity configs | sensitivity pass | sample-inferences/s | front points | front | total |', '|---|---|---|---|---|---|---|---|---|');
  out.push(`| ${r.runners} | ${r.batch} | ${(r.setupMs / 1000).toFixed(1)} s | ${r.sensitivityConfigs} | ${(r.sensitivityMs / 1000).toFixed(1)} s | ${Math.round(inf / (r.sensitivityMs / 1000))} | ${r.frontPoints} | ${(r.frontMs / 1000).toFixed(1)} s | ${(r.wallMs / 1000).toFixed(1)} s |`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = (s: string) => process.stderr.write(s + '\n');
  if (process.argv.includes('--browser')) process.stdout.write(sweepBrowserTable(await runSweepBrowser({ log, built: process.argv.includes('--built') })) + '\n');
  else {
    const rows = await runSweepBench(process.argv.includes('--one') ? [1] : [1, 2], 32, log);
    process.stdout.write(sweepTable(rows) + '\n');
  }
}
