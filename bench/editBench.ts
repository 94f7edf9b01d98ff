/**
 * The edit benchmark: time from a bit-width change to the updated cost on screen, in headless Chromium,
 * on the production build (target < 100 ms).
 *
 *   1. Build (bench/out/web) and serve the app, launch Chromium: the helpers of bench/browser.ts.
 *   2. Per case, a fresh page: open the model, open the quantizer table, wait for its cost ("BOPs …").
 *   3. Per edit: in the page, arm listeners (capture-phase `input`/`keydown`, a store subscription and a
 *      MutationObserver on the page); from Playwright, fill the quantizer's bits cell (page.fill, which
 *      dispatches the input event React listens to); in the page, wait until the BOPs text of the table
 *      changes. Recorded, from the input event's timestamp:
 *        commit  the store holds the new version (the edit, validation, summary on the main thread),
 *        cost    the store holds the new cost (request to the model worker, structured clone of the
 *                version delta, inference cost in the worker, reply); the app's own cost.ms beside it,
 *        text    the MutationObserver sees the new BOPs text (React render),
 *        frame   the next animation frame after that.
 *      The first edit of a page is reported apart (cold worker code); the median is over the others.
 *   4. In Node, the same edit on the same file, step by step, to split the worker's share: setQuantizer,
 *      makeDelta, structuredClone of the delta (what postMessage copies), applyDelta, inferenceCost.
 *   5. With `profile`: one more edit on the unminified build under V8's sampling profiler (a Chrome
 *      trace: page and workers), top self-time functions per thread.
 *
 * Models: zoo_TFC_2W2A (Quant_18, the first layer's weights), the generated 300-node CNN (the weight
 * quantizer of its first Conv) and the largest shared model, finnplus_metafi_step_qonnx_to_finn, which
 * has no quantizer nodes at all (54 MultiThreshold activations; weights are plain initializers with
 * finn_datatype annotations, which the UI does not edit, and a MultiThreshold's out_dtype does not move
 * the cost because float Mul/Add follow it). There the bits-cell edit is impossible; the suite measures
 * the same edit -> cost -> screen path with the edit that model offers which moves the cost: the
 * batch dimension of its input shape (Model panel), and says so in the table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { inferenceCost } from '../src/core/analysis/inferenceCost.js';
import { setInputShape } from '../src/core/ir/edit.js';
import { applyDelta, makeDelta } from '../src/core/ir/modelDelta.js';
import { findQuantizer, listQuantizers, setQuantizer } from '../src/core/ir/quantEdit.js';
import type { Model } from '../src/core/ir/types.js';
import { decodeModel } from '../src/core/onnx/codec.js';
import { buildApp, FILES_SUBDIR, launch, pageFetch, pageOpen, placeFile, PROFILE_SUBDIR, SourceMap, startPreview, summariseTrace, WEB_DIR, type ThreadProfile, type TraceEvent } from './browser.js';
import { benchCases, type BenchCase } from './cases.js';
import { REPO_ROOT } from './synthFiles.js';
import { markdownTable, median, ms, type Column } from './table.js';

export const EDIT_TARGET_MS = 100;

/** What to edit in each model. */
export type EditSpec =
  | { kind: 'bits'; label: string; quantizer: string; values: number[] }
  | { kind: 'input-shape'; label: string; input: string; values: number[][]; note: string };

/** The cases of the edit suite: case id -> edit. */
export const EDIT_CASES: Record<string, EditSpec> = {
  zoo_TFC_2W2A: { kind: 'bits', label: 'TFC (31 nodes)', quantizer: 'Quant_18', values: [3, 4, 5, 6, 7, 8, 2, 3, 4, 5, 6, 7] },
  synth_cnn_100MB: { kind: 'bits', label: 'generated 300-node CNN, 100 MB', quantizer: 'Quant_1', values: [7, 6, 5, 4, 3, 2, 8, 7, 6, 5, 4, 3] },
  finnplus_metafi_step_qonnx_to_finn: {
    kind: 'input-shape',
    label: 'largest shared model (305 nodes)',
    input: 'global_in',
    values: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((b) => [b, 6, 38, 114]),
    note: 'no quantizer nodes (MultiThreshold activations, weights as annotated initializers): batch size edit instead',
  },
};

export function editCases(all: BenchCase[] = benchCases()): { c: BenchCase; spec: EditSpec }[] {
  return all.filter((c) => EDIT_CASES[c.id]).map((c) => ({ c, spec: EDIT_CASES[c.id] }));
}

// ---------------------------------------------------------------------------------------------------
// Results

export interface EditRun {
  /** ms from the input event (or Enter keydown) */
  commit: number;
  cost: number;
  text: number;
  frame: number;
  /** the app's own cost.ms: from its cost request to the worker's reply */
  appCostMs: number;
  before: string;
  after: string;
}

export interface NodeSplit {
  edit: number;
  makeDelta: number;
  clone: number;
  cloneBytes: number;
  applyDelta: number;
  cost: number;
}

export interface EditCaseResult {
  id: string;
  spec: EditSpec;
  nodes?: number;
  quantizers?: number;
  runs: EditRun[];
  node?: NodeSplit;
  error?: string;
  profile?: { text: number; threads: ThreadProfile[] };
  profileError?: string;
}

export interface EditSuiteResult {
  browser: string;
  runs: number;
  cases: EditCaseResult[];
  load: [number, number];
  wallMs: number;
}

// ---------------------------------------------------------------------------------------------------
// In the page (serialised by Playwright: no references outside each function)

type EditWindow = {
  __qonnxStudio: {
    useApp: {
      getState(): {
        doc: { history: { cursor: number; versions: { id: number }[] } } | null;
        cost: { key: string; ms: number } | null;
        setQuantPanelOpen(v: boolean): void;
        setSidebarTab(t: 'model' | 'selection'): void;
        notice: { kind: string; message: string } | null;
      };
      subscribe(f: (s: { doc: { history: { cursor: number; versions: { id: number }[] } } | null; cost: { key: string; ms: number } | null }) => void): () => void;
    };
  };
  __edit?: { t0: number; commit: number; cost: number; text: number; frame: number; appCostMs: number; before: string; after: string; stop: () => void };
};

/** Arm the listeners for one edit; `selector` is the element whose text shows the total BOPs. */
function pageArm(selector: string): string {
  const w = window as unknown as EditWindow;
  const el0 = document.querySelector(selector);
  const before = el0?.textContent ?? '';
  const rec = { t0: NaN, commit: NaN, cost: NaN, text: NaN, frame: NaN, appCostMs: NaN, before, after: '', stop: () => undefined };
  const versionOf = (s: { doc: { history: { cursor: number; versions: { id: number }[] } } | null }) => s.doc?.history.versions[s.doc.history.cursor]?.id;
  const st0 = w.__qonnxStudio.useApp.getState();
  const v0 = versionOf(st0);
  const c0 = st0.cost?.key;
  const onInput = (e: Event) => {
    if (e.type === 'keydown' && (e as KeyboardEvent).key !== 'Enter') return;
    if (Number.isNaN(rec.t0)) rec.t0 = e.timeStamp;
  };
  document.addEventListener('input', onInput, true);
  document.addEventListener('keydown', onInput, true);
  const unsub = w.__qonnxStudio.useApp.subscribe((s) => {
    const now = performance.now();
    if (Number.isNaN(rec.commit) && versionOf(s) !== v0) rec.commit = now;
    if (Number.isNaN(rec.cost) && s.cost && s.cost.key !== c0) {
      rec.cost = now;
      rec.appCostMs = s.cost.ms;
    }
  });
  const mo = new MutationObserver(() => {
    if (!Number.isNaN(rec.text)) return;
    const t = document.querySelector(selector)?.textContent ?? '';
    if (t && t !== before) {
      rec.text = performance.now();
      rec.after = t;
      requestAnimationFrame(() => {
        rec.frame = performance.now();
      });
    }
  });
  mo.observe(document.body, { subtree: true, childList: true, characterData: true });
  rec.stop = () => {
    document.removeEventListener('input', onInput, true);
    document.removeEventListener('keydown', onInput, true);
    unsub();
    mo.disconnect();
  };
  w.__edit = rec;
  return before;
}

async function pageWaitEdit(timeoutMs: number): Promise<{ commit: number; cost: number; text: number; frame: number; appCostMs: number; before: string; after: string }> {
  const w = window as unknown as EditWindow;
  const rec = w.__edit!;
  const start = performance.now();
  try {
    for (;;) {
      const n = w.__qonnxStudio.useApp.getState().notice;
      if (n?.kind === 'error') throw new Error(`the app reported: ${n.message}`);
      if (!Number.isNaN(rec.frame)) break;
      if (performance.now() - start > timeoutMs) throw new Error(`the BOPs text did not change within ${timeoutMs} ms (input at ${rec.t0}, commit ${rec.commit}, cost ${rec.cost})`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    rec.stop();
  }
  const t0 = rec.t0;
  return { commit: rec.commit - t0, cost: rec.cost - t0, text: rec.text - t0, frame: rec.frame - t0, appCostMs: rec.appCostMs, before: rec.before, after: rec.after };
}

// ---------------------------------------------------------------------------------------------------
// Driving the page

const BOPS_SELECTOR = '[data-testid="quant-bops"]';

/**
 * A fresh context and page, as bench/browser.ts makes them, but with service workers blocked: a
 * production build's worker reloads a fresh page once when it takes control (for cross-origin
 * isolation), which races the open and the edits. The edit -> cost path does not involve it.
 */
async function editPage(browser: Browser, url: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1, serviceWorkers: 'block' });
  await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.getByTestId('start-screen').waitFor({ state: 'visible', timeout: 30_000 });
  return { page, close: () => context.close() };
}

async function openModel(page: Page, fileUrl: string, name: string, timeoutMs: number): Promise<number> {
  await page.evaluate(pageFetch, fileUrl);
  const r = await page.evaluate(pageOpen, { name, timeoutMs });
  await page.evaluate(() => (window as unknown as EditWindow).__qonnxStudio.useApp.getState().setQuantPanelOpen(true));
  await page.locator(BOPS_SELECTOR).waitFor({ state: 'visible', timeout: timeoutMs });
  return r.modelNodes;
}

/** One edit through the UI, as a user makes it. */
async function doEdit(page: Page, spec: EditSpec, k: number): Promise<void> {
  if (spec.kind === 'bits') {
    const cell = page.locator(`[data-testid="quant-row"][data-name="${spec.quantizer}"] [data-testid="bits-cell"]`);
    await cell.fill(String(spec.values[k % spec.values.length]));
    // bit fields apply on Enter (or after a typing pause, which would be measured as latency)
    await cell.press('Enter');
  } else {
    await page.evaluate(() => (window as unknown as EditWindow).__qonnxStudio.useApp.getState().setSidebarTab('model'));
    await page.getByTestId('input-shape').first().click();
    const input = page.getByTestId('input-shape-input');
    await input.fill(spec.values[k % spec.values.length].join(', '));
    await input.press('Enter');
  }
}

async function measureEdit(page: Page, spec: EditSpec, k: number, timeoutMs: number): Promise<EditRun> {
  await page.evaluate(pageArm, BOPS_SELECTOR);
  await doEdit(page, spec, k);
  return page.evaluate(pageWaitEdit, timeoutMs);
}

async function profileEdit(browser: Browser, appUrl: string, fileUrl: string, name: string, spec: EditSpec, k: number, timeoutMs: number): Promise<{ text: number; threads: ThreadProfile[] }> {
  const assets = join(WEB_DIR, PROFILE_SUBDIR, 'assets');
  const maps = new Map<string, SourceMap | undefined>();
  for (const f of readdirSync(assets)) if (f.endsWith('.js')) maps.set(f, SourceMap.load(join(assets, `${f}.map`)));
  const { page, close } = await editPage(browser, appUrl);
  try {
    await openModel(page, fileUrl, name, timeoutMs);
    await measureEdit(page, spec, 0, timeoutMs); // warm
    await browser.startTracing(page, { categories: ['__metadata', 'disabled-by-default-v8.cpu_profiler'] });
    let r: EditRun;
    let buf: Buffer;
    try {
      r = await measureEdit(page, spec, k, timeoutMs);
    } finally {
      buf = await browser.stopTracing();
    }
    const j = JSON.parse(buf.toString()) as { traceEvents?: TraceEvent[] } | TraceEvent[];
    return { text: r.text, threads: summariseTrace(Array.isArray(j) ? j : (j.traceEvents ?? []), maps, 10) };
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------------------------------------------
// The same edit in Node, step by step

function nodeSplit(model: Model, spec: EditSpec, runs: number): NodeSplit {
  const t = () => performance.now();
  const acc: Record<keyof NodeSplit, number[]> = { edit: [], makeDelta: [], clone: [], cloneBytes: [], applyDelta: [], cost: [] };
  for (let k = 0; k < runs + 1; k++) {
    let a = t();
    let edited: Model;
    if (spec.kind === 'bits') {
      const q = findQuantizer(model, spec.quantizer);
      if (q === undefined) throw new Error(`no quantizer ${spec.quantizer}`);
      edited = setQuantizer(model, q, { bits: spec.values[k % spec.values.length] });
    } else edited = setInputShape(model, spec.input, spec.values[k % spec.values.length]);
    const edit = t() - a;
    a = t();
    const delta = makeDelta(edited, model);
    const md = t() - a;
    a = t();
    const copy = structuredClone(delta);
    const clone = t() - a;
    let bytes = 0;
    for (const x of copy.model.graph?.initializer ?? []) bytes += x.rawData?.byteLength ?? 0;
    a = t();
    const applied = applyDelta(copy, model);
    const ad = t() - a;
    a = t();
    inferenceCost(applied, { discountSparsity: true });
    const cost = t() - a;
    if (k === 0) continue; // warm-up
    acc.edit.push(edit);
    acc.makeDelta.push(md);
    acc.clone.push(clone);
    acc.cloneBytes.push(bytes);
    acc.applyDelta.push(ad);
    acc.cost.push(cost);
  }
  return { edit: median(acc.edit), makeDelta: median(acc.makeDelta), clone: median(acc.clone), cloneBytes: median(acc.cloneBytes), applyDelta: median(acc.applyDelta), cost: median(acc.cost) };
}

// ---------------------------------------------------------------------------------------------------
// The suite

export interface EditOptions {
  runs: number;
  profile?: boolean;
  /** the app is already built into bench/out/web (and, with profile, the unminified one) */
  built?: boolean;
  timeoutMs?: number;
  log?: (s: string) => void;
}

export async function runEditSuite(cases: { c: BenchCase; spec: EditSpec }[], opts: EditOptions): Promise<EditSuiteResult> {
  const log = opts.log ?? (() => undefined);
  const started = performance.now();
  const load0 = loadavg()[0];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (!opts.built) {
    log(`edit: vite build → ${relative(REPO_ROOT, WEB_DIR)}${opts.profile ? ' (and an unminified one for profiles)' : ''} ...`);
    await buildApp(!!opts.profile);
  }
  const files = cases.map(({ c, spec }) => {
    const f = c.resolve();
    const name = `${c.id}.onnx`;
    placeFile(f.path, `${name}.bin`);
    return { c, spec, name, path: f.path };
  });
  const server = await startPreview();
  let browser: Browser | undefined;
  try {
    const l = await launch(log);
    browser = l.browser;
    const results: EditCaseResult[] = [];
    for (const { c, spec, name, path } of files) {
      const res: EditCaseResult = { id: c.id, spec, runs: [] };
      results.push(res);
      const fileUrl = `${server.url}${FILES_SUBDIR}/${encodeURIComponent(name)}.bin`;
      log(`edit ${c.id}: ${opts.runs + 1} edits (${spec.kind === 'bits' ? `${spec.quantizer} bits` : `${spec.input} shape`}) ...`);
      const { page, close } = await editPage(browser, server.url);
      try {
        res.nodes = await openModel(page, fileUrl, name, timeoutMs);
        for (let k = 0; k < opts.runs + 1; k++) res.runs.push(await measureEdit(page, spec, k, timeoutMs));
        log(`  → text ${res.runs.map((r) => ms(r.text)).join(', ')}`);
      } catch (e) {
        res.error = (e as Error).message.split('\n')[0];
        log(`  ${res.error}`);
      } finally {
        await close();
      }
      try {
        const model = decodeModel(new Uint8Array(readFileSync(path)), { fileName: name });
        res.quantizers = listQuantizers(model).length;
        log(`edit ${c.id}: the same edit in Node, step by step ...`);
        res.node = nodeSplit(model, spec, Math.max(1, Math.min(opts.runs, 5)));
      } catch (e) {
        res.error ??= `Node split: ${(e as Error).message.split('\n')[0]}`;
      }
      if (opts.profile && !res.error) {
        log(`edit ${c.id}: CPU profile of one edit ...`);
        try {
          res.profile = await profileEdit(browser, `${server.url}${PROFILE_SUBDIR}/`, fileUrl, name, spec, 1, timeoutMs);
        } catch (e) {
          res.profileError = (e as Error).message.split('\n')[0];
        }
      }
    }
    return { browser: `Chromium ${browser.version()}`, runs: opts.runs, cases: results, load: [load0, loadavg()[0]], wallMs: performance.now() - started };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

const warm = (r: EditCaseResult) => (r.runs.length > 1 ? r.runs.slice(1) : r.runs);
const medOf = (r: EditCaseResult, f: (x: EditRun) => number) => median(warm(r).map(f));

export function editReport(s: EditSuiteResult): string {
  const ok = (f: (r: EditCaseResult) => string) => (r: EditCaseResult) => (r.runs.length ? f(r) : '');
  const cols: Column<EditCaseResult>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.error ? `${r.id} (error: ${r.error})` : r.id) },
    { header: 'nodes', cell: (r) => (r.nodes !== undefined ? String(r.nodes) : '') },
    { header: 'quantizers', cell: (r) => (r.quantizers !== undefined ? String(r.quantizers) : '') },
    { header: 'edit', align: 'left', cell: (r) => (r.spec.kind === 'bits' ? `${r.spec.quantizer} bits cell` : `input shape (batch); ${r.spec.note}`) },
    { header: 'first', cell: ok((r) => ms(r.runs[0].text)) },
    { header: '→ commit', cell: ok((r) => ms(medOf(r, (x) => x.commit))) },
    { header: '→ cost in store', cell: ok((r) => ms(medOf(r, (x) => x.cost))) },
    { header: 'app cost.ms', cell: ok((r) => ms(medOf(r, (x) => x.appCostMs))) },
    { header: '→ text', cell: ok((r) => ms(medOf(r, (x) => x.text))) },
    { header: 'min–max', cell: ok((r) => `${ms(Math.min(...warm(r).map((x) => x.text)))}–${ms(Math.max(...warm(r).map((x) => x.text)))}`) },
    { header: '→ frame', cell: ok((r) => ms(medOf(r, (x) => x.frame))) },
    { header: `< ${EDIT_TARGET_MS} ms`, cell: ok((r) => (medOf(r, (x) => x.text) < EDIT_TARGET_MS ? 'yes' : 'NO')) },
  ];
  const nodeCols: Column<EditCaseResult>[] = [
    { header: 'model', align: 'left', cell: (r) => r.id },
    { header: 'edit (setQuantizer / setInputShape)', cell: (r) => (r.node ? ms(r.node.edit) : '') },
    { header: 'makeDelta', cell: (r) => (r.node ? ms(r.node.makeDelta) : '') },
    { header: 'structuredClone(delta)', cell: (r) => (r.node ? ms(r.node.clone) : '') },
    { header: 'tensor bytes cloned', cell: (r) => (r.node ? String(r.node.cloneBytes) : '') },
    { header: 'applyDelta', cell: (r) => (r.node ? ms(r.node.applyDelta) : '') },
    { header: 'inferenceCost', cell: (r) => (r.node ? ms(r.node.cost) : '') },
  ];
  const out: string[] = [];
  out.push(`## Edit → cost on screen, in the browser (${s.browser}; median of ${s.runs} edit${s.runs > 1 ? 's' : ''} after a first one per model)`);
  out.push('');
  out.push(markdownTable(cols, s.cases));
  out.push('');
  out.push('- Times from the input event of the bits cell (the Enter keydown for the input shape) to: the new version in the store (→ commit), the new cost in the store (→ cost in store; app cost.ms is the app\'s own request → reply time), the BOPs text of the quantizer table changed (→ text, MutationObserver), the next animation frame (→ frame). "first" is the first edit after opening (→ text).');
  out.push('- The same edit in Node (median), to split the worker\'s share:');
  out.push('');
  out.push(markdownTable(nodeCols, s.cases.filter((r) => r.node)));
  out.push('');
  out.push(`- Load average ${s.load[0].toFixed(1)} → ${s.load[1].toFixed(1)} (1 min) over the suite (${ms(s.wallMs)}).`);
  for (const r of s.cases) {
    if (r.profileError) out.push('', `- ${r.id}: profile failed: ${r.profileError}`);
    if (!r.profile) continue;
    for (const t of r.profile.threads) {
      out.push('', `#### ${r.id} — ${t.thread}: ${ms(t.busyMs)} busy (GC ${ms(t.gcMs)}) during one profiled edit (→ text ${ms(r.profile.text)})`, '');
      out.push(markdownTable<(typeof t.top)[number]>([
        { header: 'self', cell: (e) => ms(e.selfMs) },
        { header: '%', cell: (e) => e.pct.toFixed(0) },
        { header: 'function', align: 'left', cell: (e) => e.fn },
        { header: 'defined at', align: 'left', cell: (e) => e.where },
      ], t.top));
    }
  }
  return out.join('\n');
}
