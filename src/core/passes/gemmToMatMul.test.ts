/**
 * GemmToMatMul on the FP8 Brevitas export (Gemm with transB and a bias) and on small models covering
 * transA, alpha, beta and a Gemm without C; outputs compared with the Engine before and after.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { attrF, attrI } from './rewrite.js';
import { build, errorsOf, initF, loadModel, nd, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { gemmToMatMul } from './gemmToMatMul.js';
import { runTransform } from './tidy.js';

describe('gemmToMatMul', () => {
  it('FP8 export: Gemm(transB) becomes Transpose(weight) -> MatMul -> Add(bias), writing the same output', async () => {
    const m = loadModel('qonnx_act_weight_fp8.onnx');
    const r = runTransform(gemmToMatMul, m, {});
    expect(r.modified).toBe(true);
    expect(ops(r.model)).toEqual(['FloatQuant', 'FloatQuant', 'Transpose', 'MatMul', 'Add']);
    const [, , t, mm, add] = r.model.graph!.node!;
    expect(t.input).toEqual(['/weight_quant/export_handler/FloatQuant_output_0']);
    expect(mm.input).toEqual(['/input_quant/export_handler/FloatQuant_output_0', t.output![0]]);
    expect(add.input).toEqual([mm.output![0], 'bias']);
    expect(add.output).toEqual(['11']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('transA, alpha and beta: Transpose(A), MatMul, Mul(alpha), Mul(C, beta), Add', async () => {
    const m = build({
      nodes: [nd('Gemm', ['a', 'b', 'c'], ['y'], 'gemm', [attrF('alpha', 0.5), attrF('beta', 2), attrI('transA', 1)])],
      inits: [initF('b', [3, 4]), initF('c', [4], [1, -2, 3, 0.5])],
      inputs: [vi('a', [3, 2])],
      outputs: [vi('y', [2, 4])],
      opset: 11,
    });
    const r = runTransform(gemmToMatMul, m, {});
    // level order: Transpose(A) and Mul(C, beta) need no other node
    expect(ops(r.model)).toEqual(['Transpose', 'Mul', 'MatMul', 'Mul', 'Add']);
    const idx = indexGraph(r.model.graph!);
    const consts = r.model.graph!.node!.filter((n) => n.opType === 'Mul').map((n) => Array.from(toNumbers(tensorValues(idx.initializer.get(n.input![1])!))));
    expect(consts.sort()).toEqual([[0.5], [2]]);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('a Gemm without C is a bare MatMul writing the output', async () => {
    const m = build({
      nodes: [nd('Gemm', ['a', 'b'], ['y'], 'gemm')],
      inits: [initF('b', [3, 4])],
      inputs: [vi('a', [2, 3])],
      outputs: [vi('y', [2, 4])],
      opset: 13,
    });
    const r = runTransform(gemmToMatMul, m, {});
    expect(ops(r.model)).toEqual(['MatMul']);
    expect(r.model.graph!.node![0].output).toEqual(['y']);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
    expect(gemmToMatMul.run(r.model, {}).modified).toBe(false);
  });
});
