/**
 * Raising the default opset: a model written for opset 9 and its opset-13 rewrite must compute the
 * same values in onnxruntime (which runs both opsets), bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { int64From, int64ToNumber, type Model } from '../ir/types.js';
import { attrFloat, attrInt, attrInts, attrString, GraphDraft } from './graphDraft.js';
import { irVersionForOpset, upgradeDefaultOpset } from './opsetUpgrade.js';
import { expectEqual, randomFeeds, runPlainOrt } from './passTestHarness.js';
import { NetBuilder } from './testNets.js';

function opset9Model(): Model {
  const b = new NetBuilder(3);
  let t = b.op('Pad', ['x'], [attrInts('pads', [0, 0, 1, 0, 0, 0, 0, 1]), attrFloat('value', 0.25)]);
  t = b.op('Clip', [t], [attrFloat('min', -0.5), attrFloat('max', 0.75)]);
  t = b.op('Slice', [t], [attrInts('starts', [1, 0]), attrInts('ends', [4, 4]), attrInts('axes', [2, 3])]);
  t = b.op('Unsqueeze', [t], [attrInts('axes', [0])]);
  t = b.op('Squeeze', [t], [attrInts('axes', [0])]);
  t = b.op('Upsample', [t, b.constant('scales', [4], [1, 1, 2, 2])], [attrString('mode', 'nearest')]);
  t = b.op('Dropout', [t], [attrFloat('ratio', 0.3)]);
  const s = b.op('ReduceSum', [t], [attrInts('axes', [3]), attrInt('keepdims', 1)]);
  const parts = b.op('Split', [t], [attrInt('axis', 2), attrInts('split', [2, 4])]);
  // Split has two outputs: give the node both
  const split = b.nodes[b.nodes.length - 1];
  split.output = [parts, 'part1'];
  const top = b.op('TopK', [b.op('Flatten', [s])], [attrInt('k', 3)]);
  b.nodes[b.nodes.length - 1].output = [top, 'top_idx'];
  const sm = b.op('Softmax', [b.op('Flatten', ['part1'])], [attrInt('axis', 1)]);
  return b.model([{ name: 'x', shape: [1, 2, 4, 4] }], [s, parts, top, sm], 9);
}

describe('upgradeDefaultOpset', () => {
  it('IR versions per opset', () => {
    expect([8, 9, 10, 11, 13, 17, 19, 21].map(irVersionForOpset)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('opset 9 -> 13: attributes become inputs, Upsample becomes Resize; same values in onnxruntime', async () => {
    const m = opset9Model();
    const d = new GraphDraft(m);
    expect(upgradeDefaultOpset(d, 13, analyzeModel(m).shapes)).toEqual([]);
    const up = d.build();
    expect(int64ToNumber(up.opsetImport!.find((o) => !o.domain)!.version)).toBe(13);
    expect(int64ToNumber(up.irVersion)).toBe(8); // already above 7
    const ops = up.graph!.node!;
    for (const op of ['Pad', 'Slice', 'Unsqueeze', 'Squeeze', 'ReduceSum', 'Split', 'TopK', 'Clip'])
      expect(ops.find((n) => n.opType === op)!.input!.length, op).toBeGreaterThan(1);
    expect(ops.some((n) => n.opType === 'Upsample')).toBe(false);
    expect(ops.find((n) => n.opType === 'Resize')!.input).toHaveLength(3);
    expect(ops.find((n) => n.opType === 'Dropout')!.attribute ?? []).toEqual([]);
    const feeds = randomFeeds(m, 1);
    const a = await runPlainOrt(m, feeds);
    const b = await runPlainOrt(up, feeds);
    for (const o of m.graph!.output!) expectEqual(b.get(o.name!), a.get(o.name!), o.name!);
  });

  it('reports what it cannot rewrite: Softmax over a non-last axis of a 4-d tensor, linear Upsample', () => {
    const b = new NetBuilder();
    const sm = b.op('Softmax', ['x'], [attrInt('axis', 1)]);
    const up = b.op('Upsample', [sm, b.constant('s', [4], [1, 1, 2, 2])], [attrString('mode', 'linear')]);
    const m = b.model([{ name: 'x', shape: [1, 2, 3, 3] }], [up], 9);
    const d = new GraphDraft(m);
    const problems = upgradeDefaultOpset(d, 13, analyzeModel(m).shapes);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/Softmax .* normalizes over axes 1\.\.3/);
    expect(problems[1]).toMatch(/Upsample .* mode 'linear'/);
  });

  it('does nothing when the opset is already high enough; imports the opset when none is declared', () => {
    const b = new NetBuilder();
    const m = b.model([{ name: 'x', shape: [1] }], [b.op('Relu', ['x'])], 13);
    const d = new GraphDraft(m);
    expect(upgradeDefaultOpset(d, 13)).toEqual([]);
    expect(d.build().opsetImport).toBe(m.opsetImport);
    const bare: Model = { ...m, opsetImport: [], irVersion: int64From(3) };
    const d2 = new GraphDraft(bare);
    upgradeDefaultOpset(d2, 13);
    const out = d2.build();
    expect(out.opsetImport!.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual([['', 13]]);
    expect(int64ToNumber(out.irVersion)).toBe(7);
  });
});
