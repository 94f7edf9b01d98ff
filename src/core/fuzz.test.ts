/**
 * Fuzz test: every real model in testdata/models, mutated at random (bit flips, byte overwrites,
 * truncation, inserted / deleted byte runs, duplicated chunks), goes through what opening a file runs.
 *
 * - decodeModel may only fail with a ModelError whose message is a readable sentence;
 * - once a mutated file decodes, validation, shape and datatype inference, the inference cost and the
 *   view/summary must not throw at all;
 * - no case may take over 1 s (a slow case is timed a second time, so that one garbage-collection
 *   pause on a busy machine does not fail the test).
 *
 * Seeded (mulberry32): a failure prints the file and the case seed, and `reproduce(file, seed)` below
 * rebuilds exactly that input. FUZZ_CASES=n changes the number of cases, FUZZ_SEED=n the seeds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { isModelError } from './errors.js';
import { decodeModel } from './onnx/codec.js';
import { validateModel } from './ir/validate.js';
import { summarizeModel } from './ir/summary.js';
import { inferShapes } from './analysis/shapeInference.js';
import { inferDatatypes } from './analysis/datatypeInference.js';
import { inferenceCost } from './analysis/inferenceCost.js';
import { buildViewGraph } from './view/viewGraph.js';
import { mulberry32 } from './testing/prng.js';
import { fuzzTarget, mutate, type Mutated } from './testing/fuzzMutations.js';

const MODELS_DIR = fileURLToPath(new URL('../../testdata/models/', import.meta.url));
const TOTAL_CASES = Number(process.env.FUZZ_CASES) || 6000;
const BASE_SEED = Number(process.env.FUZZ_SEED) || 0x5eed_0007;
const MAX_CASE_MS = 1000;

/** Files whose full analysis is slow (the 300-node FINN graphs) get fewer cases. */
const WEIGHT: Record<string, number> = {
  'finnplus_metafi_step_qonnx_to_finn.onnx': 0.15,
  'finnplus_metafi_step_specialize_layers.onnx': 0.4,
};

interface Failure {
  file: string;
  seed: number;
  mutation: string;
  stage: string;
  error: string;
}

/** A message a person can read: non-empty, no leaked `undefined`, `NaN` or object dumps. */
function unreadable(message: unknown): string | undefined {
  if (typeof message !== 'string' || message.trim().length < 10) return `message too short: ${JSON.stringify(message)}`;
  if (/\bundefined\b|\bNaN\b|\[object \w+\]|\bnull\b/.test(message)) return `message leaks a raw value: ${message}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(message)) return `message has control characters: ${JSON.stringify(message)}`;
  return undefined;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 4).join('\n')}`;
  return String(e);
}

/** Decode and analyse one input: rejected by the decoder (as it should be), analysed, or a failure. */
function runCase(file: string, seed: number, m: Mutated): { outcome: 'rejected' | 'analysed'; failure?: Failure } {
  const fail = (stage: string, error: string) => ({ outcome: 'rejected' as const, failure: { file, seed, mutation: m.description, stage, error } });
  let model;
  try {
    model = decodeModel(m.bytes, { fileName: file });
  } catch (e) {
    if (!isModelError(e)) return fail('decode', `not a ModelError: ${describe(e)}`);
    const bad = unreadable(e.message);
    return bad ? fail('decode', `${e.code}: ${bad}`) : { outcome: 'rejected' };
  }
  const stages: [string, () => unknown][] = [
    ['validateModel', () => validateModel(model)],
    ['summarizeModel', () => summarizeModel(model)],
    ['inferShapes', () => inferShapes(model)],
    ['inferDatatypes', () => inferDatatypes(model)],
    ['inferDatatypes(scaled)', () => inferDatatypes(model, { allowScaledInt: true })],
    ['inferenceCost', () => inferenceCost(model)],
    ['buildViewGraph', () => buildViewGraph(model, { showConstants: false })],
    ['buildViewGraph(constants)', () => buildViewGraph(model, { showConstants: true })],
  ];
  for (const [stage, run] of stages) {
    try {
      run();
    } catch (e) {
      return { outcome: 'analysed', failure: fail(stage, describe(e)).failure };
    }
  }
  return { outcome: 'analysed' };
}

const files = readdirSync(MODELS_DIR)
  .filter((f) => f.endsWith('.onnx'))
  .sort();

/** Rebuild one case's input from its file and seed. */
export function reproduce(file: string, seed: number): Mutated {
  const original = new Uint8Array(readFileSync(MODELS_DIR + file));
  return mutate(original, mulberry32(seed), fuzzTarget(original));
}

test(`fuzz: ${TOTAL_CASES} mutated real models decode to a ModelError or analyse without throwing`, () => {
  expect(files.length).toBeGreaterThan(10);
  const weights = files.map((f) => WEIGHT[f] ?? 1);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const failures: Failure[] = [];
  const seen = new Set<string>();
  let cases = 0;
  let analysed = 0;
  let slowest = { ms: 0, file: '', seed: 0, mutation: '' };
  const t0 = performance.now();

  files.forEach((file, fi) => {
    const original = new Uint8Array(readFileSync(MODELS_DIR + file));
    const target = fuzzTarget(original);
    const n = Math.round((TOTAL_CASES * weights[fi]) / weightSum);
    for (let k = 0; k < n; k++) {
      const seed = (BASE_SEED + fi * 100_003 + k) >>> 0;
      const m = mutate(original, mulberry32(seed), target);
      const c0 = performance.now();
      const { outcome, failure: f } = runCase(file, seed, m);
      const ms = performance.now() - c0;
      cases++;
      if (outcome === 'analysed') analysed++;
      if (ms > slowest.ms) slowest = { ms, file, seed, mutation: m.description };
      if (ms > MAX_CASE_MS) {
        // A garbage-collection pause or a busy machine can stretch one case: time it again before blaming it.
        const again = mutate(original, mulberry32(seed), target);
        const r0 = performance.now();
        runCase(file, seed, again);
        const ms2 = performance.now() - r0;
        console.log(`fuzz: ${file} seed ${seed} took ${ms.toFixed(0)} ms, ${ms2.toFixed(0)} ms when repeated`);
        if (ms2 > MAX_CASE_MS) failures.push({ file, seed, mutation: m.description, stage: 'time', error: `took ${ms.toFixed(0)} ms, then ${ms2.toFixed(0)} ms` });
      }
      if (f) {
        // One report per distinct failure (stage + first line of the error).
        const key = `${f.stage}|${f.error.split('\n')[0].replace(/\d+/g, 'N')}`;
        if (!seen.has(key)) {
          seen.add(key);
          failures.push(f);
        }
      }
    }
  });

  const total = performance.now() - t0;
  console.log(
    `fuzz: ${cases} cases over ${files.length} models in ${(total / 1000).toFixed(1)} s; ${analysed} decoded and analysed, ${cases - analysed} rejected by the decoder\n` +
      `fuzz: slowest case ${slowest.ms.toFixed(1)} ms: ${slowest.file} seed ${slowest.seed} (${slowest.mutation})`,
  );
  for (const f of failures) console.log(`fuzz FAILURE [${f.stage}] ${f.file} seed ${f.seed} (${f.mutation}):\n  ${f.error}`);
  expect(cases).toBeGreaterThanOrEqual(Math.min(5000, TOTAL_CASES));
  expect(failures).toEqual([]);
}, 300_000);
