/**
 * `sweep` reproduced through the other commands, in-process through run():
 *
 *   sweep MODEL (--input NAME=X.npy | --random N) ...      -> baseline, sensitivity, pareto (JSON)
 *   transform MODEL OUT --set-bits NAME=B ...               (every entry of a point's "bits")
 *   cost OUT                                                -> total_bops, total_mem_w_bits
 *   exec OUT ... (one sample per call), exec MODEL --float  -> outputs, reference outputs
 *
 * The SQNR (10 log10(sum ref^2 / sum (out - ref)^2) over every element of every graph output of every
 * sample, float64), the top-1 agreement and the accuracy are computed here from the .npy files exec
 * writes (read by a reader written for this test), and must equal what sweep reported, exactly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/testing/prng.js';
import { TEST_MODELS } from '../core/testing/paths.js';
import { run } from './main.js';
import { readF32Npy } from '../core/testing/npyF32.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-sweep-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
let fileNo = 0;
const tmpPath = (name: string) => path.join(TMP, `${fileNo++}-${name}`);
const modelPath = (f: string) => path.join(TEST_MODELS, f);

async function cli(...args: string[]) {
  let stdout = '', stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

async function cliJson(...args: string[]) {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** .npy v1.0 writer (little-endian, C order) for float32 and int64 arrays. */
function writeNpy(file: string, data: Float32Array | BigInt64Array, shape: number[]): void {
  const descr = data instanceof Float32Array ? '<f4' : '<i8';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** Top-1 class of one score vector: the first index of the largest value. */
function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

interface Point {
  bops: number;
  mem_w_bits: number;
  sqnr_db: number | string;
  agreement?: number;
  accuracy?: number;
  bits?: Record<string, number>;
}

interface SweepDoc {
  reference: string;
  samples: number;
  baseline: Point;
  quantizers: { quantizer: string; kind: string; bits: number; candidates: number[] }[];
  skipped: { quantizer: string; kind: string; reason: string }[];
  sensitivity: (Point & { quantizer: string; kind: string; bits: number })[];
  pareto: Point[];
  runs: number;
}

/** One model's graph input: its name and element count (what the samples are cut into). */
interface ModelInput {
  name: string;
  shape: number[];
}

async function graphInput(model: string): Promise<ModelInput> {
  // the shapes `info --json` reports, symbolic dimensions as 1 (as exec takes them)
  const info = await cliJson('info', model, '--json');
  expect(info.inputs).toHaveLength(1);
  return { name: info.inputs[0].name, shape: info.inputs[0].shape.map((d: number | string) => (typeof d === 'number' ? d : 1)) };
}

/** `n` samples of uniform values in [lo, hi): one file holding all of them (N x shape), and one file per sample. */
function inputFiles(input: ModelInput, n: number, seed: number, lo: number, hi: number): { all: string; each: string[] } {
  const size = input.shape.reduce((a, b) => a * b, 1);
  const rnd = mulberry32(seed);
  const data = new Float32Array(n * size);
  for (let i = 0; i < data.length; i++) data[i] = lo + ((hi - lo) * rnd()) / 4294967296;
  const all = tmpPath('samples.npy');
  writeNpy(all, data, [n, ...input.shape.slice(1)]);
  const each = Array.from({ length: n }, (_, s) => {
    const f = tmpPath(`sample${s}.npy`);
    writeNpy(f, data.slice(s * size, (s + 1) * size), input.shape);
    return f;
  });
  return { all, each };
}

/** Every graph output of one exec run, in the order exec lists them. */
async function execOutputs(model: string, sampleArgs: string[], float = false): Promise<Float32Array[]> {
  const out = tmpPath('exec');
  const doc = await cliJson('exec', model, ...sampleArgs, '--out', out, ...(float ? ['--float'] : []));
  expect(doc.float_twin).toBe(float);
  expect(doc.outputs.length).toBeGreaterThan(0);
  return doc.outputs.map((o: { file: string }) => readF32Npy(o.file).data);
}

/** The float twin's outputs for each sample (the sweep's default reference). */
async function referenceRuns(model: string, samples: string[][]): Promise<Float32Array[][]> {
  const ref: Float32Array[][] = [];
  for (const s of samples) ref.push(await execOutputs(model, s, true));
  return ref;
}

/** What a sweep point must equal: measured here with transform, cost and exec. */
async function measurePoint(model: string, ref: Float32Array[][], samples: string[][], labels?: number[]) {
  let signal = 0, noise = 0;
  const preds: number[] = [], refPreds: number[] = [];
  for (let s = 0; s < samples.length; s++) {
    const outs = await execOutputs(model, samples[s]);
    expect(outs.length).toBe(ref[s].length);
    outs.forEach((o, k) => {
      const r = ref[s][k];
      expect(o.length).toBe(r.length);
      for (let i = 0; i < o.length; i++) {
        const d = o[i] - r[i];
        signal += r[i] * r[i];
        noise += d * d;
      }
    });
    preds.push(argmax(outs[0]));
    refPreds.push(argmax(ref[s][0]));
  }
  const cost = (await cliJson('cost', model)).total_cost;
  return {
    bops: cost.total_bops as number,
    mem_w_bits: cost.total_mem_w_bits as number,
    sqnr_db: noise === 0 ? 'inf' : 10 * Math.log10(signal / noise),
    agreement: preds.filter((p, i) => p === refPreds[i]).length / samples.length,
    accuracy: labels ? preds.filter((p, i) => p === labels[i]).length / samples.length : undefined,
  };
}

/**
 * Checks a sweep document against the model: the baseline (the model as it is) and every Pareto point
 * (the model after `transform --set-bits` with the point's bits) give exactly the reported numbers.
 * `classifier`: the output is one score vector, so agreement (and accuracy with labels) are reported.
 */
async function reproduce(model: string, doc: SweepDoc, ref: Float32Array[][], samples: string[][], opts: { classifier: boolean; labels?: number[] }) {
  const expectSame = (reported: Point, got: Awaited<ReturnType<typeof measurePoint>>, what: string) => {
    expect(reported.bops, `${what}: BOPs`).toBe(got.bops);
    expect(reported.mem_w_bits, `${what}: weight memory`).toBe(got.mem_w_bits);
    expect(reported.sqnr_db, `${what}: SQNR`).toBe(got.sqnr_db);
    if (opts.classifier) expect(reported.agreement, `${what}: agreement`).toBe(got.agreement);
    else expect(reported.agreement, `${what}: no agreement for a non-classifier`).toBeUndefined();
    expect(reported.accuracy, `${what}: accuracy`).toBe(opts.labels ? got.accuracy : undefined);
  };
  expectSame(doc.baseline, await measurePoint(model, ref, samples, opts.labels), 'baseline');

  const current = new Map(doc.quantizers.map((q) => [q.quantizer, q.bits]));
  // at least one point of the front changes widths (else this would only re-check the baseline)
  expect(doc.pareto.some((p) => Object.keys(p.bits!).length > 0)).toBe(true);
  for (const p of doc.pareto) {
    const what = `point ${JSON.stringify(p.bits)}`;
    const setBits = Object.entries(p.bits!).flatMap(([name, b]) => {
      // "bits" lists the quantizers taking part whose width differs from the model's
      expect(current.has(name), `${what}: ${name} takes part`).toBe(true);
      expect(b).not.toBe(current.get(name));
      return ['--set-bits', `${name}=${b}`];
    });
    const out = tmpPath('point.onnx');
    const t = await cliJson('transform', model, out, ...setBits);
    expect(t.steps).toHaveLength(setBits.length / 2);
    expectSame(p, await measurePoint(out, ref, samples, opts.labels), what);
  }
}

/** The sweep's own invariants: the front, sensitivity at the current width, BOPs against width. */
function checkDoc(doc: SweepDoc, samples: number) {
  expect(doc.samples).toBe(samples);
  const db = (v: number | string) => (v === 'inf' ? Infinity : (v as number));
  // the front: BOPs and SQNR both strictly rise along it
  for (let i = 1; i < doc.pareto.length; i++) {
    expect(doc.pareto[i].bops).toBeGreaterThan(doc.pareto[i - 1].bops);
    expect(db(doc.pareto[i].sqnr_db)).toBeGreaterThan(db(doc.pareto[i - 1].sqnr_db));
  }
  for (const q of doc.quantizers) {
    const rows = doc.sensitivity.filter((e) => e.quantizer === q.quantizer);
    expect(rows.map((e) => e.bits)).toEqual(q.candidates);
    // at its current width a quantizer's row is the baseline (measured through the parametric model,
    // the baseline through the model as opened)
    const atCurrent = rows.find((e) => e.bits === q.bits)!;
    expect(atCurrent.sqnr_db, `${q.quantizer} at ${q.bits} bits`).toBe(doc.baseline.sqnr_db);
    expect(atCurrent.bops).toBe(doc.baseline.bops);
    expect(atCurrent.mem_w_bits).toBe(doc.baseline.mem_w_bits);
    expect(atCurrent.agreement).toBe(doc.baseline.agreement);
    // a lower width never costs more BOPs
    for (let i = 1; i < rows.length; i++) expect(rows[i].bops, `${q.quantizer} ${rows[i - 1].bits} -> ${rows[i].bits} bits`).toBeGreaterThanOrEqual(rows[i - 1].bops);
  }
}

interface Case {
  file: string;
  /** samples for --input, value range of the inputs */
  samples: number;
  range: [number, number];
  bits: string;
  maxPoints: number;
  classifier: boolean;
  /** also run with --random (fast models) */
  random?: boolean;
}

const CASES: Case[] = [
  { file: 'zoo_TFC_2W2A.onnx', samples: 4, range: [0, 1], bits: '2,3,4,8', maxPoints: 4, classifier: true, random: true },
  { file: 'zoo_TFC_1W2A.onnx', samples: 4, range: [0, 1], bits: '2,3,4,8', maxPoints: 4, classifier: true, random: true },
  { file: 'qonnx_espcn_subpixel_quant.onnx', samples: 2, range: [0, 1], bits: '2,4,8', maxPoints: 3, classifier: false },
  { file: 'qonnx_espcn_nnresize_quant.onnx', samples: 2, range: [0, 1], bits: '2,4,8', maxPoints: 3, classifier: false },
  // one activation quantizer, signed narrow 1-bit (bipolar): no MACs, so 0 BOPs everywhere
  { file: 'qonnx_hist_qkeras_qactivation_16.onnx', samples: 4, range: [-2, 2], bits: '1,2,3,4,8', maxPoints: 4, classifier: true, random: true },
];

describe('cli sweep: every reported point is reproduced by transform --set-bits, cost and exec', () => {
  for (const c of CASES) {
    it(`${c.file}: --input (${c.samples} samples along the first axis)`, async () => {
      const model = modelPath(c.file);
      const input = await graphInput(model);
      const files = inputFiles(input, c.samples, 7, ...c.range);
      const samples = files.each.map((f) => ['--input', `${input.name}=${f}`]);
      const ref = await referenceRuns(model, samples);
      // labels: for TFC 2W2A the float twin's own predictions (accuracy must then equal agreement);
      // for TFC 1W2A classes 0, 1, 2, ... (accuracy computed here from exec's outputs)
      let labels: number[] | undefined;
      const labelArgs: string[] = [];
      if (c.file.startsWith('zoo_TFC')) {
        labels = c.file === 'zoo_TFC_2W2A.onnx' ? ref.map((r) => argmax(r[0])) : ref.map((_, i) => i);
        const lf = tmpPath('labels.npy');
        writeNpy(lf, BigInt64Array.from(labels, (v) => BigInt(v)), [labels.length]);
        labelArgs.push('--labels', lf);
      }
      const r = await cli('sweep', model, '--input', `${input.name}=${files.all}`, '--bits', c.bits, '--max-points', String(c.maxPoints), ...labelArgs);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^baseline: .*\n(sensitivity: .*\n)+(front: .*\n)+$/);
      const doc = JSON.parse(r.stdout) as SweepDoc;
      expect(doc.reference).toBe('float');
      expect(doc.quantizers.length).toBeGreaterThan(0);
      checkDoc(doc, c.samples);
      if (c.file === 'zoo_TFC_2W2A.onnx') {
        for (const p of [doc.baseline, ...doc.sensitivity, ...doc.pareto]) expect(p.accuracy).toBe(p.agreement);
      }
      await reproduce(model, doc, ref, samples, { classifier: c.classifier, labels });
    }, 120_000);

    if (c.random) {
      it(`${c.file}: --random 3 --seed 5 (exec --random 5, 6, 7 are its samples)`, async () => {
        const model = modelPath(c.file);
        const samples = [5, 6, 7].map((s) => ['--random', String(s)]);
        const ref = await referenceRuns(model, samples);
        const doc = (await cliJson('sweep', model, '--random', '3', '--seed', '5', '--bits', c.bits, '--max-points', String(c.maxPoints))) as SweepDoc;
        checkDoc(doc, 3);
        await reproduce(model, doc, ref, samples, { classifier: c.classifier });
      }, 120_000);
    }
  }

  it('--reference model: the baseline is the reference (SQNR "inf", agreement 1), a changed width is not', async () => {
    const model = modelPath('zoo_TFC_2W2A.onnx');
    const doc = (await cliJson('sweep', model, '--random', '2', '--bits', '2,3', '--kinds', 'activations', '--max-points', '2', '--reference', 'model')) as SweepDoc;
    expect(doc.reference).toBe('model');
    expect(doc.baseline.sqnr_db).toBe('inf');
    expect(doc.baseline.agreement).toBe(1);
    expect(doc.quantizers.map((q) => q.kind)).toEqual(['activation', 'activation', 'activation', 'activation']);
    checkDoc(doc, 2);
    for (const e of doc.sensitivity) {
      if (e.bits === 2) expect(e.sqnr_db).toBe('inf');
      else expect(e.sqnr_db).toBeTypeOf('number');
    }
  });

  it('--csv: one row for the baseline, one per sensitivity entry, one per Pareto point, widths per quantizer', async () => {
    const model = modelPath('qonnx_hist_qkeras_qactivation_16.onnx');
    const json = (await cliJson('sweep', model, '--random', '2', '--bits', '1,4')) as SweepDoc;
    const r = await cli('sweep', model, '--random', '2', '--bits', '1,4', '--csv');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['set', 'quantizer', 'bits', 'bops', 'mem_w_bits', 'sqnr_db', 'agreement', 'accuracy', 'Quant_0']);
    expect(rows.slice(1).map((x) => x[0])).toEqual(['baseline', ...json.sensitivity.map(() => 'sensitivity'), ...json.pareto.map(() => 'pareto')]);
    expect(rows[1].slice(3, 6).map(Number)).toEqual([json.baseline.bops, json.baseline.mem_w_bits, json.baseline.sqnr_db]);
    expect(rows.filter((x) => x[0] === 'sensitivity').map((x) => [x[1], Number(x[2]), Number(x[5]), Number(x[8])])).toEqual(
      json.sensitivity.map((e) => [e.quantizer, e.bits, e.sqnr_db, e.bits]),
    );
  });
});

describe('cli sweep: usage errors exit 2 with a message', () => {
  const model = modelPath('zoo_TFC_2W2A.onnx');
  const cases: [string, string[], RegExp][] = [
    ['no calibration inputs', [], /calibration inputs are needed: --input NAME=X.npy \.\.\. or --random N/],
    ['both --input and --random', ['--input', '0=x.npy', '--random', '2'], /either --input or --random, not both/],
    ['--bits with a non-number', ['--random', '2', '--bits', '2,x'], /--bits needs whole widths in 1\.\.32/],
    ['--bits with 0', ['--random', '2', '--bits', '0,4'], /--bits needs whole widths in 1\.\.32/],
    ['--bits above 32', ['--random', '2', '--bits', '4,33'], /--bits needs whole widths in 1\.\.32/],
    ['--bits empty', ['--random', '2', '--bits', ''], /--bits needs whole widths in 1\.\.32/],
    ['an unknown kind', ['--random', '2', '--kinds', 'weights,gates'], /unknown kind 'gates' \(weights, activations, biases\)/],
    ['--random 0', ['--random', '0'], /--random needs a whole number of samples >= 1/],
    ['--reference other', ['--random', '2', '--reference', 'twin'], /--reference is float or model/],
    ['--max-points 0', ['--random', '2', '--max-points', '0'], /--max-points needs a whole number >= 1/],
    ['--fix of no quantizer', ['--random', '2', '--fix', 'NoSuchQuant'], /--fix NoSuchQuant: no quantizer of that name/],
    ['an unknown option', ['--random', '2', '--fast'], /unknown option '--fast'/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      const r = await cli('sweep', model, ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain('usage: qonnx-studio sweep MODEL');
    });
  }

  it('--labels with a count other than the samples', async () => {
    const labels = tmpPath('labels2.npy');
    writeNpy(labels, BigInt64Array.of(1n, 2n), [2]);
    const r = await cli('sweep', model, '--random', '3', '--labels', labels);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--labels holds 2 labels for 3 samples/);
  });

  it('no MODEL', async () => {
    const r = await cli('sweep', '--random', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exactly one MODEL is needed/);
  });
});
