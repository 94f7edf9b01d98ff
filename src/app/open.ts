/** Opening models: files (drop or picker, with external data), URLs and bundled samples. */
import { current, newHistory, type History } from '../core/ir/history.js';
import type { DecodedModel, WarmUp } from '../workers/model.worker.js';
import { primeAnalysisTask } from '../core/analysis/modelAnalysis.js';
import { primeQuantizerHistogram } from '../core/view/quantizerHistogram.js';
import { indexGraphTask } from '../core/ir/graphIndex.js';
import { unpackViewTask } from '../core/view/viewTransport.js';
import { layoutState } from './useLayout.js';
import { decodeModelDeferred, decodeModelTask, type DeferredModel } from '../core/onnx/codec.js';
import type { Model } from '../core/ir/types.js';
import { runCooperative } from '../core/task.js';
import { GROUP_BY_DEFAULT, layoutKey, useApp } from './store.js';
import { cancelTask, isCancelled, newTaskId } from './tasks.js';
import { Comlink, modelWorker, unwrap } from './workerClient.js';

/** A model just opened: its file name, the file's bytes and the external data files opened with it. */
export interface Opened {
  fileName: string;
  bytes: Uint8Array;
  /** the file as the user gave it (not for a model opened from an address) */
  file?: Blob;
  files: Map<string, File>;
}
/** Called after each open (the saved session keeps the files). */
export const openedListeners: ((o: Opened) => void)[] = [];

// Progress reports come over their own message channel and can arrive after the result: a report for
// an open that has finished (or been superseded) must not bring the loading overlay back.
let openSeq = 0;
/** the worker task of the open in progress (to cancel it) */
let openTask: number | null = null;

/**
 * Stop the open in progress: the page goes back to what it showed before at once; the worker stops
 * at its next stage (a download is aborted) and keeps the model that was open.
 */
export function cancelOpen(): void {
  if (openTask === null) return;
  cancelTask(openTask);
  openTask = null;
  openSeq++;
  useApp.getState().setLoading(null);
}

/** Run an open as a cancellable worker task; undefined when it was cancelled. */
async function openTaskRun<T>(start: (taskId: number) => Promise<T>): Promise<T | undefined> {
  const id = newTaskId();
  openTask = id;
  try {
    return await start(id);
  } catch (e) {
    if (isCancelled(e) && openTask !== id) return undefined;
    throw e;
  } finally {
    if (openTask === id) openTask = null;
  }
}
const progress = (fileName: string) => {
  const seq = ++openSeq;
  return Comlink.proxy((done: number, total: number | undefined, stage: string) => {
    if (seq === openSeq && useApp.getState().loading) useApp.getState().setLoading({ stage, done, total, fileName });
  });
};

/**
 * The file's bytes as the page receives them: the worker sends a copy as soon as it has read the file,
 * before it decodes. The page keeps them (the saved session stores the file as opened) and decodes its
 * own editable copy of the model from them, its graph only when something reads it (decodeModelDeferred).
 */
interface PageCopy {
  onBytes: (bytes: Uint8Array) => void;
  bytes: Promise<Uint8Array>;
}

function pageCopy(): PageCopy {
  let got: (b: Uint8Array) => void = () => undefined;
  const bytes = new Promise<Uint8Array>((r) => (got = r));
  return { onBytes: Comlink.proxy((b: Uint8Array) => got(b)), bytes };
}

/**
 * Models with more parts than this (nodes and initializers) have their page copy's graph decoded in
 * idle time after the first picture: decoding it at the first click would freeze the page (0.4 s on
 * 20,000 nodes). Smaller ones decode when something first reads the graph (a few ms), so a model
 * that is only looked at is decoded once, in the worker.
 */
const DECODE_WHEN_IDLE_FROM = 5000;

/** The page's copy of the open model (to tell, in tests, whether and why its graph was decoded). */
let pageModel: { deferred: DeferredModel; fileName: string; idle: boolean } | null = null;

/** Whether the page has decoded the graph of the open model's copy, and whether it did so in idle time. */
export function pageGraphState(): { fileName: string; decoded: boolean; idle: boolean } | null {
  return pageModel && { fileName: pageModel.fileName, decoded: pageModel.deferred.decoded, idle: pageModel.idle };
}

/**
 * After the first picture, while the page is idle: decode the graph of a large model's page copy and
 * index it (what selecting a node, editing or searching read first), in short slices. Whatever reads
 * the graph before this is done decodes the rest at once (decodeModelDeferred).
 */
function finishPageCopy(d: DeferredModel, seq: number): void {
  const signal = { get aborted() { return seq !== openSeq; } };
  whenIdle(async () => {
    if (signal.aborted || d.decoded) return;
    if (pageModel?.deferred === d) pageModel.idle = true;
    try {
      await runCooperative(d.graph, { sliceMs: SHORT_SLICE_MS, signal });
      const g = d.model.graph;
      if (g && !signal.aborted) await runCooperative(indexGraphTask(g), { sliceMs: SHORT_SLICE_MS, signal });
    } catch {
      // cancelled by a newer open; a read of the graph reports its own failure
    }
  });
}

/** Run `f` when the page has nothing else to do (at the latest after a second). */
function whenIdle(f: () => void): void {
  const ric = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (ric) ric(f, { timeout: 1000 });
  else setTimeout(f, 50);
}

/**
 * Longest stretch of work on the page between two turns of its event loop while opening (ms): short,
 * because on a busy machine a slice takes several times its CPU time.
 */
const SLICE_MS = 16;
/**
 * Shorter slices: taking in the analysis (40,000 rows on 20,000 nodes, whose garbage collections land
 * inside a slice: 16 ms slices made 55-70 ms tasks) and the page's own decode after the first picture,
 * beside panning and clicking.
 */
const SHORT_SLICE_MS = 8;
/** A turn of the event loop (input, rendering) between two stages of work. */
const nextTask = () => new Promise<void>((r) => setTimeout(r, 0));
/** A turn, unless this stage took under a few milliseconds (a small model's stages all do). */
const breathe = (since: number) => (performance.now() - since > SLICE_MS / 4 ? nextTask() : undefined);

/** Run `f` once the page has painted twice from now (within 200 ms even where frames do not run, e.g. a hidden tab). */
export function afterPaint(f: () => void): void {
  let done = false;
  const go = () => {
    if (done) return;
    done = true;
    setTimeout(f, 0);
  };
  requestAnimationFrame(() => requestAnimationFrame(go));
  setTimeout(go, 200);
}

async function install(d: DecodedModel, copy: PageCopy, seq: number, fileName: string, files: Map<string, File>, t0: number, source?: string, restored?: OpenOptions['history'], file?: Blob) {
  const tReceive = performance.now();
  // what the worker sent, a slice at a time (JSON slices: see core/io/jsonSlices.ts)
  const view = await runCooperative(unpackViewTask(d.view), { sliceMs: SLICE_MS });
  const receive = performance.now() - tReceive;
  const bytes = await copy.bytes; // sent before the worker decoded: here long ago
  if (seq !== openSeq) return; // cancelled or superseded meanwhile
  const tPage = performance.now();
  // the page's own copy: the model's fields now, its graph when something reads it
  const deferred = decodeModelDeferred(bytes, { fileName });
  const model = deferred.model;
  pageModel = { deferred, fileName, idle: false };
  const pageDecode = performance.now() - tPage;
  await breathe(tReceive);
  const tPrime = performance.now();
  await runCooperative(primeAnalysisTask(model, d.analysis), { sliceMs: SHORT_SLICE_MS });
  if (seq !== openSeq) return;
  primeQuantizerHistogram(model, d.quantizers);
  const prime = performance.now() - tPrime;
  await breathe(tPrime);
  // a saved session's edits are replayed on the graph: decode it first, in slices, not at the first read
  if (restored) await runCooperative(deferred.graph, { sliceMs: SHORT_SLICE_MS });
  if (seq !== openSeq) return;
  const opened = newHistory(model, `Open ${fileName}`);
  const history = restored ? restored(opened) : opened;
  const missingExternal = d.externalLocations.filter((l) => !files.has(l) && !files.has(l.split('/').pop() ?? l));
  const problems = d.problems.slice();
  for (const l of missingExternal)
    problems.unshift({
      severity: 'warning',
      code: 'dangling-input',
      message: `External data file '${l}' was not provided: tensors stored in it cannot be shown or exported. Open the model together with that file.`,
    });
  useApp.getState().setDoc({
    docId: d.docId,
    fileName,
    history,
    problems,
    summary: d.summary,
    externalFiles: files,
    missingExternal,
    openedAt: t0,
    timings: { ...d.timings, receive: receive + prime, pageDecode },
    source,
  });
  // The worker already laid out the first view: install it for the file as opened directly.
  useApp.getState().setLayout(layoutState(layoutKey(current(opened).id, false, d.summary.node_count > GROUP_BY_DEFAULT), view, d.layout));
  useApp.getState().setLoading(null);
  // after the first picture: what listeners do (the saved session copies the file) and the page's
  // own decode of the graph never delay it
  afterPaint(() => {
    for (const l of openedListeners) l({ fileName, bytes, files, file });
    if (seq === openSeq && d.summary.node_count + d.summary.initializer_count > DECODE_WHEN_IDLE_FROM) finishPageCopy(deferred, seq);
  });
}

/**
 * At page load, once the worker has warmed up: the page's side of an open (receive the view and the
 * analysis, build the layout) and what follows it (decode the graph, index it) on the worker's warm-up
 * model, so the first real open and the first click run compiled code. Nothing is installed in the store.
 */
export async function warmUpPage(w: WarmUp): Promise<void> {
  const model = await runCooperative(decodeModelTask(w.bytes), { sliceMs: SHORT_SLICE_MS });
  if (model.graph) await runCooperative(indexGraphTask(model.graph), { sliceMs: SHORT_SLICE_MS });
  const view = await runCooperative(unpackViewTask(w.result.view), { sliceMs: SLICE_MS });
  await runCooperative(primeAnalysisTask(model, w.result.analysis), { sliceMs: SHORT_SLICE_MS });
  layoutState('warm-up', view, w.result.layout);
}

/** Pick the model among dropped files; the others are external data candidates. */
export function splitFiles(files: File[]): { model?: File; data: Map<string, File> } {
  const onnx = files.filter((f) => /\.(onnx|pb|ort|qonnx)$/i.test(f.name));
  const model = onnx.length ? onnx.reduce((a, b) => (a.size <= b.size ? a : b)) : files.length === 1 ? files[0] : undefined;
  const data = new Map<string, File>();
  for (const f of files) if (f !== model) data.set(f.name, f);
  return { model, data };
}

export interface OpenOptions {
  /** the address the files came from (a saved session of a model opened by URL) */
  source?: string;
  /** the history to install, from the file's as opened (a saved session's edits): the model never shows without them */
  history?: (opened: History<Model>) => History<Model>;
}

export async function openFiles(files: File[], opts: OpenOptions = {}): Promise<void> {
  const app = useApp.getState();
  const { model, data } = splitFiles(files);
  if (!model) {
    app.notify({ kind: 'error', message: `None of the dropped files (${files.map((f) => f.name).join(', ')}) is an .onnx model` });
    return;
  }
  // Data files dropped alone extend the open model's external data.
  const t0 = performance.now();
  app.setLoading({ stage: 'Reading', done: 0, total: model.size, fileName: model.name });
  try {
    const prog = progress(model.name);
    const seq = openSeq;
    const copy = pageCopy();
    const d = await openTaskRun(async (id) => unwrap(await modelWorker().decodeFile(model, prog, id, copy.onBytes)));
    if (d) await install(d, copy, seq, model.name, data, t0, opts.source, opts.history, model);
  } catch (e) {
    app.fail(e);
  }
}

export async function openUrl(url: string): Promise<void> {
  const app = useApp.getState();
  const t0 = performance.now();
  const name = url.split('/').pop() || url;
  app.setLoading({ stage: 'Downloading', done: 0, fileName: name });
  try {
    const prog = progress(name);
    const seq = openSeq;
    const copy = pageCopy();
    const d = await openTaskRun(async (id) => unwrap(await modelWorker().fetchModel(new URL(url, document.baseURI).href, prog, id, copy.onBytes)));
    if (d) await install(d, copy, seq, d.fileName, new Map(), t0, url);
  } catch (e) {
    app.fail(e);
  }
}

export interface Sample {
  file: string;
  title: string;
  about: string;
  licence: string;
}

export async function loadSamples(): Promise<Sample[]> {
  const res = await fetch(new URL('samples/samples.json', document.baseURI));
  return res.ok ? ((await res.json()) as Sample[]) : [];
}

export function openSample(file: string): Promise<void> {
  return openUrl(new URL(`samples/${file}`, document.baseURI).href);
}
