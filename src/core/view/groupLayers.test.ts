import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { buildViewGraph } from './viewGraph.js';
import { makeHugeGraph } from '../testing/synth.js';

const tfc = decodeModel(new Uint8Array(readFileSync(resolve(__dirname, '../../../testdata/models/zoo_TFC_2W2A.onnx'))));

describe('layer grouping', () => {
  it('makes each MatMul of TFC one box with its BatchNorm and activation quantizer', () => {
    const flat = buildViewGraph(tfc, { showConstants: false });
    const g = buildViewGraph(tfc, { showConstants: false, groupLayers: true });
    const layers = g.nodes.filter((n) => n.id.startsWith('g:'));
    expect(layers.map((n) => n.title)).toEqual(['MatMul', 'MatMul', 'MatMul', 'MatMul']);
    // the first three: MatMul -> BatchNormalization -> Quant; the last: MatMul -> the output scaling
    for (const l of layers.slice(0, 3)) expect(l.rows[l.rows.length - 1].text).toMatch(/^BatchNormalization → Quant INT2/);
    // every node of the model is still reachable: each node index maps to a box that exists
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const [, id] of g.nodeIdOf) expect(ids.has(id)).toBe(true);
    for (const e of g.edges) {
      expect(ids.has(e.source)).toBe(true);
      expect(ids.has(e.target)).toBe(true);
      expect(e.source).not.toBe(e.target);
    }
    // members of a box are exactly the nodes it hides
    const hidden = flat.nodes.length - g.nodes.length;
    const inBoxes = layers.reduce((s, l) => s + (l.members!.length - 1), 0);
    expect(inBoxes).toBe(hidden);
  });

  it('shrinks the 20,000-node graph to its layers', () => {
    const m = makeHugeGraph({ nodes: 2000 });
    const flat = buildViewGraph(m, { showConstants: false });
    const g = buildViewGraph(m, { showConstants: false, groupLayers: true });
    const convs = (m.graph!.node ?? []).filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').length;
    // every compute node heads a box: a group, or (the final Gemm, followed only by the graph output) its own
    const heads = g.nodes.filter((n) => n.category === 'compute');
    expect(heads.length).toBe(convs);
    expect(g.nodes.filter((n) => n.id.startsWith('g:')).length).toBe(convs - 1);
    expect(g.nodes.length).toBeLessThan(flat.nodes.length / 2);
  });
});
