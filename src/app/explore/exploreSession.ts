/**
 * Starting, following, cancelling and applying a sweep of the precision explorer. The coordinator
 * (workers/explore.worker.ts) and a pool of runners (workers/sweepRunner.worker.ts) run in workers;
 * this file creates them, connects them with MessageChannels, puts their events into the explore store,
 * and terminates them all at the end or on Cancel (immediately: no configuration finishes first).
 */
import type { ConfigPoint, ExploreOptions, SensitivityEntry } from '../../core/explore/explore.js';
import { graphInputSpecs } from '../../core/explore/samples.js';
import type { RuntimeTensor } from '../../core/exec/runtimeTensor.js';
import { npyNumbers, readNpy, type NpyArray } from '../../core/io/npyRead.js';
import { readNpz } from '../../core/io/npz.js';
import { listQuantizers, setQuantizer } from '../../core/ir/quantEdit.js';
import type { ExploreEventSink, ExploreRequest, ExploreWorkerApi, SampleSource } from '../../workers/explore.worker.js';
import { modelRef } from '../cost/useCost.js';
import { imageLayout, imageToTensor } from '../run/imageInput.js';
import { currentModel, currentVersionId, useApp } from '../store.js';
import { Comlink, modelWorker, unwrap } from '../workerClient.js';
import { appliesTo, useExplore, type ExploreRun, type ExploreSettings, type MapRow } from './exploreStore.js';

let nextRunId = 1;
let active: { id: number; cancel: () => void } | null = null;

/** Candidate widths typed as "2,3,4,8" (or with spaces); an error names what is wrong. */
export function parseWidths(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isInteger(out[i]) || out[i] < 1 || out[i] > 32);
  if (bad !== undefined) throw new Error(`'${bad}' is not a bit width (whole numbers 1 to 32, e.g. 2,3,4,8)`);
  if (!out.length) throw new Error('give at least one candidate bit width');
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The planner's options from the settings. */
export function exploreOptions(s: ExploreSettings): ExploreOptions {
  return { bits: parseWidths(s.bits), kinds: s.kinds, fixed: s.fixed, fixFirstLast: s.fixFirstLast, maxPoints: s.maxPoints };
}

async function sampleSource(s: ExploreSettings): Promise<SampleSource> {
  if (s.source === 'random') return { kind: 'random', n: s.n, seed: s.seed };
  if (s.source === 'arrays') {
    const f = s.arraysFile;
    if (!f) throw new Error('Choose a .npz (one array per graph input) or a .npy file of calibration samples');
    const bytes = new Uint8Array(await f.arrayBuffer());
    if (/\.npz$/i.test(f.name)) return { kind: 'arrays', arrays: [...(await readNpz(bytes))] };
    return { kind: 'arrays', arrays: [['', readNpy(bytes)] as [string, NpyArray]] };
  }
  const model = currentModel(useApp.getState());
  if (!model) throw new Error('no model');
  if (!s.images.length) throw new Error('Choose one or more images');
  const spec = imageInputOf(model);
  if (!spec) throw new Error('Images need a model with one image-shaped input ([N, C, H, W] or [N, H, W, C])');
  const shape = [1, ...spec.shape.slice(1)];
  const samples: [string, RuntimeTensor][][] = [];
  for (const f of s.images) samples.push([[spec.name, await imageToTensor(f, shape, s.scaling)]]);
  return { kind: 'tensors', samples };
}

/** The model's one graph input when it is image-shaped (what the images source fills). */
export function imageInputOf(model: Parameters<typeof graphInputSpecs>[0]): { name: string; shape: number[] } | undefined {
  const specs = graphInputSpecs(model);
  return specs.length === 1 && imageLayout(specs[0].shape) ? specs[0] : undefined;
}

/** Start a sweep of the current version with the current settings. */
export async function startExplore(rows: MapRow[] = []): Promise<void> {
  const st = useApp.getState();
  const doc = st.doc;
  if (!doc || active) return;
  const settings = useExplore.getState().settings;
  const id = nextRunId++;
  const versionId = currentVersionId(st);
  const t0 = performance.now();
  const run: ExploreRun = {
    id,
    docId: doc.docId,
    versionId,
    status: 'preparing',
    rows,
    progress: { label: 'preparing', done: 0, total: 0 },
    reference: settings.reference,
    hasLabels: !!settings.labelsFile,
    sensitivity: [],
    points: [],
    startedAt: Date.now(),
    applied: [],
  };
  const store = useExplore.getState();
  store.setRun(run);
  const patch = (fn: (r: ExploreRun) => Partial<ExploreRun>) => useExplore.getState().patchRun(id, fn);

  const workers: Worker[] = [];
  let stop: (e: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  const terminate = () => {
    for (const w of workers) w.terminate();
    workers.length = 0;
  };
  active = { id, cancel: () => stop(new DOMException('Cancelled', 'AbortError')) };

  // events arrive one message each: gather them and update the store once per frame
  let pending: { sens: SensitivityEntry[]; points: ConfigPoint[]; baseline?: ConfigPoint; progress?: ExploreRun['progress'] } = { sens: [], points: [] };
  let scheduled = false;
  // events travel on their own channel: any that arrive after the result are already in it
  let finished = false;
  const flush = () => {
    scheduled = false;
    const p = pending;
    pending = { sens: [], points: [] };
    patch((r) => ({
      sensitivity: p.sens.length ? [...r.sensitivity, ...p.sens] : r.sensitivity,
      points: p.points.length ? [...r.points, ...p.points] : r.points,
      ...(p.baseline ? { baseline: p.baseline } : {}),
      ...(p.progress ? { progress: p.progress } : {}),
    }));
  };
  const later = () => {
    if (finished) return;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  };
  const phaseLabel = { baseline: 'baseline', sensitivity: 'sensitivity', front: 'front', done: 'done' } as const;
  const sink: ExploreEventSink = {
    progress: (p) => {
      pending.progress = { label: phaseLabel[p.phase], done: p.done, total: p.total };
      later();
    },
    baseline: (p) => {
      pending.baseline = p;
      later();
    },
    sensitivity: (e) => {
      pending.sens.push(e);
      later();
    },
    point: (p) => {
      pending.points.push(p);
      later();
    },
    runnersReady: (ready, total) => {
      pending.progress = { label: `starting ${total} runner${total === 1 ? '' : 's'}`, done: ready, total };
      later();
    },
  };

  const work = async () => {
    const options = exploreOptions(settings);
    const source = await sampleSource(settings);
    const labels = settings.labelsFile ? npyNumbers(readNpy(new Uint8Array(await settings.labelsFile.arrayBuffer()))) : undefined;
    const bytes = unwrap(await modelWorker().encodeRef(modelRef(doc)));
    const coord = new Worker(new URL('../../workers/explore.worker.ts', import.meta.url), { type: 'module', name: 'explore' });
    workers.push(coord);
    const failed = new Promise<never>((_, reject) => coord.addEventListener('error', (e) => reject(new Error(`The explore worker failed: ${e.message || 'could not start'}`))));
    const remote = Comlink.wrap<ExploreWorkerApi>(coord);
    const req: ExploreRequest = { bytes, fileName: doc.fileName, externalFiles: [...doc.externalFiles], options, reference: settings.reference, source, labels, cores: navigator.hardwareConcurrency || 1 };
    const prep = unwrap(await Promise.race([remote.prepare(Comlink.transfer(req, [bytes.buffer as ArrayBuffer])), failed]));
    patch(() => ({ plan: prep.plan, samples: prep.samples, poolSize: prep.poolSize, runnerBytes: prep.pool.runnerBytes, maxBatch: prep.pool.maxBatch }));
    if (!prep.plan.quantizers.length) {
      patch(() => ({ status: 'error', message: 'No quantizer can take part.', progress: undefined }));
      return;
    }
    patch(() => ({ status: 'running' }));
    const ports: MessagePort[] = [];
    const runnerFailed: Promise<never>[] = [];
    for (let i = 0; i < prep.poolSize; i++) {
      const w = new Worker(new URL('../../workers/sweepRunner.worker.ts', import.meta.url), { type: 'module', name: `sweep-runner-${i + 1}` });
      workers.push(w);
      runnerFailed.push(new Promise<never>((_, reject) => w.addEventListener('error', (e) => reject(new Error(`A runner failed: ${e.message || 'it could not start (out of memory?)'}`)))));
      const ch = new MessageChannel();
      w.postMessage({ explorePort: ch.port1 }, [ch.port1]);
      ports.push(ch.port2);
    }
    const r = unwrap(await Promise.race([remote.run(Comlink.transfer(ports, ports), Comlink.proxy(sink)), failed, ...runnerFailed]));
    finished = true;
    pending = { sens: [], points: [] };
    patch(() => ({
      status: 'done',
      progress: undefined,
      baseline: r.baseline,
      sensitivity: r.sensitivity,
      points: r.points,
      pareto: r.pareto,
      runs: r.runs,
      timings: r.timings,
      wallMs: performance.now() - t0,
    }));
  };

  try {
    await Promise.race([work(), stopped]);
  } catch (e) {
    flush();
    finished = true;
    const err = e as Error;
    const cancelled = err.name === 'AbortError';
    patch(() => ({ status: cancelled ? 'cancelled' : 'error', message: cancelled ? 'Cancelled: the runners were stopped; the model is unchanged.' : err.message, progress: undefined, wallMs: performance.now() - t0 }));
  } finally {
    terminate();
    if (active?.id === id) active = null;
  }
}

/** Stop the sweep in progress (its workers are terminated at once). */
export function cancelExplore(): void {
  active?.cancel();
}

export function exploreRunning(): boolean {
  return active !== null;
}

/** The width each planned quantizer has in the current model (undefined when it is gone). */
export function currentWidths(run: ExploreRun): (number | undefined)[] | undefined {
  const st = useApp.getState();
  const m = currentModel(st);
  if (!m || !run.plan || !appliesTo(run, st.doc?.docId, currentVersionId(st))) return undefined;
  const bits = new Map(listQuantizers(m).map((q) => [q.nodeIndex, q.bits]));
  return run.plan.quantizers.map((q) => bits.get(q.node));
}

/**
 * Apply a configuration as one undoable edit: every planned quantizer whose width in the current model
 * differs is set. Returns the number of widths changed, or an explanation when it cannot apply.
 */
export function applyConfiguration(widths: readonly number[]): { changed: number } | { error: string } {
  const run = useExplore.getState().run;
  const st = useApp.getState();
  if (!run?.plan) return { error: 'no sweep' };
  if (!appliesTo(run, st.doc?.docId, currentVersionId(st)))
    return { error: 'The model changed since this sweep (an edit other than applying its configurations): undo back to the swept version, or run the sweep again.' };
  const now = currentWidths(run)!;
  const plan = run.plan;
  const changes = plan.quantizers.map((q, k) => ({ q, to: widths[k] })).filter((c, k) => now[k] !== c.to);
  if (!changes.length) return { changed: 0 };
  st.edit((m) => changes.reduce((out, c) => setQuantizer(out, c.q.node, { bits: c.to }), m), `Explore: apply ${changes.length} width${changes.length === 1 ? '' : 's'}`);
  const v = currentVersionId(useApp.getState());
  useExplore.getState().patchRun(run.id, (r) => ({ applied: [...r.applied, v] }));
  return { changed: changes.length };
}

// a new model closes the sweep of the previous one
useApp.subscribe((s, prev) => {
  if (s.doc?.docId === prev.doc?.docId) return;
  cancelExplore();
  const ex = useExplore.getState();
  ex.setRun(null);
  ex.setSettings({ fixed: [], arraysFile: null, images: [], labelsFile: null });
});
