/**
 * applyTransform (what the transform dialog and the CLI's --pass run) and the pass-spec parser, on the
 * real zoo_TFC_2W2A model. Lossless transformations are checked by running the model before and after
 * with the execution engine: the outputs must be equal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { Engine, type OrtApi } from '../exec/engine.js';
import { diffModels } from '../ir/diff.js';
import type { Model } from '../ir/types.js';
import { listQuantizers } from '../ir/quantEdit.js';
import { decodeModel } from '../onnx/codec.js';
import { applyTransform, parsePassSpec } from './apply.js';
import { findTransform, resolveParams, transforms } from './registry.js';
import { TEST_MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;

function sharedModel(name: string): Model {
  return decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, name))), { fileName: name });
}

const TFC = sharedModel('zoo_TFC_2W2A.onnx');

/** The single output of the model on a seeded input of its single (non-initializer) input. */
async function outputOf(m: Model, seed = 9): Promise<number[]> {
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const inputs = (m.graph?.input ?? []).filter((i) => !inits.has(i.name));
  expect(inputs.length).toBe(1);
  let a = seed;
  const x = new Float32Array(784);
  for (let i = 0; i < x.length; i++) {
    a = (a * 1103515245 + 12345) % 2147483648;
    x[i] = a / 2147483648;
  }
  const e = new Engine(m, ORT);
  try {
    const r = await e.run(new Map([[inputs[0].name!, { dataType: 1, shape: [1, 1, 28, 28], data: x }]]));
    expect(r.outputNames.length).toBe(1);
    return Array.from(r.tensors.get(r.outputNames[0])!.data as Float32Array);
  } finally {
    await e.release();
  }
}

/** What <OpType>_<k> naming gives for this node list: k counts per op type in graph order. */
function expectedNames(m: Model): string[] {
  const seen = new Map<string, number>();
  return (m.graph?.node ?? []).map((n) => {
    const k = seen.get(n.opType ?? '') ?? 0;
    seen.set(n.opType ?? '', k + 1);
    return `${n.opType}_${k}`;
  });
}

describe('applyTransform', () => {
  it('cleanup: every node named <OpType>_<k>, the model computes the same, the outcome carries its diff', async () => {
    const r = applyTransform(TFC, 'cleanup');
    expect(r.modified).toBe(true);
    const nodes = r.model.graph!.node!;
    expect(nodes.map((n) => n.name)).toEqual(expectedNames(r.model));
    expect(nodes.every((n) => /^[A-Za-z]+_\d+$/.test(n.name ?? ''))).toBe(true);
    // 31 nodes minus the folded Shape/Gather/Unsqueeze/Concat, the 4 weight Transposes and the constant Pow
    expect(nodes.length).toBe(22);
    expect(nodes.filter((n) => n.opType === 'Quant').map((n) => n.name)).toEqual(['Quant_0', 'Quant_1', 'Quant_2', 'Quant_3', 'Quant_4', 'Quant_5', 'Quant_6', 'Quant_7']);
    // tensors named after their node, graph io global_in / global_out
    expect(r.model.graph!.input!.map((i) => i.name)).toEqual(['global_in']);
    expect(r.model.graph!.output!.map((o) => o.name)).toEqual(['global_out']);
    // the quantizers kept their precision
    expect(listQuantizers(r.model).map((q) => `${q.role}:${q.bits}`).sort()).toEqual([...Array(4).fill('activation:2'), ...Array(4).fill('weight:2')]);
    expect(r.diff).toEqual(diffModels(TFC, r.model));
    expect(r.diff.added.length).toBe(0);
    expect(r.diff.removed.length).toBe(9);
    expect(r.diff.changed.length).toBe(22);
    expect(r.notes).toEqual([]);
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(await outputOf(r.model)).toEqual(await outputOf(TFC));
    // the input model is untouched
    expect(TFC.graph!.node!.length).toBe(31);
    // cleanup again: nothing left to do
    const again = applyTransform(r.model, 'cleanup');
    expect(again.modified).toBe(false);
    expect(again.diff.changed).toEqual([]);
  });

  it('fold-constants with no exclusions folds the weight quantizers into their values', async () => {
    const r = applyTransform(TFC, 'fold-constants', { excludeOpTypes: [] });
    expect(r.modified).toBe(true);
    const removed = r.diff.removed.map((x) => x.name);
    for (const n of ['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54', 'Transpose_19', 'Transpose_31', 'Transpose_43', 'Transpose_55', 'Shape_0', 'Pow_59']) expect(removed).toContain(n);
    expect(listQuantizers(r.model).map((q) => q.name)).toEqual(['Quant_13', 'Quant_25', 'Quant_37', 'Quant_49']);
    expect(await outputOf(r.model)).toEqual(await outputOf(TFC));
    // with the default parameters the quantizers stay
    const kept = applyTransform(TFC, 'fold-constants');
    expect(listQuantizers(kept.model).length).toBe(8);
  });

  it('takes ids in snake_case or upper case too', () => {
    // names count in the file's order; the tidy-up after every transformation then sorts the graph,
    // so each node is found again by its output tensor
    const want = new Map(TFC.graph!.node!.map((n, i) => [n.output![0], expectedNames(TFC)[i]]));
    const u = applyTransform(TFC, 'GIVE_UNIQUE_NODE_NAMES').model;
    expect(u.graph!.node!.length).toBe(31);
    for (const n of u.graph!.node!) expect(n.name).toBe(want.get(n.output![0]));
    expect(findTransform('remove_identity_ops')?.id).toBe('remove-identity-ops');
  });

  it('an unknown id names every registered transformation', () => {
    let msg = '';
    try {
      applyTransform(TFC, 'no-such-pass');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^Unknown transformation 'no-such-pass'\. Known: /);
    for (const t of transforms()) expect(msg).toContain(t.id);
  });

  it('parameters are checked against the declaration', () => {
    expect(() => applyTransform(TFC, 'cleanup', { nope: 1 })).toThrow("cleanup: unknown parameter 'nope' (known: override_inpsize, extract_conv_bias, preserve_qnt_ops)");
    expect(() => applyTransform(TFC, 'remove-identity-ops', { atol: 'small' })).toThrow(`remove-identity-ops: parameter 'atol' must be number, got "small"`);
    expect(() => applyTransform(TFC, 'change-batch-size', {})).toThrow(/change-batch-size: parameter 'batch' is required/);
    expect(() => applyTransform(TFC, 'change-batch-size', { batch: 1.5 })).toThrow(`change-batch-size: parameter 'batch' must be integer, got 1.5`);
    expect(() => applyTransform(TFC, 'give-unique-node-names', { x: 1 })).toThrow(/known: none/);
    expect(resolveParams(findTransform('remove-identity-ops')!, {})).toEqual({ atol: 1e-5 });
  });

  it('every registered transformation has an id, a title, a summary and declared parameters', () => {
    const ids = transforms().map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of transforms()) {
      expect(t.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(t.title.length).toBeGreaterThan(0);
      expect(t.summary.length).toBeGreaterThan(0);
      for (const p of t.params) {
        expect(['boolean', 'integer', 'number', 'string', 'json']).toContain(p.kind);
        expect(p.doc.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('parsePassSpec', () => {
  it('an id alone, or id:{json}', () => {
    expect(parsePassSpec('cleanup')).toEqual({ id: 'cleanup', params: {} });
    expect(parsePassSpec('fold-constants:{"excludeOpTypes":[]}')).toEqual({ id: 'fold-constants', params: { excludeOpTypes: [] } });
    // a colon inside the JSON is part of the parameters
    expect(parsePassSpec('fold-constants:{"excludeOpTypes":["a:b"]}')).toEqual({ id: 'fold-constants', params: { excludeOpTypes: ['a:b'] } });
  });

  it('bad JSON and JSON that is not an object are clear errors', () => {
    expect(() => parsePassSpec('cleanup:{preserve_qnt_ops: false}')).toThrow(/^--pass cleanup: parameters must be a JSON object, got \{preserve_qnt_ops: false\} \(/);
    expect(() => parsePassSpec('change-batch-size:4')).toThrow('--pass change-batch-size: parameters must be a JSON object');
    expect(() => parsePassSpec('change-batch-size:[4]')).toThrow('--pass change-batch-size: parameters must be a JSON object');
    expect(() => parsePassSpec('change-batch-size:null')).toThrow('--pass change-batch-size: parameters must be a JSON object');
  });
});
