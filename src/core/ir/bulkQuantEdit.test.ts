/**
 * Bulk bit-width edits by selector: every selected quantizer that can take the width gets it, the others
 * are listed with the reason, nothing else changes. Bit widths are read back from the bit-width tensors
 * the quantizer nodes read (not from listQuantizers), on models built in exporters' shapes and on the
 * real TFC models (BipolarQuant weights), the FP8 model (FloatQuant) and a Trunc.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferenceCost } from '../analysis/inferenceCost.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { brevitasGemm, convBias, qkerasDense } from '../testing/quantModels.js';
import { TEST_MODELS } from '../testing/paths.js';
import { bitsProblem, bitsResultText, parseSelector, planBits, selectQuantizers, setBitsWhere, weightLayerOpTypes } from './bulkQuantEdit.js';
import { indexGraph } from './graphIndex.js';
import { listQuantizers, quantizerInfo, setQuantizer } from './quantEdit.js';
import { int64From, type Model } from './types.js';

const real = (f: string) => decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))));

/** The bit width each Quant node reads (its input 3), or 'computed' when a node makes it. */
function bitWidths(m: Model): Record<string, number | 'computed'> {
  const idx = indexGraph(m.graph!);
  const out: Record<string, number | 'computed'> = {};
  for (const n of m.graph!.node!) {
    if (n.opType !== 'Quant') continue;
    const t = idx.initializer.get(n.input![3]);
    out[n.name!] = t ? toNumbers(tensorValues(t))[0] : 'computed';
  }
  return out;
}

const nodeOf = (m: Model, name: string) => m.graph!.node!.find((n) => n.name === name)!;

describe('weights -> 4 on exporter-shaped models', () => {
  it('Brevitas Gemm: the weight quantizer changes, the one with a computed width is skipped with the reason, the bias is untouched', () => {
    const m = brevitasGemm();
    const r = setBitsWhere(m, 'weights', 4);
    expect(r.changed).toEqual(['Quant_w1']);
    expect(r.unchanged).toEqual([]);
    expect(r.skipped).toEqual([{ quantizer: 'Quant_w2', reason: 'its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant' }]);
    expect(bitWidths(m)).toEqual({ Quant_in: 8, Quant_w1: 8, Quant_b1: 'computed', Quant_a1: 8, Quant_w2: 'computed' });
    expect(bitWidths(r.model)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 'computed', Quant_a1: 8, Quant_w2: 'computed' });
    // the bias quantizer and its inputs are the very same objects
    expect(nodeOf(r.model, 'Quant_b1')).toBe(nodeOf(m, 'Quant_b1'));
    expect(nodeOf(r.model, 'Add_b1_bw')).toBe(nodeOf(m, 'Add_b1_bw'));
    expect(bitsResultText(r)).toBe('1 quantizer set to 4 bits; skipped 1: Quant_w2 (its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant)');
  });

  it('Brevitas Gemm: applying again gives the same model (the same object, the same bytes)', () => {
    const once = setBitsWhere(brevitasGemm(), 'weights', 4);
    const twice = setBitsWhere(once.model, 'weights', 4);
    expect(twice.model).toBe(once.model);
    expect(twice.changed).toEqual([]);
    expect(twice.unchanged).toEqual(['Quant_w1']);
    expect(twice.skipped.map((s) => s.quantizer)).toEqual(['Quant_w2']);
    expect(encodeModel(twice.model)).toEqual(encodeModel(once.model));
  });

  it('Brevitas Gemm: the cost follows (32 MACs of 8 x 4 bits instead of 8 x 8)', () => {
    const before = inferenceCost(brevitasGemm(), { discountSparsity: false }).total_cost;
    const after = inferenceCost(setBitsWhere(brevitasGemm(), 'weights', 4).model, { discountSparsity: false }).total_cost;
    expect(before['op_mac_SCALEDINT<8>_SCALEDINT<8>']).toBe(32);
    expect(after['op_mac_SCALEDINT<8>_SCALEDINT<4>']).toBe(32);
    expect(after['op_mac_SCALEDINT<8>_SCALEDINT<8>']).toBeUndefined();
    expect(Number(before.total_bops) - Number(after.total_bops)).toBe(32 * 8 * (8 - 4));
  });

  it('QKeras Dense: both weights go to 4 bits, the two bias constants stay at 8; biases=6 then sets only them', () => {
    const m = qkerasDense();
    const w = setBitsWhere(m, 'weights', 4);
    expect(w.changed).toEqual(['Quant_w1', 'Quant_w2']);
    expect(w.skipped).toEqual([]);
    expect(bitWidths(w.model)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 8, Quant_a1: 8, Quant_w2: 4, Quant_b2: 8 });
    const b = setBitsWhere(w.model, 'biases', 6);
    expect(b.changed).toEqual(['Quant_b1', 'Quant_b2']);
    expect(bitWidths(b.model)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 6, Quant_a1: 8, Quant_w2: 4, Quant_b2: 6 });
    const a = setBitsWhere(b.model, 'activations', 3);
    expect(bitWidths(a.model)).toEqual({ Quant_in: 3, Quant_w1: 4, Quant_b1: 6, Quant_a1: 3, Quant_w2: 4, Quant_b2: 6 });
    expect(setBitsWhere(a.model, 'weights', 4).model).toBe(a.model);
  });

  it('Conv: weights of both Convs change; the bias input, the reshaped bias and the residual activation do not', () => {
    const m = convBias();
    const r = setBitsWhere(m, 'weights', 4);
    expect(r.changed).toEqual(['Quant_w1', 'Quant_w2']);
    expect(bitWidths(r.model)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 8, Quant_skip: 8, Quant_w2: 4, Quant_b2: 8 });
    expect(setBitsWhere(r.model, 'weights', 4).model).toBe(r.model);
  });
});

describe('selectors', () => {
  it('parseSelector: keywords, op:, and anything else is a name', () => {
    expect(parseSelector('weights')).toEqual({ kind: 'role', role: 'weight' });
    expect(parseSelector('biases')).toEqual({ kind: 'role', role: 'bias' });
    expect(parseSelector('activations')).toEqual({ kind: 'role', role: 'activation' });
    expect(parseSelector('all')).toEqual({ kind: 'all' });
    expect(parseSelector('op:Conv')).toEqual({ kind: 'op', opType: 'Conv' });
    expect(parseSelector('op:')).toEqual({ kind: 'name', name: 'op:' });
    expect(parseSelector('MatMul_20')).toEqual({ kind: 'name', name: 'MatMul_20' });
  });

  it('all: every quantizer that can change changes; the computed bias and weight widths are skipped', () => {
    const r = setBitsWhere(brevitasGemm(), 'all', 4);
    expect(r.changed).toEqual(['Quant_in', 'Quant_w1', 'Quant_a1']);
    expect(r.skipped.map((s) => [s.quantizer, s.reason])).toEqual([
      ['Quant_b1', 'its bit width is computed by the graph (by Add Add_b1_bw), not a constant'],
      ['Quant_w2', 'its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant'],
    ]);
  });

  it('op:<OpType> selects the weight quantizers of that op type only; an op type with none is an error naming the ones there are', () => {
    const m = qkerasDense();
    expect(selectQuantizers(m, parseSelector('op:MatMul')).map((q) => q.name)).toEqual(['Quant_w1', 'Quant_w2']);
    expect(weightLayerOpTypes(convBias())).toEqual(['Conv']);
    expect(() => selectQuantizers(m, parseSelector('op:Conv'))).toThrow('op:Conv: no Conv layer has a weight quantizer (layers with one: op:MatMul)');
    expect(() => selectQuantizers(m, parseSelector('op:Add'))).toThrow('layers with one: op:MatMul');
    expect(bitWidths(setBitsWhere(convBias(), 'op:Conv', 5).model)).toEqual({ Quant_in: 8, Quant_w1: 5, Quant_b1: 8, Quant_skip: 8, Quant_w2: 5, Quant_b2: 8 });
  });

  it('a name: a quantizer, a layer (its weight quantizer), a tensor; unknown names are an error', () => {
    const m = brevitasGemm();
    expect(selectQuantizers(m, parseSelector('Gemm_1')).map((q) => q.name)).toEqual(['Quant_w1']);
    expect(selectQuantizers(m, parseSelector('b1q')).map((q) => q.name)).toEqual(['Quant_b1']);
    expect(setBitsWhere(m, 'Quant_b1', 4).skipped).toEqual([{ quantizer: 'Quant_b1', reason: 'its bit width is computed by the graph (by Add Add_b1_bw), not a constant' }]);
    expect(() => selectQuantizers(m, parseSelector('Relu_1'))).toThrow("'Relu_1' is not a quantizer, a tensor of one, or a layer with a weight quantizer");
  });
});

describe('what cannot take a width, and why', () => {
  it('widths outside 1..32 and fractions are refused for any quantizer', () => {
    const m = qkerasDense();
    const q = listQuantizers(m)[0];
    expect(bitsProblem(m, q, 0)).toBe('0 bits is outside 1..32');
    expect(bitsProblem(m, q, 33)).toBe('33 bits is outside 1..32');
    expect(bitsProblem(m, q, -1)).toBe('-1 bits is outside 1..32');
    expect(bitsProblem(m, q, 2.5)).toBe('2.5 is not a whole number of bits');
    expect(bitsProblem(m, q, Number.NaN)).toBe('NaN is not a whole number of bits');
    expect(bitsProblem(m, q, 1)).toBeUndefined();
    expect(bitsProblem(m, q, 32)).toBeUndefined();
    expect(planBits(m, listQuantizers(m), 0).skipped).toHaveLength(6);
  });

  it('TFC 1W2A: BipolarQuant weights are 1 bit by definition (skipped at 4, already there at 1); the Quant activations change', () => {
    const m = real('zoo_TFC_1W2A.onnx');
    const w = setBitsWhere(m, 'weights', 4);
    expect(w.changed).toEqual([]);
    expect(w.model).toBe(m);
    expect(w.skipped).toEqual(['BipolarQuant_16', 'BipolarQuant_26', 'BipolarQuant_36', 'BipolarQuant_46'].map((quantizer) => ({ quantizer, reason: 'a BipolarQuant is always 1 bit (±scale); it has no bit-width input' })));
    expect(setBitsWhere(m, 'weights', 1).unchanged).toHaveLength(4);
    const all = setBitsWhere(m, 'all', 4);
    expect(all.changed).toEqual(['Quant_13', 'Quant_23', 'Quant_33', 'Quant_43']);
    expect(all.skipped).toHaveLength(4);
    expect(Object.values(bitWidths(all.model))).toEqual([4, 4, 4, 4]);
  });

  it('FP8: a FloatQuant has no integer bit width', () => {
    const m = real('qonnx_act_weight_fp8.onnx');
    const r = setBitsWhere(m, 'weights', 4);
    expect(r.skipped).toEqual([{ quantizer: '/weight_quant/export_handler/FloatQuant', reason: 'a FloatQuant has exponent and mantissa widths, not an integer bit width (set E and M in its row)' }]);
    expect(r.model).toBe(m);
  });

  it('an unsigned narrow 1-bit Quant would hold only 0; signed narrow 1 bit is the bipolar case and is allowed', () => {
    const m0 = qkerasDense();
    const k = m0.graph!.node!.findIndex((n) => n.name === 'Quant_a1');
    const m = setQuantizer(m0, k, { narrow: true });
    expect(bitsProblem(m, quantizerInfo(m, k), 1)).toBe('an unsigned narrow range of 1 bit holds only 0');
    expect(bitsProblem(m, quantizerInfo(m, k), 2)).toBeUndefined();
    const s = setQuantizer(m, k, { signed: true });
    expect(bitsProblem(s, quantizerInfo(s, k), 1)).toBeUndefined();
  });

  it('Trunc v1 cannot widen past its input width; v2 (in_bw unused) can', () => {
    const base = qkerasDense();
    const g = base.graph!;
    const trunc = { name: 'Trunc_t', opType: 'Trunc', domain: 'qonnx.custom_op.general', input: ['y', 'one', 'zero', 'bw8', 'tb'], output: ['yt'] };
    const m: Model = decodeModel(encodeModel({
      ...base,
      graph: { ...g, node: [...g.node!, trunc], initializer: [...g.initializer!, { name: 'tb', dims: [], dataType: 1, floatData: [4] }] },
    }));
    const k = m.graph!.node!.length - 1;
    expect(quantizerInfo(m, k).bits).toBe(4);
    expect(bitsProblem(m, quantizerInfo(m, k), 12)).toBe('a Trunc cannot widen: its input has 8 bits');
    expect(bitsProblem(m, quantizerInfo(m, k), 6)).toBeUndefined();
    const r = setBitsWhere(m, 'Trunc_t', 6);
    expect(r.changed).toEqual(['Trunc_t']);
    const v2: Model = {
      ...m,
      graph: { ...m.graph!, node: m.graph!.node!.map((n) => (n.name === 'Trunc_t' ? { ...n, input: ['y', 'one', 'zero', 'bw8', 'one', 'tb'] } : n)) },
      opsetImport: [{ domain: '', version: int64From(13) }, { domain: 'qonnx.custom_op.general', version: int64From(2) }],
    };
    expect(bitsProblem(v2, quantizerInfo(v2, k), 12)).toBeUndefined();
  });
});
