/**
 * Runs of a model and what the UI asks of them: per-tensor summaries (statistics, histogram,
 * saturation at a quantizer's range ends), any tensor's values on demand, and the error between a
 * quantized run and its float twin (SQNR, max abs error) per tensor. Engines are cached per model
 * object and mode; only the latest runs are kept.
 */
import { tensorStats, type TensorStats } from '../analysis/tensorStats.js';
import { attrMap } from '../analysis/shapeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Tensor } from '../ir/types.js';
import { broadcastTo } from '../qonnx/ops/broadcast.js';
import { Engine, type EngineOptions, type OrtApi, type RunOptions } from './engine.js';
import { asFloat32, type RuntimeTensor } from './runtimeTensor.js';

export interface TensorSummary {
  name: string;
  shape: number[];
  dataType: number;
  stats: TensorStats;
  /** for outputs of Quant/BipolarQuant: integers at the range ends */
  saturation?: { atMin: number; atMax: number; min: number; max: number };
  /** for quantizer outputs: statistics of the integers (value / scale + zero point) */
  intStats?: TensorStats;
}

export interface RunSummary {
  runId: number;
  bypass: boolean;
  ms: number;
  /** graph outputs with their values */
  outputs: [string, RuntimeTensor][];
  tensors: TensorSummary[];
  sessions: number;
  kernelSteps: number;
  /** QONNX nodes (quantizers, MultiThreshold) run as standard ops inside the sessions (lowerQuantizers.ts) */
  lowered: number;
}

export interface TensorError {
  name: string;
  /** signal-to-quantization-noise ratio in dB (Infinity when identical) */
  sqnrDb: number;
  maxAbs: number;
  count: number;
}

/** Integer view of a quantizer output at run time: value / scale + zero point, with the range. */
function quantIntegers(engine: Engine, name: string, v: RuntimeTensor): { ints: Float32Array; min: number; max: number } | undefined {
  const idx = indexGraph(engine.model.graph ?? {});
  const p = idx.producer.get(name);
  if (p === undefined) return undefined;
  const n = idx.nodes[p];
  const op = n.opType;
  if (op !== 'Quant' && op !== 'IntQuant' && op !== 'BipolarQuant') return undefined;
  const c = (k: number) => {
    const t = n.input?.[k];
    const init = t ? engine.constant(t) : undefined;
    return init ? { shape: init.shape, data: asFloat32(init) } : undefined;
  };
  const scale = c(1);
  if (!scale) return undefined;
  const s = broadcastTo(scale, v.shape);
  const zp = op === 'BipolarQuant' ? undefined : c(2);
  const z = zp ? broadcastTo(zp, v.shape) : undefined;
  const x = asFloat32(v);
  const ints = new Float32Array(x.length);
  // value / scale is the integer only up to float32 rounding ((q * s) / s can be q ± 1 ulp, e.g.
  // 15 * 0.0684 / 0.0684 = 14.999999): round, so values at the range ends are all counted
  for (let i = 0; i < x.length; i++) ints[i] = Math.round(Math.fround(x[i] / s[i]) + (z ? z[i] : 0));
  if (op === 'BipolarQuant') return { ints, min: -1, max: 1 };
  const bits = c(3)?.data[0];
  if (bits === undefined) return undefined;
  const a = attrMap(n);
  const signed = Number(a.signed ?? 1) !== 0;
  const narrow = Number(a.narrow ?? 1) !== 0;
  if (bits === 1 && signed) return { ints, min: -1, max: 1 };
  return {
    ints,
    min: signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0,
    max: signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0),
  };
}

export function summarize(engine: Engine, name: string, v: RuntimeTensor): TensorSummary {
  const data = Array.isArray(v.data) ? new Float32Array(0) : v.data;
  const nums = data instanceof Float32Array || data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number | bigint>, Number);
  const s: TensorSummary = { name, shape: v.shape, dataType: v.dataType, stats: tensorStats(nums) };
  const q = quantIntegers(engine, name, v);
  if (q) {
    let atMin = 0, atMax = 0;
    for (const x of q.ints) {
      if (x <= q.min) atMin++;
      else if (x >= q.max) atMax++;
    }
    s.saturation = { atMin, atMax, min: q.min, max: q.max };
    s.intStats = tensorStats(q.ints);
  }
  return s;
}

/** SQNR of `test` against `ref`: 10 log10(sum ref^2 / sum (ref - test)^2). */
export function compareTensors(name: string, ref: RuntimeTensor, test: RuntimeTensor): TensorError | undefined {
  const a = asFloat32(ref), b = asFloat32(test);
  if (a.length !== b.length || a.length === 0) return undefined;
  let sig = 0, noise = 0, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sig += a[i] * a[i];
    noise += d * d;
    const ad = Math.abs(d);
    if (ad > maxAbs) maxAbs = ad;
  }
  const sqnrDb = noise === 0 ? Infinity : sig === 0 ? -Infinity : 10 * Math.log10(sig / noise);
  return { name, sqnrDb, maxAbs, count: a.length };
}

export class RunStore {
  private engines = new WeakMap<Model, Map<boolean, Engine>>();
  private runs = new Map<number, { engine: Engine; tensors: Map<string, RuntimeTensor>; bypass: boolean }>();
  private order: number[] = [];
  /**
   * Summaries of the engine's constants (weights, folded quantized weights): the same tensor objects
   * come back from every run, so they are summarised once (TFC: 54 of the 55 ms a run spent here).
   */
  private constSummaries = new WeakMap<RuntimeTensor, TensorSummary>();

  constructor(
    private readonly ort: OrtApi,
    private readonly keepRuns = 2,
    /** options for every engine this store builds (e.g. lowerQuantizers: false, every QONNX op a kernel step) */
    private readonly engineOptions: Pick<EngineOptions, 'lowerQuantizers'> = {},
  ) {}

  engineFor(model: Model, bypass: boolean, externalData?: ReadonlyMap<Tensor, Uint8Array>): Engine {
    let m = this.engines.get(model);
    if (!m) this.engines.set(model, (m = new Map()));
    let e = m.get(bypass);
    if (!e) m.set(bypass, (e = new Engine(model, this.ort, { ...this.engineOptions, bypassQuantizers: bypass, externalData })));
    return e;
  }

  /**
   * Run the model. `loadExternal` reads the bytes of external-data weights; it is called only when
   * an engine for this model is first built (the weights are then held by the engine).
   */
  async run(
    model: Model,
    runId: number,
    inputs: Map<string, RuntimeTensor>,
    bypass: boolean,
    opts: RunOptions = {},
    loadExternal?: () => Promise<ReadonlyMap<Tensor, Uint8Array>>,
  ): Promise<RunSummary> {
    const needsEngine = !this.engines.get(model)?.has(bypass);
    const ext = needsEngine && loadExternal ? await loadExternal() : undefined;
    const engine = this.engineFor(model, bypass, ext);
    const r = await engine.run(inputs, { ...opts, keepAll: true });
    for (const [k, v] of inputs) if (!r.tensors.has(k)) r.tensors.set(k, v);
    // Summarising every tensor can take as long as the run (metafi: ~0.5 s). Cancel must work here
    // too: let the event loop turn every ~30 ms (so the cancel message can arrive) and check it; the
    // run is stored only once it is complete.
    const tensors: TensorSummary[] = [];
    let lastYield = performance.now();
    for (const [k, v] of r.tensors) {
      if (opts.signal && performance.now() - lastYield > 30) {
        await new Promise((res) => setTimeout(res, 0));
        lastYield = performance.now();
        if (opts.signal.aborted) throw new DOMException('Cancelled', 'AbortError');
      }
      if (engine.constant(k) !== v) tensors.push(summarize(engine, k, v));
      else {
        let s = this.constSummaries.get(v);
        if (!s || s.name !== k) this.constSummaries.set(v, (s = summarize(engine, k, v)));
        tensors.push(s);
      }
    }
    this.runs.set(runId, { engine, tensors: r.tensors, bypass });
    this.order.push(runId);
    while (this.order.length > this.keepRuns) this.runs.delete(this.order.shift()!);
    const st = engine.stats();
    return {
      runId,
      bypass,
      ms: r.ms,
      outputs: r.outputNames.filter((o) => r.tensors.has(o)).map((o) => [o, r.tensors.get(o)!]),
      tensors,
      sessions: st.sessions,
      kernelSteps: st.kernelSteps,
      lowered: st.lowered,
    };
  }

  tensor(runId: number, name: string): RuntimeTensor | undefined {
    return this.runs.get(runId)?.tensors.get(name);
  }

  /** Per-tensor error of run `test` against run `ref` (tensors present in both with equal size). */
  compare(refRun: number, testRun: number): TensorError[] {
    const a = this.runs.get(refRun), b = this.runs.get(testRun);
    if (!a || !b) return [];
    const out: TensorError[] = [];
    for (const [k, v] of b.tensors) {
      const r = a.tensors.get(k);
      if (!r) continue;
      const e = compareTensors(k, r, v);
      if (e) out.push(e);
    }
    return out;
  }
}
