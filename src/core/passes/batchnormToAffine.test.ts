/**
 * BatchNormToAffine: constants computed by hand in float32 on a small model, the BatchNorm1d pattern
 * (Unsqueeze -> BN -> Squeeze) absorbed, and the TFC / ESPCN BatchNorms replaced with unchanged outputs
 * (ESPCN's quantized output bit for bit).
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';
import { tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import { attrF, attrInts } from './rewrite.js';
import { batchnormToAffine } from './batchnormToAffine.js';
import { build, count, errorsOf, initF, initI64, loadModel, nd, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { runTransform } from './tidy.js';

const f = Math.fround;
const constOf = (m: Model, node: number) => {
  const idx = indexGraph(m.graph!);
  const t = idx.initializer.get(m.graph!.node![node].input![1])!;
  return { shape: tensorShape(t), values: Array.from(toNumbers(tensorValues(t))) };
};

describe('batchnormToAffine', () => {
  const scale = [1, 2], bias = [0.5, -1], mean = [0.25, 3], variance = [4, 0.0625];
  const bnModel = (eps: number) =>
    build({
      nodes: [nd('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['y'], 'bn', [attrF('epsilon', eps)])],
      inits: [initF('g', [2], scale), initF('b', [2], bias), initF('m', [2], mean), initF('v', [2], variance)],
      inputs: [vi('x', [1, 2, 3, 3])],
      outputs: [vi('y', [1, 2, 3, 3])],
    });

  it('Mul by scale/sqrt(var+eps) then Add bias - mean*A, shaped [1, C, 1, 1], in float32', async () => {
    const eps = 1e-3;
    const m = bnModel(eps);
    const r = runTransform(batchnormToAffine, m, {});
    expect(ops(r.model)).toEqual(['Mul', 'Add']);
    const A = scale.map((s, k) => f(s / f(Math.sqrt(f(f(eps) + variance[k])))));
    const B = bias.map((b, k) => f(b - f(A[k] * mean[k])));
    // by hand: sqrt(4.001) = 2.000250; 1 / 2.000250 = 0.4999375; sqrt(0.0635) = 0.251992; 2 / 0.251992 = 7.93676
    expect(A[0]).toBeCloseTo(0.4999375, 6);
    expect(A[1]).toBeCloseTo(7.93676, 4);
    expect(constOf(r.model, 0)).toEqual({ shape: [1, 2, 1, 1], values: A });
    expect(constOf(r.model, 1)).toEqual({ shape: [1, 2, 1, 1], values: B });
    expect(r.model.graph!.node![1].output).toEqual(['y']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('absorbs the BatchNorm1d pattern Unsqueeze(axis 2) -> BN -> Squeeze(axis 2): Mul/Add on [N, C] with [1, C] constants', async () => {
    const m = build({
      nodes: [
        nd('Unsqueeze', ['x', 'ax'], ['u'], 'unsq'),
        nd('BatchNormalization', ['u', 'g', 'b', 'm', 'v'], ['bn'], 'bn'),
        nd('Squeeze', ['bn', 'ax2'], ['y'], 'sq'),
      ],
      inits: [initI64('ax', [2]), initI64('ax2', [2]), initF('g', [2], scale), initF('b', [2], bias), initF('m', [2], mean), initF('v', [2], variance)],
      inputs: [vi('x', [3, 2])],
      outputs: [vi('y', [3, 2])],
    });
    const r = runTransform(batchnormToAffine, m, {});
    expect(ops(r.model)).toEqual(['Mul', 'Add']);
    expect(r.model.graph!.node![0].input![0]).toBe('x');
    expect(r.model.graph!.node![1].output).toEqual(['y']);
    expect(constOf(r.model, 0).shape).toEqual([1, 2]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('keeps an Unsqueeze that moves the channel axis (axis 0), converting only the BN', async () => {
    const m = build({
      nodes: [nd('Unsqueeze', ['x'], ['u'], 'unsq', [attrInts('axes', [0])]), nd('BatchNormalization', ['u', 'g', 'b', 'm', 'v'], ['bn'], 'bn'), nd('Squeeze', ['bn'], ['y'], 'sq', [attrInts('axes', [0])])],
      inits: [initF('g', [2], scale), initF('b', [2], bias), initF('m', [2], mean), initF('v', [2], variance)],
      inputs: [vi('x', [2, 5])],
      outputs: [vi('y', [2, 5])],
      opset: 11,
    });
    const r = runTransform(batchnormToAffine, m, {});
    expect(ops(r.model)).toEqual(['Unsqueeze', 'Mul', 'Add', 'Squeeze']);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  for (const file of ['zoo_TFC_2W2A.onnx', 'qonnx_espcn_nnresize_quant.onnx']) {
    it(`${file}: every BatchNormalization becomes Mul + Add and the outputs stay the same`, async () => {
      const m = loadModel(file);
      const bns = count(m, 'BatchNormalization');
      expect(bns).toBe(3);
      const r = runTransform(batchnormToAffine, m, {});
      expect(count(r.model, 'BatchNormalization')).toBe(0);
      expect(count(r.model, 'Mul')).toBe(count(m, 'Mul') + bns);
      expect(count(r.model, 'Add')).toBe(count(m, 'Add') + bns);
      // the BN parameters were also listed as graph inputs; they are gone with the BNs
      const g = r.model.graph!;
      expect(g.input!.length).toBe(1);
      expect(errorsOf(reread(r.model))).toEqual([]);
      expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
    });
  }
});
