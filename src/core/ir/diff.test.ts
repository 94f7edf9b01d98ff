/**
 * diffModels on hand-made edits of zoo_TFC_2W2A, with the exact lists expected (node indices as in the
 * table of quantEdit.test.ts), and on the QONNX cleanup, which renames every node and tensor: renamed
 * nodes are paired with the node they were, and constants that were only renamed are not reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { applyTransform } from '../passes/apply.js';
import { diffIsEmpty, diffModels, editedNodes, sameBytes } from './diff.js';
import { deleteNode, exposeAsOutput, renameNode, renameTensor, setAttribute } from './edit.js';
import { setQuantizer } from './quantEdit.js';
import { int64From, type Model, type Node } from './types.js';
import { TEST_MODELS } from '../testing/paths.js';

function sharedModel(name: string): Model {
  return decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, name))), { fileName: name });
}

const TFC = sharedModel('zoo_TFC_2W2A.onnx');
const EMPTY = { added: [], removed: [], changed: [], precision: [], initializersAdded: [], initializersRemoved: [] };

describe('diffModels on single edits', () => {
  it('a model and itself, and a decoded copy of it, have no differences', () => {
    expect(diffModels(TFC, TFC)).toEqual(EMPTY);
    expect(diffModels(TFC, decodeModel(encodeModel(TFC)))).toEqual(EMPTY);
    expect(diffIsEmpty(diffModels(TFC, TFC))).toBe(true);
    expect(editedNodes(TFC, TFC).size).toBe(0);
    expect(sameBytes(TFC, decodeModel(encodeModel(TFC)))).toBe(true);
  });

  it('bit width of a weight quantizer: one changed constant, one precision change', () => {
    const m = setQuantizer(TFC, 8, { bits: 4 });
    expect(diffModels(TFC, m)).toEqual({
      ...EMPTY,
      changed: [{ a: 8, b: 8, name: 'Quant_18', opType: 'Quant', what: ['constant 40'] }],
      precision: [{ name: 'Quant_18', before: 'INT2 narrow', after: 'INT4 narrow' }],
    });
    expect([...editedNodes(TFC, m)]).toEqual([8]);
    expect(sameBytes(TFC, m)).toBe(false);
  });

  it('signed, narrow and rounding mode: attributes, and the precision text', () => {
    const m = setQuantizer(TFC, 7, { signed: false, narrow: false, roundingMode: 'FLOOR' });
    expect(diffModels(TFC, m)).toEqual({
      ...EMPTY,
      changed: [{ a: 7, b: 7, name: 'Quant_13', opType: 'Quant', what: ['attribute narrow', 'attribute rounding_mode', 'attribute signed'] }],
      precision: [{ name: 'Quant_13', before: 'INT2 narrow', after: 'UINT2 FLOOR' }],
    });
  });

  it('several quantizers in one version: one precision line each, in graph order', () => {
    let m = TFC;
    for (const i of [23, 8, 13]) m = setQuantizer(m, i, { bits: 3 });
    const d = diffModels(TFC, m);
    expect(d.precision).toEqual(['Quant_18', 'Quant_30', 'Quant_54'].map((name) => ({ name, before: 'INT2 narrow', after: 'INT3 narrow' })));
    expect(d.changed.map((c) => c.b)).toEqual([8, 13, 23]);
    expect([...editedNodes(TFC, m)].sort((a, b) => a - b)).toEqual([8, 13, 23]);
  });

  it('a bit width shared by two quantizers: the edited one reads a new initializer', () => {
    const nodes = TFC.graph!.node!.slice();
    nodes[13] = { ...nodes[13], input: ['53', '54', '55', '40'] };
    const shared: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    const m = setQuantizer(shared, 8, { bits: 4 });
    const copy = m.graph!.node![8].input![3];
    expect(diffModels(shared, m)).toEqual({
      ...EMPTY,
      changed: [{ a: 8, b: 8, name: 'Quant_18', opType: 'Quant', what: ['inputs', `constant ${copy}`] }],
      precision: [{ name: 'Quant_18', before: 'INT2 narrow', after: 'INT4 narrow' }],
      initializersAdded: [copy],
    });
  });

  it('a renamed node is the same node, renamed', () => {
    const m = renameNode(TFC, 10, 'fc1');
    expect(diffModels(TFC, m)).toEqual({ ...EMPTY, changed: [{ a: 10, b: 10, name: 'fc1', opType: 'MatMul', what: ['renamed from MatMul_20'] }] });
    // renamed and moved: still paired through its output
    const nodes = m.graph!.node!.slice();
    const [fc1] = nodes.splice(10, 1);
    nodes.push(fc1);
    const moved: Model = { ...m, graph: { ...m.graph, node: nodes } };
    expect(diffModels(TFC, moved).changed).toEqual([{ a: 10, b: 30, name: 'fc1', opType: 'MatMul', what: ['renamed from MatMul_20'] }]);
    expect(diffModels(TFC, moved).added).toEqual([]);
    expect(diffModels(TFC, moved).removed).toEqual([]);
  });

  it('a renamed tensor: its producer and consumer changed; no constant is reported', () => {
    const m = renameTensor(TFC, '39', 'act');
    expect(diffModels(TFC, m)).toEqual({
      ...EMPTY,
      changed: [
        { a: 7, b: 7, name: 'Quant_13', opType: 'Quant', what: ['outputs'] },
        { a: 10, b: 10, name: 'MatMul_20', opType: 'MatMul', what: ['inputs'] },
      ],
    });
    // a renamed initializer: a new name, the same values
    const w = renameTensor(TFC, '41', 'w0');
    expect(diffModels(TFC, w)).toEqual({
      ...EMPTY,
      changed: [{ a: 8, b: 8, name: 'Quant_18', opType: 'Quant', what: ['inputs'] }],
      initializersAdded: ['w0'],
      initializersRemoved: ['41'],
    });
  });

  it('a deleted node is removed and its consumer reads another input', () => {
    const m = deleteNode(TFC, 11);
    expect(diffModels(TFC, m)).toEqual({
      ...EMPTY,
      removed: [{ a: 11, name: 'BatchNormalization_21', opType: 'BatchNormalization' }],
      changed: [{ a: 12, b: 11, name: 'Quant_25', opType: 'Quant', what: ['inputs'] }],
    });
    expect([...editedNodes(TFC, m)]).toEqual([11]);
  });

  it('an added node, an attribute, and graph outputs (no node change)', () => {
    const nodes: Node[] = [...TFC.graph!.node!, { name: 'probe', opType: 'Relu', input: ['90'], output: ['probe_out'] }];
    const added: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    expect(diffModels(TFC, added)).toEqual({ ...EMPTY, added: [{ b: 31, name: 'probe', opType: 'Relu' }] });
    expect(diffModels(added, TFC)).toEqual({ ...EMPTY, removed: [{ a: 31, name: 'probe', opType: 'Relu' }] });
    const attr = setAttribute(TFC, 9, { name: 'perm', type: 7, ints: [int64From(0), int64From(1)] });
    expect(diffModels(TFC, attr).changed).toEqual([{ a: 9, b: 9, name: 'Transpose_19', opType: 'Transpose', what: ['attribute perm'] }]);
    const added2 = setAttribute(TFC, 10, { name: 'note', type: 3, s: new TextEncoder().encode('x') });
    expect(diffModels(TFC, added2).changed[0].what).toEqual(['attribute note added']);
    expect(diffModels(added2, TFC).changed[0].what).toEqual(['attribute note removed']);
    expect(diffModels(TFC, exposeAsOutput(TFC, '39'))).toEqual(EMPTY);
  });
});

describe('diffModels after the QONNX cleanup (every node and tensor renamed)', () => {
  const { model: clean, diff } = applyTransform(TFC, 'cleanup');

  it('removes the folded shape computation, the weight Transposes and the constant Pow; adds nothing', () => {
    expect(diff.added).toEqual([]);
    expect(diff.removed.map((r) => `${r.a}:${r.name}`)).toEqual(['0:Shape_0', '1:Gather_2', '2:Unsqueeze_3', '3:Concat_4', '9:Transpose_19', '14:Transpose_31', '19:Transpose_43', '24:Transpose_55', '27:Pow_59']);
    expect(diffModels(TFC, clean)).toEqual(diff);
  });

  it('pairs each renamed node with the node it was (weight quantizers with weight quantizers)', () => {
    const pairs = Object.fromEntries(diff.changed.map((c) => [c.name, TFC.graph!.node![c.a].name]));
    expect(pairs).toEqual({
      // the cleanup sorts the weight quantizers (all inputs constant) first
      Quant_0: 'Quant_18', Quant_1: 'Quant_30', Quant_2: 'Quant_42', Quant_3: 'Quant_54',
      Reshape_0: 'Reshape_5', Mul_0: 'Mul_7', Sub_0: 'Sub_9',
      Quant_4: 'Quant_13', MatMul_0: 'MatMul_20', BatchNormalization_0: 'BatchNormalization_21',
      Quant_5: 'Quant_25', MatMul_1: 'MatMul_32', BatchNormalization_1: 'BatchNormalization_33',
      Quant_6: 'Quant_37', MatMul_2: 'MatMul_44', BatchNormalization_2: 'BatchNormalization_45',
      Quant_7: 'Quant_49', MatMul_3: 'MatMul_56',
      Sub_1: 'Sub_57', Div_0: 'Div_60', Mul_1: 'Mul_61', Add_0: 'Add_62',
    });
    // and each b index is the node of that name in the cleaned model
    for (const c of diff.changed) expect(clean.graph!.node![c.b].name).toBe(c.name);
  });

  it('reports what really changed: the domain of the Quant nodes, transposed weights, folded constants', () => {
    const what = Object.fromEntries(diff.changed.map((c) => [c.name, c.what.filter((w) => w !== 'inputs' && w !== 'outputs' && !w.startsWith('renamed from'))]));
    const dom = 'domain onnx.brevitas → qonnx.custom_op.general';
    expect(what).toEqual({
      Quant_0: [dom, 'constant Quant_0_param0'], Quant_1: [dom, 'constant Quant_1_param0'], Quant_2: [dom, 'constant Quant_2_param0'], Quant_3: [dom, 'constant Quant_3_param0'],
      Reshape_0: ['constant Reshape_0_param0'], // was computed by Shape -> Gather -> Unsqueeze -> Concat
      Mul_0: [], Sub_0: [],
      Quant_4: [dom], MatMul_0: [], BatchNormalization_0: [],
      Quant_5: [dom], MatMul_1: [], BatchNormalization_1: [],
      Quant_6: [dom], MatMul_2: [], BatchNormalization_2: [],
      Quant_7: [dom], MatMul_3: [],
      Sub_1: [], Div_0: ['constant Div_0_param0'], // was computed by Pow
      Mul_1: [], Add_0: [],
    });
    // precision is matched by name: no quantizer kept its name, so none is listed
    expect(diff.precision).toEqual([]);
  });
});
