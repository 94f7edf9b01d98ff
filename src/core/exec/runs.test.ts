/**
 * RunStore: what the run panel and the tensor panel read. Summaries, saturation and SQNR are checked
 * against values computed here from the raw tensors; cancelling and the run cache are exercised.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { int64ToNumber, type Model, type Node } from '../ir/types.js';
import { decodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import type { OrtApi } from './engine.js';
import { compareTensors, RunStore } from './runs.js';
import type { RuntimeTensor } from './runtimeTensor.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;

const load = (f: string) => decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS, f))), { fileName: f });

const TFC = load('zoo_TFC_2W2A.onnx');
const ESPCN = load('qonnx_espcn_subpixel_quant.onnx');
/** a FINN model with 54 MultiThresholds: run with every QONNX op a kernel step, ~100 engine steps to cancel between */
const METAFI = load('finnplus_metafi_step_qonnx_to_finn.onnx');

/** Deterministic input in [0, 1) (a small LCG written here, not the project's PRNG). */
function pixels(shape: number[], seed: number): RuntimeTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = Math.fround(s / 2 ** 32);
  }
  return { dataType: 1, shape, data };
}
const tfcInput = (seed: number) => new Map([[TFC.graph!.input![0].name!, pixels([1, 1, 28, 28], seed)]]);
const metafiInput = (seed: number) => new Map([[METAFI.graph!.input![0].name!, pixels([1, 6, 38, 114], seed)]]);
const espcnInput = (seed: number) => new Map([[ESPCN.graph!.input![0].name!, pixels([1, 3, 128, 128], seed)]]);

const nums = (t: RuntimeTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function attr(n: Node, name: string): number | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a ? int64ToNumber(a.i) : undefined;
}
function init(m: Model, name: string): number[] {
  const t = m.graph!.initializer!.find((x) => x.name === name)!;
  return Array.from(toNumbers(tensorValues(t)));
}

describe('RunStore summaries', () => {
  it('per-tensor statistics equal the ones computed here (TFC, every tensor of the run)', async () => {
    const store = new RunStore(ORT);
    const s = await store.run(TFC, 1, tfcInput(3), false);
    expect(s.runId).toBe(1);
    expect(s.bypass).toBe(false);
    expect(s.ms).toBeGreaterThan(0);
    expect(s.sessions).toBeGreaterThan(0);
    // the 4 weight quantizers are folded; the 4 activation quantizers (ROUND, constant parameters) run
    // as standard ops inside the one onnxruntime session
    expect(s.lowered).toBe(4);
    expect(s.kernelSteps).toBe(0);
    expect(s.outputs.map(([k]) => k)).toEqual([TFC.graph!.output![0].name]);
    // every node output of the model has a summary
    const names = new Set(s.tensors.map((t) => t.name));
    for (const n of TFC.graph!.node!) for (const o of n.output ?? []) expect(names.has(o), o).toBe(true);
    for (const t of s.tensors) {
      const v = nums(store.tensor(1, t.name)!);
      expect(t.stats.count, t.name).toBe(v.length);
      expect(t.shape.reduce((a, b) => a * b, 1)).toBe(v.length);
      const finite = v.filter((x) => Number.isFinite(x));
      if (finite.length === 0) continue;
      const min = Math.min(...finite), max = Math.max(...finite);
      const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
      const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
      expect(t.stats.min, t.name).toBe(min);
      expect(t.stats.max, t.name).toBe(max);
      expect(t.stats.mean, t.name).toBeCloseTo(mean, 9);
      expect(Math.abs(t.stats.std - std), t.name).toBeLessThan(1e-6 * Math.max(1, Math.abs(mean)));
      expect(t.stats.zeros, t.name).toBe(v.filter((x) => x === 0).length);
      const distinct = new Set(v).size;
      expect(t.stats.distinct, t.name).toBe(distinct > 4096 ? -1 : distinct);
      expect(t.stats.histogram.reduce((a, b) => a + b, 0), t.name).toBe(finite.length);
    }
  });

  it('saturation of every Quant output equals the count of its integers at the range ends (ESPCN, 4- and 8-bit, scales != 1)', async () => {
    const store = new RunStore(ORT);
    const s = await store.run(ESPCN, 1, espcnInput(5), false);
    const quants = ESPCN.graph!.node!.filter((n) => n.opType === 'Quant');
    let withSat = 0, anyAtMin = 0, anyAtMax = 0;
    for (const n of quants) {
      const out = n.output![0];
      const sum = s.tensors.find((t) => t.name === out)!;
      if (ESPCN.graph!.initializer!.some((t) => t.name === n.input![0])) {
        // weight quantizers are folded into initializers before the run: no saturation row
        expect(sum.saturation, out).toBeUndefined();
        continue;
      }
      const scale = init(ESPCN, n.input![1]);
      expect(scale.length).toBe(1);
      const zp = init(ESPCN, n.input![2])[0];
      const bits = init(ESPCN, n.input![3])[0];
      const signed = attr(n, 'signed') !== 0, narrow = attr(n, 'narrow') !== 0;
      const lo = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0;
      const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
      // the integer behind each output value: value / scale + zero point, which is an integer up to
      // the float32 rounding of the product; rounded here
      const ints = nums(store.tensor(1, out)!).map((v) => Math.round(v / scale[0] + zp));
      expect(ints.every((q) => q >= lo && q <= hi)).toBe(true);
      const atMin = ints.filter((q) => q === lo).length, atMax = ints.filter((q) => q === hi).length;
      expect(sum.saturation, out).toEqual({ atMin, atMax, min: lo, max: hi });
      // the integer view's statistics are those of these integers
      expect(sum.intStats!.min, out).toBe(ints.reduce((a, b) => Math.min(a, b), Infinity));
      expect(sum.intStats!.max, out).toBe(ints.reduce((a, b) => Math.max(a, b), -Infinity));
      expect(sum.intStats!.distinct, out).toBe(new Set(ints).size);
      withSat++;
      anyAtMin += atMin;
      anyAtMax += atMax;
    }
    expect(withSat).toBe(4); // three 4-bit activations and the 8-bit output
    expect(anyAtMin).toBeGreaterThan(0);
    expect(anyAtMax).toBeGreaterThan(0);
  });

  it('TFC (2-bit signed narrow activations, range -1..1): every value sits at a range end', async () => {
    const store = new RunStore(ORT);
    const s = await store.run(TFC, 1, tfcInput(4), false);
    const acts = TFC.graph!.node!.filter((n) => n.opType === 'Quant' && s.tensors.find((t) => t.name === n.output![0])?.saturation);
    expect(acts.length).toBe(4);
    for (const n of acts) {
      const sum = s.tensors.find((t) => t.name === n.output![0])!;
      const scale = init(TFC, n.input![1])[0];
      const ints = nums(store.tensor(1, n.output![0])!).map((v) => Math.round(v / scale));
      expect(sum.saturation).toEqual({ atMin: ints.filter((q) => q === -1).length, atMax: ints.filter((q) => q === 1).length, min: -1, max: 1 });
    }
  });

  it('constants (weights, folded quantized weights) are summarised once and reused; computed tensors afresh', async () => {
    const store = new RunStore(ORT);
    const a = await store.run(TFC, 1, tfcInput(1), false);
    const b = await store.run(TFC, 2, tfcInput(2), false);
    const weights = TFC.graph!.initializer!.map((t) => t.name!).concat(['44', '56', '68', '80']); // the folded Quant outputs
    for (const w of weights) {
      const sa = a.tensors.find((t) => t.name === w)!, sb = b.tensors.find((t) => t.name === w)!;
      expect(sb, w).toBe(sa);
    }
    // a folded quantized weight's summary is right: 2-bit signed narrow weights take 3 values
    const qw = b.tensors.find((t) => t.name === '44')!;
    expect(qw.stats.distinct).toBe(3);
    expect(qw.stats.count).toBe(784 * 64);
    const out = TFC.graph!.output![0].name!;
    expect(b.tensors.find((t) => t.name === out)).not.toBe(a.tensors.find((t) => t.name === out));
    expect(b.tensors.find((t) => t.name === out)!.stats.mean).not.toBe(a.tensors.find((t) => t.name === out)!.stats.mean);
  });

  it('the float twin (bypass) has no quantizer, hence no saturation, and differs from the quantized run', async () => {
    const store = new RunStore(ORT);
    const f = await store.run(TFC, 2, tfcInput(3), true);
    expect(f.bypass).toBe(true);
    expect(f.kernelSteps).toBe(0);
    expect(f.tensors.every((t) => t.saturation === undefined)).toBe(true);
  });
});

describe('RunStore.compare', () => {
  it('SQNR and max |error| of every tensor equal 10 log10(sum ref^2 / sum (ref - test)^2) computed here', async () => {
    const store = new RunStore(ORT);
    await store.run(TFC, 10, tfcInput(9), false);
    await store.run(TFC, 11, tfcInput(9), true);
    const errs = store.compare(11, 10);
    expect(errs.length).toBeGreaterThan(10);
    let finite = 0;
    for (const e of errs) {
      const ref = nums(store.tensor(11, e.name)!), test = nums(store.tensor(10, e.name)!);
      expect(e.count).toBe(ref.length);
      let sig = 0, noise = 0, maxAbs = 0;
      for (let i = 0; i < ref.length; i++) {
        sig += ref[i] ** 2;
        noise += (ref[i] - test[i]) ** 2;
        maxAbs = Math.max(maxAbs, Math.abs(ref[i] - test[i]));
      }
      expect(e.maxAbs, e.name).toBeCloseTo(maxAbs, 12);
      if (noise === 0) expect(e.sqnrDb, e.name).toBe(Infinity);
      else {
        expect(e.sqnrDb, e.name).toBeCloseTo(10 * Math.log10(sig / noise), 9);
        finite++;
      }
    }
    // the input is the same in both runs; the output and the quantized weights differ
    expect(errs.find((e) => e.name === TFC.graph!.input![0].name)?.sqnrDb).toBe(Infinity);
    expect(Number.isFinite(errs.find((e) => e.name === TFC.graph!.output![0].name)!.sqnrDb)).toBe(true);
    expect(finite).toBeGreaterThan(8);
  });

  it('compareTensors: hand-made cases (identical, zero signal, size mismatch)', () => {
    const t = (xs: number[]): RuntimeTensor => ({ dataType: 1, shape: [xs.length], data: Float32Array.from(xs) });
    // signal 1 + 4 = 5, noise 0.25 + 0 = 0.25 -> 10 log10(20)
    expect(compareTensors('a', t([1, 2]), t([1.5, 2]))!.sqnrDb).toBeCloseTo(10 * Math.log10(20), 12);
    expect(compareTensors('a', t([1, 2]), t([1.5, 2]))!.maxAbs).toBe(0.5);
    expect(compareTensors('a', t([1, 2]), t([1, 2]))!.sqnrDb).toBe(Infinity);
    expect(compareTensors('a', t([0, 0]), t([1, 0]))!.sqnrDb).toBe(-Infinity);
    expect(compareTensors('a', t([1, 2]), t([1]))).toBeUndefined();
  });

  it('comparing with a run that is not held gives no rows', async () => {
    const store = new RunStore(ORT);
    await store.run(TFC, 1, tfcInput(1), false);
    expect(store.compare(1, 99)).toEqual([]);
    expect(store.compare(99, 1)).toEqual([]);
  });
});

describe('RunStore: cancel and cache', () => {
  it('an aborted signal stops the run with an AbortError and nothing is stored', async () => {
    const store = new RunStore(ORT);
    const err = await store.run(TFC, 5, tfcInput(1), false, { signal: { aborted: true } }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(store.tensor(5, TFC.graph!.output![0].name!)).toBeUndefined();
  });

  it('cancelling in the middle (after the first step reports progress) stops before the end', async () => {
    const store = new RunStore(ORT, 2, { lowerQuantizers: false });
    const seen: [number, number][] = [];
    let cancel = false;
    const signal = { get aborted() { return cancel; } };
    const err = await store
      .run(METAFI, 6, metafiInput(1), false, {
        signal,
        onProgress: (done, total) => {
          seen.push([done, total]);
          if (done === 2) cancel = true;
        },
      })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(seen.map(([d]) => d)).toEqual([1, 2]);
    expect(seen[0][1]).toBeGreaterThan(2);
    expect(store.tensor(6, METAFI.graph!.output![0].name!)).toBeUndefined();
  });

  it('cancelling after the engine finished, while every tensor is summarised, still stops the run (ESPCN)', async () => {
    const store = new RunStore(ORT);
    let cancel = false;
    const signal = { get aborted() { return cancel; } };
    const err = await store
      .run(ESPCN, 8, espcnInput(1), false, { signal, onProgress: (done, total) => void (done === total && (cancel = true)) })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(store.tensor(8, ESPCN.graph!.output![0].name!)).toBeUndefined();
    // without cancelling, the same run completes and is stored
    cancel = false;
    const ok = await store.run(ESPCN, 9, espcnInput(1), false, { signal });
    expect(ok.tensors.length).toBeGreaterThan(20);
    expect(store.tensor(9, ESPCN.graph!.output![0].name!)).toBeDefined();
  });

  it('progress reaches done === total on a full run', async () => {
    const store = new RunStore(ORT, 2, { lowerQuantizers: false });
    const seen: [number, number][] = [];
    await store.run(METAFI, 7, metafiInput(1), false, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1][0]).toBe(seen[seen.length - 1][1]);
    expect(seen.map(([d]) => d)).toEqual(seen.map((_, i) => i + 1));
  });

  it('only the last keepRuns runs are held', async () => {
    const store = new RunStore(ORT, 2);
    const out = TFC.graph!.output![0].name!;
    await store.run(TFC, 1, tfcInput(1), false);
    await store.run(TFC, 2, tfcInput(2), false);
    expect(store.tensor(1, out)).toBeDefined();
    await store.run(TFC, 3, tfcInput(3), true);
    expect(store.tensor(1, out)).toBeUndefined();
    expect(store.tensor(2, out)).toBeDefined();
    expect(store.tensor(3, out)).toBeDefined();
    expect(store.compare(1, 2)).toEqual([]);
    expect(store.compare(3, 2).length).toBeGreaterThan(0);
    // different inputs give different outputs; the same input gives the same output
    const second = nums(store.tensor(2, out)!);
    expect(second).not.toEqual(nums(store.tensor(3, out)!));
    await store.run(TFC, 4, tfcInput(2), false);
    expect(store.tensor(2, out)).toBeUndefined();
    expect(nums(store.tensor(4, out)!)).toEqual(second);
  });

  it('one engine per model object and mode', () => {
    const store = new RunStore(ORT);
    expect(store.engineFor(TFC, false)).toBe(store.engineFor(TFC, false));
    expect(store.engineFor(TFC, true)).not.toBe(store.engineFor(TFC, false));
    expect(store.engineFor({ ...TFC }, false)).not.toBe(store.engineFor(TFC, false));
  });
});
