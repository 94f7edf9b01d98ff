/**
 * diffModels on hand-made edits of zoo_TFC_2W2A, with the exact lists expected (node indices as in the
 * table of quantEdit.test.ts), and on the QONNX cleanup, which renames every node and tensor: renamed
 * nodes are paired with the node they were, and constants that were only renamed are not reported.
 * Pairing across a cleanup (which sorts the graph, so that a new Quant_2 may be the old Quant_3) is
 * checked on every quantized model of testdata against what the nodes hold, not against names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { applyTransform } from '../passes/apply.js';
import { attrMap } from '../analysis/shapeInference.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { build, initF, nd, vi } from '../passes/passTestSupport.js';
import { diffIsEmpty, diffModels, editedNodes, editedQuantizers, sameBytes } from './diff.js';
import { deleteNode, exposeAsOutput, renameNode, renameTensor, setAttribute } from './edit.js';
import { indexGraph } from './graphIndex.js';
import { pairNodes } from './pairNodes.js';
import { listQuantizers, quantizerInfo, setQuantizer } from './quantEdit.js';
import { int64From, type Attribute, type Model, type Node, type Tensor } from './types.js';
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
    // renamed and moved is not edited: no marker
    expect(editedNodes(TFC, m).size).toBe(0);
    expect(editedNodes(TFC, moved).size).toBe(0);
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
    // renamed tensors are no edit of their producer or readers
    expect(editedNodes(TFC, m).size).toBe(0);
    expect(editedNodes(TFC, w).size).toBe(0);
    expect(editedQuantizers(TFC, w).size).toBe(0);
  });

  it('a node reading another tensor than before is edited; the nodes around it are not', () => {
    const nodes = TFC.graph!.node!.slice();
    // the BatchNormalization after MatMul_20 (node 10) reads the MatMul's input instead of its output
    expect(nodes[11].input![0]).toBe(nodes[10].output![0]);
    nodes[11] = { ...nodes[11], input: [nodes[10].input![0], ...nodes[11].input!.slice(1)] };
    const m: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    expect(diffModels(TFC, m).changed).toEqual([{ a: 11, b: 11, name: 'BatchNormalization_21', opType: 'BatchNormalization', what: ['inputs'] }]);
    expect([...editedNodes(TFC, m)]).toEqual([11]);
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
    // every quantizer is paired with the one it was, and the cleanup changes no precision
    expect(diff.precision).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Pairing by content across renames and reordering

const QUANT_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);

/** The precision text the diff shows, written out from the quantizer's parameters. */
function precisionText(m: Model, i: number): string {
  const q = quantizerInfo(m, i);
  if (q.opType === 'BipolarQuant') return 'BIPOLAR';
  if (q.opType === 'FloatQuant') return `E${q.exponentBits}M${q.mantissaBits}`;
  return `${q.signed ? 'INT' : 'UINT'}${q.bits}${q.narrow ? ' narrow' : ''}${q.roundingMode && q.roundingMode !== 'ROUND' ? ` ${q.roundingMode}` : ''}`;
}

const sortedValues = (t: Tensor) => Array.from(toNumbers(tensorValues(t))).sort((x, y) => x - y);

/**
 * Whether node i of a and node j of b hold the same thing, judged without the pairing's signatures:
 * op type, attribute values, quantizer parameters, the values of constant inputs (as sorted lists, so a
 * weight the cleanup transposed still counts), and the op types of the nodes around them (walking
 * through the nodes of a that have no counterpart, such as the Transposes the cleanup folds).
 */
function sameNode(a: Model, i: number, b: Model, j: number, bOfA: Int32Array): string[] {
  const ia = indexGraph(a.graph!), ib = indexGraph(b.graph!);
  const na = ia.nodes[i], nb = ib.nodes[j];
  const bad: string[] = [];
  if (na.opType !== nb.opType) return [`op ${na.opType} vs ${nb.opType}`];
  const json = (x: unknown) => JSON.stringify(x, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
  if (json(attrMap(na)) !== json(attrMap(nb))) bad.push('attributes');
  if (QUANT_OPS.has(na.opType!) && na.opType !== 'MultiThreshold') {
    const { nodeIndex: _x, name: _y, layer: _z, ...qa } = quantizerInfo(a, i) as unknown as Record<string, unknown>;
    const { nodeIndex: _u, name: _v, layer: _w, ...qb } = quantizerInfo(b, j) as unknown as Record<string, unknown>;
    if (json(qa) !== json(qb)) bad.push(`quantizer ${json(qa)} vs ${json(qb)}`);
  }
  const consts = (idx: typeof ia, n: Node) => (n.input ?? []).map((t) => (idx.initializer.has(t) ? json(sortedValues(idx.initializer.get(t)!)) : null));
  const ca = consts(ia, na), cb = consts(ib, nb);
  if (ca.filter((x) => x !== null).length === cb.filter((x) => x !== null).length) {
    // slot by slot, or as a set where the cleanup moved constants of commutative ops last
    const both = ca.every((x, k) => x === null || cb[k] === null || x === cb[k]);
    if (!both && json(ca.filter((x) => x).sort()) !== json(cb.filter((x) => x).sort())) bad.push('constants');
  } else ca.forEach((x, k) => x !== null && cb[k] !== null && cb[k] !== undefined && x !== cb[k] && bad.push(`constant ${k}`));
  // readers of each output, through the nodes of a that are gone
  const readersA = (t: string): string[] =>
    (ia.consumers.get(t) ?? []).flatMap((c) => (bOfA[c] >= 0 ? [ia.nodes[c].opType!] : (ia.nodes[c].output ?? []).flatMap(readersA)));
  (nb.output ?? []).forEach((t, k) => {
    const x = readersA(na.output![k]).sort(), y = (ib.consumers.get(t) ?? []).map((c) => ib.nodes[c].opType!).sort();
    if (json(x) !== json(y)) bad.push(`readers of output ${k}: ${x} vs ${y}`);
  });
  return bad;
}

const quantizedModels = fs
  .readdirSync(TEST_MODELS)
  .filter((f) => f.endsWith('.onnx'))
  .filter((f) => sharedModel(f).graph!.node!.some((n) => QUANT_OPS.has(n.opType!)));

describe('diffModels after the QONNX cleanup of every quantized model in testdata', () => {
  it('finds the quantized models', () => {
    expect(quantizedModels.length).toBeGreaterThanOrEqual(10);
    expect(quantizedModels).toContain('qonnx_espcn_subpixel_quant.onnx');
  });

  for (const file of quantizedModels) {
    it(`${file}: no precision change, and each node paired with the node it was`, () => {
      const m = sharedModel(file);
      const { model: clean, diff } = applyTransform(m, 'cleanup'); // what the Transform dialog shows
      expect(diff.precision).toEqual([]);
      // the Compare dialog reads the cleaned model back from its bytes
      expect(diffModels(m, decodeModel(encodeModel(clean))).precision).toEqual([]);
      expect(diff.added).toEqual([]);
      const { aOfB, bOfA } = pairNodes(m, clean);
      for (const c of diff.changed) expect(c.a).toBe(aOfB[c.b]);
      const wrong: string[] = [];
      clean.graph!.node!.forEach((n, j) => {
        const bad = sameNode(m, aOfB[j], clean, j, bOfA);
        if (bad.length) wrong.push(`${n.name} (was ${m.graph!.node![aOfB[j]].name}): ${bad.join('; ')}`);
      });
      expect(wrong).toEqual([]);
      // renames are reported as renames, from the name of the node paired
      for (const c of diff.changed) {
        const before = m.graph!.node![c.a].name ?? '';
        expect(c.what.includes(`renamed from ${before || '(unnamed)'}`)).toBe(before !== c.name);
      }
    });
  }
});

const BREVITAS = 'onnx.brevitas';
const intAttr = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });
const intsAttr = (name: string, v: number[]): Attribute => ({ name, type: 7, ints: v.map((x) => int64From(x)) });
const ROUND: Attribute = { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('ROUND') };

/**
 * A VGG-style Brevitas export: input quantizer (INT8), then Conv blocks whose weights are quantized
 * to INT8 narrow and whose ReLU outputs to UINT8, some with a MaxPool. Nodes are named per op type in
 * export order (Quant_0 input, Quant_1 weights, Quant_2 activations, Quant_3 weights, ...); the cleanup
 * sorts the weight quantizers first, so its Quant_2 is the old Quant_3 and its Quant_4 the old Quant_2.
 */
function vggExport(): Model {
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  let q = 0;
  const quant = (x: string, bits: number, signed: boolean, narrow: boolean, scale: number, tag: string) => {
    const name = `Quant_${q++}`;
    inits.push(initF(`${tag}.scale`, [], [scale]), initF(`${tag}.zero_point`, [], [0]), initF(`${tag}.bit_width`, [], [bits]));
    nodes.push(nd('Quant', [x, `${tag}.scale`, `${tag}.zero_point`, `${tag}.bit_width`], [`${name}_out`], name, [intAttr('narrow', narrow ? 1 : 0), ROUND, intAttr('signed', signed ? 1 : 0)], BREVITAS));
    return `${name}_out`;
  };
  let x = quant('input', 8, true, false, 1 / 64, 'input_quant');
  let cin = 3;
  ([[4, false], [4, true], [8, true]] as const).forEach(([cout, pool], k) => {
    const w = `features.${k}.weight`;
    inits.push(initF(w, [cout, cin, 3, 3], Array.from({ length: cout * cin * 9 }, (_, i) => Math.fround(Math.sin(0.37 * i + k)))));
    const wq = quant(w, 8, true, true, 1 / 128, `features.${k}.weight_quant`);
    nodes.push(nd('Conv', [x, wq], [`Conv_${k}_out`], `Conv_${k}`, [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]));
    nodes.push(nd('Relu', [`Conv_${k}_out`], [`Relu_${k}_out`], `Relu_${k}`));
    x = quant(`Relu_${k}_out`, 8, false, false, 1 / 32, `features.${k}.act_quant`);
    if (pool) {
      nodes.push(nd('MaxPool', [x], [`MaxPool_${k}_out`], `MaxPool_${k}`, [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]));
      x = `MaxPool_${k}_out`;
    }
    cin = cout;
  });
  return build({ nodes, inits, inputs: [vi('input', [1, 3, 8, 8])], outputs: [vi(x, [1, 8, 2, 2])] });
}

describe('diffModels pairs nodes by what they compute, not by name', () => {
  const vgg = vggExport();
  const { model: clean, diff } = applyTransform(vgg, 'cleanup');
  const byName = (m: Model, name: string) => m.graph!.node!.findIndex((n) => n.name === name);
  /**
   * The quantizers of the export that hold what quantizer j of the cleaned model holds (parameters,
   * constant values, neighbours): one for a weight quantizer, maybe two for look-alike activation ones.
   */
  const sameQuantizers = (j: number) =>
    vgg.graph!.node!.flatMap((n, i) => (n.opType === 'Quant' && sameNode(vgg, i, clean, j, pairNodes(vgg, clean).bOfA).length === 0 ? [i] : []));

  it('a VGG-style Brevitas export: the cleanup permutes the Quant names, and no precision changes', () => {
    // the names really are permuted onto quantizers of other precisions
    expect(clean.graph!.node!.filter((n) => n.opType === 'Quant').map((n) => n.name)).toEqual(['Quant_0', 'Quant_1', 'Quant_2', 'Quant_3', 'Quant_4', 'Quant_5', 'Quant_6']);
    expect(precisionText(clean, byName(clean, 'Quant_2'))).toBe('INT8 narrow');
    expect(precisionText(vgg, byName(vgg, 'Quant_2'))).toBe('UINT8');
    expect(diff.precision).toEqual([]);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    const renamed = Object.fromEntries(diff.changed.filter((c) => c.what.some((w) => w.startsWith('renamed'))).map((c) => [c.name, vgg.graph!.node![c.a].name]));
    expect(renamed).toEqual({ Quant_2: 'Quant_3', Quant_3: 'Quant_5', Quant_4: 'Quant_2', Quant_5: 'Quant_4', MaxPool_0: 'MaxPool_1', MaxPool_1: 'MaxPool_2' });
    // each pair holds the same weights, parameters and neighbours
    for (const c of diff.changed) expect(sameNode(vgg, c.a, clean, c.b, pairNodes(vgg, clean).bOfA)).toEqual([]);
    for (const c of diff.changed.filter((x) => x.opType === 'Quant')) expect(sameQuantizers(c.b)).toContain(c.a);
    // the weight quantizers are told apart by their weights alone
    for (const name of ['Quant_1', 'Quant_2', 'Quant_3']) expect(sameQuantizers(byName(clean, name))).toHaveLength(1);
  });

  it('nodes reordered and two Quant names swapped (INT8 input vs UINT8 activation): renames, no precision change', () => {
    const nodes = vgg.graph!.node!;
    const inQ = byName(vgg, 'Quant_0'), actQ = byName(vgg, 'Quant_6');
    expect([precisionText(vgg, inQ), precisionText(vgg, actQ)]).toEqual(['INT8', 'UINT8']);
    // reversed order, the two names swapped, every tensor renamed
    const t = (x: string) => (x ? `t_${x}` : x);
    const swapped: Node[] = nodes.map((n, i) => ({ ...n, name: i === inQ ? 'Quant_6' : i === actQ ? 'Quant_0' : n.name, input: n.input!.map(t), output: n.output!.map(t) })).reverse();
    const g = vgg.graph!;
    const b: Model = {
      ...vgg,
      graph: { ...g, node: swapped, initializer: g.initializer!.map((x) => ({ ...x, name: t(x.name!) })), input: g.input!.map((x) => ({ ...x, name: t(x.name!) })), output: g.output!.map((x) => ({ ...x, name: t(x.name!) })) },
    };
    const d = diffModels(vgg, b);
    expect(d.precision).toEqual([]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    const n = nodes.length;
    // node i of the export is node n - 1 - i of the reversed copy
    expect(d.changed.map((c) => [c.a, c.b])).toEqual(nodes.map((_, i) => [n - 1 - i, i]).reverse().map(([a, bb]) => [a, bb]).sort((x, y) => x[1] - y[1]));
    const renames = d.changed.filter((c) => c.what.some((w) => w.startsWith('renamed'))).map((c) => `${c.name} ${c.what[0]}`);
    expect(renames.sort()).toEqual(['Quant_0 renamed from Quant_6', 'Quant_6 renamed from Quant_0']);
    // and the old order back: the same pairs the other way round
    const back = diffModels(b, vgg);
    expect(back.precision).toEqual([]);
    expect(back.changed.map((c) => c.a + c.b)).toEqual(back.changed.map(() => n - 1));
  });

  it('a real bit-width change after the cleanup: exactly one precision change, on the edited quantizer', () => {
    // the cleaned Quant_2 is the export's Quant_3 (INT8 narrow weights); the export's Quant_2 is UINT8
    const j = byName(clean, 'Quant_2');
    const edited = setQuantizer(clean, j, { bits: 4 });
    const [was] = sameQuantizers(j);
    expect(diffModels(vgg, edited).precision).toEqual([{ name: 'Quant_2', was: vgg.graph!.node![was].name, before: precisionText(vgg, was), after: 'INT4 narrow' }]);
    expect(vgg.graph!.node![was].name).toBe('Quant_3');
    expect(precisionText(vgg, was)).toBe('INT8 narrow');
    // on a real model whose cleanup gives a quantizer the name of another one of another precision
    const m = sharedModel('qonnx_espcn_subpixel_quant.onnx');
    const c = applyTransform(m, 'cleanup').model;
    const k = byName(c, 'Quant_4');
    expect(precisionText(m, byName(m, 'Quant_4'))).not.toBe(precisionText(c, k));
    const e = setQuantizer(c, k, { bits: 3 });
    // what it was, by what it holds: the one quantizer of the original with its parameters, constants and neighbours
    const same = m.graph!.node!.flatMap((n, i) => (QUANT_OPS.has(n.opType!) && sameNode(m, i, c, k, pairNodes(m, c).bOfA).length === 0 ? [n.name] : []));
    expect(same).toHaveLength(1);
    expect(diffModels(m, e).precision).toEqual([{ name: 'Quant_4', was: same[0], before: precisionText(c, k), after: precisionText(e, k) }]);
    expect(precisionText(e, k)).toBe('UINT3');
    // and the edit made before the cleanup: the cleaned name of that quantizer, once
    const q = byName(m, 'Quant_11');
    const before = setQuantizer(m, q, { bits: 3 });
    const after = applyTransform(before, 'cleanup');
    const cleaned = after.model.graph!.node!.findIndex((n) => n.opType === 'Quant' && precisionText(after.model, after.model.graph!.node!.indexOf(n)) === 'UINT3');
    expect(diffModels(m, after.model).precision).toEqual([{ name: after.model.graph!.node![cleaned].name, was: 'Quant_11', before: precisionText(m, q), after: 'UINT3' }]);
  });
});

describe('edit markers (quantizer table and graph) after the QONNX cleanup', () => {
  const byName = (m: Model, name: string) => m.graph!.node!.findIndex((n) => n.name === name);
  const m = sharedModel('qonnx_espcn_subpixel_quant.onnx');
  const clean = applyTransform(m, 'cleanup').model;

  it('the cleanup alone marks nothing, though quantizers at the same index now differ in precision', () => {
    expect(editedQuantizers(m, clean).size).toBe(0);
    expect(editedNodes(m, clean).size).toBe(0);
    // what an index-by-index comparison would have marked: the cleanup sorts quantizers of other precisions onto the same indices
    const byIndex = listQuantizers(clean).filter((q) => q.nodeIndex < m.graph!.node!.length && QUANT_OPS.has(m.graph!.node![q.nodeIndex].opType!) && precisionText(m, q.nodeIndex) !== precisionText(clean, q.nodeIndex));
    expect(byIndex.length).toBeGreaterThan(0);
  });

  it('one bit-width edit after the cleanup: exactly that quantizer marked, with what it was', () => {
    const k = byName(clean, 'Quant_4');
    const e = setQuantizer(clean, k, { bits: 3 });
    // what it was, by what it holds (parameters, constants, neighbours), not by the pairing
    const same = m.graph!.node!.flatMap((n, i) => (QUANT_OPS.has(n.opType!) && sameNode(m, i, clean, k, pairNodes(m, clean).bOfA).length === 0 ? [i] : []));
    expect(same).toHaveLength(1);
    expect(m.graph!.node![same[0]].name).toBe('Quant_11');
    // the node at that index in the opened model is another quantizer
    expect(same[0]).not.toBe(k);
    const marked = editedQuantizers(m, e);
    expect([...marked.keys()]).toEqual([k]);
    expect(marked.get(k)).toEqual(quantizerInfo(m, same[0]));
    expect([precisionText(m, same[0]), precisionText(e, k)]).toEqual(['UINT4', 'UINT3']);
    // the graph marks that one node too
    expect([...editedNodes(m, e)]).toEqual([k]);
    // and undoing the edit by hand (back to 4 bits) marks nothing again
    const back = setQuantizer(e, k, { bits: 4 });
    expect(editedQuantizers(m, back).size).toBe(0);
  });

  it('every quantized model in testdata: the cleanup changes no quantizer, and a model that only renames marks no node', () => {
    for (const file of quantizedModels) {
      const a = sharedModel(file);
      const { model: b, diff } = applyTransform(a, 'cleanup');
      expect(editedQuantizers(a, b).size, file).toBe(0);
      const structural = diff.added.length + diff.removed.length + diff.changed.filter((c) => c.what.some((w) => w.startsWith('constant') || w.startsWith('op ') || w.startsWith('attribute'))).length;
      if (!structural) expect([...editedNodes(a, b)], file).toEqual([]);
    }
  });
});
