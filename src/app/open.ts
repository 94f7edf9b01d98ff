/** Opening models: files (drop or picker, with external data), URLs and bundled samples. */
import { current, newHistory } from '../core/ir/history.js';
import type { DecodedModel } from '../workers/model.worker.js';
import { primeAnalysis } from '../core/analysis/modelAnalysis.js';
import { decodeModel } from '../core/onnx/codec.js';
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

function install(d: DecodedModel, fileName: string, files: Map<string, File>, t0: number, source?: string) {
  const tDec = performance.now();
  const model = decodeModel(d.bytes, { fileName });
  primeAnalysis(model, d.analysis);
  const history = newHistory(model, `Open ${fileName}`);
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
    timings: { ...d.timings, pageDecode: performance.now() - tDec },
    source,
  });
  // The worker already laid out the first view: install it for this version directly.
  const pos = new Map<string, { x: number; y: number }>();
  d.layout.ids.forEach((id, i) => pos.set(id, { x: d.layout.xy[2 * i], y: d.layout.xy[2 * i + 1] }));
  useApp.getState().setLayout({
    key: layoutKey(current(history).id, false, d.summary.node_count > GROUP_BY_DEFAULT),
    vg: d.view,
    pos,
    routes: new Map(d.layout.routes),
    width: d.layout.width,
    height: d.layout.height,
    ms: d.layout.ms,
  });
  useApp.getState().setLoading(null);
  for (const l of openedListeners) l({ fileName, bytes: d.bytes, files });
}

/** Pick the model among dropped files; the others are external data candidates. */
export function splitFiles(files: File[]): { model?: File; data: Map<string, File> } {
  const onnx = files.filter((f) => /\.(onnx|pb|ort|qonnx)$/i.test(f.name));
  const model = onnx.length ? onnx.reduce((a, b) => (a.size <= b.size ? a : b)) : files.length === 1 ? files[0] : undefined;
  const data = new Map<string, File>();
  for (const f of files) if (f !== model) data.set(f.name, f);
  return { model, data };
}

export async function openFiles(files: File[]): Promise<void> {
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
    const d = await openTaskRun(async (id) => unwrap(await modelWorker().decodeFile(model, prog, id)));
    if (d) install(d, model.name, data, t0);
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
    const d = await openTaskRun(async (id) => unwrap(await modelWorker().fetchModel(new URL(url, document.baseURI).href, prog, id)));
    if (d) install(d, d.fileName, new Map(), t0, url);
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
