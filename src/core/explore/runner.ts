/**
 * What one thread of the precision explorer runs: the reference outputs once, then configurations.
 *
 * A configuration is a bit width per quantizer taking part. Its runs use one "parametric" model,
 * compiled once: each taking-part Quant reads its bit width from a graph input, and its rewrite into
 * standard ops (lowerQuantizers) clamps to a range that is a graph input too, so a new configuration is
 * new feeds, not a new onnxruntime session. The feeds hold exactly the numbers the Quant kernel derives
 * from the width (minInt / maxInt), so each run computes what the model with those widths written into
 * it computes. Weight quantizers taking part are no longer constant and are computed in the session.
 *
 * `evaluateModel` runs a whole edited model the way `exec` does (its own Engine): the explorer uses it
 * to verify the points of the front, so that `transform --set-bits` + `exec` reproduce them exactly.
 */
import { Engine, type EngineOptions, type OrtApi } from '../exec/engine.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, ValueInfo } from '../ir/types.js';
import { maxInt, minInt } from '../qonnx/ops/quant.js';
import { changeBatchSize } from '../passes/changeBatchSize.js';
import { allocate } from '../exec/inputs.js';

/** A quantizer whose width the explorer varies. */
export interface VariedQuantizer {
  /** node index in the model as opened */
  node: number;
  /** its output tensor (a stable key across versions) */
  output: string;
  signed: boolean;
  narrow: boolean;
  /** whether its range may be a run-time input of the rewrite (no signed 1-bit candidate, <= 22 bits) */
  lowerable: boolean;
}

export interface RunnerSetup {
  model: Model;
  /** one map of graph-input values per calibration sample */
  samples: Map<string, RuntimeTensor>[];
  /** the reference the error is measured against: the float twin or the model as opened */
  reference: 'float' | 'model';
  varied: VariedQuantizer[];
  /** external-data weights, as the Engine takes them */
  externalData?: EngineOptions['externalData'];
}

/** Sums over every element of every graph output of every sample (float64). */
export interface RawEval {
  /** sum of (out - ref)^2 */
  noise: number;
  /** per sample: the predicted class (argmax of the first output, or its integer value), when it has one */
  predictions: (number | undefined)[];
  /** wall time of the runs (ms) */
  ms: number;
}

const float = (v: number): RuntimeTensor => ({ dataType: 1, shape: [], data: Float32Array.of(v) });

/** The class a classifier-shaped output predicts: argmax over a vector of scores, or an index output's value. */
export function predictedClass(t: RuntimeTensor | undefined): number | undefined {
  if (!t || Array.isArray(t.data)) return undefined;
  const n = t.data.length;
  const nonUnit = t.shape.filter((d) => d !== 1).length;
  if (nonUnit > 1) return undefined; // an image or a sequence, not one score vector
  if (n === 1) {
    const v = Number(t.data[0]);
    return t.dataType !== 1 && t.dataType !== 10 && t.dataType !== 11 && Number.isInteger(v) ? v : undefined;
  }
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = Number(t.data[i]);
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** The model with each varied quantizer's bit width read from a new graph input, and the names of its inputs. */
export function parametricModel(model: Model, varied: readonly VariedQuantizer[]): { model: Model; inputs: { bits: string; lo: string; hi: string }[] } {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const taken = new Set<string>([...idx.producer.keys(), ...idx.consumers.keys(), ...idx.initializer.keys(), ...idx.input.keys()]);
  const fresh = (base: string) => {
    let n = base;
    for (let k = 1; taken.has(n); k++) n = `${base}_${k}`;
    taken.add(n);
    return n;
  };
  const inputs = varied.map((_, k) => ({ bits: fresh(`__explore_bits_${k}`), lo: fresh(`__explore_lo_${k}`), hi: fresh(`__explore_hi_${k}`) }));
  const node = (g.node ?? []).slice();
  varied.forEach((q, k) => {
    const n = node[q.node];
    const ins = [...(n.input ?? [])];
    ins[3] = inputs[k].bits;
    node[q.node] = { ...n, input: ins };
  });
  const scalarInput = (name: string): ValueInfo => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [] } } } });
  const extra = inputs.flatMap((i) => [scalarInput(i.bits), scalarInput(i.lo), scalarInput(i.hi)]);
  return { model: { ...model, graph: { ...g, node, input: [...(g.input ?? []), ...extra] } }, inputs };
}

/** Samples stacked along dim 0, `batch` at a time (the last group padded with the first sample). */
function stackSamples(samples: Map<string, RuntimeTensor>[], batch: number): Map<string, RuntimeTensor>[] {
  const groups: Map<string, RuntimeTensor>[] = [];
  for (let start = 0; start < samples.length; start += batch) {
    const feed = new Map<string, RuntimeTensor>();
    for (const [name, first] of samples[0]) {
      const per = first.data.length;
      const data = allocate(first.dataType, per * batch);
      for (let b = 0; b < batch; b++) {
        const src = (samples[start + b] ?? samples[0]).get(name)!.data;
        (data as Float32Array).set(src as Float32Array, b * per);
      }
      feed.set(name, { dataType: first.dataType, shape: [batch, ...first.shape.slice(1)], data });
    }
    groups.push(feed);
  }
  return groups;
}

/** Sample `b` of a batched output (dim 0 = batch). */
function unstack(t: RuntimeTensor, batch: number, b: number): RuntimeTensor {
  const per = t.data.length / batch;
  return { dataType: t.dataType, shape: [1, ...t.shape.slice(1)], data: (t.data as Float32Array).subarray(b * per, (b + 1) * per) };
}

/** Largest number of samples stacked into one run. */
export const MAX_BATCH = 32;

export class SweepRunner {
  /** reference outputs per sample, by output name */
  private ref: Map<string, RuntimeTensor>[] = [];
  /** sum of ref^2 over every output element of every sample */
  signal = 0;
  referencePredictions: (number | undefined)[] = [];
  /** samples per run: > 1 when the model takes a stacked batch and computes each sample as alone */
  batch = 1;
  private groups: Map<string, RuntimeTensor>[] = [];
  private constructor(
    private readonly setup: RunnerSetup,
    private readonly ort: OrtApi,
    private param: Engine,
    private readonly paramInputs: { bits: string; lo: string; hi: string }[],
  ) {}

  private static parametricEngine(setup: RunnerSetup, model: Model, ort: OrtApi) {
    const p = parametricModel(model, setup.varied);
    const rangeInputs = new Map(setup.varied.flatMap((q, k) => (q.lowerable ? [[q.output, { lo: p.inputs[k].lo, hi: p.inputs[k].hi }] as const] : [])));
    return { engine: new Engine(p.model, ort, { externalData: setup.externalData, rangeInputs }), inputs: p.inputs };
  }

  /**
   * Compile the parametric model and compute the reference outputs. Samples are stacked into batches
   * of up to MAX_BATCH when the model accepts it (every input and output has the batch in dim 0 after
   * change-batch-size) and the stacked reference run gives, for the first batch, exactly the outputs
   * the samples give one by one; otherwise every sample runs alone.
   */
  static async create(setup: RunnerSetup, ort: OrtApi, opts: { maxBatch?: number } = {}): Promise<SweepRunner> {
    const single = SweepRunner.parametricEngine(setup, setup.model, ort);
    const r = new SweepRunner(setup, ort, single.engine, single.inputs);
    r.groups = setup.samples;
    const refEngine = new Engine(setup.model, ort, { bypassQuantizers: setup.reference === 'float', externalData: setup.externalData });
    try {
      for (const s of setup.samples) r.ref.push((await refEngine.run(s)).tensors);
    } finally {
      await refEngine.release();
    }
    const batch = Math.min(opts.maxBatch ?? MAX_BATCH, setup.samples.length);
    if (batch > 1) await r.tryBatching(batch);
    await r.param.prepare();
    for (const outs of r.ref) {
      for (const t of outs.values()) {
        if (Array.isArray(t.data)) continue;
        for (let i = 0; i < t.data.length; i++) {
          const v = Number(t.data[i]);
          r.signal += v * v;
        }
      }
      r.referencePredictions.push(predictedClass(outs.get(r.outputNames()[0])));
    }
    return r;
  }

  private names: string[] = [];
  private outputNames(): string[] {
    if (!this.names.length) this.names = (this.setup.model.graph?.output ?? []).map((o) => o.name ?? '');
    return this.names;
  }

  private async tryBatching(batch: number): Promise<void> {
    let batched: Model;
    try {
      batched = changeBatchSize.run(this.setup.model, { batch }).model;
    } catch {
      return;
    }
    const groups = stackSamples(this.setup.samples, batch);
    const refB = new Engine(batched, this.ort, { bypassQuantizers: this.setup.reference === 'float', externalData: this.setup.externalData });
    try {
      const out = await refB.run(groups[0]);
      for (let b = 0; b < Math.min(batch, this.setup.samples.length); b++) {
        for (const name of this.outputNames()) {
          const t = out.tensors.get(name), want = this.ref[b].get(name);
          if (!t || !want || Array.isArray(t.data) || Array.isArray(want.data) || t.shape[0] !== batch || t.data.length !== want.data.length * batch) return;
          const got = unstack(t, batch, b).data;
          // equal values (NaN counts as equal to NaN)
          for (let i = 0; i < got.length; i++) if (!Object.is(Number(got[i]), Number(want.data[i])) && Number(got[i]) !== Number(want.data[i])) return;
        }
      }
    } catch {
      return;
    } finally {
      await refB.release();
    }
    const p = SweepRunner.parametricEngine(this.setup, batched, this.ort);
    this.param = p.engine;
    this.paramInputs.splice(0, this.paramInputs.length, ...p.inputs);
    this.groups = groups;
    this.batch = batch;
  }

  private score(outs: Map<string, RuntimeTensor>[], names: string[], ms: number): RawEval {
    let noise = 0;
    const predictions: (number | undefined)[] = [];
    outs.forEach((o, s) => {
      for (const name of names) {
        const a = o.get(name), b = this.ref[s].get(name);
        if (!a || !b || Array.isArray(a.data) || Array.isArray(b.data)) continue;
        if (a.data.length !== b.data.length) throw new Error(`output '${name}' has ${a.data.length} values where the reference has ${b.data.length}`);
        for (let i = 0; i < a.data.length; i++) {
          const d = Number(a.data[i]) - Number(b.data[i]);
          noise += d * d;
        }
      }
      predictions.push(predictedClass(o.get(names[0])));
    });
    return { noise, predictions, ms };
  }

  /** Run every sample with the varied quantizers at `widths` (one per varied quantizer, in order). */
  async evaluate(widths: readonly number[], signal?: { aborted: boolean }): Promise<RawEval> {
    const t0 = performance.now();
    const extra = new Map<string, RuntimeTensor>();
    this.setup.varied.forEach((q, k) => {
      const b = widths[k];
      extra.set(this.paramInputs[k].bits, float(b));
      extra.set(this.paramInputs[k].lo, float(minInt(q.signed, q.narrow, b)));
      extra.set(this.paramInputs[k].hi, float(maxInt(q.signed, q.narrow, b)));
    });
    const outs: Map<string, RuntimeTensor>[] = [];
    const names = this.outputNames();
    for (const group of this.groups) {
      if (signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
      const feeds = new Map(group);
      for (const [k, v] of extra) feeds.set(k, v);
      const r = await this.param.run(feeds);
      if (this.batch === 1) outs.push(r.tensors);
      else for (let b = 0; b < this.batch && outs.length < this.setup.samples.length; b++) outs.push(new Map(names.map((n) => [n, unstack(r.tensors.get(n)!, this.batch, b)])));
    }
    return this.score(outs, names, performance.now() - t0);
  }

  /** Run every sample on a whole model (an edited version of the one opened), as `exec` runs it. */
  async evaluateModel(model: Model, signal?: { aborted: boolean }): Promise<RawEval> {
    const t0 = performance.now();
    const e = new Engine(model, this.ort, { externalData: this.setup.externalData });
    try {
      const outs: Map<string, RuntimeTensor>[] = [];
      let names: string[] = [];
      for (const s of this.setup.samples) {
        if (signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
        const r = await e.run(s);
        names = r.outputNames;
        outs.push(r.tensors);
      }
      return this.score(outs, names, performance.now() - t0);
    } finally {
      await e.release();
    }
  }

  /** Sessions and kernel steps of the parametric model (a configuration's run). */
  stats() {
    return this.param.stats();
  }

  async release(): Promise<void> {
    await this.param.release();
  }
}
