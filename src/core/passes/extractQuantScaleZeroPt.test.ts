/**
 * ExtractQuantScaleZeroPt: Div(scale) -> Add(zeropt) -> Quant(1, 0) -> Sub(zeropt) -> Mul(scale), in the
 * reference's order, bit-exact (the quantized outputs are compared for equality) on small models and on
 * the ESPCN export (per-channel weight scales, activation scales); TFC (all scales 1) is left alone.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { QONNX_DOMAIN } from '../qonnx/registry.js';
import { attrI } from './rewrite.js';
import { build, count, errorsOf, initF, initI64, loadModel, nd, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { extractQuantScaleZeroPt } from './extractQuantScaleZeroPt.js';
import { runTransform } from './tidy.js';

const rounding = { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('ROUND') };
const valuesOf = (m: Model, t: string) => Array.from(toNumbers(tensorValues(indexGraph(m.graph!).initializer.get(t)!)));
const quantModel = (scale: number[], zeropt: number[], signed = 0) =>
  build({
    nodes: [nd('Quant', ['x', 's', 'z', 'b'], ['y'], 'q', [attrI('narrow', 0), rounding, attrI('signed', signed)], QONNX_DOMAIN)],
    inits: [initF('s', [scale.length === 1 ? 1 : scale.length, 1], scale), initF('z', [], zeropt), initF('b', [], [4])],
    inputs: [vi('x', [scale.length, 6])],
    outputs: [vi('y', [scale.length, 6])],
  });

describe('extractQuantScaleZeroPt', () => {
  it('scale and zero point: Div, Add, Quant(1, 0), Sub, Mul; the output is bit-exact', async () => {
    const m = quantModel([0.1, 0.25, 0.03], [3]);
    const r = runTransform(extractQuantScaleZeroPt, m, {});
    expect(r.modified).toBe(true);
    expect(ops(r.model)).toEqual(['Div', 'Add', 'Quant', 'Sub', 'Mul']);
    const [div, add, q, sub, mul] = r.model.graph!.node!;
    expect(div.input![0]).toBe('x');
    expect(add.input![0]).toBe(div.output![0]);
    expect(q.input![0]).toBe(add.output![0]);
    expect(valuesOf(r.model, q.input![1])).toEqual([1]);
    expect(valuesOf(r.model, q.input![2])).toEqual([0]);
    expect(q.input![3]).toBe('b');
    expect(sub.input![0]).toBe(q.output![0]);
    expect(valuesOf(r.model, sub.input![1])).toEqual([3]);
    expect(mul.input![0]).toBe(sub.output![0]);
    expect(valuesOf(r.model, mul.input![1])).toEqual([0.1, 0.25, 0.03].map(Math.fround));
    expect(mul.output).toEqual(['y']);
    // the scale read by Div and Mul: one copy each after the tidy-up
    expect(div.input![1]).not.toBe(mul.input![1]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model, [1, 2, 3])).mismatches).toEqual([]);
    // a fixpoint: the new Quant has scale 1 and zero point 0
    expect(extractQuantScaleZeroPt.run(r.model, {}).modified).toBe(false);
  });

  it('only the scale: Div, Quant, Mul (zero point kept)', async () => {
    const m = quantModel([0.5], [0], 1);
    const r = runTransform(extractQuantScaleZeroPt, m, {});
    expect(ops(r.model)).toEqual(['Div', 'Quant', 'Mul']);
    expect(r.model.graph!.node![1].input![2]).toBe('z');
    expect((await sameOutputs(m, r.model, [1, 2])).mismatches).toEqual([]);
  });

  it('leaves Quants with scale 1 and zero point 0, and parameters that are not float32', () => {
    expect(extractQuantScaleZeroPt.run(quantModel([1], [0]), {}).modified).toBe(false);
    const m = build({
      nodes: [nd('Quant', ['x', 's', 'z', 'b'], ['y'], 'q', [attrI('narrow', 0), rounding, attrI('signed', 1)], QONNX_DOMAIN)],
      inits: [initI64('s', [2], []), initI64('z', [0], []), initI64('b', [4], [])],
      inputs: [vi('x', [4])],
      outputs: [vi('y', [4])],
    });
    expect(extractQuantScaleZeroPt.run(m, {}).modified).toBe(false);
    const tfc = loadModel('zoo_TFC_2W2A.onnx');
    expect(extractQuantScaleZeroPt.run(tfc, {}).modified).toBe(false);
  });

  it('ESPCN: all eight Quants are split and the quantized output is bit-exact', async () => {
    const m = loadModel('qonnx_espcn_subpixel_quant.onnx');
    const r = runTransform(extractQuantScaleZeroPt, m, {});
    expect(count(r.model, 'Quant')).toBe(8);
    expect(count(r.model, 'Div')).toBe(8);
    expect(count(r.model, 'Mul')).toBe(8);
    expect(count(r.model, 'Add')).toBe(0);
    expect(r.model.graph!.node!.at(-1)!.output).toEqual(m.graph!.output!.map((o) => o.name));
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model, [1])).mismatches).toEqual([]);
  });
});
