/**
 * The tidy-up: SortGraph orders nodes level by level as the reference's toposort_flatten does
 * (worked out by hand below), constant inputs of commutative ops go last, and runTransform runs a
 * pass to its fixpoint before tidying (unused tensors, static inputs, unique parameters).
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { attrInts } from './rewrite.js';
import { build, errorsOf, initF, loadModel, nd, nodeNames, ops, reread, sameOutputs, vi } from './passTestSupport.js';
import type { Pass } from './pass.js';
import { findTransform, resolveParams } from './registry.js';
import { runTransform, sortCommutativeInputsInitializerLast, sortGraph, tidyUp } from './tidy.js';

describe('sortGraph', () => {
  // x -> A -> B -> C -> y ; w (initializer) -> Q -> C ; listed in a scrambled order
  const scrambled = () =>
    build({
      nodes: [nd('Relu', ['b'], ['c0'], 'C'), nd('Neg', ['w'], ['q'], 'Q'), nd('Relu', ['a'], ['b'], 'B'), nd('Relu', ['x'], ['a'], 'A'), nd('Add', ['c0', 'q'], ['y'], 'D')],
      inits: [initF('w', [4])],
      inputs: [vi('x', [4])],
      outputs: [vi('y', [4])],
    });

  it('orders level by level, ties in current order (Q, with only an initializer input, is in level 0)', () => {
    const r = sortGraph.run(scrambled(), {});
    expect(r.modified).toBe(true);
    // level 0: Q (index 1) and A (index 3) -> Q, A ; then B ; then C ; then D
    expect(nodeNames(r.model)).toEqual(['Q', 'A', 'B', 'C', 'D']);
    expect(errorsOf(reread(r.model))).toEqual([]);
  });

  it('is stable: a sorted graph stays as it is (same object)', () => {
    const once = sortGraph.run(scrambled(), {}).model;
    const twice = sortGraph.run(once, {});
    expect(twice.modified).toBe(false);
    expect(twice.model).toBe(once);
  });

  it('puts every weight quantizer of TFC first, as the reference does, and computes the same', async () => {
    const m = loadModel('zoo_TFC_2W2A.onnx');
    const r = sortGraph.run(m, {});
    expect(r.modified).toBe(true);
    // level 0 of the original: Shape (reads the graph input), the four weight Quants and Pow
    expect(nodeNames(r.model).slice(0, 6)).toEqual(['Shape_0', 'Quant_18', 'Quant_30', 'Quant_42', 'Quant_54', 'Pow_59']);
    expect(nodeNames(r.model).slice(6, 11)).toEqual(['Gather_2', 'Transpose_19', 'Transpose_31', 'Transpose_43', 'Transpose_55']);
    expect(nodeNames(r.model).at(-1)).toBe('Add_62');
    expect(r.model.graph!.node!.length).toBe(m.graph!.node!.length);
    const cmp = await sameOutputs(m, r.model, [1]);
    expect(cmp.mismatches).toEqual([]);
  });

  it('counts what an If branch reads from the outer graph as an input of the If', () => {
    const branch = (op: string) => ({ name: op, node: [nd(op, ['a'], ['o'], op)], output: [vi('o', [2])] });
    const m = build({
      nodes: [
        nd('If', ['cond'], ['y'], 'if', [
          { name: 'then_branch', type: 5, g: branch('Relu') },
          { name: 'else_branch', type: 5, g: branch('Neg') },
        ]),
        nd('Abs', ['x'], ['a'], 'makes_a'),
      ],
      inputs: [vi('x', [2]), vi('cond', [], 9)],
      outputs: [vi('y', [2])],
    });
    expect(nodeNames(sortGraph.run(m, {}).model)).toEqual(['makes_a', 'if']);
  });

  it('keeps nodes on a cycle (at the end, in file order) and nodes that float free', () => {
    const m = build({
      nodes: [nd('Add', ['x', 'p'], ['q'], 'P1'), nd('Relu', ['q'], ['p'], 'P2'), nd('Relu', ['x'], ['y'], 'R'), nd('Relu', ['nowhere'], ['z'], 'F')],
      inputs: [vi('x', [2])],
      outputs: [vi('y', [2])],
    });
    const r = sortGraph.run(m, {});
    expect(nodeNames(r.model)).toEqual(['R', 'F', 'P1', 'P2']);
  });
});

describe('sortCommutativeInputsInitializerLast', () => {
  it('moves initializer inputs of Add/Mul/Max/Sum after dynamic ones, keeping relative order; Sub is left alone', () => {
    const m = build({
      nodes: [
        nd('Add', ['c', 'x'], ['a'], 'add'),
        nd('Mul', ['a', 'c2'], ['b'], 'mul'),
        nd('Sub', ['c', 'b'], ['s'], 'sub'),
        nd('Sum', ['c', 's', 'c2', 'x'], ['t'], 'sum'),
        nd('Max', ['c', 't'], ['y'], 'max'),
      ],
      inits: [initF('c', [3]), initF('c2', [3])],
      inputs: [vi('x', [3])],
      outputs: [vi('y', [3])],
    });
    const r = sortCommutativeInputsInitializerLast.run(m, {});
    expect(r.modified).toBe(true);
    expect(r.model.graph!.node!.map((n) => n.input)).toEqual([
      ['x', 'c'],
      ['a', 'c2'],
      ['c', 'b'],
      ['s', 'x', 'c', 'c2'],
      ['t', 'c'],
    ]);
    expect(sortCommutativeInputsInitializerLast.run(r.model, {}).modified).toBe(false);
  });
});

describe('runTransform', () => {
  it('runs the pass to its fixpoint, then tidies: static inputs, unused tensors, sorting, unique parameters', () => {
    // a pass that removes one Relu per round
    let rounds = 0;
    const dropOneRelu: Pass = {
      id: 'drop-one-relu',
      title: '',
      summary: '',
      run(model) {
        rounds++;
        const nodes = model.graph!.node!;
        const i = nodes.findIndex((n) => n.opType === 'Relu');
        if (i < 0) return { model, modified: false };
        const n = nodes[i];
        const node = nodes.filter((_, k) => k !== i).map((m) => ({ ...m, input: m.input!.map((t) => (t === n.output![0] ? n.input![0] : t)) }));
        return { model: { ...model, graph: { ...model.graph, node } }, modified: true };
      },
    };
    const m = build({
      nodes: [nd('Add', ['w', 'x'], ['a'], 'add'), nd('Relu', ['a'], ['r1'], 'r1'), nd('Relu', ['r1'], ['r2'], 'r2'), nd('Mul', ['r2', 'w'], ['y'], 'mul')],
      inits: [initF('w', [3]), initF('unused', [3])],
      inputs: [vi('x', [3]), vi('w', [3]), vi('unused', [3])],
      outputs: [vi('y', [3])],
      valueInfo: [vi('r1', [3])],
    });
    const r = runTransform(dropOneRelu, m, {});
    expect(r.modified).toBe(true);
    expect(rounds).toBe(3);
    const g = r.model.graph!;
    expect(ops(r.model)).toEqual(['Add', 'Mul']);
    expect(g.input!.map((i) => i.name)).toEqual(['x']);
    expect(g.valueInfo!.map((v) => v.name)).toEqual([]);
    // w: the Add's constant goes last; the Mul gets its own copy of w
    expect(g.node![0].input).toEqual(['x', 'w']);
    expect(g.node![1].input![1]).not.toBe('w');
    expect(indexGraph(g).initializer.has(g.node![1].input![1])).toBe(true);
    expect(g.initializer!.map((t) => t.name)).not.toContain('unused');
    expect(errorsOf(reread(r.model))).toEqual([]);
  });

  it('reports no change for a tidy model and a pass that changes nothing (same object)', () => {
    const m = build({
      nodes: [nd('Transpose', ['x'], ['y'], 't', [attrInts('perm', [1, 0])])],
      inputs: [vi('x', [2, 3])],
      outputs: [vi('y', [3, 2])],
    });
    const noop: Pass = { id: 'noop', title: '', summary: '', run: (model) => ({ model, modified: false }) };
    const r = runTransform(noop, m, {});
    expect(r.modified).toBe(false);
    expect(r.model).toBe(m);
    expect(tidyUp(m).model).toBe(m);
  });
});

describe('registration', () => {
  it('every pass of this batch is registered with its parameters', () => {
    const ids = ['cleanup', 'infer-shapes', 'sort-graph', 'sort-commutative-inputs', 'remove-identity-ops', 'fold-transpose-into-quant-init', 'gemm-to-matmul', 'batchnorm-to-affine', 'extract-bias-from-conv', 'extract-quant-scale-zeropt', 'change-batch-size'];
    for (const id of ids) expect(findTransform(id)?.id, id).toBe(id);
    expect(resolveParams(findTransform('cleanup')!, {})).toEqual({ override_inpsize: undefined, extract_conv_bias: false, preserve_qnt_ops: true });
    expect(resolveParams(findTransform('remove-identity-ops')!, {})).toEqual({ atol: 1e-5 });
    expect(() => resolveParams(findTransform('change-batch-size')!, {})).toThrow(/batch/);
    expect(findTransform('change-batch-size')!.lossy).toBe(false);
  });
});
