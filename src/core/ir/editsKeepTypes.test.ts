/**
 * Every kind of edit the app and the CLI offer keeps the file valid for onnx / qonnx / onnxruntime:
 * on every model of testdata/models, each edit's result, written to bytes and read back, has no
 * declaration problem (one declaration per tensor; initializers of their declared element type and shape;
 * element types and shapes that follow through the ops; see analysis/declaredTypes.ts) that the opened
 * file did not have. Models of standard ops only are also loaded by onnxruntime after each edit (its
 * graph resolution checks types and declared shapes itself: an independent reader).
 *
 * The checker is first shown to catch what was seen on real exports: a QKeras bit width rewritten from
 * INT64 to FLOAT, and a graph output declared a second time in value_info.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { checkDeclaredTypes } from '../analysis/declaredTypes.js';
import { TEST_MODELS } from '../testing/paths.js';
import type { Model } from './types.js';
import { int64From } from './types.js';
import { indexGraph } from './graphIndex.js';
import { listQuantizers, setQuantizer, withAllQuantBits, type QuantizerChange } from './quantEdit.js';
import { deleteNode, renameNode, renameTensor, setAttribute, setInputShape } from './edit.js';
import { transforms } from '../passes/registry.js';
import { applyTransform } from '../passes/apply.js';
import { tensorValues } from '../onnx/tensorData.js';

const FILES = fs.readdirSync(TEST_MODELS).filter((f) => f.endsWith('.onnx')).sort();
const load = (f: string) => decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))), { fileName: f });
/** What a reader of the written file sees. */
const reread = (m: Model) => decodeModel(encodeModel(m));
const problems = (m: Model) => checkDeclaredTypes(reread(m)).map((p) => p.message);

const STANDARD = new Set(['', 'ai.onnx']);
const allStandard = (m: Model) => (m.graph?.node ?? []).every((n) => STANDARD.has(n.domain ?? ''));

ort.env.wasm.numThreads = 1;
async function ortLoads(m: Model): Promise<string | undefined> {
  try {
    const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled' });
    await s.release();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The edits to try on a model, each named for the failure message. */
function editsOf(model: Model): { what: string; run: () => Model }[] {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const edits: { what: string; run: () => Model }[] = [];
  for (const q of listQuantizers(model)) {
    const changes: QuantizerChange[] = [];
    if (q.opType === 'Quant' || q.opType === 'IntQuant' || q.opType === 'Trunc') changes.push({ bits: 4 }, { signed: !q.signed }, { narrow: !q.narrow }, { roundingMode: 'FLOOR' }, { scale: 0.5 }, { zeroPoint: 1 });
    if (q.opType === 'BipolarQuant') changes.push({ scale: 0.25 });
    if (q.opType === 'FloatQuant') changes.push({ exponentBits: 3 }, { mantissaBits: 2 }, { roundingMode: 'FLOOR' });
    for (const c of changes) edits.push({ what: `${q.name} ${JSON.stringify(c)}`, run: () => setQuantizer(model, q.nodeIndex, c) });
  }
  edits.push({ what: 'every Quant at 4 bits', run: () => withAllQuantBits(model, 4) });
  if (idx.nodes.length) edits.push({ what: 'rename node 0', run: () => renameNode(model, 0, 'renamed_by_test') });
  const firstInput = (g.input ?? []).find((i) => !idx.initializer.has(i.name ?? ''))?.name;
  const out0 = g.output?.[0]?.name;
  const inter = idx.nodes.map((n) => n.output?.[0]).find((t) => t && !idx.output.has(t));
  const init0 = g.initializer?.[0]?.name;
  for (const [kind, t] of [['input', firstInput], ['output', out0], ['intermediate', inter], ['initializer', init0]] as const) {
    if (t) edits.push({ what: `rename ${kind} tensor ${t}`, run: () => renameTensor(model, t, `${t}__renamed`) });
  }
  // an attribute of each kind the sidebar edits, set to another valid value
  const ai = idx.nodes.findIndex((n) => (n.attribute ?? []).some((a) => a.name === 'axis' || a.name === 'alpha' || a.name === 'rounding_mode'));
  if (ai >= 0) {
    const a = idx.nodes[ai].attribute!.find((x) => x.name === 'axis' || x.name === 'alpha' || x.name === 'rounding_mode')!;
    const changed = a.name === 'rounding_mode' ? { ...a, s: new TextEncoder().encode('FLOOR') } : a.name === 'alpha' ? { ...a, f: 0.125 } : { ...a, i: int64From(1) };
    edits.push({ what: `attribute ${a.name} of node #${ai}`, run: () => setAttribute(model, ai, changed) });
  }
  if (firstInput) {
    const dims = (idx.input.get(firstInput)?.type?.tensorType?.shape?.dim ?? []).map((d, k) => (k === 0 ? 2 : d.dimValue != null ? Number(d.dimValue) : d.dimParam || 'N'));
    if (dims.length) edits.push({ what: `input ${firstInput} batch 2`, run: () => setInputShape(model, firstInput, dims) });
  }
  // delete every node the app lets one delete (one data input, one output)
  idx.nodes.forEach((n, i) => {
    edits.push({ what: `delete ${n.opType} #${i}`, run: () => deleteNode(model, i) });
  });
  for (const t of transforms()) {
    edits.push({ what: `pass ${t.id}`, run: () => applyTransform(model, t.id).model }); // as the dialog and `cli transform` apply it
  }
  return edits;
}

describe('the checker catches the broken files seen on real exports', () => {
  const qkeras = load('qonnx_hist_qkeras_qactivation_16.onnx');
  it('an INT64 bit width rewritten as FLOAT where the file declares it INT64 (as the app wrote it before)', () => {
    const idx = indexGraph(qkeras.graph!);
    const q = idx.nodes.find((n) => n.opType === 'Quant')!;
    const bw = idx.initializer.get(q.input![3])!;
    expect(bw.dataType).toBe(7);
    // the QKeras export declares its bit width in value_info, as INT64
    expect(indexGraph(qkeras.graph!).valueInfo.get(bw.name!)?.type?.tensorType?.elemType).toBe(7);
    expect(problems(qkeras)).toEqual([]);
    const asFloat = { ...qkeras, graph: { ...qkeras.graph, initializer: qkeras.graph!.initializer!.map((t) => (t.name === bw.name ? { name: t.name, dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([4]).buffer) } : t)) } };
    expect(problems(asFloat).join('\n')).toMatch(/holds FLOAT but is declared INT64/);
  });
  it('a graph output declared again in value_info', () => {
    const out = qkeras.graph!.output![0];
    const twice = { ...qkeras, graph: { ...qkeras.graph, valueInfo: [...(qkeras.graph!.valueInfo ?? []), out] } };
    expect(problems(twice).join('\n')).toMatch(/graph output and also has a value_info entry/);
  });
  it('an Add whose inputs have different element types', () => {
    const idx = indexGraph(qkeras.graph!);
    const q = idx.nodes.find((n) => n.opType === 'Quant')!;
    const m = {
      ...qkeras,
      graph: {
        ...qkeras.graph,
        node: [...qkeras.graph!.node!, { opType: 'Add', input: [q.input![3], 'f_one'], output: ['sum_bw'], name: 'add_bw' }],
        initializer: [...qkeras.graph!.initializer!, { name: 'f_one', dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([1]).buffer) }],
      },
    };
    expect(problems(m).join('\n')).toMatch(/Add 'add_bw' \(Add\) reads inputs of different element types/);
  });
});

describe('setting a QKeras INT64 bit width keeps it INT64', () => {
  it('the new width is written in the element type and shape it had', () => {
    const m = load('qonnx_hist_qkeras_qactivation_16.onnx');
    const q = listQuantizers(m)[0];
    const edited = reread(setQuantizer(m, q.nodeIndex, { bits: 4 }));
    const idx = indexGraph(edited.graph!);
    const bw = idx.initializer.get(idx.nodes[q.nodeIndex].input![3])!;
    expect(bw.dataType).toBe(7);
    expect(Number(tensorValues(bw).data[0])).toBe(4);
    const all = reread(withAllQuantBits(m, 3));
    const bw3 = indexGraph(all.graph!).initializer.get(idx.nodes[q.nodeIndex].input![3])!;
    expect(bw3.dataType).toBe(7);
    expect(Number(tensorValues(bw3).data[0])).toBe(3);
  });
  it('a value the INT64 tensor cannot hold (a 0.5 scale) goes to a new FLOAT tensor, the old one untouched', () => {
    const m = load('qonnx_hist_qkeras_qactivation_16.onnx');
    const q = listQuantizers(m)[0];
    const before = indexGraph(m.graph!).nodes[q.nodeIndex].input![1];
    const edited = reread(setQuantizer(m, q.nodeIndex, { scale: 0.5 }));
    const idx = indexGraph(edited.graph!);
    const now = idx.nodes[q.nodeIndex].input![1];
    expect(now).not.toBe(before);
    expect(idx.initializer.get(now)!.dataType).toBe(1);
    expect(idx.initializer.get(before)!.dataType).toBe(7);
    expect(checkDeclaredTypes(edited)).toEqual([]);
  });
});

describe.each(FILES)('%s: every edit keeps the declarations consistent', (file) => {
  const model = load(file);
  const before = new Set(problems(model));
  const standard = allStandard(model);
  it('each edit adds no declaration problem', async () => {
    const failures: string[] = [];
    let tried = 0;
    for (const e of editsOf(model)) {
      let edited: Model;
      try {
        edited = e.run();
      } catch {
        continue; // the edit was refused (a computed bit width, a node that cannot be bridged): nothing written
      }
      tried++;
      const added = problems(edited).filter((p) => !before.has(p));
      if (added.length) failures.push(`${e.what}: ${added.join('; ')}`);
    }
    expect(tried).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
  it.runIf(standard)('onnxruntime loads the file after each edit it loaded before', async () => {
    if ((await ortLoads(model)) !== undefined) return;
    const failures: string[] = [];
    for (const e of editsOf(model)) {
      let edited: Model;
      try {
        edited = e.run();
      } catch {
        continue;
      }
      if (!allStandard(edited)) continue;
      const err = await ortLoads(edited);
      if (err) failures.push(`${e.what}: ${err.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('deleting a node that changes its input', () => {
  it('is refused with the two shapes named (its consumers could not read its input)', () => {
    const m = load('qonnx_mnist_conv_float.onnx');
    const i = indexGraph(m.graph!).nodes.findIndex((n) => n.opType === 'MaxPool');
    expect(() => deleteNode(m, i)).toThrow(/changes its input \[1,8,28,28\] into \[1,8,14,14\].*cannot be deleted/);
  });
  it('a node that keeps the shape (Relu) is deleted and onnxruntime loads the result', async () => {
    const m = load('qonnx_mnist_conv_float.onnx');
    const i = indexGraph(m.graph!).nodes.findIndex((n) => n.opType === 'Relu');
    const edited = deleteNode(m, i);
    expect(edited.graph!.node!.length).toBe(m.graph!.node!.length - 1);
    expect(await ortLoads(edited)).toBeUndefined();
  });
});
