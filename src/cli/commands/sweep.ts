/**
 * `sweep MODEL (--input NAME=X.npy ... | --random N [--seed S]) [--labels Y.npy] [--bits 2,3,4,5,6,8]
 *  [--kinds weights,activations] [--reference float|model] [--fix NAME ...] [--fix-first-last]
 *  [--max-points K] [--json | --csv]`: the precision explorer on the command line (src/core/explore).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_WIDTHS, planExplore, runExplore, singleRunnerPool, type ConfigPoint, type ExploreResult } from '../../core/explore/explore.js';
import { SweepRunner } from '../../core/explore/runner.js';
import { randomSamples, samplesFromArrays } from '../../core/explore/samples.js';
import { npyNumbers, readNpy, type NpyArray } from '../../core/io/npyRead.js';
import type { QuantizerRole } from '../../core/ir/quantizerRoles.js';
import { UsageError, type CliCommand, type CliIO } from '../command.js';
import { readAllExternalData, readModelFile } from '../nodeFiles.js';
import { loadOrt } from '../ortNode.js';

const KIND_WORDS: Record<string, QuantizerRole> = { weights: 'weight', weight: 'weight', activations: 'activation', activation: 'activation', biases: 'bias', bias: 'bias' };

/** A dB value for JSON: Infinity as the string "inf" (and "-inf"), finite values as numbers. */
export function dbJson(v: number): number | string {
  return v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
}

function pointJson(p: ConfigPoint, withBits: boolean): Record<string, unknown> {
  return {
    bops: p.bops,
    mem_w_bits: p.memWBits,
    sqnr_db: dbJson(p.sqnrDb),
    ...(p.agreement !== undefined ? { agreement: p.agreement } : {}),
    ...(p.accuracy !== undefined ? { accuracy: p.accuracy } : {}),
    ...(withBits ? { bits: p.bits } : {}),
  };
}

export function sweepJson(r: ExploreResult, reference: 'float' | 'model'): Record<string, unknown> {
  return {
    reference,
    samples: r.samples,
    baseline: pointJson(r.baseline, false),
    quantizers: r.plan.quantizers.map((q) => ({ quantizer: q.name, kind: q.kind, bits: q.current, candidates: q.candidates })),
    skipped: r.plan.skipped.map((s) => ({ quantizer: s.name, kind: s.kind, reason: s.reason })),
    sensitivity: r.sensitivity.map((e) => ({ quantizer: e.quantizer, kind: e.kind, bits: e.width, bops: e.bops, mem_w_bits: e.memWBits, sqnr_db: dbJson(e.sqnrDb), ...(e.agreement !== undefined ? { agreement: e.agreement } : {}), ...(e.accuracy !== undefined ? { accuracy: e.accuracy } : {}) })),
    pareto: r.pareto.map((p) => pointJson(p, true)),
    runs: r.runs,
  };
}

function csvOf(r: ExploreResult): string {
  const names = r.plan.quantizers.map((q) => q.name);
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [['set', 'quantizer', 'bits', 'bops', 'mem_w_bits', 'sqnr_db', 'agreement', 'accuracy', ...names].map(esc).join(',')];
  const line = (set: string, q: string, b: string, p: ConfigPoint) =>
    [set, q, b, String(p.bops), String(p.memWBits), String(dbJson(p.sqnrDb)), p.agreement === undefined ? '' : String(p.agreement), p.accuracy === undefined ? '' : String(p.accuracy), ...p.widths.map(String)].map(esc).join(',');
  rows.push(line('baseline', '', '', r.baseline));
  for (const e of r.sensitivity) rows.push(line('sensitivity', e.quantizer, String(e.width), e));
  for (const p of r.pareto) rows.push(line('pareto', '', '', p));
  return rows.join('\n') + '\n';
}

export const sweepCommand: CliCommand = {
  name: 'sweep',
  usage: 'sweep MODEL (--input NAME=X.npy ... | --random N [--seed S]) [--labels Y.npy] [--bits 2,3,4,5,6,8] [--kinds weights,activations] [--reference float|model] [--fix NAME ...] [--fix-first-last] [--max-points 20] [--json | --csv]',
  summary: 'Precision explorer: per-quantizer sensitivity and a cost/error Pareto front of bit widths',
  details: [
    'Runs the model on calibration samples against a reference (the float twin by default, or the model as opened with --reference model) and measures output SQNR, top-1 agreement (classifiers), accuracy (with --labels, one class index per sample) and exact BOPs / weight memory:',
    '  baseline     the model as opened;',
    '  sensitivity  each quantizer alone at each candidate width;',
    '  pareto       the non-dominated configurations among at most --max-points whole-model configurations found by a greedy search on the sensitivity table, each verified by a run.',
    '--input arrays hold the samples along their first axis (N x the input\'s size); --random N makes N seeded random samples within each input\'s datatype range.',
    '"bits" lists every quantizer whose width differs from the model: `transform MODEL OUT --set-bits NAME=B ...` reproduces the point, and `cost OUT` / `exec OUT` on the same inputs give its BOPs and SQNR.',
    `Quantizer kinds: weights, activations, biases (default weights,activations). Widths default to ${DEFAULT_WIDTHS.join(',')}. SQNR "inf" means identical outputs.`,
  ].join('\n'),
  async run(args: string[], io: CliIO): Promise<number> {
    const inputs = new Map<string, string>();
    const fixed: string[] = [];
    let random: number | undefined, seed = 0, labelsFile: string | undefined, format: 'json' | 'csv' = 'json';
    let bits = DEFAULT_WIDTHS, kinds: QuantizerRole[] = ['weight', 'activation'], reference: 'float' | 'model' = 'float', maxPoints = 20, fixFirstLast = false;
    const pos: string[] = [];
    const need = (i: number, what: string) => {
      const v = args[i];
      if (v === undefined) throw new UsageError(`${args[i - 1]} needs ${what}`);
      return v;
    };
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--input') {
        const v = need(++i, 'NAME=FILE.npy');
        const eq = v.indexOf('=');
        if (eq <= 0) throw new UsageError('--input needs NAME=FILE.npy');
        inputs.set(v.slice(0, eq), v.slice(eq + 1));
      } else if (a === '--random') {
        random = Number(need(++i, 'a sample count'));
        if (!Number.isInteger(random) || random < 1) throw new UsageError('--random needs a whole number of samples >= 1');
      } else if (a === '--seed') {
        seed = Number(need(++i, 'an integer'));
        if (!Number.isInteger(seed)) throw new UsageError('--seed needs an integer');
      } else if (a === '--labels') labelsFile = need(++i, 'a .npy file');
      else if (a === '--bits') {
        bits = need(++i, 'a list such as 2,3,4,8').split(',').map(Number);
        if (!bits.length || bits.some((b) => !Number.isInteger(b) || b < 1 || b > 32)) throw new UsageError('--bits needs whole widths in 1..32, e.g. 2,3,4,8');
      } else if (a === '--kinds') {
        kinds = need(++i, 'a list such as weights,activations').split(',').map((k) => {
          const r = KIND_WORDS[k.trim()];
          if (!r) throw new UsageError(`unknown kind '${k}' (weights, activations, biases)`);
          return r;
        });
      } else if (a === '--reference') {
        const v = need(++i, 'float or model');
        if (v !== 'float' && v !== 'model') throw new UsageError('--reference is float or model');
        reference = v;
      } else if (a === '--fix') fixed.push(need(++i, 'a quantizer name'));
      else if (a === '--fix-first-last') fixFirstLast = true;
      else if (a === '--max-points') {
        maxPoints = Number(need(++i, 'a count'));
        if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new UsageError('--max-points needs a whole number >= 1');
      } else if (a === '--json') format = 'json';
      else if (a === '--csv') format = 'csv';
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else pos.push(a);
    }
    if (pos.length !== 1) throw new UsageError('exactly one MODEL is needed');
    if (!inputs.size && random === undefined) throw new UsageError('calibration inputs are needed: --input NAME=X.npy ... or --random N');
    if (inputs.size && random !== undefined) throw new UsageError('give either --input or --random, not both');
    const { model, dir } = readModelFile(pos[0]);
    const samples = inputs.size
      ? samplesFromArrays(model, new Map<string, NpyArray>([...inputs].map(([k, f]) => [k, readNpy(new Uint8Array(readFileSync(f)))])))
      : randomSamples(model, random!, seed);
    let labels: number[] | undefined;
    if (labelsFile) {
      labels = npyNumbers(readNpy(new Uint8Array(readFileSync(labelsFile))));
      if (labels.length !== samples.length) throw new UsageError(`--labels holds ${labels.length} labels for ${samples.length} samples`);
    }
    const plan = planExplore(model, { bits, kinds, fixed, fixFirstLast, maxPoints });
    for (const f of fixed) if (!plan.skipped.some((s) => s.name === f) && !plan.quantizers.some((q) => q.name === f)) throw new UsageError(`--fix ${f}: no quantizer of that name`);
    if (!plan.quantizers.length) throw new Error(`no quantizer takes part (${plan.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ') || 'the model has no quantizers'})`);
    const externalData = readAllExternalData(model, dir);
    const runner = await SweepRunner.create({ model, samples, reference, varied: plan.varied, externalData }, await loadOrt());
    try {
      // progress on stderr: a line per phase and per tenth of it
      let last = '';
      const r = await runExplore(model, plan, singleRunnerPool(runner, model, plan), { samples: samples.length, labels, maxPoints }, {
        progress: (p) => {
          const step = `${p.phase} ${Math.floor((10 * p.done) / Math.max(1, p.total))}`;
          if (step === last || p.phase === 'done') return;
          last = step;
          io.err(`${p.phase}: ${p.done}/${p.total} configurations\n`);
        },
      });
      io.out(format === 'csv' ? csvOf(r) : JSON.stringify(sweepJson(r, reference), null, 2) + '\n');
    } finally {
      await runner.release();
    }
    return 0;
  },
};
