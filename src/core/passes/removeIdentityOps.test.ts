/**
 * RemoveIdentityOps: Identity, Add/Sub 0, Mul/Div 1, zero Pad and inference Dropout go; a constant that
 * would broadcast the data to a larger shape keeps its node; graph output names never change. Checked on
 * small IR models and on the real Keras/QKeras exports that end in Identity nodes, each run on seeded
 * inputs with the Engine before and after.
 */
import { describe, expect, it } from 'vitest';
import { build, errorsOf, initF, initI64, loadModel, nd, nodeNames, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import { removeIdentityOps } from './removeIdentityOps.js';
import { attrF, attrI } from './rewrite.js';
import { runTransform } from './tidy.js';

const ones = (name: string, dims: number[]) => initF(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(1));
const zeros = (name: string, dims: number[]) => initF(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0));

describe('removeIdentityOps', () => {
  const chain = () =>
    build({
      nodes: [
        nd('Relu', ['x'], ['r'], 'relu'),
        nd('Identity', ['r'], ['i'], 'id'),
        nd('Add', ['i', 'z'], ['a'], 'add0'),
        nd('Mul', ['o', 'a'], ['m'], 'mul1'), // the constant first: also recognised
        nd('Div', ['m', 'one'], ['d'], 'div1'),
        nd('Sub', ['d', 'zb'], ['s'], 'sub_broadcast'), // zeros [2,1,4] would enlarge [1,4]: kept
        nd('Pad', ['s', 'pads'], ['p'], 'pad0'),
        nd('Dropout', ['p'], ['y'], 'drop'),
      ],
      inits: [zeros('z', [4]), ones('o', [1, 4]), ones('one', []), zeros('zb', [2, 1, 4]), initI64('pads', [0, 0, 0, 0, 0, 0])],
      inputs: [vi('x', [1, 4])],
      outputs: [vi('y', [2, 1, 4])],
    });

  it('removes Identity, Add 0, Mul 1 (either operand), Div 1, zero Pad and Dropout; keeps a broadcasting Sub', async () => {
    const m = chain();
    const r = runTransform(removeIdentityOps, m, {});
    expect(r.modified).toBe(true);
    expect(ops(r.model)).toEqual(['Relu', 'Sub']);
    // the last removed node wrote the graph output: its producer now writes 'y' directly
    expect(r.model.graph!.node![1].output).toEqual(['y']);
    expect(r.model.graph!.output!.map((o) => o.name)).toEqual(['y']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('keeps constants that are not (close to) neutral, and honours atol', () => {
    const m = build({
      nodes: [nd('Mul', ['x', 'c'], ['y'], 'mul')],
      inits: [initF('c', [], [1.001])],
      inputs: [vi('x', [3])],
      outputs: [vi('y', [3])],
    });
    expect(removeIdentityOps.run(m, {}).modified).toBe(false);
    const r = removeIdentityOps.run(m, { atol: 0.01 });
    expect(r.modified).toBe(true);
    // 'y' is a graph output and 'x' a graph input: an Identity keeps the output's name
    expect(ops(r.model)).toEqual(['Identity']);
    expect(r.model.graph!.node![0].input).toEqual(['x']);
    expect(removeIdentityOps.run(r.model, { atol: 0.01 }).modified).toBe(false);
  });

  it('rewires every reader when the data input is shared, and leaves an Identity between graph input and output alone', async () => {
    const m = build({
      nodes: [nd('Relu', ['x'], ['r'], 'relu'), nd('Add', ['r', 'z'], ['a'], 'add0'), nd('Neg', ['a'], ['y1'], 'neg'), nd('Abs', ['r'], ['y2'], 'abs'), nd('Identity', ['x'], ['y3'], 'keep')],
      inits: [zeros('z', [1])],
      inputs: [vi('x', [2, 3])],
      outputs: [vi('y1', [2, 3]), vi('y2', [2, 3]), vi('y3', [2, 3])],
    });
    const r = runTransform(removeIdentityOps, m, {});
    expect(nodeNames(r.model).sort()).toEqual(['abs', 'keep', 'neg', 'relu']);
    const neg = r.model.graph!.node!.find((n) => n.name === 'neg')!;
    expect(neg.input).toEqual(['r']);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('keeps a Dropout whose mask is read, or that runs in training mode', () => {
    const m = build({
      nodes: [nd('Dropout', ['x'], ['y', 'mask'], 'drop', [attrF('ratio', 0.5)]), nd('Cast', ['mask'], ['y2'], 'cast', [attrI('to', 1)])],
      inputs: [vi('x', [3])],
      outputs: [vi('y', [3]), vi('y2', [3])],
    });
    expect(removeIdentityOps.run(m, {}).modified).toBe(false);
  });

  it('Keras dense export: the two trailing Identity nodes go, Softmax writes global_out', async () => {
    const m = loadModel('qonnx_hist_keras_dense_conversion_float.onnx');
    const r = runTransform(removeIdentityOps, m, {});
    expect(ops(r.model)).toEqual(['MatMul', 'Add', 'Relu', 'MatMul', 'Add', 'Relu', 'MatMul', 'Add', 'Softmax']);
    expect(r.model.graph!.node!.at(-1)!.output).toEqual(['global_out']);
    expect(r.model.graph!.output!.map((o) => o.name)).toEqual(['global_out']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model)).mismatches).toEqual([]);
  });

  it('QKeras activation export: Identity before and after the Quant go; the quantized output is bit-exact', async () => {
    const m = loadModel('qonnx_hist_qkeras_qactivation_16.onnx');
    const r = runTransform(removeIdentityOps, m, {});
    expect(ops(r.model)).toEqual(['Quant']);
    expect(r.model.graph!.node![0].input![0]).toBe('global_in');
    expect(r.model.graph!.node![0].output).toEqual(['global_out']);
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect((await sameOutputs(m, r.model, [1, 2, 3])).mismatches).toEqual([]);
  });
});
