/**
 * InferShapes as a pass: value_info for every node output without one (TFC's hand-known shapes,
 * symbolic batch dims kept as dim_param), none for graph outputs or initializers, existing entries kept.
 */
import { describe, expect, it } from 'vitest';
import { shapeOfType } from '../ir/tensorInfo.js';
import type { Model } from '../ir/types.js';
import { attrInts } from './rewrite.js';
import { inferShapesPass } from './inferShapesPass.js';
import { build, errorsOf, initF, loadModel, nd, reread, vi } from './passTestSupport.js';

const viShape = (m: Model, t: string) => {
  const v = m.graph!.valueInfo!.find((x) => x.name === t);
  return v ? shapeOfType(v.type) : undefined;
};

describe('inferShapesPass', () => {
  it('TFC: the Shape chain, the flattening Reshape, the transposed weights and the MatMuls get their shapes', () => {
    const m = loadModel('zoo_TFC_2W2A.onnx');
    expect(m.graph!.valueInfo ?? []).toEqual([]);
    const r = inferShapesPass.run(m, {});
    expect(r.modified).toBe(true);
    const byNode = (name: string) => viShape(r.model, m.graph!.node!.find((n) => n.name === name)!.output![0]);
    expect(byNode('Shape_0')).toEqual([4]);
    expect(byNode('Reshape_5')).toEqual([1, 784]);
    expect(byNode('Quant_18')).toEqual([64, 784]);
    expect(byNode('Transpose_19')).toEqual([784, 64]);
    expect(byNode('MatMul_56')).toEqual([1, 10]);
    // every node output but the graph output, and no initializer
    expect(r.model.graph!.valueInfo!.length).toBe(m.graph!.node!.length - 1);
    expect(viShape(r.model, m.graph!.output![0].name!)).toBeUndefined();
    expect(r.model.graph!.valueInfo!.find((v) => v.name === '41')).toBeUndefined();
    expect(r.model.graph!.valueInfo![0].type!.tensorType!.elemType).toBe(7); // Shape gives INT64
    expect(errorsOf(reread(r.model))).toEqual([]);
    expect(inferShapesPass.run(r.model, {}).modified).toBe(false);
  });

  it('keeps symbolic dims and existing value_info', () => {
    const m = build({
      nodes: [nd('Transpose', ['x'], ['t'], 't', [attrInts('perm', [1, 0])]), nd('Add', ['t', 'c'], ['a'], 'add'), nd('Relu', ['a'], ['y'], 'relu')],
      inits: [initF('c', [3, 1])],
      inputs: [vi('x', ['N', 3])],
      outputs: [vi('y', [3, 'N'])],
      valueInfo: [vi('a', [3, 'batch'])],
    });
    const r = inferShapesPass.run(m, {});
    expect(viShape(r.model, 't')).toEqual([3, 'N']);
    expect(viShape(r.model, 'a')).toEqual([3, 'batch']);
    expect(r.model.graph!.valueInfo!.map((v) => v.name)).toEqual(['a', 't']);
  });
});
