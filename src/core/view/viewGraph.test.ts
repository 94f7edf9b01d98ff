import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { walkModel, type WalkedGraph } from '../testing/wireWalker.js';
import { buildViewGraph, type ViewGraph } from './viewGraph.js';
import { TEST_MODELS } from '../testing/paths.js';

function load(f: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f)));
}

const QUANTIZERS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'FloatQuant', 'Trunc']);
const LAYOUT_OPS = new Set(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * From the raw model: weight quantizers (all inputs are initializers) and the node each one's value
 * finally reaches, following single-consumer layout ops such as Transpose.
 */
function weightQuantizers(g: WalkedGraph) {
  const inits = new Set(g.initializers.map((t) => t.name));
  const consumersOf = (t: string) => g.nodes.map((n, i) => (n.inputs.includes(t) ? i : -1)).filter((i) => i >= 0);
  const out: { quant: number; via: number[]; target: number }[] = [];
  g.nodes.forEach((n, i) => {
    if (!QUANTIZERS.has(n.opType) || !inits.has(n.inputs[0]) || !n.inputs.every((t) => !t || inits.has(t))) return;
    const via: number[] = [];
    let cons = consumersOf(n.outputs[0]);
    while (cons.length === 1 && LAYOUT_OPS.has(g.nodes[cons[0]].opType)) {
      via.push(cons[0]);
      cons = consumersOf(g.nodes[cons[0]].outputs[0]);
    }
    expect(cons).toHaveLength(1);
    out.push({ quant: i, via, target: cons[0] });
  });
  return out;
}

/**
 * From the raw model: nodes computed from constants only (every input an initializer or the output of
 * such a node, one output) and, for those whose value reaches exactly one non-constant reader through
 * single-reader links, that reader. These fold into the reader's box.
 */
function constantFolds(g: WalkedGraph): Map<number, number> {
  const inits = new Set(g.initializers.map((t) => t.name));
  const graphOutputs = new Set(g.outputs);
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const isConst = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    g.nodes.forEach((n, i) => {
      if (isConst.has(i) || n.outputs.length !== 1) return;
      const ins = n.inputs.filter((t) => t);
      if (ins.length > 0 && ins.every((t) => inits.has(t) || (producer.has(t) && isConst.has(producer.get(t)!)))) {
        isConst.add(i);
        changed = true;
      }
    });
  }
  const readers = (t: string) => g.nodes.flatMap((n, i) => n.inputs.filter((x) => x === t).map(() => i));
  const folds = new Map<number, number>();
  for (const i of isConst) {
    let cur = i;
    for (;;) {
      const out = g.nodes[cur].outputs[0];
      const r = readers(out);
      if (r.length !== 1 || graphOutputs.has(out)) break;
      if (!isConst.has(r[0])) {
        folds.set(i, r[0]);
        break;
      }
      cur = r[0];
    }
  }
  return folds;
}

const opNodes = (vg: ViewGraph) => vg.nodes.filter((n) => n.kind === 'op');

function assertEdgesValid(vg: ViewGraph) {
  const ids = new Set(vg.nodes.map((n) => n.id));
  expect(ids.size).toBe(vg.nodes.length);
  for (const e of vg.edges) {
    expect(ids.has(e.source), `edge ${e.id} source ${e.source}`).toBe(true);
    expect(ids.has(e.target), `edge ${e.id} target ${e.target}`).toBe(true);
    expect(vg.edgesOfTensor.get(e.tensor)).toContain(e.id);
  }
}

describe('buildViewGraph on zoo_TFC_2W2A.onnx', () => {
  const bytes = load('zoo_TFC_2W2A.onnx');
  const model = decodeModel(bytes);
  const g = walkModel(bytes).graph!;
  const inits = new Set(g.initializers.map((t) => t.name));
  const wq = weightQuantizers(g);

  it('the raw model has weight quantizers feeding MatMuls through a Transpose', () => {
    expect(wq.length).toBe(4);
    for (const q of wq) {
      expect(g.nodes[q.target].opType).toBe('MatMul');
      expect(q.via.map((v) => g.nodes[v].opType)).toEqual(['Transpose']);
    }
  });

  it('folds each weight quantizer into the MatMul that reads it (by default)', () => {
    const vg = buildViewGraph(model, { showConstants: false });
    assertEdgesValid(vg);
    const quantRows = vg.nodes.flatMap((n) => n.rows.filter((r) => r.quantNode !== undefined).map((r) => ({ n, r })));
    expect(quantRows.length).toBe(wq.length);
    for (const q of wq) {
      const hit = quantRows.find((x) => x.r.quantNode === q.quant);
      expect(hit, `quantizer #${q.quant}`).toBeDefined();
      expect(hit!.n.id).toBe(`n:${q.target}`);
      expect(hit!.n.title).toBe('MatMul');
      expect(hit!.r.text).toContain('Quant');
      expect(hit!.r.text).toContain('Transpose');
      // the row is the MatMul input that carries the quantized weight
      expect(g.nodes[q.target].inputs).toContain(hit!.r.tensor);
      expect(vg.nodeIdOf.get(q.quant)).toBe(`n:${q.target}`);
      for (const v of q.via) expect(vg.nodeIdOf.get(v)).toBe(`n:${q.target}`);
    }
    // folded quantizers, their transposes and other constant-only nodes are not boxes of their own
    const folds = constantFolds(g);
    for (const q of wq) expect(folds.get(q.quant)).toBe(q.target);
    expect(opNodes(vg).length).toBe(g.nodes.length - folds.size);
    for (const n of opNodes(vg)) expect(folds.has(n.nodeIndex!)).toBe(false);
    for (const [i, target] of folds) expect(vg.nodeIdOf.get(i)).toBe(`n:${target}`);
    // activation quantizers (non-constant data input) stay as nodes
    const actQuants = g.nodes.filter((n) => n.opType === 'Quant' && !inits.has(n.inputs[0])).length;
    expect(opNodes(vg).filter((n) => n.title === 'Quant').length).toBe(actQuants);
    // no constant nodes and no edge carries an initializer
    expect(vg.nodes.some((n) => n.kind === 'const')).toBe(false);
    for (const e of vg.edges) expect(inits.has(e.tensor)).toBe(false);
  });

  it('shows every initializer and folded constant a visible node reads as a row of that node', () => {
    const vg = buildViewGraph(model, { showConstants: false });
    const folds = constantFolds(g);
    const foldedOutputs = new Set([...folds.keys()].map((i) => g.nodes[i].outputs[0]));
    for (const vn of opNodes(vg)) {
      const want = g.nodes[vn.nodeIndex!].inputs.filter((t) => inits.has(t) || foldedOutputs.has(t));
      // a quantizer's constant parameters are summarised in one row that lists the tensors it stands for
      expect(vn.rows.flatMap((r) => r.tensors ?? [r.tensor]), `${vn.title} ${vn.subtitle}`).toEqual(want);
      if (vn.title === 'Quant') expect(vn.rows[vn.rows.length - 1].text).toMatch(/signed · narrow · ROUND · scale \S+/);
    }
    const bn = opNodes(vg).find((n) => n.title === 'BatchNormalization')!;
    expect(bn.rows.map((r) => r.slot)).toEqual(['scale', 'B', 'mean', 'var']);
  });

  it('has one input node and one output node with edges from and to the graph', () => {
    const vg = buildViewGraph(model, { showConstants: false });
    const realInputs = g.inputs.filter((t) => !inits.has(t));
    expect(vg.nodes.filter((n) => n.kind === 'input').map((n) => n.title)).toEqual(realInputs);
    expect(vg.nodes.filter((n) => n.kind === 'output').map((n) => n.title)).toEqual(g.outputs);
    for (const o of g.outputs) expect(vg.edges.some((e) => e.target === `out:${o}`)).toBe(true);
    for (const i of realInputs) expect(vg.edges.some((e) => e.source === `in:${i}`)).toBe(true);
  });

  it('with showConstants: no folding, every constant is a node with an edge to each reader', () => {
    const vg = buildViewGraph(model, { showConstants: true });
    assertEdgesValid(vg);
    expect(opNodes(vg).length).toBe(g.nodes.length);
    expect(vg.nodes.every((n) => n.rows.length === 0)).toBe(true);
    const readInits = new Set(g.nodes.flatMap((n) => n.inputs.filter((t) => inits.has(t))));
    const consts = vg.nodes.filter((n) => n.kind === 'const');
    expect(new Set(consts.map((n) => n.tensor))).toEqual(readInits);
    expect(consts.length).toBe(readInits.size);
    g.nodes.forEach((n, i) => {
      for (const t of new Set(n.inputs.filter((x) => inits.has(x))))
        expect(vg.edges.some((e) => e.source === `c:${t}` && e.target === `n:${i}` && e.tensor === t), `${t} -> node ${i}`).toBe(true);
    });
    for (const q of wq) expect(vg.nodeIdOf.get(q.quant)).toBe(`n:${q.quant}`);
  });
});

describe('buildViewGraph on a Conv model', () => {
  it('folds weight quantizers that feed Conv directly', () => {
    const bytes = load('qonnx_espcn_subpixel_quant.onnx');
    const g = walkModel(bytes).graph!;
    const wq = weightQuantizers(g);
    expect(wq.length).toBeGreaterThan(0);
    const vg = buildViewGraph(decodeModel(bytes), { showConstants: false });
    assertEdgesValid(vg);
    for (const q of wq) {
      expect(vg.nodeIdOf.get(q.quant)).toBe(`n:${q.target}`);
      const row = vg.nodes.find((n) => n.id === `n:${q.target}`)!.rows.find((r) => r.quantNode === q.quant)!;
      expect(row.slot).toBe(g.nodes[q.target].opType === 'Conv' ? 'W' : row.slot);
    }
  });
});
