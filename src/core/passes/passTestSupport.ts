/**
 * Test support for the rewriting passes (used by *.test.ts only): load the shared real models, build
 * small models from IR, run a model on seeded random inputs with the Engine (onnxruntime-web in Node
 * plus the QONNX kernels), and compare two models' outputs: quantizer outputs exactly, float outputs
 * within a relative tolerance with a small absolute floor near zero.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { Engine, type OrtApi } from '../exec/engine.js';
import { randomInput } from '../exec/inputs.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Attribute, Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { validateModel } from '../ir/validate.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { repoRoot } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;

export const MODELS_DIR = path.resolve(repoRoot(), 'testdata/models');

export function loadModel(file: string): Model {
  return decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS_DIR, file))));
}

// ---------------------------------------------------------------------------------------------------
// Small IR models

export const FLOAT = 1, INT64 = 7;

export function vi(name: string, dims: (number | string)[], elemType = FLOAT): ValueInfo {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : { dimParam: d })) } } } };
}
export function initF(name: string, dims: number[], values?: number[]): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims: dims.map((d) => int64From(d)), dataType: FLOAT, floatData: values ?? Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + 1) * 0.75)) };
}
export function initI64(name: string, values: number[], dims: number[] = [values.length]): Tensor {
  return { name, dims: dims.map((d) => int64From(d)), dataType: INT64, int64Data: values.map((v) => int64From(v)) };
}
export function nd(opType: string, input: string[], output: string[], name = '', attribute: Attribute[] = [], domain?: string): Node {
  const n: Node = { opType, input, output, name };
  if (attribute.length) n.attribute = attribute;
  if (domain !== undefined) n.domain = domain;
  return n;
}
export interface Spec {
  nodes: Node[];
  inits?: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo?: ValueInfo[];
  ann?: [string, string][];
  opset?: number;
}
/** A model from a spec, passed through the encoder and decoder (so it looks like a loaded file). */
export function build(s: Spec): Model {
  return decodeModel(
    encodeModel({
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(s.opset ?? 13) }, { domain: 'qonnx.custom_op.general', version: int64From(1) }],
      graph: {
        name: 'g',
        node: s.nodes,
        initializer: s.inits ?? [],
        input: s.inputs,
        output: s.outputs,
        valueInfo: s.valueInfo ?? [],
        quantizationAnnotation: (s.ann ?? []).map(([tensorName, value]) => ({ tensorName, quantParameterTensorNames: [{ key: 'finn_datatype', value }] })),
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Queries

export const ops = (m: Model) => (m.graph?.node ?? []).map((n) => n.opType ?? '');
export const nodeNames = (m: Model) => (m.graph?.node ?? []).map((n) => n.name ?? '');
export const count = (m: Model, op: string) => ops(m).filter((o) => o === op).length;
/** Encode and decode: the model is valid protobuf; returns the decoded copy. */
export const reread = (m: Model) => decodeModel(encodeModel(m));
export const errorsOf = (m: Model) => validateModel(m).filter((p) => p.severity === 'error');

// ---------------------------------------------------------------------------------------------------
// Execution and comparison

/** Seeded random values for every (non-initializer) graph input; symbolic dims taken as 1. */
export function seededInputs(model: Model, seed: number): Map<string, RuntimeTensor> {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const a = analyzeModel(model);
  const feeds = new Map<string, RuntimeTensor>();
  (g.input ?? []).forEach((i, k) => {
    const name = i.name ?? '';
    if (idx.initializer.has(name)) return;
    const shape = (a.shapes.tensors.get(name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    feeds.set(name, randomInput(shape, i.type?.tensorType?.elemType || FLOAT, a.datatypeOf(name), seed + 7919 * k));
  });
  return feeds;
}

export async function runModel(model: Model, feeds: Map<string, RuntimeTensor>): Promise<Map<string, RuntimeTensor>> {
  const e = new Engine(model, ort as unknown as OrtApi);
  try {
    const r = await e.run(feeds);
    return r.tensors;
  } finally {
    await e.release();
  }
}

export interface Mismatch {
  output: string;
  index: number;
  expected: number;
  actual: number;
}

/** Graph outputs written by a quantizer (compared exactly). */
export function quantizedOutputs(model: Model): Set<string> {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const s = new Set<string>();
  for (const o of g.output ?? []) {
    const p = idx.producer.get(o.name ?? '');
    if (p !== undefined && resolveCustomOp(idx.nodes[p], model) && /Quant|Trunc/.test(idx.nodes[p].opType ?? '')) s.add(o.name ?? '');
  }
  return s;
}

/**
 * Compare two output sets output by output (by position, since names may change): shapes equal,
 * quantized outputs (of `exact`) bit for bit, others within rtol relative with an absolute floor of
 * atol times the largest magnitude in the reference tensor (plus 1e-7).
 */
export function compareOutputs(
  expected: Map<string, RuntimeTensor>,
  actual: Map<string, RuntimeTensor>,
  names: { expected: string[]; actual: string[] },
  exact: Set<string>,
  rtol = 1e-5,
  atol = 1e-6,
): { mismatches: Mismatch[]; shapes: [number[], number[]][] } {
  const mismatches: Mismatch[] = [];
  const shapes: [number[], number[]][] = [];
  names.expected.forEach((en, k) => {
    const an = names.actual[k];
    const e = expected.get(en);
    const a = actual.get(an);
    if (!e || !a) throw new Error(`missing output ${en} / ${an}`);
    shapes.push([e.shape, a.shape]);
    const ed = Array.from(e.data as ArrayLike<number | bigint>, Number);
    const ad = Array.from(a.data as ArrayLike<number | bigint>, Number);
    let max = 0;
    for (const v of ed) max = Math.max(max, Math.abs(v));
    const floor = 1e-7 + atol * max;
    for (let i = 0; i < ed.length; i++) {
      const x = ed[i], y = ad[i];
      const ok = exact.has(en) ? Object.is(x, y) || x === y : Math.abs(x - y) <= rtol * Math.max(Math.abs(x), Math.abs(y)) + floor;
      if (!ok && mismatches.length < 10) mismatches.push({ output: en, index: i, expected: x, actual: y });
    }
    if (ed.length !== ad.length) mismatches.push({ output: en, index: -1, expected: ed.length, actual: ad.length });
  });
  return { mismatches, shapes };
}

/** Run both models on the same seeded inputs (by input position) and compare their outputs. */
export async function sameOutputs(before: Model, after: Model, seeds: number[] = [1, 2]): Promise<{ mismatches: Mismatch[]; shapes: [number[], number[]][] }> {
  const names = {
    expected: (before.graph?.output ?? []).map((o) => o.name ?? ''),
    actual: (after.graph?.output ?? []).map((o) => o.name ?? ''),
  };
  const exact = quantizedOutputs(before);
  const all = { mismatches: [] as Mismatch[], shapes: [] as [number[], number[]][] };
  const inNames = (m: Model) => {
    const idx = indexGraph(m.graph ?? {});
    return (m.graph?.input ?? []).map((i) => i.name ?? '').filter((n) => !idx.initializer.has(n));
  };
  const bIn = inNames(before), aIn = inNames(after);
  for (const seed of seeds) {
    const feeds = seededInputs(before, seed);
    const feedsAfter = new Map(bIn.map((n, k) => [aIn[k], feeds.get(n)!]));
    const e = await runModel(before, feeds);
    const a = await runModel(after, feedsAfter);
    const r = compareOutputs(e, a, names, exact);
    all.mismatches.push(...r.mismatches);
    all.shapes.push(...r.shapes);
  }
  return all;
}
