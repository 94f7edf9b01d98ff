import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { applyTransform } from '../passes/apply.js';
import { TEST_MODELS } from '../testing/paths.js';
import { correspondingNode, hasTensor } from './correspond.js';
import { deleteNode, renameNode, renameTensor } from './edit.js';

const tfc = decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, 'zoo_TFC_2W2A.onnx'))));
const nodes = tfc.graph!.node!;
const matmul = nodes.findIndex((n) => n.opType === 'MatMul');

describe('correspondingNode', () => {
  it('an untouched node keeps its index; a renamed node is found by its output', () => {
    const other = nodes.findIndex((n, i) => i !== matmul && n.opType === 'BatchNormalization');
    const renamed = renameNode(tfc, matmul, 'first_matmul');
    expect(correspondingNode(tfc, other, renamed)).toBe(other);
    expect(correspondingNode(tfc, matmul, renamed)).toBe(matmul);
    expect(correspondingNode(renamed, matmul, tfc)).toBe(matmul); // and back (undo)
  });

  it('a deleted node has no counterpart, and the nodes after it are followed to their new index', () => {
    const bn = nodes.findIndex((n) => n.opType === 'BatchNormalization');
    const del = deleteNode(tfc, bn);
    expect(correspondingNode(tfc, bn, del)).toBeUndefined();
    const later = nodes.findIndex((n, i) => i > bn && n.opType === 'MatMul');
    const j = correspondingNode(tfc, later, del)!;
    expect(j).toBe(later - 1);
    expect(del.graph!.node![j]).toBe(nodes[later]);
    // undo: from the edited version back to the original
    expect(correspondingNode(del, j, tfc)).toBe(later);
  });

  it('across a transformation that reorders and renames nodes, a node is found by what it computes', () => {
    const clean = applyTransform(tfc, 'cleanup').model;
    // cleanup sorts the weight quantizers first and renames every node <OpType>_<k> and every tensor
    const name = (i: number | undefined) => (i === undefined ? undefined : clean.graph!.node![i].name);
    const at = (n: string) => nodes.findIndex((x) => x.name === n);
    expect(name(correspondingNode(tfc, at('Quant_18'), clean))).toBe('Quant_0');
    expect(name(correspondingNode(tfc, at('Quant_13'), clean))).toBe('Quant_4');
    expect(name(correspondingNode(tfc, at('MatMul_20'), clean))).toBe('MatMul_0');
    // the folded ones have no counterpart; every other node keeps its op type
    expect(correspondingNode(tfc, at('Transpose_19'), clean)).toBeUndefined();
    for (let i = 0; i < nodes.length; i++) {
      const j = correspondingNode(tfc, i, clean);
      if (j !== undefined) expect(clean.graph!.node![j].opType).toBe(nodes[i].opType);
      else expect(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Transpose', 'Pow']).toContain(nodes[i].opType);
    }
    // undoing it: from the cleaned version back to the node it was
    const back = correspondingNode(clean, clean.graph!.node!.findIndex((n) => n.name === 'Quant_4'), tfc);
    expect(nodes[back!].name).toBe('Quant_13');
    // a pass that only reorders: the same node objects
    const sorted = applyTransform(tfc, 'sort-graph').model;
    for (let i = 0; i < nodes.length; i++) {
      const j = correspondingNode(tfc, i, sorted);
      expect(j).toBeDefined();
      expect(sorted.graph!.node![j!]).toBe(nodes[i]);
    }
  });
});

describe('hasTensor', () => {
  it('knows produced tensors, initializers and graph inputs, and forgets a renamed one', () => {
    const out = nodes[matmul].output![0];
    expect(hasTensor(tfc, out)).toBe(true);
    expect(hasTensor(tfc, tfc.graph!.input![0].name!)).toBe(true);
    expect(hasTensor(tfc, tfc.graph!.initializer![0].name!)).toBe(true);
    const r = renameTensor(tfc, out, 'renamed_out');
    expect(hasTensor(r, out)).toBe(false);
    expect(hasTensor(r, 'renamed_out')).toBe(true);
  });
});
