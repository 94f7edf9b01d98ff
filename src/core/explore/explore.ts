/**
 * The precision explorer: which bit width for which quantizer?
 *
 * 1. Plan: the quantizers taking part (Quant nodes of the chosen kinds whose width is a constant the
 *    user may set, minus those kept fixed) and, for each, the candidate widths it accepts.
 * 2. Baseline: the model as opened, run on the calibration samples against the reference (the float
 *    twin, or the model itself), and costed.
 * 3. Sensitivity: one configuration per quantizer and candidate width, that quantizer alone changed:
 *    the output SQNR, top-1 agreement and exact cost (BOPs, weight memory) of each.
 * 4. Front: greedy paths through whole-model configurations built from the sensitivity table (an
 *    additive model of the error energy and of the cost): from the opened widths downwards, each step
 *    lowering the quantizer whose next lower width adds the least error per BOP saved; and from every
 *    quantizer at its lowest width upwards, each step raising the one that removes the most error per
 *    BOP added. The estimated Pareto front of those configurations is thinned to at most `maxPoints`,
 *    and every point kept is verified: costed exactly as `cost` would cost the model with those widths
 *    written in, and run on every sample (through the parametric model, which computes what that model
 *    computes: the tests compare both with `transform --set-bits` + `exec`). The front reported is the Pareto front of the
 *    verified points (and the baseline): lowest BOPs for the highest SQNR.
 *
 * It is a heuristic: the greedy paths visit a few dozen of the (widths ^ quantizers) configurations, and
 * the additive error model ignores interactions between quantizers (verification measures them but
 * the search does not see them). It finds good configurations fast; it does not prove that none better exists.
 */
import { inferenceCost } from '../analysis/inferenceCost.js';
import type { Model } from '../ir/types.js';
import { listQuantizers, setQuantizer } from '../ir/quantEdit.js';
import { bitsComputedBy, bitsProblem } from '../ir/bulkQuantEdit.js';
import type { QuantizerRole } from '../ir/quantizerRoles.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { RawEval, VariedQuantizer } from './runner.js';

export const DEFAULT_WIDTHS = [2, 3, 4, 5, 6, 8];

export interface ExploreOptions {
  /** candidate bit widths (default 2,3,4,5,6,8) */
  bits?: number[];
  /** which kinds of quantizer take part (default weights and activations) */
  kinds?: QuantizerRole[];
  /** quantizers (node or output names) kept at their current width */
  fixed?: string[];
  /** keep the quantizers of the first and the last compute layer (weights, inputs, the output quantizer) at their widths */
  fixFirstLast?: boolean;
  /** at most this many configurations verified for the front (default 20) */
  maxPoints?: number;
  discountSparsity?: boolean;
}

export interface PlannedQuantizer {
  /** the name a user gives `transform --set-bits` for it: the node's name, else its output tensor */
  name: string;
  node: number;
  output: string;
  kind: QuantizerRole;
  current: number;
  /** widths tried, ascending; the current width among them */
  candidates: number[];
}

export interface ExplorePlan {
  quantizers: PlannedQuantizer[];
  varied: VariedQuantizer[];
  /** quantizers that do not take part, with the reason */
  skipped: { name: string; kind: QuantizerRole; reason: string }[];
}

/** A whole-model configuration and what it measures. */
export interface ConfigPoint {
  /** width per planned quantizer, in plan order */
  widths: number[];
  /** the widths that differ from the opened model, by quantizer name (what `transform --set-bits` takes) */
  bits: Record<string, number>;
  bops: number;
  memWBits: number;
  sqnrDb: number;
  /** fraction of samples whose top-1 class equals the reference's (classifiers) */
  agreement?: number;
  /** fraction of samples whose top-1 class equals the label (when labels are given) */
  accuracy?: number;
}

export interface SensitivityEntry extends ConfigPoint {
  quantizer: string;
  kind: QuantizerRole;
  width: number;
}

export interface ExploreProgress {
  phase: 'baseline' | 'sensitivity' | 'front' | 'done';
  done: number;
  total: number;
}

export interface ExploreResult {
  samples: number;
  signal: number;
  plan: ExplorePlan;
  baseline: ConfigPoint;
  sensitivity: SensitivityEntry[];
  /** every verified configuration of the front search */
  points: ConfigPoint[];
  /** the Pareto front of the verified points and the baseline, by BOPs ascending */
  pareto: ConfigPoint[];
  /** configuration runs made, and their total wall time in ms (as the runners measured them) */
  runs: number;
  runMs: number;
}

/** What runs the configurations: one runner, or a pool of them in workers. */
export interface EvalPool {
  /** sum of the reference's squared outputs (the SQNR numerator) */
  signal: number;
  referencePredictions: (number | undefined)[];
  /** run the parametric model at `widths` (fast path), or (verify) the model with those widths written in */
  evaluate(widths: number[], verify: boolean, signal?: { aborted: boolean }): Promise<RawEval>;
}

export interface ExploreEvents {
  progress?(p: ExploreProgress): void;
  baseline?(p: ConfigPoint): void;
  sensitivity?(e: SensitivityEntry): void;
  point?(p: ConfigPoint): void;
}

const QUANT_OPS = new Set(['Quant', 'IntQuant']);

/** The quantizers that take part and their candidate widths. */
export function planExplore(model: Model, opts: ExploreOptions = {}): ExplorePlan {
  const widths = [...new Set(opts.bits ?? DEFAULT_WIDTHS)].filter((b) => Number.isInteger(b) && b >= 1).sort((a, b) => a - b);
  const kinds = new Set<QuantizerRole>(opts.kinds ?? ['weight', 'activation']);
  const idx = indexGraph(model.graph ?? {});
  const all = listQuantizers(model);
  const fixed = new Set(opts.fixed ?? []);
  if (opts.fixFirstLast && all.length) {
    // the first and the last compute layer: the quantizers that feed them (weights, their inputs) and
    // every quantizer after the last layer (its output quantizer)
    const layers = all.map((q) => q.layer).filter((l): l is number => l !== undefined);
    const firstLayer = Math.min(...layers), lastLayer = Math.max(...layers);
    for (const q of all) {
      const atEnds = q.layer !== undefined ? q.layer === firstLayer || q.layer === lastLayer : layers.length === 0 || q.nodeIndex > lastLayer;
      if (atEnds) fixed.add(nameOf(idx.nodes[q.nodeIndex].name, idx.nodes[q.nodeIndex].output?.[0]));
    }
  }
  const plan: ExplorePlan = { quantizers: [], varied: [], skipped: [] };
  for (const q of all) {
    const n = idx.nodes[q.nodeIndex];
    const output = n.output?.[0] ?? '';
    const name = nameOf(n.name, output);
    const kind = q.role as QuantizerRole;
    const skip = (reason: string) => plan.skipped.push({ name, kind, reason });
    if (!kinds.has(kind)) {
      skip(`${kind} quantizers do not take part`);
      continue;
    }
    if (fixed.has(name) || fixed.has(output) || (n.name && fixed.has(n.name))) {
      skip('kept at its width');
      continue;
    }
    if (!QUANT_OPS.has(q.opType)) {
      skip(q.opType === 'BipolarQuant' ? 'BipolarQuant is 1 bit by definition' : `${q.opType} widths are not explored`);
      continue;
    }
    const computed = bitsComputedBy(model, q);
    if (computed) {
      // the same words as the quantizer table and `transform --set-bits` use
      skip(computed.startsWith('graph input') ? `its bit width is the ${computed}, not a constant` : `its bit width is computed by the graph (by ${computed}), not a constant`);
      continue;
    }
    if (q.bits === undefined || !Number.isInteger(q.bits)) {
      skip('its bit width is not one whole number');
      continue;
    }
    const cands = widths.filter((b) => b === q.bits || !bitsProblem(model, q, b));
    if (!cands.includes(q.bits)) cands.push(q.bits);
    cands.sort((a, b) => a - b);
    if (cands.length < 2) {
      skip('none of the candidate widths fits it');
      continue;
    }
    plan.quantizers.push({ name, node: q.nodeIndex, output, kind, current: q.bits, candidates: cands });
    plan.varied.push({
      node: q.nodeIndex,
      output,
      signed: !!q.signed,
      narrow: !!q.narrow,
      // a signed 1-bit Quant is bipolar (another formula), and the rewrite's rounding holds to 22 bits
      lowerable: !cands.some((b) => (b === 1 && q.signed) || b > 22),
    });
  }
  return plan;
}

function nameOf(node: string | null | undefined, output: string | undefined): string {
  return node || output || '';
}

/** The opened model with the planned quantizers at `widths` (only the changed ones are edited). */
export function applyWidths(model: Model, plan: ExplorePlan, widths: readonly number[]): Model {
  let m = model;
  plan.quantizers.forEach((q, k) => {
    if (widths[k] !== q.current) m = setQuantizer(m, q.node, { bits: widths[k] });
  });
  return m;
}

function changedBits(plan: ExplorePlan, widths: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  plan.quantizers.forEach((q, k) => {
    if (widths[k] !== q.current) out[q.name] = widths[k];
  });
  return out;
}

export function sqnrDb(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

interface Measured {
  noise: number;
  bops: number;
  mem: number;
}

/** Exact BOPs and weight memory of a configuration, as the cost panel and `cost` compute them. */
export function configCost(model: Model, opts: { discountSparsity?: boolean } = {}): { bops: number; memWBits: number } {
  const r = inferenceCost(model, { discountSparsity: opts.discountSparsity ?? true });
  return { bops: Number(r.total_cost.total_bops ?? 0), memWBits: Number(r.total_cost.total_mem_w_bits ?? 0) };
}

/** Non-dominated points: no other point has at most its BOPs and at least its SQNR (one strictly). Sorted by BOPs. */
export function paretoFront<T extends { bops: number; sqnrDb: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.bops - b.bops || b.sqnrDb - a.sqnrDb);
  const out: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.sqnrDb > best) {
      out.push(p);
      best = p.sqnrDb;
    }
  }
  return out;
}

/**
 * Greedy paths through configurations from the sensitivity table (see the top of this file). `single`
 * gives, per quantizer and candidate index, the measured noise and cost with that quantizer alone changed;
 * `base` the opened model's.
 */
export function greedyConfigs(plan: ExplorePlan, base: Measured, single: Measured[][]): number[][] {
  const qs = plan.quantizers;
  const cur = qs.map((q) => q.candidates.indexOf(q.current));
  const est = (pos: number[]) => {
    let noise = base.noise, bops = base.bops, mem = base.mem;
    pos.forEach((p, k) => {
      const s = single[k][p];
      noise += s.noise - base.noise;
      bops += s.bops - base.bops;
      mem += s.mem - base.mem;
    });
    return { noise, bops, mem };
  };
  // BOPs saved; weight memory breaks ties between steps that save no BOPs
  const saved = (a: Measured, b: Measured) => a.bops - b.bops + (a.mem - b.mem) * 1e-6;
  const paths: number[][] = [cur.slice()];
  // downwards from the opened widths
  let pos = cur.slice();
  for (;;) {
    let pick = -1, score = Infinity;
    pos.forEach((p, k) => {
      if (p === 0) return;
      const now = single[k][p], next = single[k][p - 1];
      const s = saved(now, next);
      if (s <= 0) return;
      const r = Math.max(0, next.noise - now.noise) / s;
      if (r < score) {
        score = r;
        pick = k;
      }
    });
    if (pick < 0) break;
    pos = pos.slice();
    pos[pick]--;
    paths.push(pos);
  }
  // upwards from every quantizer at its lowest width
  pos = qs.map(() => 0);
  paths.push(pos);
  for (;;) {
    let pick = -1, score = -Infinity;
    pos.forEach((p, k) => {
      if (p === qs[k].candidates.length - 1) return;
      const now = single[k][p], next = single[k][p + 1];
      const added = Math.max(saved(next, now), 1e-9);
      const r = (now.noise - next.noise) / added;
      if (r > score) {
        score = r;
        pick = k;
      }
    });
    if (pick < 0) break;
    pos = pos.slice();
    pos[pick]++;
    paths.push(pos);
  }
  // unique configurations, the estimated front first, thinned evenly along BOPs
  const seen = new Set<string>();
  const unique = paths.filter((p) => (seen.has(p.join()) ? false : (seen.add(p.join()), true)));
  const scored = unique.map((p) => ({ p, ...est(p), sqnrDb: -Math.log10(Math.max(est(p).noise, 1e-300)) }));
  return paretoFront(scored).map((s) => s.p);
}

/** At most `k` items spread evenly over the list (its ends always kept). */
export function thin<T>(items: readonly T[], k: number): T[] {
  if (items.length <= k) return [...items];
  if (k <= 1) return [items[0]];
  const out: T[] = [];
  for (let i = 0; i < k; i++) out.push(items[Math.round((i * (items.length - 1)) / (k - 1))]);
  return [...new Set(out)];
}

async function mapPool<T, R>(items: readonly T[], fn: (t: T, i: number) => Promise<R>, width: number): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return out;
}

/**
 * Run the explorer on a plan with a pool of runners (built for `plan.varied`). `labels` (one class per
 * sample) adds accuracy. `concurrency` is how many configurations are in flight (the pool's size).
 */
export async function runExplore(
  model: Model,
  plan: ExplorePlan,
  pool: EvalPool,
  opts: ExploreOptions & { labels?: number[]; concurrency?: number; samples: number },
  on: ExploreEvents = {},
  signal?: { aborted: boolean },
): Promise<ExploreResult> {
  const conc = Math.max(1, opts.concurrency ?? 1);
  const refPred = pool.referencePredictions;
  const classifier = refPred.length > 0 && refPred.every((p) => p !== undefined);
  let runs = 0, runMs = 0;
  const costCache = new Map<string, { bops: number; memWBits: number }>();
  const costOf = (widths: number[]) => {
    const key = widths.join();
    let c = costCache.get(key);
    if (!c) {
      c = configCost(applyWidths(model, plan, widths), opts);
      costCache.set(key, c);
    }
    return c;
  };
  const measure = async (widths: number[], verify: boolean): Promise<ConfigPoint & { noise: number }> => {
    const r = await pool.evaluate(widths, verify, signal);
    runs++;
    runMs += r.ms;
    const c = costOf(widths);
    const point: ConfigPoint & { noise: number } = { widths, bits: changedBits(plan, widths), bops: c.bops, memWBits: c.memWBits, sqnrDb: sqnrDb(pool.signal, r.noise), noise: r.noise };
    if (classifier) point.agreement = r.predictions.filter((p, i) => p === refPred[i]).length / r.predictions.length;
    if (opts.labels?.length) point.accuracy = r.predictions.filter((p, i) => p === opts.labels![i]).length / r.predictions.length;
    return point;
  };
  const strip = <T extends { noise: number }>(p: T): Omit<T, 'noise'> => {
    const { noise: _n, ...rest } = p;
    return rest;
  };

  const current = plan.quantizers.map((q) => q.current);
  const singles: { k: number; c: number }[] = [];
  plan.quantizers.forEach((q, k) => q.candidates.forEach((b, c) => b !== q.current && singles.push({ k, c })));
  const total = 1 + singles.length;
  on.progress?.({ phase: 'baseline', done: 0, total });
  // the model as opened, run as `exec` runs it; then the same widths through the parametric model
  // (what every sensitivity run changes one width of)
  const base = await measure(current, true);
  on.baseline?.(strip(base));
  const atCurrent = await measure(current, false);
  on.progress?.({ phase: 'sensitivity', done: 1, total });

  // sensitivity: every quantizer alone at every other candidate width
  const single: Measured[][] = plan.quantizers.map((q) => q.candidates.map((b) => (b === q.current ? { noise: atCurrent.noise, bops: atCurrent.bops, mem: atCurrent.memWBits } : { noise: NaN, bops: NaN, mem: NaN })));
  const sensitivity: SensitivityEntry[] = [];
  let done = 1;
  await mapPool(
    singles,
    async ({ k, c }) => {
      const w = current.slice();
      w[k] = plan.quantizers[k].candidates[c];
      const p = await measure(w, false);
      single[k][c] = { noise: p.noise, bops: p.bops, mem: p.memWBits };
      const q = plan.quantizers[k];
      const e: SensitivityEntry = { ...strip(p), quantizer: q.name, kind: q.kind, width: w[k] };
      sensitivity.push(e);
      on.sensitivity?.(e);
      on.progress?.({ phase: 'sensitivity', done: ++done, total });
    },
    conc,
  );
  // each quantizer at its current width: the opened widths, measured through the parametric model
  plan.quantizers.forEach((q) => sensitivity.push({ ...strip(atCurrent), quantizer: q.name, kind: q.kind, width: q.current }));
  const order = new Map(plan.quantizers.map((q, k) => [q.name, k]));
  sensitivity.sort((a, b) => order.get(a.quantizer)! - order.get(b.quantizer)! || a.width - b.width);

  // the front: greedy configurations, verified by real runs of the edited model
  const configs = thin(greedyConfigs(plan, { noise: atCurrent.noise, bops: atCurrent.bops, mem: atCurrent.memWBits }, single), opts.maxPoints ?? 20);
  const points: ConfigPoint[] = [];
  let fdone = 0;
  on.progress?.({ phase: 'front', done: 0, total: configs.length });
  await mapPool(
    configs,
    async (pos) => {
      const widths = pos.map((p, k) => plan.quantizers[k].candidates[p]);
      // a real run of the configuration: the parametric model at these widths computes what the edited
      // model computes (tested against `transform --set-bits` + `exec`), without compiling it again
      const p = strip(await measure(widths, false));
      points.push(p);
      on.point?.(p);
      on.progress?.({ phase: 'front', done: ++fdone, total: configs.length });
    },
    conc,
  );
  points.sort((a, b) => a.bops - b.bops);
  const baseline = strip(base);
  const pareto = paretoFront([...points, ...(points.some((p) => p.widths.join() === current.join()) ? [] : [baseline])]);
  on.progress?.({ phase: 'done', done: configs.length, total: configs.length });
  return { samples: opts.samples, signal: pool.signal, plan, baseline, sensitivity, points, pareto, runs, runMs };
}

/** A pool of one in-process runner (the CLI, tests): configurations run one after the other. */
export function singleRunnerPool(runner: { signal: number; referencePredictions: (number | undefined)[]; evaluate(w: readonly number[], s?: { aborted: boolean }): Promise<RawEval>; evaluateModel(m: Model, s?: { aborted: boolean }): Promise<RawEval> }, model: Model, plan: ExplorePlan): EvalPool {
  return {
    signal: runner.signal,
    referencePredictions: runner.referencePredictions,
    evaluate: (w, verify, s) => (verify ? runner.evaluateModel(applyWidths(model, plan, w), s) : runner.evaluate(w, s)),
  };
}
