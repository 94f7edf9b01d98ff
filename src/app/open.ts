/** Opening models: files (drop or picker, with external data), URLs and bundled samples. */
import { current, newHistory, type History } from '../core/ir/history.js';
import type { DecodedModel, WarmUp } from '../workers/model.worker.js';
import { primeAnalysisTask } from '../core/analysis/modelAnalysis.js';
import { indexGraphTask } from '../core/ir/graphIndex.js';
import { unpackViewTask } from '../core/view/viewTransport.js';
import { layoutState } from './useLayout.js';
import { decodeModelTask } from '../core/onnx/codec.js';
import type { Model } from '../core/ir/types.js';
import { runCooperative } from '../core/task.js';
import { externalLocations, GROUP_BY_DEFAULT, layoutKey, useApp } from './store.js';
import { cancelTask, isCancelled, newTaskId } from './tasks.js';
import { Comlink, modelWorker, unwrap } from './workerClient.js';

/** A model just opened: its file name, the file's bytes and the external data files opened with it. */
export interface Opened {
  fileName: string;
  bytes: Uint8Array;
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
 * The page's own copy of the model being opened. The worker sends the file's bytes as soon as it has
 * read them; the page decodes them in short slices (BACKGROUND_SLICE_MS) while the worker decodes, analyses and
 * lays out, so this decode is off the critical path and never freezes the page.
 */
interface PageCopy {
  onBytes: (bytes: Uint8Array) => void;
  bytes: Promise<Uint8Array>;
  model: Promise<{ model: Model; ms: number }>;
}

function pageCopy(fileName: string, seq: number): PageCopy {
  let got: (b: Uint8Array) => void = () => undefined;
  const bytes = new Promise<Uint8Array>((r) => (got = r));
  // a cancelled or superseded open stops decoding its copy too
  const signal = { get aborted() { return seq !== openSeq; } };
  const model = bytes.then(async (b) => {
    const t = performance.now();
    const m = await runCooperative(decodeModelTask(b, { fileName }), { sliceMs: BACKGROUND_SLICE_MS, signal });
    // the graph index too, which the model panel asks for at once (a quarter second on 20,000 nodes)
    await nextTask();
    if (m.graph) await runCooperative(indexGraphTask(m.graph), { sliceMs: BACKGROUND_SLICE_MS, signal });
    return { model: m, ms: performance.now() - t };
  });
  model.catch(() => undefined); // a file the page cannot decode fails in the worker first, with its message
  return { onBytes: Comlink.proxy((b: Uint8Array) => got(b)), bytes, model };
}

/**
 * Longest stretch of work on the page between two turns of its event loop while opening (ms): short,
 * because on a busy machine a slice takes several times its CPU time. The decode of the page's copy
 * runs beside the worker's longer work, so its slices can be shorter still.
 */
const SLICE_MS = 16;
const BACKGROUND_SLICE_MS = 8;
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

async function install(d: DecodedModel, copy: PageCopy, seq: number, fileName: string, files: Map<string, File>, t0: number, source?: string, restored?: OpenOptions['history']) {
  const tReceive = performance.now();
  // what the worker sent, a slice at a time (JSON slices: see core/io/jsonSlices.ts)
  const view = await runCooperative(unpackViewTask(d.view), { sliceMs: SLICE_MS });
  const receive = performance.now() - tReceive;
  const tWait = performance.now();
  const copied = await Promise.all([copy.model, copy.bytes]).catch((e: unknown) => {
    if (seq === openSeq) throw e;
  });
  if (!copied || seq !== openSeq) return; // cancelled or superseded meanwhile
  const [{ model, ms: pageDecode }, bytes] = copied;
  const pageWait = performance.now() - tWait;
  await breathe(tReceive);
  const tPrime = performance.now();
  await runCooperative(primeAnalysisTask(model, d.analysis), { sliceMs: SLICE_MS });
  if (seq !== openSeq) return;
  const prime = performance.now() - tPrime;
  await breathe(tPrime);
  const opened = newHistory(model, `Open ${fileName}`);
  const history = restored ? restored(opened) : opened;
  const locs = externalLocations(current(history).value);
  const missingExternal = [...locs].filter((l) => !files.has(l) && !files.has(l.split('/').pop() ?? l));
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
    timings: { ...d.timings, receive: receive + prime, pageDecode, pageWait },
    source,
  });
  // The worker already laid out the first view: install it for the file as opened directly.
  useApp.getState().setLayout(layoutState(layoutKey(current(opened).id, false, d.summary.node_count > GROUP_BY_DEFAULT), view, d.layout));
  useApp.getState().setLoading(null);
  // after the first picture: what listeners do (the saved session copies the file) never delays it
  afterPaint(() => {
    for (const l of openedListeners) l({ fileName, bytes, files });
  });
}

/**
 * At page load, once the worker has warmed up: the page's side of an open (decode its copy, index the
 * graph, receive the view and the analysis, build the layout) on the worker's warm-up model, so the
 * first real open runs compiled code. Nothing is installed in the store.
 */
export async function warmUpPage(w: WarmUp): Promise<void> {
  const model = await runCooperative(decodeModelTask(w.bytes), { sliceMs: BACKGROUND_SLICE_MS });
  if (model.graph) await runCooperative(indexGraphTask(model.graph), { sliceMs: BACKGROUND_SLICE_MS });
  const view = await runCooperative(unpackViewTask(w.result.view), { sliceMs: SLICE_MS });
  await runCooperative(primeAnalysisTask(model, w.result.analysis), { sliceMs: SLICE_MS });
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
    const copy = pageCopy(model.name, seq);
    const d = await openTaskRun(async (id) => unwrap(await modelWorker().decodeFile(model, prog, id, copy.onBytes)));
    if (d) await install(d, copy, seq, model.name, data, t0, opts.source, opts.history);
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
    const copy = pageCopy(name, seq);
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
