/**
 * Quantizers qonnx counts as FLOAT32 although they have few bits: a scaled BipolarQuant and a Quant
 * whose bit width is a 1-element array. Built here as tiny MLP layers; the reference's rule (qonnx:
 * BipolarQuant is BIPOLAR only with scale 1; Quant needs a 0-d bit width) decides FLOAT32, the same
 * models with scale 1 / a scalar bit width are the control. The note on the node card, on the folded
 * weight row and on the cost row says why, and the paper-BOPs column uses the bits the badge shows.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { int64From, type Model, type Tensor } from '../ir/types.js';
import { bipolarMlp, quantMlp } from '../testing/floatQuantModels.js';
import { buildViewGraph, quantizerBadge } from '../view/viewGraph.js';
import { inferDatatypes } from './datatypeInference.js';
import { floatQuantizerNote } from './floatQuantizers.js';
import { inferenceCost } from './inferenceCost.js';

const f32 = (name: string, dims: number[], values: number[]): Tensor => ({ name, dims: dims.map((d) => int64From(d)), dataType: 1, floatData: values });

const nodeNamed = (m: Model, name: string) => m.graph!.node!.find((n) => n.name === name)!;

describe('a scaled BipolarQuant', () => {
  const m = bipolarMlp(0.5, 0.25);
  const idx = indexGraph(m.graph!);

  it('is FLOAT32 for qonnx (BIPOLAR needs scale 1), and the note says so with the 1 bit its badge shows', () => {
    expect(inferDatatypes(m, { allowScaledInt: true }).types.get('a')?.name).toBe('FLOAT32');
    expect(inferDatatypes(bipolarMlp(1, 1), { allowScaledInt: true }).types.get('a')?.name).toBe('BIPOLAR');
    const act = floatQuantizerNote(idx, nodeNamed(m, 'act_q'))!;
    expect(act.reason).toContain('FLOAT32');
    expect(act.reason).toContain('scale is 0.5, not 1');
    expect(floatQuantizerNote(idx, nodeNamed(m, 'w_q'))!.reason).toContain('scale is 0.25, not 1');
    expect(quantizerBadge(idx, nodeNamed(m, 'act_q'))).toBe('BIPOLAR');
    expect(act.bits).toBe(1);
    // scale 1: BIPOLAR for qonnx too, nothing to explain
    const plain = bipolarMlp(1, 1);
    expect(floatQuantizerNote(indexGraph(plain.graph!), nodeNamed(plain, 'act_q'))).toBeUndefined();
  });

  it('the cost keeps the reference keys (FLOAT32 x FLOAT32) and the paper column uses 1 x 1 bit', () => {
    const c = inferenceCost(m).nodes[0];
    // 4 x 3 weights at batch 1: 12 MACs, FLOAT32 x FLOAT32 = 1024 bit operations each
    expect(c.raw).toEqual({ op_mac_FLOAT32_FLOAT32: 12, mem_w_FLOAT32: 12, mem_o_FLOAT32: 3 });
    expect(c.bops).toBe(12 * 1024);
    expect(c.floatNotes?.in?.reason).toContain('scale is 0.5');
    expect(c.floatNotes?.weight?.reason).toContain('scale is 0.25');
    // m = 3 outputs, n = 4 MACs each, f_p = 0: 3 * 4 * (1*1 + 1 + 1 + log2 4) = 60
    expect([c.paper.ba, c.paper.bw]).toEqual([1, 1]);
    expect(c.paperBops).toBe(60);
    // control: scale 1 gives BIPOLAR x BIPOLAR, the same 60, and no note
    const ctl = inferenceCost(bipolarMlp(1, 1)).nodes[0];
    expect(ctl.raw).toEqual({ op_mac_BIPOLAR_BIPOLAR: 12, mem_w_BIPOLAR: 12, mem_o_INT32: 3 });
    expect(ctl.paperBops).toBe(60);
    expect(ctl.floatNotes).toBeUndefined();
  });

  it('the node card of the activation quantizer and the weight row folded into the MatMul carry the reason', () => {
    const vg = buildViewGraph(m, { showConstants: false });
    const act = vg.nodes.find((n) => n.subtitle === 'act_q')!;
    expect(act.badge).toBe('BIPOLAR');
    expect(act.floatNote).toContain('scale is 0.5, not 1');
    const fc = vg.nodes.find((n) => n.subtitle === 'fc')!;
    const row = fc.rows.find((r) => r.slot === 'B')!;
    expect(row.text).toContain('BipolarQuant BIPOLAR');
    expect(row.floatNote).toContain('scale is 0.25, not 1');
    expect(fc.floatNote).toBeUndefined();
  });
});

describe('a Quant whose bit width is a 1-element array', () => {
  const m = quantMlp([1]);
  const idx = indexGraph(m.graph!);

  it('is FLOAT32 for qonnx (it needs a 0-d bit width); a scalar bit width gives INT4 / INT2', () => {
    const types = inferDatatypes(m, { allowScaledInt: true }).types;
    expect([types.get('xq')?.name, types.get('wq')?.name]).toEqual(['FLOAT32', 'FLOAT32']);
    const scalar = inferDatatypes(quantMlp([]), { allowScaledInt: true }).types;
    expect([scalar.get('xq')?.name, scalar.get('wq')?.name]).toEqual(['INT4', 'INT2']);
    const act = floatQuantizerNote(idx, nodeNamed(m, 'act_q'))!;
    expect(act.reason).toContain('1-element array');
    expect(act.reason).toContain('shape [1]');
    // the bits the note gives are those the badge shows
    expect(quantizerBadge(idx, nodeNamed(m, 'act_q'))).toBe('INT4');
    expect(act.bits).toBe(4);
    expect(quantizerBadge(idx, nodeNamed(m, 'w_q'))).toBe('INT2 · narrow');
    expect(floatQuantizerNote(idx, nodeNamed(m, 'w_q'))!.bits).toBe(2);
    const s = quantMlp([]);
    expect(floatQuantizerNote(indexGraph(s.graph!), nodeNamed(s, 'act_q'))).toBeUndefined();
  });

  it('the cost row: FLOAT32 keys as the reference, the paper column with 4 x 2 bits, as the scalar model has', () => {
    const c = inferenceCost(m).nodes[0];
    expect(c.raw).toEqual({ op_mac_FLOAT32_FLOAT32: 12, mem_w_FLOAT32: 12, mem_o_FLOAT32: 3 });
    expect(c.floatNotes?.in?.bits).toBe(4);
    expect(c.floatNotes?.weight?.bits).toBe(2);
    expect(c.floatNotes?.weight?.reason).toContain('1-element array');
    // m = 3, n = 4, f_p = 0: 3 * 4 * (4*2 + 4 + 2 + log2 4) = 192
    expect([c.paper.ba, c.paper.bw]).toEqual([4, 2]);
    expect(c.paperBops).toBe(192);
    const ctl = inferenceCost(quantMlp([])).nodes[0];
    expect(ctl.raw).toEqual({ op_mac_INT4_INT2: 12, mem_w_INT2: 12, mem_o_INT32: 3 });
    expect(ctl.paperBops).toBe(192);
    expect(ctl.floatNotes).toBeUndefined();
  });

  it('the activation Quant card and the folded weight row carry the reason', () => {
    const vg = buildViewGraph(m, { showConstants: false });
    expect(vg.nodes.find((n) => n.subtitle === 'act_q')!.floatNote).toContain('1-element array');
    const row = vg.nodes.find((n) => n.subtitle === 'fc')!.rows.find((r) => r.slot === 'B')!;
    expect(row.text).toContain('Quant INT2 · narrow');
    expect(row.floatNote).toContain('1-element array');
  });
});

describe('a Quant with a zero point other than 0', () => {
  it('is FLOAT32 for qonnx (integer datatypes need zero point 0); the note keeps its 4 bits', () => {
    const m = quantMlp([]);
    const g = m.graph!;
    const shifted: Model = { ...m, graph: { ...g, initializer: (g.initializer ?? []).map((t) => (t.name === 'qa_z' ? f32('qa_z', [], [2]) : t)) } };
    expect(inferDatatypes(shifted, { allowScaledInt: true }).types.get('xq')?.name).toBe('FLOAT32');
    const note = floatQuantizerNote(indexGraph(shifted.graph!), nodeNamed(shifted, 'act_q'))!;
    expect(note.reason).toContain('zero point is not 0');
    expect(note.bits).toBe(4);
    expect(inferenceCost(shifted).nodes[0].paper.ba).toBe(4);
  });
});
