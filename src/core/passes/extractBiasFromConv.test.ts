/**
 * ExtractBiasFromConv on real models with biased Convs (residual block, ESPCN float) and on small
 * ConvTranspose / shared-bias models: Conv loses its bias, an Add with the bias as [1, C, 1, 1] writes
 * the original output, and the outputs stay the same.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { tensorShape } from '../onnx/tensorData.js';
import { attrInts } from './rewrite.js';
import { build, count, errorsOf, initF, loadModel, nd, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { extractBiasFromConv } from './extractBiasFromConv.js';
import { runTransform } from './tidy.js';

describe('extractBiasFromConv', () => {
  it('residual block: three biased Convs become Conv + Add, same outputs', async () => {
    const m = loadModel('qonnx_residual_block_clean.onnx');
    const r = runTransform(extractBiasFromConv, m, {});
    expect(r.modified).toBe(true);
    expect(ops(r.model)).toEqual(['Conv', 'Add', 'Conv', 'Add', 'Relu', 'Conv', 'Add', 'Relu', 'Add', 'MaxPool']);
    const g = r.model.graph!;
    const idx = indexGraph(g);
    for (const [k, n] of g.node!.entries()) {
      if (n.opType !== 'Conv') continue;
      expect(n.input!.length).toBe(2);
      const add = g.node![k + 1];
      expect(add.input![0]).toBe(n.output![0]);
      expect(tensorShape(idx.initializer.get(add.input![1])!)).toEqual([1, 14, 1, 1]);
    }
    // the Adds write the former Conv outputs: names downstream are unchanged
    expect(g.node![1].output).toEqual(['Conv_0_out0']);
    // the reshaped biases keep their names and lose their stale [14] value_info
    expect(g.valueInfo!.some((v) => v.name === 'Conv_0_param1')).toBe(false);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('ESPCN float: the three biased Convs are split, the bias-free one is left', async () => {
    const m = loadModel('qonnx_espcn_nnresize_float.onnx');
    const r = runTransform(extractBiasFromConv, m, {});
    expect(count(r.model, 'Conv')).toBe(4);
    expect(count(r.model, 'Add')).toBe(3);
    expect(r.model.graph!.node!.filter((n) => n.opType === 'Conv').map((n) => n.input!.length)).toEqual([2, 2, 2, 2]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model, [1])).mismatches).toEqual([]);
  });

  it('ConvTranspose too; a bias shared by two Convs gets a reshaped copy for one of them', async () => {
    const m = build({
      nodes: [
        nd('ConvTranspose', ['x', 'wt', 'b'], ['t'], 'deconv', [attrInts('strides', [2, 2])]),
        nd('Conv', ['t', 'w', 'b'], ['y'], 'conv', [attrInts('pads', [1, 1, 1, 1])]),
        nd('Mul', ['s', 'b'], ['y2'], 'reads_bias'),
      ],
      inits: [initF('wt', [2, 3, 2, 2]), initF('w', [3, 3, 3, 3]), initF('b', [3], [0.5, -1, 2])],
      inputs: [vi('x', [1, 2, 4, 4]), vi('s', [3])],
      outputs: [vi('y', [1, 3, 8, 8]), vi('y2', [3])],
    });
    const r = runTransform(extractBiasFromConv, m, {});
    expect(count(r.model, 'Add')).toBe(2);
    expect(r.model.graph!.node!.filter((n) => (n.opType ?? '').startsWith('Conv')).map((n) => n.input!.length)).toEqual([2, 2]);
    // the Mul still reads the original 1-D bias
    const idx = indexGraph(r.model.graph!);
    expect(tensorShape(idx.initializer.get(r.model.graph!.node!.find((n) => n.name === 'reads_bias')!.input![1])!)).toEqual([3]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });
});
