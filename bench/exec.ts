/**
 * The execution suite: time per inference after warm-up, quantized model vs its float twin.
 *
 *   npx tsx bench/exec.ts [--runs N | --quick] [--only a,b] [--no-browser | --browser-only] [--json FILE]
 *
 * Node (bench/execWorker.ts, one child process per model, onnxruntime-web with one thread): the Engine
 * on the quantized model, the same keeping every tensor, RunStore.run (what the app's worker does: keep
 * every tensor and summarise it), the Engine on the float twin, and plain onnxruntime-web on the float
 * twin as one session (the baseline) and on the separately trained float model where its input shape
 * matches. Where the time goes: time inside onnxruntime's session.run, and each QONNX kernel alone.
 *
 * Chromium (when /usr/bin/chromium exists, or --browser): the production build (in bench/out/web-exec,
 * served by a small static server here), the model opened in the page, then the run panel's Run button with
 * "compare with float" on: warm-up runs, then timed runs; the store's run.quant.ms / run.float.ms are
 * the worker's Engine.run times, "app wall" is click to results shown (summaries, transfer, compare).
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, systemChromium } from './browser.js';
import { SHARED_MODELS_DIR } from './cases.js';
import { runChild, type ChildOutcome } from './child.js';
import type { PageExecResult } from './execPage/main.js';
import type { ExecResult } from './execWorker.js';
import { OUT_DIR, REPO_ROOT } from './synthFiles.js';
import { markdownTable, median, ms, type Column } from './table.js';

export interface ExecCase {
  id: string;
  file: string;
  /** a separately trained float model of the same network, when there is one */
  floatFile?: string;
  label: string;
}

/** TFC, the two ESPCN pairs and the largest runnable model. */
export function execCases(): ExecCase[] {
  const f = (n: string) => join(SHARED_MODELS_DIR, n);
  const list: ExecCase[] = [
    { id: 'zoo_TFC_2W2A', file: f('zoo_TFC_2W2A.onnx'), label: 'TFC 2W2A (MLP, 31 nodes)' },
    { id: 'qonnx_espcn_subpixel_quant', file: f('qonnx_espcn_subpixel_quant.onnx'), floatFile: f('qonnx_espcn_subpixel_float.onnx'), label: 'ESPCN sub-pixel, 128x128 input' },
    { id: 'qonnx_espcn_nnresize_quant', file: f('qonnx_espcn_nnresize_quant.onnx'), floatFile: f('qonnx_espcn_nnresize_float.onnx'), label: 'ESPCN NN-resize, 128x128 input' },
    { id: 'finnplus_metafi_step_qonnx_to_finn', file: f('finnplus_metafi_step_qonnx_to_finn.onnx'), label: 'largest runnable (305 nodes, 54 MultiThreshold)' },
  ];
  return list.filter((c) => existsSync(c.file));
}

export interface ExecRow {
  c: ExecCase;
  node: ChildOutcome<ExecResult>;
}

export interface BrowserExecRun {
  quantMs: number;
  floatMs: number;
  wallMs: number;
}
export interface BrowserExecRow {
  c: ExecCase;
  runs: BrowserExecRun[];
  sessions?: number;
  kernelSteps?: number;
  lowered?: number;
  isolated?: boolean;
  error?: string;
}

/** One bench-page measurement: one model at one thread count. */
export interface PageExecRow {
  c: ExecCase;
  threads: number;
  result?: PageExecResult;
  error?: string;
}
/** The onnxruntime thread counts of the bench page. */
const PAGE_THREADS = [1, 2];

const log = (s: string) => process.stderr.write(`${s}\n`);

export async function runExecNode(cases: ExecCase[], runs: number): Promise<ExecRow[]> {
  const rows: ExecRow[] = [];
  for (const c of cases) {
    log(`exec  ${c.id} ...`);
    rows.push({ c, node: await runChild<ExecResult>('./execWorker.ts', c.floatFile ? [c.file, String(runs), c.floatFile] : [c.file, String(runs)], 600_000) });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Chromium. These functions run in the page (serialised by Playwright): self-contained.

type PageStore = {
  useApp: {
    getState(): {
      doc: unknown;
      layout: unknown;
      setRunPanelOpen(v: boolean): void;
      run: { runId: number; status: string; message?: string; quant?: { ms: number; sessions: number; kernelSteps: number; lowered: number }; float?: { ms: number } } | null;
    };
    subscribe(f: (s: unknown) => void): () => void;
  };
  openFiles(files: File[]): Promise<void>;
};

async function pageOpenModel(arg: { url: string; name: string }): Promise<boolean> {
  const studio = (window as unknown as { __qonnxStudio: PageStore }).__qonnxStudio;
  const blob = await (await fetch(arg.url)).blob();
  await studio.openFiles([new File([blob], arg.name)]);
  const t0 = performance.now();
  while (!(studio.useApp.getState().doc && studio.useApp.getState().layout)) {
    if (performance.now() - t0 > 60_000) throw new Error('the model did not open');
    await new Promise((r) => setTimeout(r, 20));
  }
  studio.useApp.getState().setRunPanelOpen(true);
  return (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

async function pageRunOnce(): Promise<{ quantMs: number; floatMs: number; wallMs: number; sessions: number; kernelSteps: number; lowered: number }> {
  const studio = (window as unknown as { __qonnxStudio: PageStore }).__qonnxStudio;
  const prev = studio.useApp.getState().run?.runId ?? -1;
  const button = document.querySelector('[data-testid="run-button"]') as HTMLButtonElement;
  const t0 = performance.now();
  button.click();
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      const r = studio.useApp.getState().run;
      if (r && r.runId !== prev && r.status !== 'running') {
        un();
        if (r.status === 'done') resolve();
        else reject(new Error(`run ${r.status}: ${r.message ?? ''}`));
      }
    };
    const un = studio.useApp.subscribe(check);
    check();
  });
  // results drawn
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const r = studio.useApp.getState().run!;
  return { quantMs: r.quant!.ms, floatMs: r.float?.ms ?? NaN, wallMs: performance.now() - t0, sessions: r.quant!.sessions, kernelSteps: r.quant!.kernelSteps, lowered: r.quant!.lowered };
}

/** Its own build directory (the browser suite empties bench/out/web when it builds). */
const EXEC_WEB = join(OUT_DIR, 'web-exec');
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** vite build of the app (into EXEC_WEB) or, with a config file, of what that config names. */
function viteBuild(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', ...args, '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}): ${err}`))));
  });
}
const buildExecApp = () => viteBuild(['--outDir', EXEC_WEB, '--emptyOutDir']);
/** The bench page (bench/execPage), built into bench/out/exec-page by its own config. */
const EXEC_PAGE = join(OUT_DIR, 'exec-page');
const buildExecPage = () => viteBuild(['--config', join(REPO_ROOT, 'bench', 'execPage', 'vite.config.ts')]);

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, hence onnxruntime threads). */
const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };

/** A static server for a build in `root`; model files (outside the build) under /models/<id>; `headers` on every response. */
function serve(root: string, files: Map<string, string>, headers: Record<string, string> = {}): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file = path.startsWith('/models/') ? files.get(path.slice('/models/'.length)) : normalize(join(root, path === '/' ? 'index.html' : path));
    if (file && !path.startsWith('/models/') && !file.startsWith(root + sep)) file = undefined;
    if (!file || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`, server });
  }));
}

async function browserCase(browser: Browser, appUrl: string, fileUrl: string, c: ExecCase, runs: number, warmup: number): Promise<BrowserExecRow> {
  const row: BrowserExecRow = { c, runs: [] };
  // service workers blocked: the page stays as served (one onnxruntime thread, as in Node)
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: 'block' });
  try {
    await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
    const page = await context.newPage();
    await page.goto(appUrl, { waitUntil: 'load' });
    await page.getByTestId('start-screen').waitFor({ state: 'visible', timeout: 30_000 });
    row.isolated = await page.evaluate(pageOpenModel, { url: fileUrl, name: `${c.id}.onnx` });
    await page.getByTestId('run-button').waitFor({ state: 'visible', timeout: 30_000 });
    const compare = page.getByTestId('run-compare');
    if (!(await compare.isChecked())) await compare.check();
    for (let i = 0; i < warmup + runs; i++) {
      const r = await page.evaluate(pageRunOnce);
      row.sessions = r.sessions;
      row.kernelSteps = r.kernelSteps;
      row.lowered = r.lowered;
      if (i >= warmup) row.runs.push({ quantMs: r.quantMs, floatMs: r.floatMs, wallMs: r.wallMs });
    }
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    await context.close();
  }
  return row;
}

/** The per-row deadline of the bench page (model load, two prepares, warm-up and the timed rounds). */
const PAGE_TIMEOUT_MS = 10 * 60_000;

async function pageCase(browser: Browser, pageUrl: string, modelUrl: string, c: ExecCase, threads: number, rounds: number): Promise<PageExecRow> {
  const row: PageExecRow = { c, threads };
  // a fresh context and page per row: each page load starts its own onnxruntime
  const context = await browser.newContext({ serviceWorkers: 'block' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures: string[] = [];
  try {
    const page = await context.newPage();
    // page errors (also those of onnxruntime's thread workers) go into the row when it fails
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message.split('\n')[0]));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text().split('\n')[0])));
    page.on('worker', (w) => w.on('console', (m) => void (m.type() === 'error' && errors.push(`worker: ${m.text().split('\n')[0]}`))));
    failures = errors;
    await page.goto(`${pageUrl}?threads=${threads}`, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.__execBench === 'function', undefined, { timeout: 30_000 });
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${PAGE_TIMEOUT_MS / 1000} s`)), PAGE_TIMEOUT_MS)));
    row.result = await Promise.race([page.evaluate(([u, n]) => window.__execBench!(u, n), [modelUrl, rounds] as [string, number]), deadline]);
  } catch (e) {
    row.error = [(e as Error).message.split('\n')[0], ...failures.slice(0, 3)].join('; ');
  } finally {
    clearTimeout(timer);
    await context.close();
  }
  return row;
}

/** The bench page in Chromium, cross-origin isolated, one fresh page per model and thread count. */
async function runExecPage(browser: Browser, cases: ExecCase[], runs: number): Promise<PageExecRow[]> {
  log('exec page: vite build → bench/out/exec-page ...');
  await buildExecPage();
  const { url, server } = await serve(EXEC_PAGE, new Map(cases.map((c) => [c.id, c.file])), ISOLATION_HEADERS);
  try {
    const rows: PageExecRow[] = [];
    for (const c of cases)
      for (const threads of PAGE_THREADS) {
        log(`exec page ${c.id}, ${threads} thread${threads > 1 ? 's' : ''} ...`);
        rows.push(await pageCase(browser, url, `${url}models/${encodeURIComponent(c.id)}`, c, threads, Math.max(runs, 9)));
      }
    return rows;
  } finally {
    await new Promise((r) => server.close(r));
  }
}

export interface ExecBrowserResult {
  /** the app driven through its Run button */
  rows: BrowserExecRow[];
  chromium: string;
  load: number;
  /** the bench page, per model and thread count */
  page: PageExecRow[];
  /** why the bench page part failed as a whole */
  pageError?: string;
}

export async function runExecBrowser(cases: ExecCase[], runs: number): Promise<ExecBrowserResult> {
  log('exec browser: vite build → bench/out/web-exec ...');
  await buildExecApp();
  const { url, server } = await serve(EXEC_WEB, new Map(cases.map((c) => [c.id, c.file])));
  let browser: Browser | undefined;
  try {
    const exe = systemChromium();
    browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
    const rows: BrowserExecRow[] = [];
    for (const c of cases) {
      log(`exec browser ${c.id} ...`);
      rows.push(await browserCase(browser, url, `${url}models/${encodeURIComponent(c.id)}`, c, runs, 2));
    }
    const load = loadavg()[0];
    let page: PageExecRow[] = [];
    let pageError: string | undefined;
    try {
      page = await runExecPage(browser, cases, runs);
    } catch (e) {
      pageError = (e as Error).message.split('\n')[0];
      log(`exec page failed: ${pageError}`);
    }
    return { rows, chromium: `Chromium ${browser.version()}`, load, page, pageError };
  } finally {
    await browser?.close().catch(() => undefined);
    await new Promise((r) => server.close(r));
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

const ok = (r: ExecRow, f: (v: ExecResult) => string) => (r.node.status === 'ok' ? f(r.node.value) : '');
const med = (xs: number[] | undefined) => (xs && xs.length ? median(xs) : undefined);
/** The float twin's plain-onnxruntime time: the baseline of the 2x target. */
const baseline = (v: ExecResult) => med(v.twinOrt);

export function execTable(rows: ExecRow[]): string {
  const cols: Column<ExecRow>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.node.status === 'ok' ? r.c.id : `${r.c.id} (${r.node.status === 'timeout' ? 'timed out' : `error: ${r.node.message}`})`) },
    { header: 'sessions / QONNX ops as std ops / kernel steps', cell: (r) => ok(r, (v) => `${v.sessions} / ${v.lowered} / ${v.kernelSteps}`) },
    { header: 'prepare', cell: (r) => ok(r, (v) => ms(v.prepareMs)) },
    { header: 'quant (Engine)', cell: (r) => ok(r, (v) => ms(med(v.quant))) },
    { header: 'min', cell: (r) => ok(r, (v) => ms(Math.min(...v.quant))) },
    { header: 'keepAll', cell: (r) => ok(r, (v) => ms(med(v.keepAll))) },
    { header: 'app run (RunStore)', cell: (r) => ok(r, (v) => ms(med(v.store))) },
    { header: 'float twin (Engine)', cell: (r) => ok(r, (v) => ms(med(v.twinEngine))) },
    { header: 'float twin (plain ORT)', cell: (r) => ok(r, (v) => (v.twinOrt ? ms(med(v.twinOrt)) : 'n/a')) },
    { header: 'float model (plain ORT)', cell: (r) => ok(r, (v) => (v.floatOrt ? ms(med(v.floatOrt)) : r.c.floatFile ? 'n/a' : '')) },
    { header: 'quant / twin ORT', cell: (r) => ok(r, (v) => (baseline(v) ? `${(med(v.quant)! / baseline(v)!).toFixed(2)}×` : '')) },
    { header: 'within 2×', cell: (r) => ok(r, (v) => (baseline(v) ? (med(v.quant)! <= 2 * baseline(v)! ? 'yes' : 'NO') : '')) },
  ];
  return markdownTable(cols, rows);
}

export function whereTable(rows: ExecRow[]): string {
  const cols: Column<ExecRow>[] = [
    { header: 'model', align: 'left', cell: (r) => r.c.id },
    { header: 'quant run', cell: (r) => ok(r, (v) => ms(med(v.quant))) },
    { header: 'in ORT session.run', cell: (r) => ok(r, (v) => ms(v.ortInsideMs)) },
    { header: 'QONNX kernels (alone)', cell: (r) => ok(r, (v) => Object.entries(v.kernels).map(([k, x]) => `${k} ×${x.nodes}: ${ms(x.ms)}`).join(', ') || '–') },
    { header: 'rest (feeds, outputs, glue)', cell: (r) => ok(r, (v) => ms(Math.max(0, med(v.quant)! - v.ortInsideMs - Object.values(v.kernels).reduce((a, x) => a + x.ms, 0)))) },
    { header: 'summaries (app run − keepAll)', cell: (r) => ok(r, (v) => ms(Math.max(0, med(v.store)! - med(v.keepAll)!))) },
    { header: 'notes', align: 'left', cell: (r) => ok(r, (v) => [v.twinOrtNote, v.floatOrtNote && `float model: ${v.floatOrtNote}`].filter(Boolean).join('; ')) },
  ];
  return markdownTable(cols, rows);
}

export function browserExecTable(rows: BrowserExecRow[]): string {
  const m = (r: BrowserExecRow, f: (x: BrowserExecRun) => number) => (r.runs.length ? ms(median(r.runs.map(f))) : '');
  const cols: Column<BrowserExecRow>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.error ? `${r.c.id} (error: ${r.error})` : r.c.id) },
    { header: 'sessions / QONNX ops as std ops / kernel steps', cell: (r) => (r.sessions !== undefined ? `${r.sessions} / ${r.lowered} / ${r.kernelSteps}` : '') },
    { header: 'quant (worker Engine.run)', cell: (r) => m(r, (x) => x.quantMs) },
    { header: 'float twin (worker Engine.run)', cell: (r) => m(r, (x) => x.floatMs) },
    { header: 'quant / twin', cell: (r) => (r.runs.length ? `${(median(r.runs.map((x) => x.quantMs)) / median(r.runs.map((x) => x.floatMs))).toFixed(2)}×` : '') },
    { header: 'app wall (both runs + compare + UI)', cell: (r) => m(r, (x) => x.wallMs) },
    { header: 'cross-origin isolated', cell: (r) => (r.isolated === undefined ? '' : r.isolated ? 'yes (threads)' : 'no (1 thread)') },
  ];
  return markdownTable(cols, rows);
}

/** Speed-up of the quantized run at this row's thread count over the same model at 1 thread. */
function pageSpeedup(rows: PageExecRow[], r: PageExecRow): string {
  if (r.threads === 1 || !r.result) return '';
  const one = rows.find((x) => x.c.id === r.c.id && x.threads === 1)?.result;
  return one ? `${(one.quant / r.result.quant).toFixed(2)}×` : '';
}

export function pageExecTable(rows: PageExecRow[]): string {
  const ok = (r: PageExecRow, f: (v: PageExecResult) => string) => (r.result ? f(r.result) : '');
  const cols: Column<PageExecRow>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.error ? `${r.c.id} (error: ${r.error})` : r.c.id) },
    { header: 'threads asked / used, isolated', cell: (r) => (r.result ? `${r.threads} / ${r.result.threadsUsed}, ${r.result.crossOriginIsolated ? 'yes' : 'no'}` : `${r.threads} / –`) },
    { header: 'quant (Engine)', cell: (r) => ok(r, (v) => ms(v.quant)) },
    { header: 'twin (Engine)', cell: (r) => ok(r, (v) => ms(v.twinEngine)) },
    { header: 'twin (plain ORT)', cell: (r) => ok(r, (v) => (v.twinOrt !== undefined ? ms(v.twinOrt) : 'n/a')) },
    { header: 'quant / twin ORT', cell: (r) => ok(r, (v) => (v.twinOrt ? `${(v.quant / v.twinOrt).toFixed(2)}×` : '')) },
    { header: 'within 2×', cell: (r) => ok(r, (v) => (v.twinOrt ? (v.quant <= 2 * v.twinOrt ? 'yes' : 'NO') : '')) },
    { header: 'quant speed-up vs 1 thread', cell: (r) => pageSpeedup(rows, r) },
  ];
  return markdownTable(cols, rows);
}

export function execReport(rows: ExecRow[], runs: number, browser?: ExecBrowserResult, load0 = loadavg()[0]): string {
  const out: string[] = [];
  out.push(`## Execution: time per inference after warm-up (median of ${runs} run${runs > 1 ? 's' : ''})`);
  if (rows.length) {
    out.push('');
    out.push(`Node ${process.version}, onnxruntime-web (wasm, 1 thread), ${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}, load average ${load0.toFixed(1)} before. Seeded random inputs (seed 1), 3 warm-up runs; a call under ~10 ms is repeated to fill ~10 ms per round and every call is a sample (median over all); the quantized run, the float twins and the float model are sampled in turns (${Math.max(runs, 9)} rounds) so a slow spell of the machine hits them alike. Each model in its own process.`);
    out.push('');
    out.push(execTable(rows));
    out.push('');
    out.push('- quant (Engine): `Engine.run` on the quantized model, graph outputs only (prepare = folding weight quantizers and compiling the sessions, once). keepAll: every tensor returned. app run: `RunStore.run`, what the app\'s worker does per run (keepAll plus per-tensor statistics, histogram and saturation).');
    out.push('- float twin (Engine): every quantizer bypassed, run by the Engine. float twin (plain ORT): that bypassed, folded model as ONE onnxruntime session with only the graph outputs and no initializer among its inputs: the baseline of the target "quantized within 2× of the float twin". float model: the separately trained float network of the pair (only when its input shape is the quantized model\'s).');
    out.push('');
    out.push('### Where the quantized run\'s time goes');
    out.push('');
    out.push(whereTable(rows));
    out.push('');
    out.push('- in ORT session.run: summed time inside onnxruntime for one run (median). QONNX kernels: each node\'s kernel run alone on its real inputs (median per node, summed per op type). rest: the remainder (input tensors, copying every session output out of wasm memory, scheduling).');
  }
  if (browser) {
    out.push('');
    out.push(`### In Chromium (${browser.chromium}, production build, the run panel with "compare with float"; median of ${runs}, 2 warm-up runs; load average ${browser.load.toFixed(1)} after)`);
    out.push('');
    out.push(browserExecTable(browser.rows));
    out.push('');
    out.push('- quant / float twin: `run.quant.ms` / `run.float.ms` from the store, the worker\'s `Engine.run` times (after compilation). app wall: Run clicked to results drawn: both runs, per-tensor summaries, transfer to the page, compare.');
    if (browser.page.length || browser.pageError) {
      const res = browser.page.flatMap((r) => (r.result ? [r.result] : []));
      const timer = res.length ? Math.max(...res.map((v) => v.timerResolutionMs)) : undefined;
      out.push('');
      out.push('### In Chromium: per inference, 1 and 2 threads');
      out.push('');
      out.push(`${browser.chromium}, the bench page (bench/execPage) on its main thread, one fresh page per model and thread count; seeded random inputs (seed 1), 3 warm-up calls, then ${Math.max(runs, 9)} rounds in turns as in Node (a sample is the mean of enough consecutive calls to last 50 timer steps; median over all samples)${timer !== undefined ? `; timer resolution ${timer < 0.01 ? `${(timer * 1000).toFixed(0)} µs` : ms(timer)}` : ''}.`);
      out.push('');
      const workers = PAGE_THREADS.map((n) => [n, [...new Set(browser.page.filter((r) => r.threads === n && r.result).map((r) => r.result!.workers))]] as const).filter(([, w]) => w.length);
      if (browser.pageError) out.push(`The bench page failed: ${browser.pageError}`);
      else out.push(pageExecTable(browser.page));
      out.push('');
      out.push(`- The static server sends \`Cross-Origin-Opener-Policy: same-origin\` and \`Cross-Origin-Embedder-Policy: require-corp\`, so the page is cross-origin isolated and onnxruntime-web can start wasm threads: \`?threads=N\` sets \`env.wasm.numThreads\` before the first session; "used" is \`env.wasm.numThreads\` after onnxruntime started (it falls back to 1 without isolation)${workers.length ? `; thread Workers the page started: ${workers.map(([n, w]) => `${w.join(' or ')} at ${n} thread${n > 1 ? 's' : ''}`).join(', ')}` : ''}. quant: \`Engine.run\` on the quantized model (graph outputs only); twin (Engine): the Engine with every quantizer bypassed; twin (plain ORT): that bypassed, folded model as ONE onnxruntime session, only the graph outputs, no initializer among its inputs (n/a when custom ops remain). Speed-up: quant at 1 thread / quant at 2 threads.`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  let runs = 5;
  let only: string[] = [];
  let node = true;
  let browser: boolean | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') runs = 1;
    else if (k === '--runs') runs = Math.max(1, Number(argv[++i]) || 1);
    else if (k === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (k === '--no-browser') browser = false;
    else if (k === '--browser') browser = true;
    else if (k === '--browser-only') {
      browser = true;
      node = false;
    } else if (k === '--json') json = argv[++i];
    else throw new Error(`Unknown option ${k}`);
  }
  let cases = execCases();
  if (only.length) cases = cases.filter((c) => only.some((s) => c.id.includes(s)));
  const load0 = loadavg()[0];
  const rows = node ? await runExecNode(cases, runs) : [];
  let b: Awaited<ReturnType<typeof runExecBrowser>> | undefined;
  if (browser ?? systemChromium() !== undefined) {
    try {
      b = await runExecBrowser(cases, runs);
    } catch (e) {
      log(`exec browser suite failed: ${(e as Error).message}`);
    }
  }
  process.stdout.write(`${execReport(rows, runs, b, load0)}\n`);
  if (json) writeFileSync(json, JSON.stringify({ runs, node: rows.map((r) => ({ id: r.c.id, result: r.node })), browser: b && b.rows.map(({ c, ...rest }) => ({ id: c.id, ...rest })), page: b && b.page.map(({ c, ...rest }) => ({ id: c.id, ...rest })), pageError: b?.pageError }, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}

