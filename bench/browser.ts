/**
 * The browser benchmark: time from file-open to graph drawn, in headless Chromium, on the production build.
 *
 *   1. `vite build` into bench/out/web (not dist/, which the e2e suite serves and deployments publish), and
 *      hard-link the model files into bench/out/web/bench-files/ so the page can fetch them.
 *   2. Serve it with `vite preview` on a free port (a child process, stopped at the end).
 *   3. Launch /usr/bin/chromium (or Playwright's own browser) through playwright-core.
 *   4. Per case and run, in a fresh browser context (empty cache, new page, new worker): load the app,
 *      wait for the start screen, fetch the model bytes into a Blob (not timed), then in the page
 *      t0 = performance.now(); new File(...); __qonnxStudio.openFiles([file]) and wait until the graph
 *      canvas has painted the store's current layout (window.__qonnxFrame.key === layout.key):
 *      drawn = __qonnxFrame.at - t0. Recorded beside it: the app's own stage timings (doc.timings,
 *      layout.ms), when the store received the document and the layout, the longest main-thread task,
 *      the main thread's JS heap (CDP Performance.getMetrics), and the same open again in the same page.
 *   5. On the cases that ask for it (the 20,000-node graph): fit the whole graph, then 30 wheel-zoom steps
 *      and 30 drag-pan steps, with every requestAnimationFrame timestamp recorded in the page: frame
 *      intervals (median, p95, max) and the main thread's busy share.
 *   6. With `profile`, one more open per case with V8's sampling profiler on (a Chrome trace, which covers
 *      the page and the model worker) on an unminified build, mapped to source lines through its source
 *      maps and summarised as the top self-time functions and modules per thread.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { basename, join, relative } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { BenchCase } from './cases.js';
import { OUT_DIR, REPO_ROOT } from './synthFiles.js';
import { markdownTable, mb, median, ms, percentile, type Column } from './table.js';

const MiB = 1024 * 1024;
export const WEB_DIR = join(OUT_DIR, 'web');
/** The unminified build for profiles lives inside the served directory, so one server serves both. */
export const PROFILE_SUBDIR = 'profile';
export const FILES_SUBDIR = 'bench-files';
const VITE_BIN = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const VIEWPORT = { width: 1400, height: 900 };
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The system Chromium, when there is one. */
export function systemChromium(): string | undefined {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

// ---------------------------------------------------------------------------------------------------
// Results

/** One open of one model, all times in ms from t0 (just before the File is made and openFiles called). */
export interface BrowserRun {
  /** the canvas painted the current layout */
  drawn: number;
  /** the store received the decoded document (worker read + decode + check, and the copy to the page) */
  docAt: number;
  /** the store received the layout (view graph on the page, layout in the worker, copies both ways) */
  layoutAt: number;
  /** the app's own stage timings (doc.timings: the worker's read, decode, check, ... whatever it records) */
  timings: Record<string, number>;
  /** layeredLayout in the worker (store layout.ms) */
  layout: number;
  /** longest main-thread task between t0 and drawn (PerformanceObserver 'longtask'; 0 when none ≥ 50 ms) */
  longestTask: number;
  /** main-thread JS heap right after the open, and after a forced GC (CDP Performance.getMetrics) */
  heapUsed: number;
  heapAfterGc: number;
  modelNodes: number;
  viewNodes: number;
  viewEdges: number;
  /** → drawn when the same file is opened again in the same page (worker started, code warm) */
  warmDrawn?: number;
}

export interface FrameStats {
  steps: number;
  frames: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** wall time from the first input to the last frame */
  spanMs: number;
  zoomFrom: number;
  zoomTo: number;
  /** main-thread task time over the span (CDP TaskDuration), 0..1 */
  busy: number;
}

export interface Smoothness {
  zoom: FrameStats;
  pan: FrameStats;
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface ThreadProfile {
  /** 'CrRendererMain' (the page), 'DedicatedWorker thread' (the model worker) */
  thread: string;
  /** sampled non-idle time while the open was traced */
  busyMs: number;
  gcMs: number;
  /** top functions by self time */
  top: ProfileEntry[];
  /** top source modules by self time (fn empty) */
  modules: ProfileEntry[];
}

export interface CaseProfile {
  /** → drawn of the profiled open (the profiler slows it down) */
  drawn: number;
  threads: ThreadProfile[];
}

export interface BrowserCaseResult {
  c: BenchCase;
  fileBytes: number;
  runs: BrowserRun[];
  error?: string;
  smooth?: Smoothness;
  smoothError?: string;
  profile?: CaseProfile;
  profileError?: string;
}

export interface BrowserSuiteResult {
  browser: string;
  executable: string;
  buildMs: number;
  wallMs: number;
  runs: number;
  cases: BrowserCaseResult[];
  /** 1-minute load average before and after the suite: other work on the machine skews the figures */
  load: [number, number];
}

export interface BrowserOptions {
  runs: number;
  /** also measure pan/zoom smoothness on the cases that ask for it */
  smoothness?: boolean;
  /** one extra profiled open per case */
  profile?: boolean;
  /** after each timed open, open the same file again in the same page (warm figure) */
  warm?: boolean;
  /** per open, ms */
  openTimeoutMs?: number;
  log?: (s: string) => void;
}

// ---------------------------------------------------------------------------------------------------
// Build and serve

function runNode(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${basename(args[0])} ${args[1]} failed (${signal ?? code}): ${out.trim().split('\n').slice(-8).join('\n')}`));
    });
  });
}

export async function buildApp(profile: boolean): Promise<void> {
  await runNode([VITE_BIN, 'build', '--outDir', WEB_DIR, '--emptyOutDir', '--logLevel', 'warn'], 300_000);
  if (profile) await runNode([VITE_BIN, 'build', '--outDir', join(WEB_DIR, PROFILE_SUBDIR), '--emptyOutDir', '--minify', 'false', '--logLevel', 'warn'], 300_000);
}

/** Hard link when possible (no copy of 100 MB), else copy. */
export function placeFile(src: string, name: string): void {
  const dir = join(WEB_DIR, FILES_SUBDIR);
  mkdirSync(dir, { recursive: true });
  const dst = join(dir, name);
  rmSync(dst, { force: true });
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `vite preview` of bench/out/web on a free port; resolves once it answers. */
export async function startPreview(): Promise<Server> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [VITE_BIN, 'preview', '--outDir', WEB_DIR, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    let exited = false;
    child.on('exit', () => (exited = true));
    const stop = () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const url = `http://127.0.0.1:${port}/`;
    const deadline = performance.now() + 30_000;
    while (!exited && performance.now() < deadline) {
      try {
        const r = await fetch(url);
        if (r.ok) {
          await r.arrayBuffer();
          return {
            url,
            stop: async () => {
              process.off('exit', killOnExit);
              await stop();
            },
          };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    process.off('exit', killOnExit);
    await stop();
    if (attempt >= 2) throw new Error(`vite preview did not start on port ${port}: ${out.trim()}`);
  }
}

export async function launch(log: (s: string) => void): Promise<{ browser: Browser; executable: string }> {
  const sys = systemChromium();
  if (sys) {
    try {
      return { browser: await chromium.launch({ executablePath: sys, args: CHROMIUM_ARGS }), executable: sys };
    } catch (e) {
      log(`could not launch ${sys} (${(e as Error).message.split('\n')[0]}); trying Playwright's own Chromium`);
    }
  }
  return { browser: await chromium.launch({ args: CHROMIUM_ARGS }), executable: chromium.executablePath() };
}

// ---------------------------------------------------------------------------------------------------
// In the page. These functions are serialised by Playwright and run in the page; they must not refer to
// anything outside themselves. (tsx compiles with keepNames, which wraps named inner functions in a
// `__name(...)` helper; an init script defines it in the page.)

interface PageOpenResult {
  drawn: number;
  docAt: number;
  layoutAt: number;
  timings: Record<string, number>;
  layoutMs: number;
  longestTask: number;
  modelNodes: number;
  viewNodes: number;
  viewEdges: number;
}

type PageStudio = {
  useApp: {
    getState(): {
      doc: { timings: Record<string, number>; summary: { node_count: number } } | null;
      layout: { key: string; ms: number; vg: { nodes: unknown[]; edges: unknown[] } } | null;
      notice: { kind: string; message: string } | null;
    };
    subscribe(f: (s: { doc: unknown; layout: unknown }) => void): () => void;
  };
  openFiles(files: File[]): Promise<void>;
};

/** Fetch the model's bytes from the server into a Blob in the page (not timed); kept for a second open. */
export async function pageFetch(url: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetch ${url}: HTTP ${res.status}`);
  const blob = await res.blob();
  (window as unknown as { __benchBlob?: Blob }).__benchBlob = blob;
  return blob.size;
}

/** Open the fetched Blob as a File and wait for the first paint of its layout. */
export async function pageOpen(arg: { name: string; timeoutMs: number }): Promise<PageOpenResult> {
  const w = window as unknown as { __qonnxStudio: PageStudio; __qonnxFrame?: { key: string; at: number }; __benchBlob?: Blob };
  const blob = w.__benchBlob;
  if (!blob) throw new Error('no model bytes in the page');
  delete w.__qonnxFrame; // a second open in the page may produce the same layout key
  const { useApp, openFiles } = w.__qonnxStudio;
  let t0 = Infinity;
  let docAt = NaN;
  let layoutAt = NaN;
  let longestTask = 0;
  const po = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (e.startTime >= t0) longestTask = Math.max(longestTask, e.duration);
  });
  try {
    po.observe({ type: 'longtask', buffered: false });
  } catch {
    // no long task timing here
  }
  const unsub = useApp.subscribe((s) => {
    const now = performance.now();
    if (s.doc && Number.isNaN(docAt)) docAt = now - t0;
    if (s.layout && Number.isNaN(layoutAt)) layoutAt = now - t0;
  });
  t0 = performance.now();
  const file = new File([blob], arg.name, { type: 'application/octet-stream' });
  void openFiles([file]);
  try {
    for (;;) {
      const s = useApp.getState();
      if (s.notice?.kind === 'error') throw new Error(`the app reported: ${s.notice.message}`);
      const f = (window as unknown as { __qonnxFrame?: { key: string; at: number } }).__qonnxFrame;
      if (s.layout && s.doc && f && f.key === s.layout.key && f.at >= t0) {
        // let the long-task observer deliver what happened up to here
        await new Promise((r) => setTimeout(r, 0));
        return {
          drawn: f.at - t0,
          docAt,
          layoutAt,
          timings: s.doc.timings,
          layoutMs: s.layout.ms,
          longestTask,
          modelNodes: s.doc.summary.node_count,
          viewNodes: s.layout.vg.nodes.length,
          viewEdges: s.layout.vg.edges.length,
        };
      }
      if (performance.now() - t0 > arg.timeoutMs) throw new Error(`not drawn within ${arg.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    unsub();
    po.disconnect();
  }
}

/** Record requestAnimationFrame timestamps until stopped (window.__benchFrames). */
function pageStartFrames(): void {
  const w = window as unknown as { __benchFrames?: { ts: number[]; on: boolean } };
  const rec = { ts: [] as number[], on: true };
  w.__benchFrames = rec;
  const tick = (t: number) => {
    if (!rec.on) return;
    rec.ts.push(t);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function pageStopFrames(): number[] {
  const w = window as unknown as { __benchFrames?: { ts: number[]; on: boolean } };
  const rec = w.__benchFrames!;
  rec.on = false;
  return rec.ts;
}

/** Two animation frames: whatever was scheduled has been painted. */
function pageSettle(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}

// ---------------------------------------------------------------------------------------------------
// Driving the page

const KEEP_NAMES_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f);';

/**
 * A fresh context and page with the app on its start screen, ready for a file: service workers blocked
 * (the production worker's one-time isolation reload would race the open, as in the other suites), and
 * the model worker started and warmed up (`__qonnxStudio.ready`), as it is by the time a user has
 * picked a file.
 */
export async function freshPage(browser: Browser, url: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, serviceWorkers: 'block' });
  await context.addInitScript(KEEP_NAMES_SHIM);
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.getByTestId('start-screen').waitFor({ state: 'visible', timeout: 30_000 });
  await page.evaluate(() => (window as unknown as { __qonnxStudio?: { ready?: Promise<void> } }).__qonnxStudio?.ready);
  return { page, close: () => context.close() };
}

async function heap(page: Page): Promise<{ used: number; afterGc: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Performance.enable');
    const get = async () => {
      const m = (await cdp.send('Performance.getMetrics')).metrics;
      return m.find((x) => x.name === 'JSHeapUsedSize')?.value ?? NaN;
    };
    const used = await get();
    await cdp.send('HeapProfiler.collectGarbage');
    const afterGc = await get();
    return { used, afterGc };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

async function openOnce(page: Page, fileUrl: string, name: string, timeoutMs: number, warm: boolean): Promise<BrowserRun> {
  await page.evaluate(pageFetch, fileUrl);
  const r = await page.evaluate(pageOpen, { name, timeoutMs });
  const h = await heap(page);
  let warmDrawn: number | undefined;
  if (warm) {
    warmDrawn = (await page.evaluate(pageOpen, { name, timeoutMs })).drawn;
  }
  return {
    drawn: r.drawn,
    docAt: r.docAt,
    layoutAt: r.layoutAt,
    timings: r.timings,
    layout: r.layoutMs,
    longestTask: r.longestTask,
    heapUsed: h.used,
    heapAfterGc: h.afterGc,
    modelNodes: r.modelNodes,
    viewNodes: r.viewNodes,
    viewEdges: r.viewEdges,
    warmDrawn,
  };
}

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function frameStats(ts: number[], steps: number, zoomFrom: number, zoomTo: number, taskSeconds: number): FrameStats {
  const d: number[] = [];
  for (let i = 1; i < ts.length; i++) d.push(ts[i] - ts[i - 1]);
  return {
    steps,
    frames: d.length,
    medianMs: median(d),
    p95Ms: percentile(d, 0.95),
    maxMs: d.length ? Math.max(...d) : NaN,
    spanMs: ts.length ? ts[ts.length - 1] - ts[0] : NaN,
    zoomFrom,
    zoomTo,
    busy: ts.length > 1 ? (taskSeconds * 1000) / (ts[ts.length - 1] - ts[0]) : NaN,
  };
}

const zoomOf = async (page: Page) => Number(await page.getByTestId('graph').getAttribute('data-zoom'));

/**
 * Fit the whole graph, then 30 wheel steps zooming in at the centre (one every ~16 ms, like a
 * mouse wheel or trackpad), then 30 drag-pan steps; frame intervals from requestAnimationFrame.
 */
async function measureSmoothness(page: Page, steps = 30): Promise<Smoothness> {
  await page.getByTestId('fit').click();
  await sleep(400); // the fit animates for 200 ms
  await page.evaluate(pageSettle);
  const box = (await page.getByTestId('graph').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;

  let z0 = await zoomOf(page);
  await page.evaluate(pageStartFrames);
  let task0 = await taskTime();
  for (let i = 0; i < steps; i++) {
    await page.mouse.wheel(0, -100);
    await sleep(16);
  }
  await page.evaluate(pageSettle);
  let ts = await page.evaluate(pageStopFrames);
  const zoom = frameStats(ts, steps, z0, await zoomOf(page), (await taskTime()) - task0);

  z0 = await zoomOf(page);
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.evaluate(pageStartFrames);
  task0 = await taskTime();
  for (let i = 0; i < steps; i++) {
    await page.mouse.move(cx - ((i + 1) * box.width) / 3 / steps, cy - ((i + 1) * box.height) / 3 / steps);
    await sleep(16);
  }
  await page.mouse.up();
  await page.evaluate(pageSettle);
  ts = await page.evaluate(pageStopFrames);
  const pan = frameStats(ts, steps, z0, await zoomOf(page), (await taskTime()) - task0);
  await cdp.detach().catch(() => undefined);
  return { zoom, pan };
}

// ---------------------------------------------------------------------------------------------------
// CPU profile of one open: a Chrome trace with V8's sampling profiler on, which covers the page's
// main thread and the model worker alike

interface TraceCallFrame {
  functionName: string;
  url?: string;
  lineNumber?: number;
  columnNumber?: number;
}
export interface TraceEvent {
  name: string;
  pid: number;
  tid: number;
  id?: string;
  args?: {
    name?: string;
    data?: {
      cpuProfile?: { nodes?: { id: number; callFrame: TraceCallFrame; parent?: number }[]; samples?: number[] };
      timeDeltas?: number[];
    };
  };
}

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/**
 * A bundle's source map, decoded enough to answer "which source file and line is this generated
 * position": per generated line, its segments [column, source index, source line].
 */
export class SourceMap {
  private readonly lines: Int32Array[] = [];
  constructor(private readonly sources: string[], mappings: string) {
    let src = 0;
    let srcLine = 0;
    let srcCol = 0;
    let name = 0;
    for (const line of mappings.split(';')) {
      const segs: number[] = [];
      let col = 0;
      for (const seg of line ? line.split(',') : []) {
        const v: number[] = [];
        let shift = 0;
        let acc = 0;
        for (const ch of seg) {
          const d = B64.get(ch) ?? 0;
          acc += (d & 31) << shift;
          if (d & 32) shift += 5;
          else {
            v.push(acc & 1 ? -(acc >>> 1) : acc >>> 1);
            acc = 0;
            shift = 0;
          }
        }
        col += v[0] ?? 0;
        if (v.length >= 4) {
          src += v[1];
          srcLine += v[2];
          srcCol += v[3];
          if (v.length >= 5) name += v[4];
          segs.push(col, src, srcLine);
        }
      }
      this.lines.push(Int32Array.from(segs));
    }
    void srcCol;
    void name;
  }

  static load(mapPath: string): SourceMap | undefined {
    try {
      const m = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[]; mappings: string };
      return new SourceMap(m.sources.map((x) => x.replace(/^(\.\.\/)+/, '').replace(/^node_modules\//, '')), m.mappings);
    } catch {
      return undefined;
    }
  }

  /** 0-based generated line and column -> "source/file.ts:line" (1-based line) */
  lookup(line: number, col: number): { file: string; line: number } | undefined {
    const segs = this.lines[line];
    if (!segs || segs.length === 0) return undefined;
    let k = -1;
    for (let i = 0; i < segs.length; i += 3) {
      if (segs[i] <= col) k = i;
      else break;
    }
    if (k < 0) k = 0;
    return { file: this.sources[segs[k + 1]] ?? '?', line: segs[k + 2] + 1 };
  }
}

export function summariseTrace(events: TraceEvent[], maps: Map<string, SourceMap | undefined>, top: number): ThreadProfile[] {
  const threadName = new Map<string, string>();
  for (const e of events) if (e.name === 'thread_name' && e.args?.name) threadName.set(`${e.pid}:${e.tid}`, e.args.name);
  interface Acc {
    thread: string;
    frames: Map<number, TraceCallFrame>;
    samples: number[];
    deltas: number[];
  }
  const profiles = new Map<string, Acc>();
  for (const e of events) {
    if (e.name === 'Profile' && e.id) profiles.set(`${e.pid}:${e.id}`, { thread: threadName.get(`${e.pid}:${e.tid}`) ?? `thread ${e.tid}`, frames: new Map(), samples: [], deltas: [] });
  }
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || !e.id) continue;
    const acc = profiles.get(`${e.pid}:${e.id}`);
    const d = e.args?.data;
    if (!acc || !d) continue;
    for (const n of d.cpuProfile?.nodes ?? []) acc.frames.set(n.id, n.callFrame);
    const s = d.cpuProfile?.samples ?? [];
    const t = d.timeDeltas ?? [];
    for (let i = 0; i < s.length; i++) {
      acc.samples.push(s[i]);
      acc.deltas.push(t[i] ?? 0);
    }
  }
  const out: ThreadProfile[] = [];
  for (const acc of profiles.values()) {
    let busy = 0;
    let gc = 0;
    const self = new Map<string, ProfileEntry>();
    const mods = new Map<string, number>();
    // a sample's time is the interval until the next one
    for (let i = 0; i < acc.samples.length; i++) {
      const f = acc.frames.get(acc.samples[i]);
      const dt = (acc.deltas[i + 1] ?? 0) / 1000;
      if (!f || f.functionName === '(idle)' || f.functionName === '(root)' || dt <= 0) continue;
      busy += dt;
      if (f.functionName === '(garbage collector)') gc += dt;
      const file = f.url ? f.url.replace(/[?#].*$/, '').split('/').pop()! : '';
      const pos = f.lineNumber !== undefined && f.lineNumber >= 0 ? maps.get(file)?.lookup(f.lineNumber, f.columnNumber ?? 0) : undefined;
      const module = pos ? pos.file : file;
      const key = `${f.functionName}|${module}|${f.lineNumber ?? ''}:${f.columnNumber ?? ''}`;
      const e = self.get(key) ?? { fn: f.functionName || '(anonymous)', where: pos ? `${pos.file}:${pos.line}` : file, selfMs: 0, pct: 0 };
      e.selfMs += dt;
      self.set(key, e);
      const mk = module || f.functionName;
      mods.set(mk, (mods.get(mk) ?? 0) + dt);
    }
    if (busy < 1) continue;
    const pct = (x: number) => (100 * x) / busy;
    out.push({
      thread: acc.thread,
      busyMs: busy,
      gcMs: gc,
      top: [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((e) => ({ ...e, pct: pct(e.selfMs) })),
      modules: [...mods.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([where, selfMs]) => ({ fn: '', where, selfMs, pct: pct(selfMs) })),
    });
  }
  return out.sort((a, b) => b.busyMs - a.busyMs);
}

async function profileOpen(browser: Browser, appUrl: string, fileUrl: string, name: string, timeoutMs: number): Promise<CaseProfile> {
  const assets = join(WEB_DIR, PROFILE_SUBDIR, 'assets');
  const maps = new Map<string, SourceMap | undefined>();
  for (const f of readdirSync(assets)) if (f.endsWith('.js')) maps.set(f, SourceMap.load(join(assets, `${f}.map`)));
  const { page, close } = await freshPage(browser, appUrl);
  try {
    await page.evaluate(pageFetch, fileUrl);
    await browser.startTracing(page, { categories: ['__metadata', 'disabled-by-default-v8.cpu_profiler'] });
    let r: PageOpenResult;
    let buf: Buffer;
    try {
      r = await page.evaluate(pageOpen, { name, timeoutMs });
    } finally {
      buf = await browser.stopTracing();
    }
    const j = JSON.parse(buf.toString()) as { traceEvents?: TraceEvent[] } | TraceEvent[];
    const events = Array.isArray(j) ? j : (j.traceEvents ?? []);
    return { drawn: r.drawn, threads: summariseTrace(events, maps, 12) };
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------------------------------------------
// The suite

export async function runBrowserSuite(cases: BenchCase[], opts: BrowserOptions): Promise<BrowserSuiteResult> {
  const log = opts.log ?? (() => undefined);
  const started = performance.now();
  const load0 = loadavg()[0];
  const timeoutMs = opts.openTimeoutMs ?? 120_000;

  log(`browser: vite build → ${relative(REPO_ROOT, WEB_DIR)}${opts.profile ? ' (and an unminified one for profiles)' : ''} ...`);
  const tb = performance.now();
  await buildApp(!!opts.profile);
  const buildMs = performance.now() - tb;

  const files = cases.map((c) => {
    const f = c.resolve();
    if (f.generated) log(`generated ${relative(REPO_ROOT, f.path)} in ${ms(f.genMs)}`);
    const name = `${c.id}.onnx`;
    placeFile(f.path, `${name}.bin`);
    return { c, name, bytes: statSync(f.path).size };
  });

  const server = await startPreview();
  let browser: Browser | undefined;
  try {
    const l = await launch(log);
    browser = l.browser;
    log(`browser: ${l.executable} (Chromium ${browser.version()}), app at ${server.url}`);
    const results: BrowserCaseResult[] = [];
    for (const { c, name, bytes } of files) {
      const res: BrowserCaseResult = { c, fileBytes: bytes, runs: [] };
      results.push(res);
      // served as .bin: vite preview gzips every response it has no binary content type for (.onnx), on the fly
      const fileUrl = `${server.url}${FILES_SUBDIR}/${encodeURIComponent(name)}.bin`;
      log(`browser ${c.id} (${opts.runs} run${opts.runs > 1 ? 's' : ''}) ...`);
      const tc = performance.now();
      for (let i = 0; i < opts.runs; i++) {
        const { page, close } = await freshPage(browser, server.url);
        try {
          res.runs.push(await openOnce(page, fileUrl, name, timeoutMs, opts.warm ?? true));
          if (opts.smoothness && c.smoothness && i === opts.runs - 1) {
            try {
              res.smooth = await measureSmoothness(page);
            } catch (e) {
              res.smoothError = (e as Error).message.split('\n')[0];
            }
          }
        } catch (e) {
          res.error = (e as Error).message.split('\n')[0];
          break;
        } finally {
          await close();
        }
      }
      if (res.runs.length)
        log(`  → drawn ${res.runs.map((x) => ms(x.drawn)).join(', ')}; again ${res.runs.map((x) => ms(x.warmDrawn)).join(', ')}${res.error ? `; ${res.error}` : ''} (${ms(performance.now() - tc)})`);
      else if (res.error) log(`  ${res.error}`);
      if (opts.profile && !res.error) {
        log(`browser ${c.id}: CPU profile ...`);
        try {
          res.profile = await profileOpen(browser, `${server.url}${PROFILE_SUBDIR}/`, fileUrl, name, timeoutMs);
        } catch (e) {
          res.profileError = (e as Error).message.split('\n')[0];
        }
      }
    }
    return { browser: `Chromium ${browser.version()}`, executable: l.executable, buildMs, wallMs: performance.now() - started, runs: opts.runs, cases: results, load: [load0, loadavg()[0]] };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

const med = (r: BrowserCaseResult, f: (x: BrowserRun) => number) => median(r.runs.map(f));

function verdict(r: BrowserCaseResult): string {
  const t = r.c.target;
  if (!t || !r.runs.length) return '';
  return med(r, (x) => x.drawn) <= t.totalMs && (t.longestTaskMs === undefined || med(r, (x) => x.longestTask) < t.longestTaskMs) ? 'yes' : 'NO';
}

export function browserTable(s: BrowserSuiteResult): string {
  const ok = (f: (r: BrowserCaseResult) => string) => (r: BrowserCaseResult) => (r.runs.length ? f(r) : '');
  // the app's stage timings, whatever it records (read, decode, check, ...), in the order it lists them
  const keys: string[] = [];
  for (const r of s.cases) for (const x of r.runs) for (const k of Object.keys(x.timings)) if (!keys.includes(k)) keys.push(k);
  const stage = (k: string): Column<BrowserCaseResult> => ({ header: k, cell: ok((r) => ms(med(r, (x) => x.timings[k] ?? NaN))) });
  const cols: Column<BrowserCaseResult>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.error ? `${r.c.id} (error: ${r.error})` : r.c.id) },
    { header: 'nodes', cell: ok((r) => String(r.runs[0].modelNodes)) },
    { header: 'view n/e', cell: ok((r) => `${r.runs[0].viewNodes}/${r.runs[0].viewEdges}`) },
    { header: 'MB', cell: (r) => mb(r.fileBytes) },
    ...keys.map(stage),
    { header: 'layout.ms', cell: ok((r) => ms(med(r, (x) => x.layout))) },
    { header: '→ doc', cell: ok((r) => ms(med(r, (x) => x.docAt))) },
    { header: '→ layout', cell: ok((r) => ms(med(r, (x) => x.layoutAt))) },
    { header: 'paint', cell: ok((r) => ms(med(r, (x) => x.drawn - x.layoutAt))) },
    { header: '→ drawn', cell: ok((r) => ms(med(r, (x) => x.drawn))) },
    { header: 'min–max', cell: ok((r) => (r.runs.length > 1 ? `${ms(Math.min(...r.runs.map((x) => x.drawn)))}–${ms(Math.max(...r.runs.map((x) => x.drawn)))}` : '')) },
    { header: 'again', cell: ok((r) => ms(med(r, (x) => x.warmDrawn ?? NaN))) },
    { header: 'longest task', cell: ok((r) => ms(med(r, (x) => x.longestTask))) },
    { header: 'JS heap MiB', cell: ok((r) => `${(med(r, (x) => x.heapUsed) / MiB).toFixed(0)} (${(med(r, (x) => x.heapAfterGc) / MiB).toFixed(0)})`) },
    { header: 'target (issue)', align: 'left', cell: (r) => (r.c.target ? `≤ ${ms(r.c.target.totalMs)}${r.c.target.longestTaskMs ? `, task < ${ms(r.c.target.longestTaskMs)}` : ''}` : '') },
    { header: 'Netron', cell: (r) => (r.c.target ? ms(r.c.target.netronMs) : '') },
    { header: 'met', cell: verdict },
  ];
  return markdownTable(cols, s.cases);
}

export function smoothnessTable(s: BrowserSuiteResult): string {
  type Row = { id: string; what: string; f: FrameStats };
  const rows: Row[] = [];
  for (const r of s.cases) {
    if (!r.smooth) continue;
    rows.push({ id: r.c.id, what: `${r.smooth.zoom.steps} wheel-zoom steps`, f: r.smooth.zoom });
    rows.push({ id: r.c.id, what: `${r.smooth.pan.steps} drag-pan steps`, f: r.smooth.pan });
  }
  const cols: Column<Row>[] = [
    { header: 'model', align: 'left', cell: (r) => r.id },
    { header: 'interaction', align: 'left', cell: (r) => r.what },
    { header: 'zoom', align: 'left', cell: (r) => `${r.f.zoomFrom.toPrecision(2)} → ${r.f.zoomTo.toPrecision(2)}` },
    { header: 'frames', cell: (r) => String(r.f.frames) },
    { header: 'span', cell: (r) => ms(r.f.spanMs) },
    { header: 'median frame', cell: (r) => ms(r.f.medianMs) },
    { header: 'p95 frame', cell: (r) => ms(r.f.p95Ms) },
    { header: 'max frame', cell: (r) => ms(r.f.maxMs) },
    { header: '≈ fps (median)', cell: (r) => (1000 / r.f.medianMs).toFixed(0) },
    { header: 'main busy', cell: (r) => `${(100 * r.f.busy).toFixed(0)} %` },
  ];
  return markdownTable(cols, rows);
}

export function profileReport(s: BrowserSuiteResult): string {
  const out: string[] = [];
  const entryCols = (withFn: boolean): Column<ProfileEntry>[] => [
    { header: 'self', cell: (e) => ms(e.selfMs) },
    { header: '%', cell: (e) => e.pct.toFixed(0) },
    ...(withFn ? [{ header: 'function', align: 'left' as const, cell: (e: ProfileEntry) => e.fn }] : []),
    { header: withFn ? 'defined at' : 'module (all its functions)', align: 'left', cell: (e) => e.where },
  ];
  for (const r of s.cases) {
    if (r.profileError) out.push(`- ${r.c.id}: profile failed: ${r.profileError}`, '');
    if (!r.profile) continue;
    const p = r.profile;
    for (const t of p.threads) {
      out.push(`#### ${r.c.id} — ${t.thread}: ${ms(t.busyMs)} busy (GC ${ms(t.gcMs)}); profiled open drawn at ${ms(p.drawn)}`);
      out.push('');
      out.push(markdownTable(entryCols(true), t.top));
      out.push('');
      out.push(markdownTable(entryCols(false), t.modules));
      out.push('');
    }
  }
  return out.join('\n');
}
