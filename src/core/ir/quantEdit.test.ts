/**
 * Bit-width editing on the real zoo_TFC_2W2A model.
 *
 * - Every parameter setQuantizer changes (bits, signed, narrow, rounding mode, scale) is checked by
 *   running the edited model with the execution engine (onnxruntime-web in Node plus the QONNX kernels)
 *   on a wide random input: the quantizer's output takes exactly 2^bits levels (2^bits - 1 narrow), and
 *   every value equals a reference quantizer written here from the qonnx Quant definition (clamp, then round).
 * - Copy-on-share: a bit-width initializer read by two Quant nodes is copied, only the edited node
 *   changes; untouched nodes and initializers are the very same objects (structural sharing).
 * - finn_datatype annotations follow the edit; the cost of the edited model equals numbers computed by
 *   hand from the layer sizes of TFC (784-64-64-64-10).
 * - listQuantizers / layerQuantizers / findQuantizer on TFC, whose structure is known (see the table).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { inferenceCost } from '../analysis/inferenceCost.js';
import { Engine, type OrtApi } from '../exec/engine.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { getAnnotation, setAnnotation } from '../qonnx/annotations.js';
import { exposeAsOutput, setInputShape } from './edit.js';
import { indexGraph } from './graphIndex.js';
import { findQuantizer, layerQuantizers, listQuantizers, quantizerInfo, setQuantizer, withAllQuantBits, type QuantizerChange } from './quantEdit.js';
import { int64From, type Model, type Node, type Tensor } from './types.js';
import { TEST_MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;

function testModel(name: string): Model {
  const file = path.join(TEST_MODELS, name);
  return decodeModel(new Uint8Array(fs.readFileSync(file)), { fileName: name });
}

const TFC = testModel('zoo_TFC_2W2A.onnx');

/*
 * zoo_TFC_2W2A, as read from the file (node index: name, inputs -> output):
 *    7: Quant_13  (35, 37, 38, 36) -> 39   activation quantizer of the input, feeds MatMul_20
 *    8: Quant_18  (41, 42, 43, 40) -> 44   weights [64,784] of MatMul_20, then Transpose_19 -> 45
 *   10: MatMul_20 (39, 45) -> 46, 11: BatchNormalization_21 -> 47
 *   12: Quant_25 -> 51, 13: Quant_30 (weights [64,64]), 15: MatMul_32, 16: BatchNormalization_33
 *   17: Quant_37 -> 63, 18: Quant_42 (weights [64,64]), 20: MatMul_44, 21: BatchNormalization_45
 *   22: Quant_49 -> 75, 23: Quant_54 (weights [10,64]), 25: MatMul_56, then Sub/Pow/Div/Mul/Add -> 90
 * Every Quant: scale 1, zero point 0, bit width 2, signed, narrow, ROUND. The input is 0 [1,1,28,28],
 * which goes through Reshape, Mul by 2 and Sub 1 (tensor 35) before Quant_13.
 */
const ACT = [7, 12, 17, 22];
const WEIGHT = [8, 13, 18, 23];
const MATMUL = [10, 15, 20, 25];
/** MACs per layer: 784*64, 64*64, 64*64, 64*10 (59,008 in all) */
const LAYER_MACS = [784 * 64, 64 * 64, 64 * 64, 64 * 10];

const nodeIndex = (m: Model, name: string) => (m.graph?.node ?? []).findIndex((n) => n.name === name);
const initOf = (m: Model, name: string) => indexGraph(m.graph ?? {}).initializer.get(name);
const scalar = (m: Model, name: string) => {
  const t = initOf(m, name);
  if (!t) throw new Error(`no initializer ${name}`);
  return Array.from(toNumbers(tensorValues(t)));
};

// ---------------------------------------------------------------------------------------------------
// A reference Quant written from QONNX.md, float32 step by step

function roundBy(mode: string, y: number): number {
  switch (mode) {
    case 'ROUND':
    case 'HALF_EVEN': {
      const f = Math.floor(y);
      const d = y - f;
      if (d < 0.5) return f;
      if (d > 0.5) return f + 1;
      return f % 2 === 0 ? f : f + 1;
    }
    case 'CEIL': return Math.ceil(y);
    case 'FLOOR': return Math.floor(y);
    case 'UP': return Math.sign(y) * Math.ceil(Math.abs(y));
    case 'DOWN': return Math.trunc(y);
    case 'HALF_UP': return Math.sign(y) * Math.floor(Math.abs(y) + 0.5);
    case 'HALF_DOWN': return Math.sign(y) * Math.ceil(Math.abs(y) - 0.5);
    default: throw new Error(mode);
  }
}

interface QuantParams { scale: number; zeroPoint: number; bits: number; signed: boolean; narrow: boolean; rounding: string }

function refQuant(x: number, p: QuantParams): number {
  const f = Math.fround;
  let y = f(f(x / p.scale) + p.zeroPoint);
  if (p.bits === 1 && p.signed) y = y >= 0 ? 1 : -1;
  else {
    const min = p.signed ? -(2 ** (p.bits - 1)) + (p.narrow ? 1 : 0) : 0;
    const max = p.signed ? 2 ** (p.bits - 1) - 1 : 2 ** p.bits - 1 - (p.narrow ? 1 : 0);
    y = roundBy(p.rounding, Math.min(max, Math.max(min, y)));
  }
  return f(f(y - p.zeroPoint) * p.scale);
}

/** Seeded uniform values in [-200, 200): after the model's x*2-1 they span [-401, 399). */
function wideInput(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 400 - 200;
  }
  return out;
}

const BATCH = 64;

/** Run TFC (batch 64) and return the input of Quant_13 (tensor 35) and its output (tensor 39). */
async function runFirstQuantizer(m: Model): Promise<{ pre: Float32Array; out: Float32Array }> {
  const edited = exposeAsOutput(exposeAsOutput(setInputShape(m, '0', [BATCH, 1, 28, 28]), '35'), '39');
  const engine = new Engine(edited, ORT);
  try {
    const r = await engine.run(new Map([['0', { dataType: 1, shape: [BATCH, 1, 28, 28], data: wideInput(BATCH * 784, 7) }]]));
    const pre = r.tensors.get('35'), out = r.tensors.get('39');
    if (!pre || !out) throw new Error('the engine did not return the exposed tensors');
    expect(out.shape).toEqual([BATCH, 784]);
    return { pre: pre.data as Float32Array, out: out.data as Float32Array };
  } finally {
    await engine.release();
  }
}

const distinct = (v: Float32Array) => [...new Set(v)].sort((a, b) => a - b);

describe('setQuantizer: the Quant kernel sees every parameter', () => {
  const base: QuantParams = { scale: 1, zeroPoint: 0, bits: 2, signed: true, narrow: true, rounding: 'ROUND' };
  const cases: { change: QuantizerChange; levels: number; lo: number; hi: number }[] = [
    // the model as it is: INT2 narrow = {-1, 0, 1}
    { change: {}, levels: 3, lo: -1, hi: 1 },
    { change: { bits: 4 }, levels: 15, lo: -7, hi: 7 },
    { change: { bits: 4, narrow: false }, levels: 16, lo: -8, hi: 7 },
    { change: { bits: 8 }, levels: 255, lo: -127, hi: 127 },
    { change: { bits: 8, narrow: false }, levels: 256, lo: -128, hi: 127 },
    { change: { bits: 3, signed: false }, levels: 7, lo: 0, hi: 6 },
    { change: { bits: 3, signed: false, narrow: false }, levels: 8, lo: 0, hi: 7 },
    { change: { bits: 5, scale: 0.25 }, levels: 31, lo: -15 * 0.25, hi: 15 * 0.25 },
    { change: { bits: 6, scale: 3, narrow: false }, levels: 64, lo: -32 * 3, hi: 31 * 3 },
    { change: { bits: 4, rounding: 'FLOOR' } as QuantizerChange, levels: 15, lo: -7, hi: 7 },
    { change: { bits: 1 }, levels: 2, lo: -1, hi: 1 },
  ];
  for (const { change, levels, lo, hi } of cases) {
    it(`${JSON.stringify(change)}: ${levels} levels in [${lo}, ${hi}], each value as the reference quantizer`, async () => {
      const c = { ...change };
      if ('rounding' in c) {
        c.roundingMode = (c as { rounding: string }).rounding;
        delete (c as { rounding?: string }).rounding;
      }
      const m = Object.keys(c).length ? setQuantizer(TFC, 7, c) : TFC;
      const { pre, out } = await runFirstQuantizer(m);
      const lv = distinct(out);
      expect(lv.length).toBe(levels);
      expect(lv[0]).toBe(lo);
      expect(lv[lv.length - 1]).toBe(hi);
      const p: QuantParams = { ...base, ...c, rounding: c.roundingMode ?? 'ROUND' };
      let bad = 0;
      for (let i = 0; i < out.length; i++) if (out[i] !== refQuant(pre[i], p)) bad++;
      expect(bad).toBe(0);
    });
  }

  it('each rounding mode changes the result as the reference says (scale 0.3 puts many values between levels)', async () => {
    const results = new Map<string, Float32Array>();
    for (const mode of ['ROUND', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN']) {
      const m = setQuantizer(TFC, 7, { bits: 8, scale: 0.3, roundingMode: mode.toLowerCase() });
      expect(quantizerInfo(m, 7).roundingMode).toBe(mode);
      const { pre, out } = await runFirstQuantizer(m);
      const p: QuantParams = { ...base, bits: 8, scale: Math.fround(0.3), rounding: mode };
      let bad = 0;
      for (let i = 0; i < out.length; i++) if (out[i] !== refQuant(pre[i], p)) bad++;
      expect(bad, mode).toBe(0);
      results.set(mode, out);
    }
    // the modes really differ on this input (not all the same array of values)
    const differs = (a: string, b: string) => results.get(a)!.some((v, i) => v !== results.get(b)!.at(i));
    expect(differs('FLOOR', 'CEIL')).toBe(true);
    expect(differs('ROUND', 'FLOOR')).toBe(true);
    expect(differs('UP', 'DOWN')).toBe(true);
  });

  it('the original model is not changed by an edit', () => {
    const before = encodeModel(TFC);
    setQuantizer(TFC, 7, { bits: 5, signed: false, narrow: false, roundingMode: 'FLOOR', scale: 0.5, zeroPoint: 1 });
    expect(Buffer.from(encodeModel(TFC)).equals(Buffer.from(before))).toBe(true);
    expect(quantizerInfo(TFC, 7)).toMatchObject({ bits: 2, signed: true, narrow: true, roundingMode: 'ROUND', scale: 1, zeroPoint: 0 });
  });
});

describe('setQuantizer: what changes and what is shared', () => {
  it('replaces an unshared bit-width initializer by value under its name; everything else is the same object', () => {
    const m = setQuantizer(TFC, 8, { bits: 4 });
    const g0 = TFC.graph!, g = m.graph!;
    // the bit width of Quant_18 is tensor 40, read by no other node
    expect(g.node![8].input).toEqual(['41', '42', '43', '40']);
    expect(scalar(m, '40')).toEqual([4]);
    expect(scalar(TFC, '40')).toEqual([2]);
    expect(initOf(m, '40')!.dims!.length).toBe(0);
    expect(initOf(m, '40')!.dataType).toBe(1);
    g.node!.forEach((n, i) => {
      if (i !== 8) expect(n, `node ${i}`).toBe(g0.node![i]);
    });
    g.initializer!.forEach((t, i) => {
      if (t.name !== '40') expect(t, t.name ?? '').toBe(g0.initializer![i]);
    });
    expect(g.initializer!.length).toBe(g0.initializer!.length);
    expect(g.input).toBe(g0.input);
    expect(g.output).toBe(g0.output);
    expect(m.opsetImport).toBe(TFC.opsetImport);
    expect(quantizerInfo(m, 8).bits).toBe(4);
    for (const q of listQuantizers(m)) if (q.nodeIndex !== 8) expect(q.bits).toBe(2);
  });

  it('copies a bit-width initializer that another Quant also reads; only the edited node changes', async () => {
    // make Quant_30 (node 13) read Quant_18's bit width, tensor 40
    const nodes = TFC.graph!.node!.slice();
    nodes[13] = { ...nodes[13], input: ['53', '54', '55', '40'] };
    const shared: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    expect(indexGraph(shared.graph!).consumers.get('40')).toEqual([8, 13]);

    // bits and scale: TFC's float weights are already the integers {-1, 0, 1}, so a new bit width shows
    // only with a finer scale: w / (1/8) = +-8 clamps to +-7 at 4 bits (to +-1 at 2 bits)
    const m = setQuantizer(shared, 8, { bits: 4, scale: 0.125 });
    const g = m.graph!;
    const copy = g.node![8].input![3];
    expect(copy).not.toBe('40');
    expect(g.node![8].input!.slice(0, 3)).toEqual(['41', '42', '43']);
    expect(scalar(m, copy)).toEqual([4]);
    expect(scalar(m, '40')).toEqual([2]);
    expect(initOf(m, '40')).toBe(initOf(shared, '40'));
    expect(g.node![13]).toBe(shared.graph!.node![13]);
    expect(g.initializer!.length).toBe(shared.graph!.initializer!.length + 1);
    expect(scalar(m, '42')).toEqual([0.125]); // Quant_18's own scale, replaced in place
    expect(quantizerInfo(m, 8).bits).toBe(4);
    expect(quantizerInfo(m, 13).bits).toBe(2);
    // the copy is a fresh name: no other tensor of the model is called that
    const names = new Set([...indexGraph(shared.graph!).initializer.keys(), ...(shared.graph!.input ?? []).map((i) => i.name), ...shared.graph!.node!.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])])]);
    expect(names.has(copy)).toBe(false);

    // the kernels see it: Quant_18's output (44) has 4-bit levels of 1/8, Quant_30's (56) still 2-bit ones
    const run = exposeAsOutput(exposeAsOutput(m, '44'), '56');
    const engine = new Engine(run, ORT);
    const r = await engine.run(new Map([['0', { dataType: 1, shape: [1, 1, 28, 28], data: wideInput(784, 3) }]]));
    await engine.release();
    const w0 = r.tensors.get('44'), w1 = r.tensors.get('56');
    expect(w0?.shape).toEqual([64, 784]);
    expect(w1?.shape).toEqual([64, 64]);
    const l0 = distinct(w0!.data as Float32Array), l1 = distinct(w1!.data as Float32Array);
    expect(l1).toEqual([-1, 0, 1]);
    expect(l0).toEqual([-7 / 8, 0, 7 / 8]);
    // independent check on the weights themselves: w*8 clamped to [-7, 7], rounded half to even, /8
    const w = toNumbers(tensorValues(initOf(m, '41')!));
    const d0 = w0!.data as Float32Array;
    let bad = 0;
    for (let i = 0; i < w.length; i++) if (d0[i] !== refQuant(w[i], { zeroPoint: 0, bits: 4, signed: true, narrow: true, rounding: 'ROUND', scale: 0.125 })) bad++;
    expect(bad).toBe(0);
  });

  it('a parameter shared between two inputs of the same node is copied too (Trunc in_bw = out_bw)', async () => {
    // Trunc v1: y = floor(round(x / scale + zp) / 2^(in_bw - out_bw)) ; one initializer 'bw' = 8 for both
    const f32 = (name: string, v: number): Tensor => ({ name, dims: [], dataType: 1, rawData: new Uint8Array(new Float32Array([v]).buffer) });
    const trunc: Node = { name: 'trunc', opType: 'Trunc', domain: 'qonnx.custom_op.general', input: ['x', 's', 'z', 'bw', 'bw'], output: ['y'], attribute: [] };
    const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(8) }] } } } });
    const model: Model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }, { domain: 'qonnx.custom_op.general', version: int64From(1) }],
      graph: { name: 'g', node: [trunc], initializer: [f32('s', 1), f32('z', 0), f32('bw', 8)], input: [vi('x')], output: [vi('y')] },
    };
    const m = setQuantizer(model, 0, { bits: 4 });
    const n = m.graph!.node![0];
    expect(n.input![3]).toBe('bw');
    expect(n.input![4]).not.toBe('bw');
    expect(scalar(m, 'bw')).toEqual([8]);
    expect(scalar(m, n.input![4])).toEqual([4]);
    expect(quantizerInfo(m, 0).bits).toBe(4);
    const x = new Float32Array([0, 15, 16, 17, 100, -17, 255, 40]);
    const engine = new Engine(m, ORT);
    const r = await engine.run(new Map([['x', { dataType: 1, shape: [8], data: x }]]));
    // 8 -> 4 bits: divide by 16, FLOOR
    expect(Array.from(r.tensors.get('y')!.data as Float32Array)).toEqual([0, 0, 1, 1, 6, -2, 15, 2]);
  });

  it('adds a missing bit-width initializer; refuses parameters that are computed or that the op does not have', () => {
    const nodes = TFC.graph!.node!.slice();
    // Quant_13 with its bit width computed by the graph (the output of Sub_9, tensor 35, as a stand-in)
    nodes[7] = { ...nodes[7], input: ['35', '37', '38', '35'] };
    const computed: Model = { ...TFC, graph: { ...TFC.graph, node: nodes } };
    expect(() => setQuantizer(computed, 7, { bits: 4 })).toThrow(/computed by the graph/);
    expect(() => setQuantizer(TFC, 10, { bits: 4 })).toThrow(/not a quantizer/);
    expect(() => setQuantizer(TFC, 999, { bits: 4 })).toThrow(/not a quantizer/);
    expect(() => setQuantizer(TFC, 8, { exponentBits: 4 })).toThrow(/Quant has no exponentBits/);
  });
});

describe('setQuantizer: finn_datatype annotations follow', () => {
  const annotated = setAnnotation(TFC, '44', 'finn_datatype', 'INT2');
  const cases: [QuantizerChange, string][] = [
    [{ bits: 4 }, 'INT4'],
    [{ bits: 4, signed: false }, 'UINT4'],
    [{ bits: 8, narrow: false }, 'INT8'],
    [{ bits: 1 }, 'BIPOLAR'],
    [{ bits: 1, signed: false }, 'BINARY'],
    [{ bits: 4, scale: 0.5 }, 'SCALEDINT<4>'],
    // a non-zero zero point has no integer datatype
    [{ zeroPoint: 1 }, 'FLOAT32'],
  ];
  for (const [c, dt] of cases)
    it(`INT2 -> ${dt} for ${JSON.stringify(c)}`, () => {
      expect(getAnnotation(annotated, '44', 'finn_datatype')).toBe('INT2');
      const m = setQuantizer(annotated, 8, c);
      expect(getAnnotation(m, '44', 'finn_datatype')).toBe(dt);
      // no other tensor gains an annotation
      expect(m.graph!.quantizationAnnotation!.map((a) => a.tensorName)).toEqual(['44']);
    });

  it('adds no annotation where there was none', () => {
    const m = setQuantizer(TFC, 8, { bits: 4 });
    expect(getAnnotation(m, '44', 'finn_datatype')).toBeUndefined();
    expect(m.graph!.quantizationAnnotation ?? []).toEqual([]);
  });
});

describe('cost after bit-width edits (hand-computed from the layer sizes)', () => {
  const allWeightsTo4 = (m: Model) => {
    let out = m;
    for (const q of listQuantizers(m)) if (q.role === 'weight') out = setQuantizer(out, q.nodeIndex, { bits: 4 });
    return out;
  };

  it('every weight quantizer at 4 bits: 2 x 4 BOPs per MAC, dense', () => {
    const macs = LAYER_MACS.reduce((a, b) => a + b, 0);
    expect(macs).toBe(59008);
    const before = inferenceCost(TFC, { discountSparsity: false }).total_cost;
    expect(before.total_bops).toBe(2 * 2 * macs); // 236,032
    const after = inferenceCost(allWeightsTo4(TFC), { discountSparsity: false }).total_cost;
    expect(after.total_bops).toBe(2 * 4 * macs);
    expect(after.total_bops).toBe(472064);
    expect(after.total_macs).toBe(macs);
    expect(after.total_mem_w_bits).toBe(4 * macs);
    expect(after.op_mac_INT2_INT4).toBe(macs);
    expect(after.op_mac_INT2_INT2).toBeUndefined();
    // output memory does not depend on the weights
    expect(after.total_mem_o_bits).toBe(before.total_mem_o_bits);
  });

  it('with sparsity discounted: the nonzero weights stay nonzero (scale 1: zero iff |w| <= 0.5 at 2 and at 4 bits)', () => {
    // count the weights with |w| > 0.5 straight from the file: the nonzero MACs
    let nonzero = 0;
    for (const w of ['41', '53', '65', '77']) for (const v of toNumbers(tensorValues(initOf(TFC, w)!))) if (Math.abs(v) > 0.5) nonzero++;
    expect(nonzero).toBe(22355);
    expect(inferenceCost(TFC).total_cost.total_bops).toBe(2 * 2 * nonzero);
    expect(inferenceCost(allWeightsTo4(TFC)).total_cost.total_bops).toBe(2 * 4 * nonzero);
  });

  it('one layer at 4 bits, one activation at 3 bits', () => {
    let m = setQuantizer(TFC, 8, { bits: 4 }); // weights of MatMul_20
    expect(inferenceCost(m, { discountSparsity: false }).total_cost.total_bops).toBe(LAYER_MACS[0] * 2 * 4 + (LAYER_MACS[1] + LAYER_MACS[2] + LAYER_MACS[3]) * 2 * 2);
    m = setQuantizer(m, 12, { bits: 3 }); // input of MatMul_32
    expect(inferenceCost(m, { discountSparsity: false }).total_cost.total_bops).toBe(LAYER_MACS[0] * 2 * 4 + LAYER_MACS[1] * 3 * 2 + (LAYER_MACS[2] + LAYER_MACS[3]) * 2 * 2);
  });

  it('withAllQuantBits agrees with editing every quantizer one by one', () => {
    let one = TFC;
    for (const q of listQuantizers(TFC)) one = setQuantizer(one, q.nodeIndex, { bits: 5 });
    const all = withAllQuantBits(TFC, 5);
    expect(inferenceCost(all, { discountSparsity: false }).total_cost.total_bops).toBe(5 * 5 * 59008);
    expect(inferenceCost(one, { discountSparsity: false }).total_cost.total_bops).toBe(5 * 5 * 59008);
  });
});

describe('listQuantizers, layerQuantizers, findQuantizer on TFC', () => {
  it('lists the eight quantizers with role, layer and parameters', () => {
    const qs = listQuantizers(TFC);
    expect(qs.map((q) => q.nodeIndex)).toEqual([7, 8, 12, 13, 17, 18, 22, 23]);
    expect(qs.map((q) => q.name)).toEqual(['Quant_13', 'Quant_18', 'Quant_25', 'Quant_30', 'Quant_37', 'Quant_42', 'Quant_49', 'Quant_54']);
    expect(qs.map((q) => q.role)).toEqual(['activation', 'weight', 'activation', 'weight', 'activation', 'weight', 'activation', 'weight']);
    // each pair belongs to the MatMul it feeds
    expect(qs.map((q) => q.layer)).toEqual([10, 10, 15, 15, 20, 20, 25, 25]);
    expect(qs.map((q) => TFC.graph!.node![q.layer!].name)).toEqual(['MatMul_20', 'MatMul_20', 'MatMul_32', 'MatMul_32', 'MatMul_44', 'MatMul_44', 'MatMul_56', 'MatMul_56']);
    for (const q of qs) expect(q).toMatchObject({ opType: 'Quant', bits: 2, signed: true, narrow: true, roundingMode: 'ROUND', scale: 1, scaleCount: 1, zeroPoint: 0 });
  });

  it('layerQuantizers: weight, input and output quantizer of each MatMul', () => {
    expect(MATMUL.map((l) => layerQuantizers(TFC, l))).toEqual([
      { weight: 8, input: 7, output: 12 }, // output through BatchNormalization_21
      { weight: 13, input: 12, output: 17 },
      { weight: 18, input: 17, output: 22 },
      { weight: 23, input: 22, output: undefined }, // the last layer ends in float Sub/Div/Mul/Add
    ]);
  });

  it('an activation quantizer reaches its layer through resampling ops (Resize, Upsample, DepthToSpace, SpaceToDepth, GlobalMaxPool)', () => {
    // x -> Quant -> <op> -> Conv(w <- Quant) -> Quant: the first Quant is the Conv's input quantizer, the last its output quantizer
    for (const op of ['Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', 'GlobalMaxPool']) {
      const f = (name: string, v: number): Tensor => ({ name, dims: [], dataType: 1, floatData: [v] });
      const quant = (x: string, y: string): Node => ({ opType: 'Quant', domain: 'qonnx.custom_op.general', name: `q_${y}`, input: [x, 's', 'z', 'b'], output: [y], attribute: [] });
      const m: Model = {
        graph: {
          node: [
            quant('x', 'xq'),
            { opType: op, name: 'resample', input: ['xq'], output: ['xr'] },
            quant('w', 'wq'),
            { opType: 'Conv', name: 'conv', input: ['xr', 'wq'], output: ['c'] },
            quant('c', 'y'),
          ],
          initializer: [f('s', 1), f('z', 0), f('b', 4), { name: 'w', dims: [1, 1, 1, 1].map((d) => int64From(d)), dataType: 1, floatData: [0.5] }],
        },
      };
      const qs = listQuantizers(m);
      expect(qs.map((q) => [q.name, q.role, q.layer]), op).toEqual([['q_xq', 'activation', 3], ['q_wq', 'weight', 3], ['q_y', 'activation', undefined]]);
      expect(layerQuantizers(m, 3), op).toEqual({ weight: 2, input: 0, output: 4 });
    }
  });

  it('findQuantizer by quantizer name, layer name and tensor name', () => {
    expect(findQuantizer(TFC, 'Quant_18')).toBe(8);
    expect(findQuantizer(TFC, 'Quant_13')).toBe(7);
    MATMUL.forEach((l, k) => expect(findQuantizer(TFC, TFC.graph!.node![l].name!)).toBe(WEIGHT[k]));
    expect(findQuantizer(TFC, '44')).toBe(8); // produced by Quant_18
    expect(findQuantizer(TFC, '41')).toBe(8); // the weights Quant_18 reads
    expect(findQuantizer(TFC, '40')).toBe(8); // its bit width
    expect(findQuantizer(TFC, '39')).toBe(7);
    expect(findQuantizer(TFC, '35')).toBe(7); // read by Quant_13
    ACT.forEach((a) => expect(findQuantizer(TFC, TFC.graph!.node![a].output![0])).toBe(a));
    // not a quantizer, not a layer with one, not a tensor of one
    expect(findQuantizer(TFC, 'BatchNormalization_21')).toBeUndefined();
    expect(findQuantizer(TFC, '46')).toBeUndefined();
    expect(findQuantizer(TFC, 'no such thing')).toBeUndefined();
    expect(nodeIndex(TFC, 'MatMul_20')).toBe(10);
  });
});
