/**
 * The general edits of the sidebar on the real zoo_TFC_2W2A model: rename a node, rename a tensor
 * everywhere, delete a node and bridge it, expose a tensor as a graph output, set an input shape; and
 * undo/redo/jump over a history of such edits. Where an edit must not change what the model computes,
 * the execution engine (onnxruntime-web + QONNX kernels) runs both versions and the outputs must be equal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../analysis/shapeInference.js';
import { Engine, type OrtApi } from '../exec/engine.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { getAnnotation, setAnnotation } from '../qonnx/annotations.js';
import { deleteNode, exposeAsOutput, renameNode, renameTensor, setAttribute, setInputShape, setModelMetadata } from './edit.js';
import { indexGraph } from './graphIndex.js';
import { canRedo, canUndo, current, jumpTo, newHistory, pushVersion, redo, undo } from './history.js';
import { applyDelta, makeDelta } from './modelDelta.js';
import { listQuantizers, setQuantizer } from './quantEdit.js';
import { int64From, int64ToNumber, type Model, type Node } from './types.js';
import { validateModel } from './validate.js';
import { TEST_MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;

function sharedBytes(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, name)));
}
const sharedModel = (name: string): Model => decodeModel(sharedBytes(name), { fileName: name });

/** Node indices and tensors of zoo_TFC_2W2A: see quantEdit.test.ts for the whole table. */
const TFC = sharedModel('zoo_TFC_2W2A.onnx');
const names = (m: Model) => (m.graph?.node ?? []).map((n) => n.name);

function input(seed: number, batch = 1): Map<string, RuntimeTensor> {
  let a = seed;
  const x = new Float32Array(batch * 784);
  for (let i = 0; i < x.length; i++) {
    a = (a * 1103515245 + 12345) % 2147483648;
    x[i] = a / 2147483648; // an MNIST-like range [0, 1)
  }
  return new Map([['0', { dataType: 1, shape: [batch, 1, 28, 28], data: x }]]);
}

async function run(m: Model, seed = 1, batch = 1): Promise<Map<string, RuntimeTensor>> {
  const e = new Engine(m, ORT);
  try {
    return (await e.run(input(seed, batch))).tensors;
  } finally {
    await e.release();
  }
}

/** Every tensor name the model mentions anywhere (nodes, initializers, io, value_info, annotations). */
function mentions(m: Model): Set<string> {
  const g = m.graph ?? {};
  const out = new Set<string>();
  for (const n of g.node ?? []) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) out.add(t);
  for (const xs of [g.initializer, g.input, g.output, g.valueInfo]) for (const x of xs ?? []) out.add(x.name ?? '');
  for (const a of g.quantizationAnnotation ?? []) out.add(a.tensorName ?? '');
  return out;
}

describe('renameNode', () => {
  it('renames one node; every other node is the same object; the file round-trips with the new name', () => {
    const m = renameNode(TFC, 10, 'first_layer');
    expect(m.graph!.node![10].name).toBe('first_layer');
    expect(m.graph!.node![10].input).toEqual(TFC.graph!.node![10].input);
    m.graph!.node!.forEach((n, i) => i !== 10 && expect(n).toBe(TFC.graph!.node![i]));
    expect(m.graph!.initializer).toBe(TFC.graph!.initializer);
    expect(TFC.graph!.node![10].name).toBe('MatMul_20');
    expect(names(decodeModel(encodeModel(m)))[10]).toBe('first_layer');
  });

  it('refuses a name another node has, and an empty name', () => {
    expect(() => renameNode(TFC, 10, 'MatMul_32')).toThrow("Another node is already called 'MatMul_32'");
    expect(() => renameNode(TFC, 10, '')).toThrow(/cannot be empty/);
    expect(() => renameNode(TFC, 10, '   ')).toThrow(/cannot be empty/);
    // its own name again is no conflict
    expect(renameNode(TFC, 10, 'MatMul_20').graph!.node![10].name).toBe('MatMul_20');
  });
});

describe('renameTensor', () => {
  it('renames an activation everywhere: producer, consumer, value_info, graph output, annotation', async () => {
    // give tensor 39 (Quant_13 -> MatMul_20) a value_info, an annotation, and make it a graph output
    let m = setAnnotation(TFC, '39', 'finn_datatype', 'INT2');
    m = exposeAsOutput(m, '39', 1, [1, 784]);
    m = { ...m, graph: { ...m.graph, valueInfo: [{ name: '39', type: { tensorType: { elemType: 1 } } }] } };
    const r = renameTensor(m, '39', 'act_in');
    const g = r.graph!;
    expect(g.node![7].output).toEqual(['act_in']);
    expect(g.node![10].input).toEqual(['act_in', '45']);
    // the graph output declares it; the second declaration in value_info goes (readers reject two)
    expect(g.valueInfo!.map((v) => v.name)).toEqual([]);
    expect(g.output!.map((o) => o.name)).toEqual(['90', 'act_in']);
    expect(getAnnotation(r, 'act_in', 'finn_datatype')).toBe('INT2');
    expect(mentions(r).has('39')).toBe(false);
    // nodes that do not mention it are shared
    g.node!.forEach((n, i) => i !== 7 && i !== 10 && expect(n).toBe(m.graph!.node![i]));
    expect(validateModel(r).filter((p) => p.severity === 'error')).toEqual([]);
    // same results under the new name
    const [a, b] = [await run(m), await run(r)];
    expect(Array.from(b.get('act_in')!.data as Float32Array)).toEqual(Array.from(a.get('39')!.data as Float32Array));
    expect(Array.from(b.get('90')!.data as Float32Array)).toEqual(Array.from(a.get('90')!.data as Float32Array));
  });

  it('renames an initializer that is also a graph input (older exports list weights as inputs)', async () => {
    const r = renameTensor(TFC, '40', 'quant18_bits');
    const g = r.graph!;
    expect(g.node![8].input).toEqual(['41', '42', '43', 'quant18_bits']);
    expect(g.initializer!.filter((t) => t.name === 'quant18_bits').length).toBe(1);
    expect(g.input!.filter((i) => i.name === 'quant18_bits').length).toBe(1);
    expect(mentions(r).has('40')).toBe(false);
    expect(listQuantizers(r)[1].bits).toBe(2);
    expect(Array.from((await run(r)).get('90')!.data as Float32Array)).toEqual(Array.from((await run(TFC)).get('90')!.data as Float32Array));
  });

  it('renames the graph input and the graph output', async () => {
    const r = renameTensor(renameTensor(TFC, '90', 'logits'), '0', 'image');
    expect(r.graph!.output!.map((o) => o.name)).toEqual(['logits']);
    expect(r.graph!.input![0].name).toBe('image');
    expect(r.graph!.node![30].output).toEqual(['logits']);
    expect(r.graph!.node![0].input).toEqual(['image']);
    expect(r.graph!.node![4].input).toEqual(['image', '30']);
    const e = new Engine(r, ORT);
    const out = await e.run(new Map([['image', input(1).get('0')!]]));
    expect(Array.from(out.tensors.get('logits')!.data as Float32Array)).toEqual(Array.from((await run(TFC)).get('90')!.data as Float32Array));
  });

  it('refuses a name that is taken and an empty name', () => {
    expect(() => renameTensor(TFC, '39', '44')).toThrow("A tensor called '44' already exists");
    expect(() => renameTensor(TFC, '39', '41')).toThrow(/already exists/); // an initializer
    expect(() => renameTensor(TFC, '39', '0')).toThrow(/already exists/); // the graph input
    expect(() => renameTensor(TFC, '39', '')).toThrow(/cannot be empty/);
  });
});

describe('deleteNode', () => {
  it('bridges a node with one data input: its consumer reads its input', () => {
    // BatchNormalization_21 (11): data input 46, parameters are initializers, output 47 -> Quant_25 (12)
    const m = { ...TFC, graph: { ...TFC.graph, valueInfo: [{ name: '47', type: { tensorType: { elemType: 1 } } }, { name: '46', type: { tensorType: { elemType: 1 } } }] } };
    const r = deleteNode(m, 11);
    expect(r.graph!.node!.length).toBe(30);
    expect(names(r)).not.toContain('BatchNormalization_21');
    const q = r.graph!.node!.find((n) => n.name === 'Quant_25')!;
    expect(q.input).toEqual(['46', '49', '50', '48']);
    expect(mentions(r).has('47')).toBe(false);
    expect(r.graph!.valueInfo!.map((v) => v.name)).toEqual(['46']);
    // the nodes that neither were deleted nor read its output are the same objects
    for (const n of r.graph!.node!) if (n.name !== 'Quant_25') expect(TFC.graph!.node).toContain(n);
    expect(validateModel(r).filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('an Identity inserted and deleted again: the outputs are those of the original model', async () => {
    const nodes = TFC.graph!.node!.slice();
    // Identity between Quant_13 and MatMul_20: Quant_13 -> 39 -> Identity -> 39b -> MatMul_20
    nodes[10] = { ...nodes[10], input: ['39b', '45'] };
    nodes.splice(8, 0, { name: 'extra', opType: 'Identity', input: ['39'], output: ['39b'] } as Node);
    const withIdentity: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    const r = deleteNode(withIdentity, 8);
    expect(names(r)).toEqual(names(TFC));
    expect(r.graph!.node![10].input).toEqual(['39', '45']);
    const [a, b] = [await run(TFC, 5), await run(r, 5)];
    expect(Array.from(b.get('90')!.data as Float32Array)).toEqual(Array.from(a.get('90')!.data as Float32Array));
  });

  it('deleting the node that produces the graph output: the output keeps its name, its producer is the input', async () => {
    // Add_62 (30): 89 + features.15.bias -> 90 (graph output); without it, Mul_61 writes 90
    const r = deleteNode(TFC, 30);
    expect(r.graph!.node!.length).toBe(30);
    expect(r.graph!.node![29].name).toBe('Mul_61');
    expect(r.graph!.node![29].output).toEqual(['90']);
    expect(r.graph!.output!.map((o) => o.name)).toEqual(['90']);
    expect(mentions(r).has('89')).toBe(false);
    // 90 is now what 89 was
    const before = await run(exposeAsOutput(TFC, '89'), 2);
    const after = await run(r, 2);
    expect(Array.from(after.get('90')!.data as Float32Array)).toEqual(Array.from(before.get('89')!.data as Float32Array));
  });

  it('refuses a graph-output producer whose input is read elsewhere, with the reason', () => {
    const nodes = [...TFC.graph!.node!, { name: 'also_reads_89', opType: 'Relu', input: ['89'], output: ['89r'] } as Node];
    const m: Model = { ...TFC, graph: { ...TFC.graph, node: nodes, output: [...TFC.graph!.output!, { name: '89r' }] } };
    expect(() => deleteNode(m, 30)).toThrow("'90' is a graph output and '89' is used elsewhere; expose '89' as an output instead");
  });

  it('refuses a node with several data inputs, naming it and its counts', () => {
    // MatMul_20: inputs 39 and 45 are both computed
    expect(() => deleteNode(TFC, 10)).toThrow("Only a node with one data input and one output can be deleted and bridged (MatMul 'MatMul_20' has 2 data inputs and 1 outputs)");
    expect(() => deleteNode(TFC, 99)).toThrow('No node #99');
  });
});

describe('exposeAsOutput', () => {
  it('adds a graph output with type and shape; the engine returns its values', async () => {
    const m = exposeAsOutput(TFC, '46', 1, [1, 64]);
    const out = m.graph!.output!;
    expect(out.map((o) => o.name)).toEqual(['90', '46']);
    expect(out[1].type!.tensorType!.elemType).toBe(1);
    expect(out[1].type!.tensorType!.shape!.dim!.map((d) => int64ToNumber(d.dimValue))).toEqual([1, 64]);
    expect(m.graph!.node).toBe(TFC.graph!.node);
    const r = await run(m, 4);
    expect(r.get('46')!.shape).toEqual([1, 64]);
    // MatMul_20 of 2-bit inputs and 2-bit weights: integer sums in [-784, 784]
    const v = r.get('46')!.data as Float32Array;
    expect(v.every((x) => Number.isInteger(x) && Math.abs(x) <= 784)).toBe(true);
    expect(r.get('90')).toBeDefined();
  });

  it('a constant tensor (a weight quantizer output, folded before the run) is returned too', async () => {
    const r = await run(exposeAsOutput(TFC, '44'));
    expect(r.get('44')!.shape).toEqual([64, 784]);
    expect([...new Set(r.get('44')!.data as Float32Array)].sort()).toEqual([-1, 0, 1]);
  });

  it('an output already exposed is left alone; symbolic dims are kept', () => {
    expect(exposeAsOutput(TFC, '90')).toBe(TFC);
    const m = exposeAsOutput(TFC, '39', 1, ['N', 784]);
    const dims = m.graph!.output![1].type!.tensorType!.shape!.dim!;
    expect(dims[0].dimParam).toBe('N');
    expect(int64ToNumber(dims[1].dimValue)).toBe(784);
  });
});

describe('setInputShape', () => {
  it('sets the dims of one input, drops value_info, and shape inference and the engine follow', async () => {
    const withVi: Model = { ...TFC, graph: { ...TFC.graph, valueInfo: [{ name: '46', type: { tensorType: { elemType: 1 } } }] } };
    const m = setInputShape(withVi, '0', [8, 1, 28, 28]);
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => int64ToNumber(d.dimValue))).toEqual([8, 1, 28, 28]);
    expect(m.graph!.input![0].type!.tensorType!.elemType).toBe(1);
    expect(m.graph!.valueInfo).toEqual([]);
    // the other inputs (weights listed as inputs) are the same objects
    m.graph!.input!.slice(1).forEach((x, i) => expect(x).toBe(TFC.graph!.input![i + 1]));
    const shapes = inferShapes(m).tensors;
    expect(shapes.get('46')?.shape).toEqual([8, 64]);
    expect(shapes.get('90')?.shape).toEqual([8, 10]);
    const r = await run(m, 3, 8);
    expect(r.get('90')!.shape).toEqual([8, 10]);
    // the first sample of a batch of 8 is the sample run alone
    const single = await run(TFC, 3, 1);
    expect(Array.from((r.get('90')!.data as Float32Array).subarray(0, 10))).toEqual(Array.from(single.get('90')!.data as Float32Array));
  });

  it('symbolic dims', () => {
    const m = setInputShape(TFC, '0', ['batch', 1, 28, 28]);
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
    expect(dims[0].dimParam).toBe('batch');
    expect(dims.slice(1).map((d) => int64ToNumber(d.dimValue))).toEqual([1, 28, 28]);
  });
});

describe('setAttribute and metadata', () => {
  it('replaces an attribute in place and keeps its position', () => {
    const attrs = TFC.graph!.node![9].attribute!; // Transpose_19: perm
    const m = setAttribute(TFC, 9, { name: 'perm', type: 7, ints: [int64From(1), int64From(0)] });
    expect(m.graph!.node![9].attribute!.map((a) => a.name)).toEqual(attrs.map((a) => a.name));
    const q = setAttribute(TFC, 7, { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('FLOOR') });
    expect(listQuantizers(q)[0].roundingMode).toBe('FLOOR');
    expect(q.graph!.node![7].attribute!.map((a) => a.name)).toEqual(TFC.graph!.node![7].attribute!.map((a) => a.name));
    expect(() => setAttribute(TFC, 31, { name: 'x', type: 2, i: int64From(1) })).toThrow('No node #31');
  });

  it('metadata entries are set on the model', () => {
    const m = setModelMetadata(TFC, [{ key: 'author', value: 'me' }]);
    expect(decodeModel(encodeModel(m)).metadataProps).toEqual([{ key: 'author', value: 'me' }]);
    expect(m.graph).toBe(TFC.graph);
  });
});

describe('history of edits: undo, redo, jump', () => {
  it('keeps every version as it was; undo and redo move between the same objects', () => {
    const v1 = setQuantizer(TFC, 8, { bits: 4 });
    const v2 = renameNode(v1, 10, 'fc1');
    const v3 = deleteNode(v2, 11);
    let h = newHistory(TFC);
    h = pushVersion(h, v1, 'Quant_18: 4 bits');
    h = pushVersion(h, v2, 'Rename node MatMul_20 → fc1');
    h = pushVersion(h, v3, 'Delete BatchNormalization');
    expect(h.versions.map((v) => v.label)).toEqual(['Open', 'Quant_18: 4 bits', 'Rename node MatMul_20 → fc1', 'Delete BatchNormalization']);
    expect(current(h).value).toBe(v3);

    h = undo(h);
    expect(current(h).value).toBe(v2);
    expect(names(current(h).value)[10]).toBe('fc1');
    expect(current(h).value.graph!.node!.length).toBe(31);
    h = undo(h);
    expect(current(h).value).toBe(v1);
    expect(names(current(h).value)[10]).toBe('MatMul_20');
    expect(listQuantizers(current(h).value)[1].bits).toBe(4);
    h = undo(h);
    expect(current(h).value).toBe(TFC);
    expect(listQuantizers(current(h).value)[1].bits).toBe(2);
    expect(canUndo(h)).toBe(false);
    h = redo(redo(h));
    expect(current(h).value).toBe(v2);
    expect(canRedo(h)).toBe(true);

    // jump anywhere; out of range is ignored
    h = jumpTo(h, 3);
    expect(current(h).value).toBe(v3);
    h = jumpTo(h, 0);
    expect(current(h).value).toBe(TFC);
    expect(jumpTo(h, 4)).toBe(h);
    expect(jumpTo(h, -1)).toBe(h);

    // a new edit after jumping back drops the versions after the cursor
    h = jumpTo(h, 1);
    const alt = setQuantizer(v1, 13, { bits: 3 });
    h = pushVersion(h, alt, 'Quant_30: 3 bits');
    expect(h.versions.map((v) => v.value)).toEqual([TFC, v1, alt]);
    expect(canRedo(h)).toBe(false);
    // the versions share what they did not change: the weights of the first layer are one object
    const w = (m: Model) => indexGraph(m.graph!).initializer.get('41');
    expect(w(alt)).toBe(w(TFC));
    expect(w(v3)).toBe(w(TFC));
  });
});

describe('what an edit sends to the model worker (makeDelta)', () => {
  /** Every ArrayBuffer a structured clone of `x` would copy, with its size. */
  function buffers(x: unknown, out = new Map<ArrayBufferLike, number>()): Map<ArrayBufferLike, number> {
    if (x === null || typeof x !== 'object') return out;
    if (ArrayBuffer.isView(x)) return out.set(x.buffer, x.buffer.byteLength);
    for (const v of Array.isArray(x) ? x : Object.values(x)) buffers(v, out);
    return out;
  }

  it('holds no view into the file: a 4-bit edit of TFC posts a few hundred bytes, not the file', () => {
    const bytes = sharedBytes('zoo_TFC_2W2A.onnx');
    const base = decodeModel(bytes);
    // the decoded model's bytes fields (attribute strings, tensors) are views into the file buffer
    expect(Math.max(...buffers(base).values())).toBe(bytes.buffer.byteLength);
    const edited = setQuantizer(renameNode(base, 10, 'fc1'), 8, { bits: 4, roundingMode: 'FLOOR' });
    const d = makeDelta(edited, base);
    const sizes = [...buffers(d).values()];
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(1024);
    // the worker, holding its own decode of the file, rebuilds exactly the edited model
    const rebuilt = applyDelta(structuredClone(d), decodeModel(bytes));
    expect(Buffer.from(encodeModel(rebuilt)).equals(Buffer.from(encodeModel(edited)))).toBe(true);
    // the models themselves are untouched: still views, still the same objects
    expect(Math.max(...buffers(edited).values())).toBe(bytes.buffer.byteLength);
    expect(edited.graph!.node![7]).toBe(base.graph!.node![7]);
  });

  it('a changed initializer that is a view into the file travels with its own bytes only', () => {
    const bytes = sharedBytes('zoo_TFC_2W2A.onnx');
    const base = decodeModel(bytes);
    const renamed = renameTensor(base, '41', 'w0'); // a new tensor object over the same 200 kB view
    const d = makeDelta(renamed, base);
    const w0 = d.model.graph!.initializer!.find((t) => t.name === 'w0')!;
    expect(w0.rawData!.byteLength).toBe(784 * 64 * 4);
    expect(w0.rawData!.buffer.byteLength).toBe(784 * 64 * 4);
    expect(Buffer.from(encodeModel(applyDelta(structuredClone(d), base))).equals(Buffer.from(encodeModel(renamed)))).toBe(true);
  });
});
