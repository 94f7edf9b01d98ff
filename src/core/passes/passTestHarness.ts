/**
 * What the tests of the rewriting passes share: the real models of testdata/models, seeded random
 * inputs, running a model with the Engine (QONNX ops included) or with a plain onnxruntime session
 * (standard ops only), the re-encode + validate check, and tolerant comparisons that say where the
 * largest difference is. Only tests import this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { expect } from 'vitest';
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { Engine, type EngineOptions, type OrtApi } from '../exec/engine.js';
import { randomInput } from '../exec/inputs.js';
import { asFloat32, ORT_TYPE, type RuntimeTensor } from '../exec/runtimeTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { validateModel } from '../ir/validate.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { TEST_MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
// onnxruntime warns about every initializer that older exporters also list as a graph input
ort.env.logLevel = 'error';
export const ORT = ort as unknown as OrtApi;

export function loadShared(file: string): Model {
  return decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, file))), { fileName: file });
}

/** Seeded random values for every graph input that is not an initializer (symbolic dims = 1). */
export function randomFeeds(model: Model, seed: number): Map<string, RuntimeTensor> {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const a = analyzeModel(model);
  const feeds = new Map<string, RuntimeTensor>();
  let k = 0;
  for (const i of g.input ?? []) {
    const name = i.name ?? '';
    if (idx.initializer.has(name)) continue;
    const shape = (a.shapes.tensors.get(name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    feeds.set(name, randomInput(shape, i.type?.tensorType?.elemType || 1, a.datatypeOf(name), seed + 7919 * k++));
  }
  return feeds;
}

/** Run with the Engine; `keepAll` returns every tensor (folded constants included). */
export async function runEngine(model: Model, feeds: Map<string, RuntimeTensor>, keepAll = false, opts: EngineOptions = {}): Promise<Map<string, RuntimeTensor>> {
  const e = new Engine(model, ORT, opts);
  try {
    return (await e.run(feeds, { keepAll })).tensors;
  } finally {
    await e.release();
  }
}

/** Run with one plain onnxruntime session on the encoded model; `extraOutputs` become graph outputs. */
export async function runPlainOrt(model: Model, feeds: Map<string, RuntimeTensor>, extraOutputs: string[] = []): Promise<Map<string, RuntimeTensor>> {
  const g = model.graph ?? {};
  const have = new Set((g.output ?? []).map((o) => o.name));
  const m: Model = { ...model, graph: { ...g, output: [...(g.output ?? []), ...extraOutputs.filter((t) => !have.has(t)).map((name) => ({ name }))] } };
  const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of feeds) f[k] = new ort.Tensor(ORT_TYPE[v.dataType] as 'float32', v.data as Float32Array, v.shape);
    const out = await s.run(f);
    const res = new Map<string, RuntimeTensor>();
    for (const [k, v] of Object.entries(out)) res.set(k, { dataType: 1, shape: [...v.dims], data: v.data as Float32Array });
    return res;
  } finally {
    await s.release();
  }
}

/** Encode and decode; the result must validate without errors. Returns the decoded model. */
export function expectHealthy(model: Model): Model {
  const back = decodeModel(encodeModel(model));
  const errors = validateModel(back).filter((p) => p.severity === 'error');
  expect(errors.map((e) => e.message)).toEqual([]);
  return back;
}

export interface CloseReport {
  maxAbs: number;
  maxRel: number;
  at: number;
}

/**
 * Every |a - b| <= rel * |b| + abs. Fails with the worst element's index, values and both errors.
 */
export function expectClose(actual: RuntimeTensor | undefined, expected: RuntimeTensor | undefined, rel: number, abs: number, what = ''): CloseReport {
  expect(actual, `${what}: missing actual`).toBeDefined();
  expect(expected, `${what}: missing expected`).toBeDefined();
  expect(actual!.shape, `${what}: shape`).toEqual(expected!.shape);
  const a = asFloat32(actual!), b = asFloat32(expected!);
  let worst = -1, worstExcess = 0, maxAbs = 0, maxRel = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= rel * Math.abs(b[i]) + abs) && (worst < 0 || d - rel * Math.abs(b[i]) > worstExcess)) {
      worst = i;
      worstExcess = d - rel * Math.abs(b[i]);
    }
    if (!Number.isNaN(d)) {
      maxAbs = Math.max(maxAbs, d);
      if (b[i] !== 0) maxRel = Math.max(maxRel, d / Math.abs(b[i]));
    }
  }
  expect(worst, `${what}: element ${worst}: got ${a[worst]}, expected ${b[worst]} (max abs ${maxAbs}, max rel ${maxRel})`).toBe(-1);
  return { maxAbs, maxRel, at: worst };
}

/**
 * Quantized outputs computed in another float summation order: every element within rel/abs, except
 * elements that moved by a whole number of quantization steps (a value that sat within rounding error
 * of a threshold went to the neighbouring level, possibly amplified by later layers), which must be
 * fewer than `maxFraction` of all elements. Returns the number of such flips.
 */
export function expectCloseUpToFlips(actual: RuntimeTensor | undefined, expected: RuntimeTensor | undefined, rel: number, abs: number, maxFraction: number, what = ''): number {
  expect(actual!.shape, `${what}: shape`).toEqual(expected!.shape);
  const a = asFloat32(actual!), b = asFloat32(expected!);
  let flips = 0;
  for (let i = 0; i < b.length; i++) if (!(Math.abs(a[i] - b[i]) <= rel * Math.abs(b[i]) + abs)) flips++;
  expect(flips / b.length, `${what}: ${flips} of ${b.length} elements differ beyond tolerance`).toBeLessThan(maxFraction);
  return flips;
}

/** Bit-for-bit equality of two float tensors (reports the first difference). */
export function expectEqual(actual: RuntimeTensor | undefined, expected: RuntimeTensor | undefined, what = ''): void {
  expect(actual, `${what}: missing actual`).toBeDefined();
  expect(expected, `${what}: missing expected`).toBeDefined();
  expect(actual!.shape, `${what}: shape`).toEqual(expected!.shape);
  const a = asFloat32(actual!), b = asFloat32(expected!);
  let first = -1, count = 0;
  for (let i = 0; i < b.length; i++)
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      if (first < 0) first = i;
      count++;
    }
  expect(first, `${what}: ${count} of ${b.length} elements differ, first at ${first}: got ${a[first]}, expected ${b[first]}`).toBe(-1);
}

export function opCounts(model: Model): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of model.graph?.node ?? []) c[n.opType ?? ''] = (c[n.opType ?? ''] ?? 0) + 1;
  return c;
}

export const opSequence = (model: Model): string[] => (model.graph?.node ?? []).map((n) => n.opType ?? '');
