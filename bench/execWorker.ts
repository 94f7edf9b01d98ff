/**
 * Child process: times inference on one model in Node (onnxruntime-web, one thread), after warm-up.
 *
 *   quant      Engine.run on the model (graph outputs only): sessions + QONNX kernel steps (quantizers
 *              the engine rewrites into standard ops run inside the sessions)
 *   keepAll    the same with every tensor kept (what the app's run does before summarising)
 *   store      RunStore.run: keepAll plus the per-tensor summaries (statistics, histogram, saturation)
 *   twinEngine the Engine on the float twin (every quantizer bypassed)
 *   twinOrt    plain onnxruntime-web on the float twin: the bypassed, folded model as ONE session with
 *              only the graph outputs (the baseline the quantized run is judged against); only when the
 *              twin has no custom op left
 *   floatOrt   plain onnxruntime-web on a separately given float model file (when its input shape is the
 *              quantized model's)
 * Where the time goes: the time inside onnxruntime's session.run during `quant` runs (wrapped API), and
 * each QONNX node's kernel timed alone on its real inputs, summed per op type.
 * Usage (via child.ts): execWorker.ts <model.onnx> <runs> [<float.onnx>]
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { attrMap } from '../src/core/analysis/shapeInference.js';
import { Engine, type OrtApi, type OrtSession } from '../src/core/exec/engine.js';
import { RunStore } from '../src/core/exec/runs.js';
import { asFloat32 } from '../src/core/exec/runtimeTensor.js';
import { indexGraph } from '../src/core/ir/graphIndex.js';
import type { Model } from '../src/core/ir/types.js';
import { decodeModel } from '../src/core/onnx/codec.js';
import { resolveCustomOp } from '../src/core/qonnx/registry.js';
import { reply } from './child.js';
import { batchSize, customOpsLeft, feedsFor, interleaved, median, plainOrt, type PlainSession } from './execTiming.js';

ort.env.wasm.numThreads = 1;

export interface ExecResult {
  nodes: number;
  sessions: number;
  kernelSteps: number;
  /** quantizers rewritten into standard ops (run inside the sessions) */
  lowered: number;
  prepareMs: number;
  /** per timed run, ms */
  quant: number[];
  keepAll: number[];
  store: number[];
  twinEngine: number[];
  twinOrt?: number[];
  /** why there is no twinOrt figure */
  twinOrtNote?: string;
  floatOrt?: number[];
  floatOrtNote?: string;
  /** median ms inside onnxruntime session.run per quant run */
  ortInsideMs: number;
  /** per QONNX op type: nodes and median ms of their kernels per run (timed alone) */
  kernels: Record<string, { nodes: number; ms: number }>;
  warmup: number;
}

/** onnxruntime with session.run timed. */
function timedOrt(): { api: OrtApi; inside: { ms: number } } {
  const inside = { ms: 0 };
  const api: OrtApi = {
    Tensor: ort.Tensor as unknown as OrtApi['Tensor'],
    InferenceSession: {
      async create(bytes: Uint8Array, opts?: object): Promise<OrtSession> {
        const s = await ort.InferenceSession.create(bytes, opts);
        return {
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          async run(feeds, fetches) {
            const t = performance.now();
            const r = fetches ? await s.run(feeds as Record<string, ort.Tensor>, fetches as string[]) : await s.run(feeds as Record<string, ort.Tensor>);
            inside.ms += performance.now() - t;
            return r as never;
          },
          release: () => s.release(),
        };
      },
    },
  };
  return { api, inside };
}

/**
 * Per-call times after warm-up. A call under ~10 ms is repeated (enough calls to fill ~10 ms) and each
 * call is one sample: the median over many single calls is what a 0.05 ms inference costs, where a
 * batch mean would carry every garbage-collection pause of the batch.
 */
async function time(runs: number, warmup: number, f: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await f();
  const t0 = performance.now();
  await f();
  const reps = batchSize(performance.now() - t0);
  const out: number[] = [];
  for (let i = 0; i < runs * reps; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

const sameDims = (a: Model, b: Model) => {
  const dims = (m: Model) => JSON.stringify((m.graph?.input ?? []).filter((i) => !indexGraph(m.graph ?? {}).initializer.has(i.name ?? '')).map((i) => (i.type?.tensorType?.shape?.dim ?? []).map((d) => String(d.dimValue ?? d.dimParam))));
  return dims(a) === dims(b);
};

async function main(): Promise<ExecResult> {
  const [file, runsArg, floatFile] = process.argv.slice(2);
  const runs = Math.max(1, Number(runsArg) || 5);
  const warmup = 3;
  const model = decodeModel(new Uint8Array(readFileSync(file)), { fileName: file });
  const feeds = feedsFor(model, 1);

  const { api, inside } = timedOrt();
  // timed runs use onnxruntime as it is; a second engine over the wrapped API measures the time
  // spent inside session.run
  const engine = new Engine(model, ort as unknown as OrtApi);
  const probe = new Engine(model, api);
  let t = performance.now();
  await engine.prepare();
  const prepareMs = performance.now() - t;
  const st = engine.stats();
  // The quantized run, the float twin run by the Engine and the float twin as one plain session (and
  // the separately trained float model), sampled in turns.
  const twin = new Engine(model, ort as unknown as OrtApi, { bypassQuantizers: true });
  await twin.prepare();
  let twinOrtNote: string | undefined, floatOrtNote: string | undefined;
  const left = customOpsLeft(twin.model);
  if (left.length) twinOrtNote = `the float twin keeps ${left.length} custom op${left.length > 1 ? 's' : ''} (${[...new Set(left)].join(', ')}): no plain-onnxruntime twin`;
  const twinPlain = left.length ? undefined : await plainOrt(ort as unknown as OrtApi, twin.model, feeds);
  let floatPlain: PlainSession | undefined;
  if (floatFile) {
    const fm = decodeModel(new Uint8Array(readFileSync(floatFile)), { fileName: floatFile });
    if (sameDims(fm, model)) floatPlain = await plainOrt(ort as unknown as OrtApi, fm, feedsFor(fm, 1));
    else floatOrtNote = 'input shape differs from the quantized model\'s';
  }
  const rounds = Math.max(runs, 9);
  const calls: (() => Promise<unknown>)[] = [() => engine.run(feeds), () => twin.run(feeds)];
  if (twinPlain) calls.push(twinPlain.run);
  if (floatPlain) calls.push(floatPlain.run);
  const [quant, twinEngine, ...plain] = await interleaved(rounds, warmup, calls);
  const twinOrt = twinPlain ? plain.shift() : undefined;
  const floatOrt = floatPlain ? plain.shift() : undefined;
  await twinPlain?.release();
  await floatPlain?.release();
  // time inside onnxruntime's session.run during quantized runs
  const insideRuns: number[] = [];
  for (let i = 0; i < warmup + runs * 5; i++) {
    inside.ms = 0;
    await probe.run(feeds);
    if (i >= warmup) insideRuns.push(inside.ms);
  }
  await probe.release();
  const keepAll = await time(runs, warmup, () => engine.run(feeds, { keepAll: true }));
  const store = new RunStore(ort as unknown as OrtApi, 2);
  let id = 1;
  const storeRuns = await time(runs, warmup, () => store.run(model, id++, feeds, false));

  // Each QONNX node's kernel alone, on the inputs it gets in a real run (only the nodes that remain
  // kernel steps: not the quantizers the engine rewrote into standard ops).
  const all = (await engine.run(feeds, { keepAll: true })).tensors;
  const kernels: Record<string, { nodes: number; ms: number }> = {};
  const lowered = engine.loweredNodes();
  for (const n of engine.model.graph?.node ?? []) {
    const def = resolveCustomOp(n, engine.model);
    if (!def || lowered.has(n.name || n.output?.[0] || '')) continue;
    const ins = (n.input ?? []).map((x) => (x ? { shape: all.get(x)!.shape, data: asFloat32(all.get(x)!) } : undefined));
    const attrs = attrMap(n);
    const ts = await time(runs, 1, async () => def.execute(ins as never, attrs));
    const k = (kernels[n.opType ?? '?'] ??= { nodes: 0, ms: 0 });
    k.nodes++;
    k.ms += median(ts);
  }

  await engine.release();
  await twin.release();
  return {
    nodes: model.graph?.node?.length ?? 0,
    sessions: st.sessions,
    kernelSteps: st.kernelSteps,
    lowered: st.lowered,
    prepareMs,
    quant,
    keepAll,
    store: storeRuns,
    twinEngine,
    twinOrt,
    twinOrtNote,
    floatOrt,
    floatOrtNote,
    ortInsideMs: median(insideRuns),
    kernels,
    warmup,
  };
}

void reply(main);
