/**
 * The precision explorer's core: plan, greedy search, Pareto front, and the runner that measures
 * configurations on one compiled parametric model.
 *
 * The runner is checked against the model with the widths written into it (applyWidths, run by its own
 * Engine as `exec` runs it): same error energy and predictions to the last bit, for random configurations
 * on real models. The baseline is measured on the model as opened; a quantizer's sensitivity row at its
 * current width through the parametric model: they must agree exactly. The CLI reproduction through
 * transform / cost / exec is in src/cli/sweep.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import type { OrtApi } from '../exec/engine.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { listQuantizers } from '../ir/quantEdit.js';
import type { Model } from '../ir/types.js';
import { decodeModel } from '../onnx/codec.js';
import { TEST_MODELS } from '../testing/paths.js';
import { mulberry32 } from '../testing/prng.js';
import { applyWidths, configCost, greedyConfigs, paretoFront, planExplore, runExplore, singleRunnerPool, sqnrDb, thin, type ExplorePlan, type ExploreResult } from './explore.js';
import { parametricModel, predictedClass, SweepRunner } from './runner.js';
import { randomSamples } from './samples.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;
const load = (f: string): Model => decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))), { fileName: f });

const TFC2 = load('zoo_TFC_2W2A.onnx');
const TFC1 = load('zoo_TFC_1W2A.onnx');
const SUBPIXEL = load('qonnx_espcn_subpixel_quant.onnx');
const NNRESIZE = load('qonnx_espcn_nnresize_quant.onnx');
const QKERAS = load('qonnx_hist_qkeras_qactivation_16.onnx');
const FP8 = load('qonnx_act_weight_fp8.onnx');

const runners: SweepRunner[] = [];
afterAll(async () => {
  for (const r of runners) await r.release();
});
async function runnerFor(model: Model, plan: ExplorePlan, samples: number, reference: 'float' | 'model' = 'float', maxBatch?: number) {
  const r = await SweepRunner.create({ model, samples: randomSamples(model, samples, 11), reference, varied: plan.varied }, ORT, { maxBatch });
  runners.push(r);
  return r;
}

describe('predictedClass', () => {
  const t = (shape: number[], data: RuntimeTensor['data'], dataType = 1): RuntimeTensor => ({ dataType, shape, data });
  it('a score vector: the index of its largest value (the first one on a tie), whatever unit dimensions surround it', () => {
    expect(predictedClass(t([1, 5], Float32Array.of(0.1, -2, 3.5, 3, 0)))).toBe(2);
    expect(predictedClass(t([5], Float32Array.of(-9, -8, -7, -8, -9)))).toBe(2);
    expect(predictedClass(t([1, 4, 1], Float32Array.of(1, 7, 7, 2)))).toBe(1);
    expect(predictedClass(t([1, 3], Float32Array.of(-Infinity, -Infinity, -1)))).toBe(2);
  });
  it('an integer index output: its value; a float scalar is no class', () => {
    expect(predictedClass(t([1], BigInt64Array.of(7n), 7))).toBe(7);
    expect(predictedClass(t([], Int32Array.of(3), 6))).toBe(3);
    expect(predictedClass(t([1, 1], Float32Array.of(3), 1))).toBeUndefined();
  });
  it('an image or a sequence (more than one dimension above 1), strings and nothing: no class', () => {
    expect(predictedClass(t([1, 3, 2, 2], new Float32Array(12)))).toBeUndefined();
    expect(predictedClass(t([2, 5], new Float32Array(10)))).toBeUndefined();
    expect(predictedClass({ dataType: 8, shape: [2], data: ['a', 'b'] } as unknown as RuntimeTensor)).toBeUndefined();
    expect(predictedClass(undefined)).toBeUndefined();
  });
});

describe('paretoFront, sqnrDb, thin', () => {
  it('keeps the points no other point beats on both BOPs (lower) and SQNR (higher), by BOPs', () => {
    const pts = [
      { id: 'a', bops: 100, sqnrDb: 10 },
      { id: 'b', bops: 50, sqnrDb: 5 },
      { id: 'c', bops: 80, sqnrDb: 4 }, // dominated by b (fewer BOPs, more SQNR)
      { id: 'd', bops: 100, sqnrDb: 12 }, // same BOPs as a, better: a is dominated
      { id: 'e', bops: 200, sqnrDb: 12 }, // same SQNR as d for more BOPs: dominated
      { id: 'f', bops: 300, sqnrDb: Infinity },
      { id: 'g', bops: 50, sqnrDb: 5 }, // an exact duplicate of b: one of them is kept
      { id: 'h', bops: 10, sqnrDb: -3 },
    ];
    expect(paretoFront(pts).map((p) => p.id)).toEqual(['h', 'b', 'd', 'f']);
    expect(paretoFront([])).toEqual([]);
    // the input is not reordered
    expect(pts.map((p) => p.id).join('')).toBe('abcdefgh');
  });
  it('sqnrDb: 10 log10(signal / noise), Infinity when nothing differs', () => {
    expect(sqnrDb(100, 1)).toBe(20);
    expect(sqnrDb(1, 10)).toBe(-10);
    expect(sqnrDb(5, 0)).toBe(Infinity);
  });
  it('thin keeps both ends and spreads the rest evenly', () => {
    expect(thin([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(thin([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toEqual([0, 4, 8]);
    expect(thin([0, 1, 2, 3, 4], 1)).toEqual([0]);
  });
});

/** A plan of hand-made quantizers (no model behind it): only names, current widths and candidates matter to the search. */
function handPlan(qs: { name: string; current: number; candidates: number[] }[]): ExplorePlan {
  return {
    quantizers: qs.map((q, k) => ({ ...q, node: k, output: q.name, kind: 'activation' as const })),
    varied: qs.map((q, k) => ({ node: k, output: q.name, signed: false, narrow: false, lowerable: true })),
    skipped: [],
  };
}

describe('greedyConfigs', () => {
  it('lowers by least error per BOP saved from the top, raises by most error removed per BOP from the bottom; returns the estimated front', () => {
    // A and B at 8 bits (position 2), candidates 2/4/8; every step saves or adds 100 BOPs.
    //   A noise 30 / 10 / 0: top step (8->4) adds 10 (0.1 per BOP), bottom step (4->2) adds 20 (0.2 per BOP)
    //   B noise 51 / 50 / 0: top step adds 50 (0.5 per BOP), bottom step adds only 1 (0.01 per BOP)
    // Downwards from (2,2): A's top 0.1 < B's top 0.5 -> (1,2); A's bottom 0.2 < B's top 0.5 -> (0,2);
    //   then only B: (0,1), (0,0).
    // Upwards from (0,0): A's bottom 0.2 > B's bottom 0.01 -> (1,0); A's top 0.1 > 0.01 -> (2,0);
    //   then B: (2,1), (2,2).
    // Estimated (additive) noise and BOPs of the eight configurations:
    //   (0,0) 81/600  (1,0) 61/700  (0,1) 80/700  (2,0) 51/800  (0,2) 30/800
    //   (2,1) 50/900  (1,2) 10/900  (2,2) 0/1000
    // Front (lowest noise at each BOPs, noise falling as BOPs rise): (0,0), (1,0), (0,2), (1,2), (2,2).
    // (1,0) only the upward path finds; (0,2) only the downward one.
    const plan = handPlan([
      { name: 'A', current: 8, candidates: [2, 4, 8] },
      { name: 'B', current: 8, candidates: [2, 4, 8] },
    ]);
    const m = (noise: number, bops: number) => ({ noise, bops, mem: 0 });
    const single = [
      [m(30, 800), m(10, 900), m(0, 1000)],
      [m(51, 800), m(50, 900), m(0, 1000)],
    ];
    expect(greedyConfigs(plan, m(0, 1000), single)).toEqual([
      [0, 0],
      [1, 0],
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
  });

  it('never lowers a quantizer whose lower width saves nothing; a tie in BOPs goes to the one that saves weight memory', () => {
    // A: 2 or 8 bits, lowering it saves 500 BOPs for noise 10.
    // C: 2 or 8 bits, lowering it saves neither BOPs nor memory (an output quantizer) for noise 5:
    //   downwards it is never a step (nothing saved), so (1,1) -> (0,1) only.
    //   Upwards from (0,0), raising C costs nothing and removes noise: (0,1) first, then (1,1).
    //   (0,0) is estimated at noise 15 for the 500 BOPs (0,1) costs with noise 10: not on the front.
    const plan = handPlan([
      { name: 'A', current: 8, candidates: [2, 8] },
      { name: 'C', current: 8, candidates: [2, 8] },
    ]);
    const m = (noise: number, bops: number, mem = 0) => ({ noise, bops, mem });
    expect(greedyConfigs(plan, m(0, 1000), [[m(10, 500), m(0, 1000)], [m(5, 1000), m(0, 1000)]])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    // W: lowering it saves weight memory only, for no noise; A as above. Downwards W goes first (no error
    // for a positive saving), then A: (1,1) -> (1,0) -> (0,0). (1,0) has A's BOPs and no noise: it
    // beats (1,1) (same BOPs, same noise estimate, listed later) on the front.
    const plan2 = handPlan([
      { name: 'A', current: 8, candidates: [2, 8] },
      { name: 'W', current: 8, candidates: [2, 8] },
    ]);
    const got = greedyConfigs(plan2, m(0, 1000, 64), [[m(10, 500, 64), m(0, 1000, 64)], [m(0, 1000, 16), m(0, 1000, 64)]]);
    expect(got).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

describe('planExplore on real models', () => {
  it('TFC 2W2A: every Quant takes part by default, candidates 2..8 with the current width', () => {
    const p = planExplore(TFC2);
    expect(p.quantizers.map((q) => `${q.name}:${q.kind}:${q.current}`)).toEqual([
      'Quant_13:activation:2', 'Quant_18:weight:2', 'Quant_25:activation:2', 'Quant_30:weight:2',
      'Quant_37:activation:2', 'Quant_42:weight:2', 'Quant_49:activation:2', 'Quant_54:weight:2',
    ]);
    for (const q of p.quantizers) expect(q.candidates).toEqual([2, 3, 4, 5, 6, 8]);
    expect(p.skipped).toEqual([]);
    // the plan's node indices are the quantizers' in the model
    const byName = new Map(listQuantizers(TFC2).map((q) => [q.name, q.nodeIndex]));
    for (const q of p.quantizers) expect(q.node).toBe(byName.get(q.name));
    expect(p.varied.map((v) => [v.signed, v.narrow, v.lowerable])).toEqual(p.quantizers.map(() => [true, true, true]));
    expect(p.varied.map((v) => v.output)).toEqual(p.quantizers.map((q) => q.output));
  });

  it('kinds: only weights; the activations are skipped as not taking part', () => {
    const p = planExplore(TFC2, { kinds: ['weight'] });
    expect(p.quantizers.map((q) => q.name)).toEqual(['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54']);
    expect(p.skipped).toEqual(['Quant_13', 'Quant_25', 'Quant_37', 'Quant_49'].map((name) => ({ name, kind: 'activation', reason: 'activation quantizers do not take part' })));
  });

  it('fixed (by quantizer name or by the tensor it produces) keeps quantizers at their width', () => {
    // tensor 68 is Quant_42's output
    const p = planExplore(TFC2, { fixed: ['Quant_25', '68'] });
    expect(p.skipped).toEqual([
      { name: 'Quant_25', kind: 'activation', reason: 'kept at its width' },
      { name: 'Quant_42', kind: 'weight', reason: 'kept at its width' },
    ]);
    expect(p.quantizers).toHaveLength(6);
  });

  it('fixFirstLast keeps the quantizers of the first and the last compute layer, and the output quantizer after it', () => {
    // TFC: MatMul_20 reads Quant_13 (input) and Quant_18 (weights); the last MatMul reads Quant_49 and Quant_54
    const tfc = planExplore(TFC2, { fixFirstLast: true });
    expect(tfc.skipped.map((s) => [s.name, s.reason])).toEqual(['Quant_13', 'Quant_18', 'Quant_49', 'Quant_54'].map((n) => [n, 'kept at its width']));
    expect(tfc.quantizers.map((q) => q.name)).toEqual(['Quant_25', 'Quant_30', 'Quant_37', 'Quant_42']);
    // ESPCN (sub-pixel): the first Conv's weights (Quant_4; its input is not quantized), the last Conv's
    // input (Quant_35) and weights (Quant_40), and Quant_47 after the last Conv
    const esp = planExplore(SUBPIXEL, { fixFirstLast: true });
    expect(esp.skipped.map((s) => s.name)).toEqual(['Quant_4', 'Quant_35', 'Quant_40', 'Quant_47']);
    expect(esp.quantizers.map((q) => q.name)).toEqual(['Quant_11', 'Quant_16', 'Quant_23', 'Quant_28']);
  });

  it('BipolarQuant (TFC 1W2A weights) and FloatQuant are skipped with the reason', () => {
    const p = planExplore(TFC1);
    expect(p.quantizers.map((q) => q.name)).toEqual(['Quant_13', 'Quant_23', 'Quant_33', 'Quant_43']);
    expect(p.skipped).toEqual(['BipolarQuant_16', 'BipolarQuant_26', 'BipolarQuant_36', 'BipolarQuant_46'].map((name) => ({ name, kind: 'weight', reason: 'BipolarQuant is 1 bit by definition' })));
    expect(planExplore(FP8).skipped.map((s) => s.reason)).toEqual(['FloatQuant widths are not explored', 'FloatQuant widths are not explored']);
    expect(planExplore(FP8).quantizers).toEqual([]);
  });

  it('a quantizer whose bit width the graph computes is skipped, naming what computes it', () => {
    // TFC 2W2A with Quant_30's bit width coming from an Identity node instead of its initializer
    const g = TFC2.graph!;
    const k = g.node!.findIndex((n) => n.name === 'Quant_30');
    const bw = g.node![k].input![3];
    const node = g.node!.map((n, i) => (i === k ? { ...n, input: [...n.input!.slice(0, 3), 'bw_computed'] } : n));
    node.splice(k, 0, { opType: 'Identity', name: 'BitsFromGraph', input: [bw], output: ['bw_computed'] });
    const edited: Model = { ...TFC2, graph: { ...g, node } };
    const p = planExplore(edited);
    expect(p.skipped).toHaveLength(1);
    expect(p.skipped[0].name).toBe('Quant_30');
    expect(p.skipped[0].kind).toBe('weight');
    expect(p.skipped[0].reason).toBe('its bit width is computed by the graph (by Identity BitsFromGraph), not a constant');
    expect(p.quantizers.map((q) => q.name)).not.toContain('Quant_30');
    expect(p.quantizers).toHaveLength(7);
    // a bit width that is a graph input
    const fromInput: Model = {
      ...TFC2,
      graph: { ...g, node: g.node!.map((n, i) => (i === k ? { ...n, input: [...n.input!.slice(0, 3), 'bw_in'] } : n)), input: [...g.input!, { name: 'bw_in', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }] },
    };
    expect(planExplore(fromInput).skipped).toEqual([{ name: 'Quant_30', kind: 'weight', reason: "its bit width is the graph input 'bw_in', not a constant" }]);
  });

  it('bits: deduplicated, sorted, non-integers dropped; a quantizer keeps its current width; one candidate is no plan', () => {
    const p = planExplore(SUBPIXEL, { bits: [6, 3, 3, 2.5, 0] });
    // Quant_4 is at 8 bits, Quant_11 at 4
    expect(p.quantizers.find((q) => q.name === 'Quant_4')!.candidates).toEqual([3, 6, 8]);
    expect(p.quantizers.find((q) => q.name === 'Quant_11')!.candidates).toEqual([3, 4, 6]);
    // only 8 bits: quantizers at 8 have nothing to try
    const only8 = planExplore(SUBPIXEL, { bits: [8] });
    expect(only8.quantizers.map((q) => q.name)).toEqual(['Quant_11', 'Quant_16', 'Quant_23', 'Quant_28', 'Quant_35']);
    expect(only8.skipped.map((s) => [s.name, s.reason])).toEqual(['Quant_4', 'Quant_40', 'Quant_47'].map((n) => [n, 'none of the candidate widths fits it']));
  });

  it('1 bit: a signed Quant becomes bipolar (not lowerable with a run-time range); an unsigned one is 0/1; above 22 bits not lowerable', () => {
    const p = planExplore(SUBPIXEL, { bits: [1, 2, 4, 8] });
    for (const [q, v] of p.quantizers.map((q, k) => [q, p.varied[k]] as const)) {
      expect(q.candidates[0]).toBe(1);
      expect(v.lowerable).toBe(!v.signed); // the weights are signed, the activations unsigned
    }
    expect(p.varied.some((v) => v.signed) && p.varied.some((v) => !v.signed)).toBe(true);
    expect(planExplore(SUBPIXEL, { bits: [2, 24] }).varied.every((v) => !v.lowerable)).toBe(true);
    // the QKeras activation is a signed narrow 1-bit Quant: it keeps 1 among its candidates
    const qk = planExplore(QKERAS);
    expect(qk.quantizers.map((q) => [q.name, q.current, q.candidates])).toEqual([['Quant_0', 1, [1, 2, 3, 4, 5, 6, 8]]]);
    expect(qk.varied[0].lowerable).toBe(false);
  });
});

describe('parametricModel', () => {
  it('each varied Quant reads its width from a new scalar graph input; nothing else changes', () => {
    const plan = planExplore(TFC2, { kinds: ['weight'] });
    const { model, inputs } = parametricModel(TFC2, plan.varied);
    expect(inputs.map((i) => i.bits)).toEqual(['__explore_bits_0', '__explore_bits_1', '__explore_bits_2', '__explore_bits_3']);
    const g = model.graph!;
    plan.varied.forEach((v, k) => {
      expect(g.node![v.node].input![3]).toBe(inputs[k].bits);
      expect(g.node![v.node].input!.slice(0, 3)).toEqual(TFC2.graph!.node![v.node].input!.slice(0, 3));
    });
    expect(g.input!.map((i) => i.name).slice(TFC2.graph!.input!.length)).toEqual(inputs.flatMap((i) => [i.bits, i.lo, i.hi]));
    expect(g.node!.filter((n, i) => n !== TFC2.graph!.node![i]).length).toBe(4);
  });
});

/**
 * Real models for the runner checks: the explorer's plan (few widths, to keep the run short), and a
 * plan over more widths (1 bit included: signed quantizers then run through the kernel, not a range
 * input) for random configurations.
 */
const RUN_CASES: { name: string; model: Model; samples: number; bits: number[]; wide: number[] }[] = [
  { name: 'zoo_TFC_2W2A', model: TFC2, samples: 3, bits: [2, 3, 4, 8], wide: [1, 2, 3, 4, 5, 6, 7, 8, 12, 16] },
  { name: 'zoo_TFC_1W2A', model: TFC1, samples: 3, bits: [2, 3, 4, 8], wide: [1, 2, 3, 4, 5, 6, 7, 8, 12, 16] },
  { name: 'qonnx_espcn_subpixel_quant', model: SUBPIXEL, samples: 2, bits: [2, 4, 8], wide: [1, 2, 3, 5, 6, 8, 12, 16] },
  { name: 'qonnx_espcn_nnresize_quant', model: NNRESIZE, samples: 2, bits: [2, 4, 8], wide: [1, 2, 3, 5, 6, 8, 12, 16] },
  { name: 'qonnx_hist_qkeras_qactivation_16', model: QKERAS, samples: 4, bits: [1, 2, 3, 4, 8], wide: [1, 2, 3, 4, 5, 6, 7, 8, 12, 16] },
];

function sensitivityChecks(r: ExploreResult) {
  const { plan, baseline } = r;
  plan.quantizers.forEach((q) => {
    const rows = r.sensitivity.filter((e) => e.quantizer === q.name);
    expect(rows.map((e) => e.width)).toEqual(q.candidates);
    for (const e of rows) {
      expect(e.kind).toBe(q.kind);
      expect(e.widths).toEqual(plan.quantizers.map((o) => (o === q ? e.width : o.current)));
    }
    // at its current width: the baseline, exactly (parametric model vs the model as opened)
    const cur = rows.find((e) => e.width === q.current)!;
    expect(cur.sqnrDb, `${q.name} at ${q.current}`).toBe(baseline.sqnrDb);
    expect(cur.bops).toBe(baseline.bops);
    expect(cur.memWBits).toBe(baseline.memWBits);
    expect(cur.agreement).toBe(baseline.agreement);
    expect(cur.bits).toEqual({});
    // BOPs never rise when the width is lowered
    for (let i = 1; i < rows.length; i++) expect(rows[i].bops, `${q.name}: ${rows[i - 1].width} -> ${rows[i].width} bits`).toBeGreaterThanOrEqual(rows[i - 1].bops);
  });
  // the front is the non-dominated set of the verified points (and the baseline)
  expect(r.pareto).toEqual(paretoFront([...r.points, ...(r.points.some((p) => Object.keys(p.bits).length === 0) ? [] : [r.baseline])]));
  expect(r.runs).toBe(2 + r.sensitivity.length - plan.quantizers.length + r.points.length);
}

describe('SweepRunner and runExplore on real models', () => {
  for (const c of RUN_CASES) {
    it(`${c.name}: sensitivity at the current width is the baseline; BOPs never rise as a width is lowered; front points are exact`, async () => {
      const plan = planExplore(c.model, { bits: c.bits });
      expect(plan.quantizers.length).toBeGreaterThan(0);
      const runner = await runnerFor(c.model, plan, c.samples);
      const r = await runExplore(c.model, plan, singleRunnerPool(runner, c.model, plan), { samples: c.samples, maxPoints: 3 });
      sensitivityChecks(r);
      // every verified point: its cost and run are those of the model with its widths written in
      for (const p of r.points) {
        const edited = applyWidths(c.model, plan, p.widths);
        expect(configCost(edited)).toEqual({ bops: p.bops, memWBits: p.memWBits });
        expect(sqnrDb(runner.signal, (await runner.evaluateModel(edited)).noise)).toBe(p.sqnrDb);
      }
    });

    it(`${c.name}: the parametric run equals the run of the model with the widths written in (random configurations)`, async () => {
      const plan = planExplore(c.model, { bits: c.wide });
      const runner = await runnerFor(c.model, plan, c.samples);
      const rnd = mulberry32(c.name.length * 977);
      const configs = [
        plan.quantizers.map((q) => q.current),
        plan.quantizers.map((q) => q.candidates[0]),
        plan.quantizers.map((q) => q.candidates[q.candidates.length - 1]),
        ...Array.from({ length: 3 }, () => plan.quantizers.map((q) => q.candidates[rnd() % q.candidates.length])),
      ];
      // the runner stacks the samples into one run where the model allows it; evaluateModel runs them
      // one by one as exec does; a runner kept to one sample per run must agree as well
      const unstacked = await runnerFor(c.model, plan, c.samples, 'float', 1);
      expect(unstacked.batch).toBe(1);
      expect(unstacked.signal).toBe(runner.signal);
      const noises = new Set<number>();
      for (const [i, w] of configs.entries()) {
        const fast = await runner.evaluate(w);
        const edited = await runner.evaluateModel(applyWidths(c.model, plan, w));
        expect(fast.noise, `widths ${w}`).toBe(edited.noise);
        expect(fast.predictions, `widths ${w}`).toEqual(edited.predictions);
        if (i < 3) expect((await unstacked.evaluate(w)).noise, `widths ${w}, one sample per run`).toBe(edited.noise);
        noises.add(fast.noise);
      }
      // the configurations are not all the same run
      expect(noises.size).toBeGreaterThan(1);
      // and every width of every quantizer, alone: BOPs never rise when it is lowered. Counted dense
      // (no sparsity discount) at every width; with the discount (the default) from 2 bits up. At 1 bit a
      // signed Quant is bipolar (±scale): the weights that were 0 become ±1, so the discounted count
      // may rise from 2 bits to 1 (see the TFC test below): not a cheaper configuration.
      plan.quantizers.forEach((q, k) => {
        let prevDense = -Infinity, prev = -Infinity;
        for (const b of q.candidates) {
          const w = plan.quantizers.map((o) => o.current);
          w[k] = b;
          const edited = applyWidths(c.model, plan, w);
          const dense = configCost(edited, { discountSparsity: false }).bops;
          expect(dense, `${q.name} at ${b} bits, dense`).toBeGreaterThanOrEqual(prevDense);
          prevDense = dense;
          const { bops } = configCost(edited);
          const bipolar = b === 1 && plan.varied[k].signed;
          expect(bops, `${q.name} at ${b} bits`).toBeGreaterThanOrEqual(prev);
          prev = bipolar ? -Infinity : bops;
        }
      });
    });
  }

  it('a 2-bit weight quantizer lowered to 1 bit becomes bipolar: its zeros become ±1 and the sparsity-discounted BOPs rise', () => {
    const plan = planExplore(TFC2, { bits: [1, 2] });
    const k = plan.quantizers.findIndex((q) => q.name === 'Quant_18');
    const at = (b: number, discountSparsity: boolean) => {
      const w = plan.quantizers.map((q) => q.current);
      w[k] = b;
      return configCost(applyWidths(TFC2, plan, w), { discountSparsity }).bops;
    };
    // dense: the first layer's 50176 MACs go from 2x2 to 2x1 bits
    expect(at(2, false) - at(1, false)).toBe(50176 * 2);
    expect(at(1, true)).toBeGreaterThan(at(2, true));
  });

  it('labels equal to the reference\'s own predictions: accuracy equals agreement everywhere (TFC 2W2A)', async () => {
    const plan = planExplore(TFC2, { bits: [2, 4], kinds: ['activation'] });
    const runner = await runnerFor(TFC2, plan, 4);
    const labels = runner.referencePredictions as number[];
    expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l < 10)).toBe(true);
    const r = await runExplore(TFC2, plan, singleRunnerPool(runner, TFC2, plan), { samples: 4, labels, maxPoints: 3 });
    const all = [r.baseline, ...r.sensitivity, ...r.points, ...r.pareto];
    for (const p of all) {
      expect(p.agreement).toBeTypeOf('number');
      expect(p.accuracy).toBe(p.agreement);
    }
    // agreement varies between configurations, so the equality is not 1 = 1 throughout
    expect(new Set(all.map((p) => p.agreement)).size).toBeGreaterThan(1);
  });

  it('reference "model": the baseline is the reference itself (SQNR Infinity, agreement 1), events report each phase', async () => {
    const plan = planExplore(TFC1, { bits: [2, 3] });
    const runner = await runnerFor(TFC1, plan, 2, 'model');
    const seen = { baseline: 0, sensitivity: 0, point: 0, phases: new Set<string>() };
    const r = await runExplore(TFC1, plan, singleRunnerPool(runner, TFC1, plan), { samples: 2, maxPoints: 2 }, {
      baseline: () => seen.baseline++,
      sensitivity: () => seen.sensitivity++,
      point: () => seen.point++,
      progress: (p) => seen.phases.add(p.phase),
    });
    expect(r.baseline.sqnrDb).toBe(Infinity);
    expect(r.baseline.agreement).toBe(1);
    sensitivityChecks(r);
    expect(r.sensitivity.filter((e) => e.width === 3).every((e) => Number.isFinite(e.sqnrDb))).toBe(true);
    expect(seen.baseline).toBe(1);
    expect(seen.sensitivity).toBe(plan.quantizers.length); // one other width each
    expect(seen.point).toBe(r.points.length);
    expect([...seen.phases]).toEqual(['baseline', 'sensitivity', 'front', 'done']);
  });

  it('a cancelled run stops with an AbortError', async () => {
    const plan = planExplore(QKERAS);
    const runner = await runnerFor(QKERAS, plan, 2);
    await expect(runExplore(QKERAS, plan, singleRunnerPool(runner, QKERAS, plan), { samples: 2 }, {}, { aborted: true })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
