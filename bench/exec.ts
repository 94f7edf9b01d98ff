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

function buildExecApp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', EXEC_WEB, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}): ${err}`))));
  });
}

/** A static server for the build; model files (outside the build) under /models/<id>. */
function serve(files: Map<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file = path.startsWith('/models/') ? files.get(path.slice('/models/'.length)) : normalize(join(EXEC_WEB, path === '/' ? 'index.html' : path));
    if (file && !path.startsWith('/models/') && !file.startsWith(EXEC_WEB + sep)) file = undefined;
    if (!file || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
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

export async function runExecBrowser(cases: ExecCase[], runs: number): Promise<{ rows: BrowserExecRow[]; chromium: string; load: number }> {
  log('exec browser: vite build → bench/out/web-exec ...');
  await buildExecApp();
  const { url, server } = await serve(new Map(cases.map((c) => [c.id, c.file])));
  let browser: Browser | undefined;
  try {
    const exe = systemChromium();
    browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
    const rows: BrowserExecRow[] = [];
    for (const c of cases) {
      log(`exec browser ${c.id} ...`);
      rows.push(await browserCase(browser, url, `${url}models/${encodeURIComponent(c.id)}`, c, runs, 2));
    }
    return { rows, chromium: `Chromium ${browser.version()}`, load: loadavg()[0] };
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
    { header: 'sessions / quantizers as std ops / kernel steps', cell: (r) => ok(r, (v) => `${v.sessions} / ${v.lowered} / ${v.kernelSteps}`) },
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
    { header: 'sessions / quantizers as std ops / kernel steps', cell: (r) => (r.sessions !== undefined ? `${r.sessions} / ${r.lowered} / ${r.kernelSteps}` : '') },
    { header: 'quant (worker Engine.run)', cell: (r) => m(r, (x) => x.quantMs) },
    { header: 'float twin (worker Engine.run)', cell: (r) => m(r, (x) => x.floatMs) },
    { header: 'quant / twin', cell: (r) => (r.runs.length ? `${(median(r.runs.map((x) => x.quantMs)) / median(r.runs.map((x) => x.floatMs))).toFixed(2)}×` : '') },
    { header: 'app wall (both runs + compare + UI)', cell: (r) => m(r, (x) => x.wallMs) },
    { header: 'cross-origin isolated', cell: (r) => (r.isolated === undefined ? '' : r.isolated ? 'yes (threads)' : 'no (1 thread)') },
  ];
  return markdownTable(cols, rows);
}

export function execReport(rows: ExecRow[], runs: number, browser?: { rows: BrowserExecRow[]; chromium: string; load: number }, load0 = loadavg()[0]): string {
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
  if (json) writeFileSync(json, JSON.stringify({ runs, node: rows.map((r) => ({ id: r.c.id, result: r.node })), browser: b && b.rows.map(({ c, ...rest }) => ({ id: c.id, ...rest })) }, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}

