/**
 * FoldTransposeIntoQuantInit on the TFC models (Quant and BipolarQuant weights stored [out, in] and
 * transposed before MatMul) and on small models with per-channel scales: the weight and its non-scalar
 * parameters are transposed (broadcasting-aware), the Transpose is gone, and the outputs are unchanged.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import { QONNX_DOMAIN } from '../qonnx/registry.js';
import { attrI, attrInts } from './rewrite.js';
import { build, count, errorsOf, initF, loadModel, nd, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { foldTransposeIntoQuantInit } from './foldTransposeIntoQuantInit.js';
import { runTransform } from './tidy.js';

const init = (m: Model, name: string) => indexGraph(m.graph!).initializer.get(name)!;
const values = (m: Model, name: string) => Array.from(toNumbers(tensorValues(init(m, name))));
const quantAttrs = [attrI('narrow', 0), { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('ROUND') }, attrI('signed', 1)];

describe('foldTransposeIntoQuantInit', () => {
  for (const file of ['zoo_TFC_2W2A.onnx', 'zoo_TFC_1W1A.onnx', 'zoo_TFC_1W2A.onnx']) {
    it(`${file}: the four weight Transposes fold into their quantizers`, async () => {
      const m = loadModel(file);
      const r = runTransform(foldTransposeIntoQuantInit, m, {});
      expect(r.modified).toBe(true);
      expect(count(m, 'Transpose')).toBe(4);
      expect(count(r.model, 'Transpose')).toBe(0);
      expect(r.model.graph!.node!.length).toBe(m.graph!.node!.length - 4);
      const idx = indexGraph(r.model.graph!);
      // each MatMul reads a quantizer whose weight is now [in, out]
      const shapes = r.model.graph!.node!.filter((n) => n.opType === 'MatMul').map((n) => {
        const q = idx.nodes[idx.producer.get(n.input![1])!];
        expect(q.opType).toMatch(/Quant/);
        // the quantizer writes the former Transpose output
        expect(n.input![1]).toBe(m.graph!.node!.find((t) => t.opType === 'Transpose' && t.output![0] === n.input![1])?.output![0]);
        return tensorShape(idx.initializer.get(q.input![0])!);
      });
      expect(shapes).toEqual([
        [784, 64],
        [64, 64],
        [64, 64],
        [64, 10],
      ]);
      expect(errorsOf(reread(r.model))).toEqual([]);
      expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
    });
  }

  it('transposes per-channel scales too ([4,1] -> [1,4]) and leaves scalar parameters', async () => {
    const w = Array.from({ length: 12 }, (_, i) => (i - 6) * 0.13);
    const m = build({
      nodes: [
        nd('Quant', ['w', 's', 'z', 'b'], ['wq'], 'q', quantAttrs, QONNX_DOMAIN),
        nd('Transpose', ['wq'], ['wt'], 't', [attrInts('perm', [1, 0])]),
        nd('MatMul', ['x', 'wt'], ['y'], 'mm'),
      ],
      inits: [initF('w', [4, 3], w), initF('s', [4, 1], [0.1, 0.2, 0.25, 0.5]), initF('z', [], [0]), initF('b', [], [3])],
      inputs: [vi('x', [2, 3])],
      outputs: [vi('y', [2, 4])],
    });
    const r = runTransform(foldTransposeIntoQuantInit, m, {});
    expect(ops(r.model)).toEqual(['Quant', 'MatMul']);
    expect(tensorShape(init(r.model, 'w'))).toEqual([3, 4]);
    expect(values(r.model, 'w').slice(0, 4)).toEqual([w[0], w[3], w[6], w[9]].map(Math.fround));
    expect(tensorShape(init(r.model, 's'))).toEqual([1, 4]);
    expect(tensorShape(init(r.model, 'z'))).toEqual([]);
    expect(r.model.graph!.node![0].output).toEqual(['wt']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('pads a lower-rank per-channel scale to the weight rank before transposing ([3,1] with a 3-D weight)', async () => {
    const m = build({
      nodes: [
        nd('Quant', ['w', 's', 'z', 'b'], ['wq'], 'q', quantAttrs, QONNX_DOMAIN),
        nd('Transpose', ['wq'], ['wt'], 't', [attrInts('perm', [2, 0, 1])]),
        nd('Add', ['x', 'wt'], ['y'], 'add'),
      ],
      inits: [initF('w', [2, 3, 4]), initF('s', [3, 1], [0.05, 0.1, 0.2]), initF('z', [], [0]), initF('b', [], [4])],
      inputs: [vi('x', [4, 2, 3])],
      outputs: [vi('y', [4, 2, 3])],
    });
    const r = runTransform(foldTransposeIntoQuantInit, m, {});
    expect(ops(r.model)).toEqual(['Quant', 'Add']);
    expect(tensorShape(init(r.model, 'w'))).toEqual([4, 2, 3]);
    // [3,1] -> [1,3,1] -> perm (2,0,1) -> [1,1,3]
    expect(tensorShape(init(r.model, 's'))).toEqual([1, 1, 3]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('leaves a quantizer alone when its output has other readers, or its data is not an initializer', () => {
    const m = build({
      nodes: [
        nd('Quant', ['w', 's', 'z', 'b'], ['wq'], 'q', quantAttrs, QONNX_DOMAIN),
        nd('Transpose', ['wq'], ['wt'], 't', [attrInts('perm', [1, 0])]),
        nd('Relu', ['wq'], ['y2'], 'other'),
        nd('Quant', ['x', 's2', 'z', 'b'], ['xq'], 'qa', quantAttrs, QONNX_DOMAIN),
        nd('Transpose', ['xq'], ['y3'], 't2', [attrInts('perm', [1, 0])]),
      ],
      inits: [initF('w', [2, 2]), initF('s', [], [0.5]), initF('s2', [], [0.5]), initF('z', [], [0]), initF('b', [], [4])],
      inputs: [vi('x', [2, 2])],
      outputs: [vi('wt', [2, 2]), vi('y2', [2, 2]), vi('y3', [2, 2])],
    });
    expect(foldTransposeIntoQuantInit.run(m, {}).modified).toBe(false);
  });
});
