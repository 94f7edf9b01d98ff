/**
 * The model worker: reading, decoding, validating, laying out and encoding, off the UI thread.
 * A thin shell over src/core; exposed with Comlink.
 */
import * as Comlink from 'comlink';
import { decodeModel, encodeModel, MAX_PROTOBUF_BYTES } from '../core/onnx/codec.js';
import { ModelError, serializeError, type SerializedError } from '../core/errors.js';
import { readAll, type Progress } from '../core/io/readStream.js';
import { validateModel, type GraphProblem } from '../core/ir/validate.js';
import { summarizeModel, type ModelSummary } from '../core/ir/summary.js';
import type { Model } from '../core/ir/types.js';
import { externalLocations } from '../core/onnx/externalTensors.js';
import { quantizerHistogram, type QuantizerHistogram } from '../core/view/quantizerHistogram.js';
import { readExternalWeights } from './externalWeights.js';
import { layeredLayout } from '../core/layout/layered.js';
import { withAllQuantBits } from '../core/ir/quantEdit.js';
import { applyDelta, type ModelDelta } from '../core/ir/modelDelta.js';
import { applyTransformTask } from '../core/passes/apply.js';
import { CancelledError, runCooperative, runSync, type Task, type TaskProgress } from '../core/task.js';
import { diffModels, type ModelDiff } from '../core/ir/diff.js';
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { RunStore, type RunSummary, type TensorError } from '../core/exec/runs.js';
import type { RuntimeTensor } from '../core/exec/runtimeTensor.js';
import type { OrtApi } from '../core/exec/engine.js';
import { inferenceCostTask, type CostOptions, type CostReport } from '../core/analysis/inferenceCost.js';
import { analyzeModel, serializeAnalysis, type SerializedAnalysis } from '../core/analysis/modelAnalysis.js';
import { buildViewGraph, type ViewGraph } from '../core/view/viewGraph.js';
import { packView, type PackedView } from '../core/view/viewTransport.js';
import { warmUpModelBytes } from './warmUp.js';

/**
 * What the page needs to show a model: everything derived from it. The file's bytes go to the page
 * before this, through the `onBytes` callback of the open, as soon as they are read: the page keeps
 * them and decodes its own editable copy of the graph from them only when something reads it (a decode
 * is faster than cloning this worker's object tree).
 */
export interface DecodedModel {
  /** the worker's handle for its own copy of this model */
  docId: number;
  problems: GraphProblem[];
  summary: ModelSummary;
  analysis: SerializedAnalysis;
  view: PackedView;
  layout: LayoutPayload;
  timings: Record<string, number>;
  /** the external-data files the model's tensors name */
  externalLocations: string[];
  /** the model panel's quantizer counts */
  quantizers: QuantizerHistogram;
}

/** Positions by view node (x, y per id), and every edge's route: points of routeIds[i] are routeXY[2*routeStart[i] .. 2*routeStart[i+1]). */
export interface LayoutPayload {
  ids: string[];
  xy: Float64Array;
  routeIds: string[];
  routeXY: Float64Array;
  routeStart: Uint32Array;
  width: number;
  height: number;
  ms: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** Files up to this size are read in one piece (faster than a stream copied chunk by chunk); larger ones streamed, with progress. */
const STREAM_FROM_BYTES = 512 * 2 ** 20;

/** Graphs with more view nodes than this are wrapped into columns when they are very deep. */
const WRAP_MIN_NODES = 1500;

function layoutPayload(vg: ViewGraph): { payload: LayoutPayload; buffers: ArrayBuffer[] } {
  const t0 = performance.now();
  const r = layeredLayout(
    vg.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    vg.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
    // Deep graphs of thousands of nodes wrap into columns so that the overview fills the screen.
    vg.nodes.length > WRAP_MIN_NODES ? { wrap: { aspect: 1.6, minAspect: 6 } } : {},
  );
  const ids = vg.nodes.map((n) => n.id);
  const xy = new Float64Array(ids.length * 2);
  ids.forEach((id, i) => {
    const p = r.positions.get(id)!;
    xy[2 * i] = p.x;
    xy[2 * i + 1] = p.y;
  });
  // one buffer for all routes: thousands of small buffers cost the page more to receive than their points
  const routeIds: string[] = [];
  let points = 0;
  for (const [id, pts] of r.routes) {
    routeIds.push(id);
    points += pts.length;
  }
  const routeXY = new Float64Array(points * 2);
  const routeStart = new Uint32Array(routeIds.length + 1);
  let k = 0;
  let i = 0;
  for (const pts of r.routes.values()) {
    routeStart[i++] = k;
    for (const p of pts) {
      routeXY[2 * k] = p.x;
      routeXY[2 * k + 1] = p.y;
      k++;
    }
  }
  routeStart[i] = k;
  return { payload: { ids, xy, routeIds, routeXY, routeStart, width: r.width, height: r.height, ms: performance.now() - t0 }, buffers: [xy.buffer, routeXY.buffer, routeStart.buffer] };
}

// onnxruntime-web: its .wasm is served by the app itself (never a CDN). Threads need a cross-origin
// isolated page (SharedArrayBuffer); otherwise one thread.
ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
ort.env.wasm.numThreads = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
const runs = new RunStore(ort as unknown as OrtApi);
const cancelled = new Set<number>();
/** ids of cost, transformation and open tasks the page cancelled */
const cancelledTasks = new Set<number>();
/** downloads in progress by task id (cancelling aborts them) */
const aborters = new Map<number, AbortController>();

/** Run a core task letting cancel messages in; without a task id, straight through. */
async function cooperative<T>(task: Task<T>, taskId?: number, onProgress?: (p: TaskProgress) => void): Promise<T> {
  if (taskId === undefined) return runSync(task);
  try {
    return await runCooperative(task, { signal: { get aborted() { return cancelledTasks.has(taskId); } }, onProgress });
  } finally {
    cancelledTasks.delete(taskId);
  }
}

const docs = new Map<number, Model>();
let nextDocId = 1;

/** The model a request refers to: the worker's copy of an opened file, or one sent along with it. */

function modelFor(ref: ModelRef): Model {
  if ('model' in ref) return ref.model;
  const m = docs.get(ref.docId);
  if (!m) throw new Error('The worker no longer holds this model; open it again');
  if (!('delta' in ref)) return m;
  return applyDelta(ref.delta, m);
}

/**
 * The model a request is about: the worker's copy of the opened file, an edited version of it sent
 * as a delta (unchanged weights by reference), or a whole model (another file).
 */
export type ModelRef = { docId: number } | { docId: number; delta: ModelDelta } | { model: Model };

/** The warm-up model as the page receives an opened one: its bytes and the worker's result. */
export interface WarmUp {
  bytes: Uint8Array;
  result: DecodedModel;
}

/** Receives a copy of the opened file's bytes (transferred), before the worker decodes it. */
export type BytesCallback = (bytes: Uint8Array) => void;

/** Decode, check, analyse, build the view and lay it out: everything the first picture needs. */
async function decodeBytes(bytes: Uint8Array, fileName: string, t0: number, tRead: number, onProgress?: Progress, taskId?: number, onBytes?: BytesCallback): Promise<{ result: DecodedModel; transfer: ArrayBuffer[] }> {
  // Between stages the event loop turns so that a cancel can arrive; the previous model stays open
  // until the very end, so a cancelled open leaves everything as it was.
  // (a turn only after 10 ms of work: on a small model the turns themselves would be most of the time)
  let lastTurn = performance.now();
  const checkpoint = async () => {
    if (taskId === undefined || performance.now() - lastTurn < 10) return;
    await new Promise((r) => setTimeout(r, 0));
    lastTurn = performance.now();
    if (cancelledTasks.has(taskId)) throw new CancelledError();
  };
  const lap = (() => {
    let t = performance.now();
    return () => {
      const n = performance.now();
      const d = n - t;
      t = n;
      return d;
    };
  })();
  // The page gets its own copy of the bytes now (it keeps the file as opened, and decodes its editable
  // copy of the graph only after the first picture, or when something reads it); this worker keeps
  // its model for what needs the tensors (cost, execution, ...).
  if (onBytes) {
    const copy = bytes.slice();
    void onBytes(Comlink.transfer(copy, [copy.buffer]));
  }
  const send = lap();
  const model = decodeModel(bytes, { fileName });
  const decode = lap();
  onProgress?.(bytes.byteLength, bytes.byteLength, 'Checking');
  await checkpoint();
  const problems = validateModel(model);
  const summary = summarizeModel(model);
  const check = lap();
  onProgress?.(bytes.byteLength, bytes.byteLength, 'Inferring shapes and datatypes');
  await checkpoint();
  const analysis = serializeAnalysis(analyzeModel(model));
  const analyse = lap();
  onProgress?.(bytes.byteLength, bytes.byteLength, 'Laying out');
  await checkpoint();
  // must match the page's default (store.ts GROUP_BY_DEFAULT) so that this first layout is used
  const view = buildViewGraph(model, { showConstants: false, groupLayers: summary.node_count > 2000 });
  const viewMs = lap();
  await checkpoint();
  const { payload, buffers } = layoutPayload(view);
  const layout = lap();
  const packed = packView(view);
  const pack = lap();
  await checkpoint();
  const docId = nextDocId++;
  docs.clear(); // one open model at a time; the previous one's memory is released
  docs.set(docId, model);
  return {
    result: { docId, problems, summary, analysis, view: packed, layout: payload, externalLocations: externalLocations(model), quantizers: quantizerHistogram(model), timings: { read: tRead - t0, copy: send, decode, check, analyse, view: viewMs, layout, pack } },
    transfer: buffers,
  };
}


function ok<T>(value: T, transfer: Transferable[] = []): Result<T> {
  return Comlink.transfer({ ok: true as const, value }, transfer);
}

function fail(e: unknown): Result<never> {
  return { ok: false, error: serializeError(e) };
}

/** Rewrite web links that point at a page about a file to the file itself. */
export function rawUrl(url: string): string {
  const gh = /^https?:\/\/github\.com\/([^/]+)\/([^/]+)\/(?:blob|raw)\/(.+)$/.exec(url);
  if (gh) return `https://raw.githubusercontent.com/${gh[1]}/${gh[2]}/${gh[3]}`;
  const hf = /^https?:\/\/huggingface\.co\/(.+)\/blob\/(.+)$/.exec(url);
  if (hf) return `https://huggingface.co/${hf[1]}/resolve/${hf[2]}`;
  return url;
}

const api = {
  /** Resolves once the worker has warmed up the open path (see warmUp.ts); the first call gets the warm-up model for the page. */
  async ready(): Promise<WarmUp | null> {
    await warm;
    const w = warmUp;
    warmUp = null;
    return w ? Comlink.transfer(w, [w.bytes.buffer as ArrayBuffer, w.result.layout.xy.buffer as ArrayBuffer, w.result.layout.routeXY.buffer as ArrayBuffer, w.result.layout.routeStart.buffer as ArrayBuffer]) : null;
  },

  async decodeFile(file: File, onProgress?: Progress, taskId?: number, onBytes?: BytesCallback): Promise<Result<DecodedModel>> {
    try {
      const t0 = performance.now();
      if (file.size === 0) throw new ModelError('empty-file', `'${file.name}' is empty (0 bytes)`);
      if (file.size > MAX_PROTOBUF_BYTES)
        throw new ModelError(
          'too-large',
          `'${file.name}' is ${(file.size / 2 ** 30).toFixed(2)} GiB; a single ONNX protobuf cannot exceed 2 GiB. Save the model with external data (weights in a separate .data file) and open both files together`,
        );
      // One read into one buffer; only very large files are streamed, for their progress bar.
      const bytes = file.size <= STREAM_FROM_BYTES ? new Uint8Array(await file.arrayBuffer()) : await readAll(file.stream(), file.size, onProgress, 'Reading');
      if (taskId !== undefined && cancelledTasks.has(taskId)) throw new CancelledError();
      onProgress?.(bytes.byteLength, file.size, 'Decoding');
      const r = await decodeBytes(bytes, file.name, t0, performance.now(), onProgress, taskId, onBytes);
      return ok(r.result, r.transfer);
    } catch (e) {
      return fail(e);
    } finally {
      if (taskId !== undefined) cancelledTasks.delete(taskId);
    }
  },

  async fetchModel(url: string, onProgress?: Progress, taskId?: number, onBytes?: BytesCallback): Promise<Result<DecodedModel & { fileName: string; url: string }>> {
    try {
      const t0 = performance.now();
      const target = rawUrl(url);
      let res: Response;
      const abort = new AbortController();
      if (taskId !== undefined) aborters.set(taskId, abort);
      try {
        res = await fetch(target, { signal: abort.signal });
      } catch (e) {
        if (abort.signal.aborted) throw new CancelledError();
        throw new ModelError('fetch-failed', `Could not download ${target}: ${(e as Error).message}. The server may be offline or may not allow cross-origin downloads`);
      }
      if (!res.ok) throw new ModelError('fetch-failed', `Downloading ${target} failed: HTTP ${res.status} ${res.statusText}`);
      const len = Number(res.headers.get('content-length')) || undefined;
      let bytes: Uint8Array;
      try {
        bytes = res.body ? await readAll(res.body, len, onProgress, 'Downloading') : new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        if (abort.signal.aborted) throw new CancelledError();
        throw e;
      }
      const fileName = decodeURIComponent(new URL(target, 'http://x/').pathname.split('/').pop() || 'model.onnx');
      if (taskId !== undefined && cancelledTasks.has(taskId)) throw new CancelledError();
      const r = await decodeBytes(bytes, fileName, t0, performance.now(), onProgress, taskId, onBytes);
      return ok({ ...r.result, fileName, url: target }, r.transfer);
    } catch (e) {
      return fail(e);
    } finally {
      if (taskId !== undefined) {
        cancelledTasks.delete(taskId);
        aborters.delete(taskId);
      }
    }
  },

  layout(vg: ViewGraph): Result<LayoutPayload> {
    try {
      const { payload, buffers } = layoutPayload(vg);
      return ok(payload, buffers);
    } catch (e) {
      return fail(e);
    }
  },

  /** The inference cost; with a task id it reports progress and can be cancelled (cancelTask). */
  async cost(ref: ModelRef, opts: CostOptions, taskId?: number, onProgress?: (p: TaskProgress) => void): Promise<Result<CostReport>> {
    try {
      return ok(await cooperative(inferenceCostTask(modelFor(ref), opts), taskId, onProgress));
    } catch (e) {
      return fail(e);
    }
  },

  /** The cost with every Quant node's bit width set to `bits` (the what-if line). */
  async costWhatIf(ref: ModelRef, bits: number, opts: CostOptions, taskId?: number): Promise<Result<CostReport>> {
    try {
      return ok(await cooperative(inferenceCostTask(withAllQuantBits(modelFor(ref), bits), opts), taskId));
    } catch (e) {
      return fail(e);
    }
  },

  /** Stop a cost, transformation or open started with this task id (at its next step). */
  cancelTask(taskId: number): void {
    cancelledTasks.add(taskId);
    aborters.get(taskId)?.abort();
  },

  /** Run the model (or its float twin with `bypass`) and keep every tensor for later questions. */
  async run(
    ref: ModelRef,
    runId: number,
    inputs: [string, RuntimeTensor][],
    bypass: boolean,
    onProgress?: (done: number, total: number) => void,
    externalFiles?: [string, Blob][],
  ): Promise<Result<RunSummary>> {
    try {
      const signal = { get aborted() { return cancelled.has(runId); } };
      const model = modelFor(ref);
      // weights in external-data files the user opened with the model: read only to run (onnxruntime needs them inline)
      const loadExternal = externalFiles?.length ? () => readExternalWeights(model, new Map(externalFiles)) : undefined;
      const r = await runs.run(model, runId, new Map(inputs), bypass, { onProgress, signal }, loadExternal);
      return ok(r);
    } catch (e) {
      return fail(e);
    } finally {
      cancelled.delete(runId);
    }
  },

  cancelRun(runId: number): void {
    cancelled.add(runId);
  },

  runTensor(runId: number, name: string): Result<RuntimeTensor | null> {
    try {
      return ok(runs.tensor(runId, name) ?? null);
    } catch (e) {
      return fail(e);
    }
  },

  compareRuns(refRun: number, testRun: number): Result<TensorError[]> {
    try {
      return ok(runs.compare(refRun, testRun));
    } catch (e) {
      return fail(e);
    }
  },

  /** Apply a registered transformation; the result comes back as bytes for the page to decode. */
  async transform(
    ref: ModelRef,
    id: string,
    params: Record<string, unknown>,
    taskId?: number,
    onProgress?: (p: TaskProgress) => void,
  ): Promise<Result<{ bytes: Uint8Array; diff: ModelDiff; notes: string[]; modified: boolean; ms: number }>> {
    try {
      const r = await cooperative(applyTransformTask(modelFor(ref), id, params), taskId, onProgress);
      const bytes = encodeModel(r.model);
      return ok({ bytes, diff: r.diff, notes: r.notes, modified: r.modified, ms: r.ms }, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      return fail(e);
    }
  },

  /** Differences between two models (the compare view). */
  diff(a: ModelRef, b: ModelRef): Result<ModelDiff> {
    try {
      return ok(diffModels(modelFor(a), modelFor(b)));
    } catch (e) {
      return fail(e);
    }
  },

  /** The file bytes of a version the worker holds (the opened one, or an edit of it sent as a delta). */
  encodeRef(ref: ModelRef): Result<Uint8Array> {
    try {
      const bytes = encodeModel(modelFor(ref));
      return ok(bytes, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      return fail(e);
    }
  },

  encode(model: Model): Result<Uint8Array> {
    try {
      const bytes = encodeModel(model);
      return ok(bytes, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      return fail(e);
    }
  },
};

export type ModelWorkerApi = typeof api;

Comlink.expose(api);

// Warm the open path while the start screen shows: the first file then runs compiled code.
// The page gets the warm-up model's bytes and result once, to warm its own side of the open path.
let warmUp: WarmUp | null = null;
const warm = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(async () => {
  try {
    const bytes = warmUpModelBytes();
    let sent: Uint8Array | undefined;
    const r = await decodeBytes(bytes, 'warm-up.onnx', 0, 0, undefined, undefined, (b) => (sent = b));
    if (sent) warmUp = { bytes: sent, result: r.result };
  } catch {
    // only a warm-up
  }
  docs.clear();
});
