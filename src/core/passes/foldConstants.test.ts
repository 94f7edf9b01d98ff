/**
 * FoldConstants: quantizers on weights fold into the Quant formula's values (computed by hand here and
 * compared with the Quant kernel too), Shape folds only with a known shape, excluded op types stay,
 * Constant nodes become initializers, and the result is a valid model that encodes and decodes.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import type { Attribute, Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { attrFloat, attrInt, attrInts, attrString, QONNX_DOMAIN } from '../testing/synth.js';
import { attrMap } from '../analysis/shapeInference.js';
import { foldConstants } from './foldConstants.js';
import { toFixpoint } from './pass.js';

const FLOAT = 1, INT64 = 7;

function vi(name: string, dims: (number | string)[]): ValueInfo {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : { dimParam: d })) } } } };
}
const initF = (name: string, dims: number[], values: number[]): Tensor => ({ name, dims: dims.map((d) => int64From(d)), dataType: FLOAT, floatData: values });
const initI64 = (name: string, values: number[], dims: number[] = [values.length]): Tensor => ({ name, dims: dims.map((d) => int64From(d)), dataType: INT64, int64Data: values.map((v) => int64From(v)) });
function node(opType: string, input: string[], output: string[], attribute: Attribute[] = [], domain?: string): Node {
  const n: Node = { opType, input, output, name: `n_${output[0]}` };
  if (attribute.length) n.attribute = attribute;
  if (domain !== undefined) n.domain = domain;
  return n;
}
function build(nodes: Node[], inits: Tensor[], inputs: ValueInfo[] = [], opset = 13, ann: Record<string, string> = {}): Model {
  return decodeModel(
    encodeModel({
      irVersion: int64From(7),
      opsetImport: [{ domain: '', version: int64From(opset) }],
      graph: {
        name: 'g',
        node: nodes,
        initializer: inits,
        input: inputs,
        output: [],
        quantizationAnnotation: Object.entries(ann).map(([tensorName, value]) => ({ tensorName, quantParameterTensorNames: [{ key: 'finn_datatype', value }] })),
      },
    }),
  );
}
const values = (m: Model, t: string) => Array.from(toNumbers(tensorValues(indexGraph(m.graph!).initializer.get(t)!)));
const dims = (m: Model, t: string) => indexGraph(m.graph!).initializer.get(t)!.dims!.map(Number);
const ops = (m: Model) => (m.graph!.node ?? []).map((n) => n.opType);
/** Encode and decode: the folded model is valid protobuf and keeps its content. */
const reread = (m: Model) => decodeModel(encodeModel(m));

// x [8]; Quant: scale 0.25, zero point 0, 3 bits, signed, not narrow: integer range [-4, 3].
const X = [0.3, -0.9, 1.0, -1.2, 0.125, 0.375, 5, -0.126];
// x / 0.25 = [1.2, -3.6, 4, -4.8, 0.5, 1.5, 20, -0.504]; clamp to [-4, 3] = [1.2, -3.6, 3, -4, 0.5, 1.5, 3, -0.504];
// round half to even = [1, -4, 3, -4, 0, 2, 3, -1]; times 0.25:
const XQ = [0.25, -1, 0.75, -1, 0, 0.5, 0.75, -0.25];
const quantModel = (exclude?: string[]) => {
  const m = build(
    [
      node('Quant', ['w', 's', 'z', 'b'], ['wq'], [attrInt('narrow', 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', 1)], QONNX_DOMAIN),
      node('MatMul', ['x', 'wq'], ['y']),
    ],
    [initF('w', [8, 1], X), initF('s', [], [0.25]), initF('z', [], [0]), initF('b', [], [3])],
    [vi('x', [1, 8])],
  );
  return { m, r: foldConstants.run(m, exclude ? { excludeOpTypes: exclude } : {}) };
};

describe('foldConstants', () => {
  it('a weight Quant folds into the quantized values (the Quant formula, and the Quant kernel agree)', () => {
    const { m, r } = quantModel([]);
    expect(r.modified).toBe(true);
    expect(ops(r.model)).toEqual(['MatMul']);
    expect(values(r.model, 'wq')).toEqual(XQ);
    expect(dims(r.model, 'wq')).toEqual([8, 1]);
    // the project's Quant kernel on the same inputs
    const q = m.graph!.node![0];
    const kernel = resolveCustomOp(q, m)!.execute(
      ['w', 's', 'z', 'b'].map((t) => {
        const v = tensorValues(indexGraph(m.graph!).initializer.get(t)!);
        return { shape: v.shape, data: Float32Array.from(toNumbers(v)) };
      }),
      attrMap(q),
    )[0];
    expect(values(r.model, 'wq')).toEqual(Array.from(kernel.data));
    // the inputs of the folded node are left for removeUnusedTensors
    expect(indexGraph(r.model.graph!).initializer.has('w')).toBe(true);
    expect(values(reread(r.model), 'wq')).toEqual(XQ);
  });

  it('excludes Quant, BipolarQuant, QuantizeLinear and DequantizeLinear by default', () => {
    const { m, r } = quantModel();
    expect(r.modified).toBe(false);
    expect(r.model).toBe(m);
  });

  it('excludeOpTypes is respected: an excluded Transpose stays after the Quant before it folds', () => {
    const m = build(
      [
        node('Quant', ['w', 's', 'z', 'b'], ['wq'], [attrInt('narrow', 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', 1)], QONNX_DOMAIN),
        node('Transpose', ['wq'], ['wt'], [attrInts('perm', [1, 0])]),
        node('MatMul', ['x', 'wt'], ['y']),
      ],
      [initF('w', [1, 8], X), initF('s', [], [0.25]), initF('z', [], [0]), initF('b', [], [3])],
      [vi('x', [1, 8])],
    );
    const r = foldConstants.run(m, { excludeOpTypes: ['Transpose'] });
    expect(ops(r.model)).toEqual(['Transpose', 'MatMul']);
    expect(values(r.model, 'wq')).toEqual(XQ);
    // without the exclusion the whole chain folds in one run
    const all = foldConstants.run(m, { excludeOpTypes: [] });
    expect(ops(all.model)).toEqual(['MatMul']);
    expect(dims(all.model, 'wt')).toEqual([8, 1]);
    expect(values(all.model, 'wt')).toEqual(XQ);
  });

  it('the weight datatype annotation stays on the folded tensor', () => {
    const m = build(
      [node('Quant', ['w', 's', 'z', 'b'], ['wq'], [attrInt('narrow', 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', 1)], QONNX_DOMAIN), node('MatMul', ['x', 'wq'], ['y'])],
      [initF('w', [8, 1], X), initF('s', [], [0.25]), initF('z', [], [0]), initF('b', [], [3])],
      [vi('x', [1, 8])],
      13,
      { wq: 'SCALEDINT<3>' },
    );
    const r = foldConstants.run(m, { excludeOpTypes: [] });
    expect(indexGraph(r.model.graph!).annotation.get('wq')?.get('finn_datatype')).toBe('SCALEDINT<3>');
  });

  it('BipolarQuant folds to sign * scale when not excluded', () => {
    const m = build(
      [node('BipolarQuant', ['w', 's'], ['wq'], [], QONNX_DOMAIN), node('MatMul', ['x', 'wq'], ['y'])],
      [initF('w', [4, 1], [0.3, -0.2, 0, -5]), initF('s', [], [0.5])],
      [vi('x', [1, 4])],
    );
    expect(foldConstants.run(m, {}).modified).toBe(false);
    // x >= 0 gives +1 (so 0 gives +1)
    expect(values(foldConstants.run(m, { excludeOpTypes: [] }).model, 'wq')).toEqual([0.5, -0.5, 0.5, -0.5]);
  });

  it('Shape folds when the input shape is known, with start/end (opset 15)', () => {
    const m = build(
      [node('Shape', ['x'], ['s']), node('Shape', ['x'], ['s2'], [attrInt('start', 1), attrInt('end', -1)]), node('Reshape', ['x', 's'], ['y'])],
      [],
      [vi('x', [2, 3, 4, 5])],
      15,
    );
    const r = foldConstants.run(m, {});
    expect(ops(r.model)).toEqual(['Reshape']);
    expect(values(r.model, 's')).toEqual([2, 3, 4, 5]);
    expect(values(r.model, 's2')).toEqual([3, 4]);
    expect(indexGraph(r.model.graph!).initializer.get('s')!.dataType).toBe(INT64);
  });

  it('Shape does not fold when a dimension is symbolic or the shape is unknown', () => {
    const symbolic = build([node('Shape', ['x'], ['s']), node('Reshape', ['x', 's'], ['y'])], [], [vi('x', ['N', 3])]);
    expect(foldConstants.run(symbolic, {}).modified).toBe(false);
    const unknown = build([node('Shape', ['x'], ['s']), node('Reshape', ['x', 's'], ['y'])], [], [{ name: 'x', type: { tensorType: { elemType: FLOAT } } }]);
    expect(foldConstants.run(unknown, {}).modified).toBe(false);
  });

  it('a PyTorch flatten chain (Shape -> Gather -> Unsqueeze -> Concat) folds into the Reshape target', () => {
    const m = build(
      [
        node('Shape', ['x'], ['shp']),
        node('Gather', ['shp', 'i0'], ['n'], [attrInt('axis', 0)]),
        node('Unsqueeze', ['n'], ['n1'], [attrInts('axes', [0])]),
        node('Concat', ['n1', 'm1'], ['tgt'], [attrInt('axis', 0)]),
        node('Reshape', ['x', 'tgt'], ['y']),
      ],
      [initI64('i0', [0], []), initI64('m1', [-1])],
      [vi('x', [3, 2, 2])],
      11,
    );
    const r = toFixpoint(foldConstants, m, {});
    expect(ops(r.model)).toEqual(['Reshape']);
    expect(values(r.model, 'tgt')).toEqual([3, -1]);
  });

  it('Constant nodes become initializers (value tensor, value_float, value_ints)', () => {
    const m = build(
      [
        { opType: 'Constant', input: [], output: ['c1'], name: 'k1', attribute: [{ name: 'value', type: 4, t: initF('', [2], [1.5, -2]) }] },
        { opType: 'Constant', input: [], output: ['c2'], name: 'k2', attribute: [attrFloat('value_float', 0.1)] },
        { opType: 'Constant', input: [], output: ['c3'], name: 'k3', attribute: [attrInts('value_ints', [4, -1])] },
        node('Add', ['x', 'c1'], ['y']),
      ],
      [],
      [vi('x', [2])],
    );
    const r = foldConstants.run(m, {});
    expect(ops(r.model)).toEqual(['Add']);
    expect(values(r.model, 'c1')).toEqual([1.5, -2]);
    expect(values(r.model, 'c2')).toEqual([Math.fround(0.1)]);
    expect(dims(r.model, 'c2')).toEqual([]);
    expect(values(r.model, 'c3')).toEqual([4, -1]);
    expect(indexGraph(r.model.graph!).initializer.get('c3')!.dataType).toBe(INT64);
    const again = reread(r.model);
    expect(values(again, 'c1')).toEqual([1.5, -2]);
  });

  it('nodes with a dynamic input stay; arithmetic on constants folds in float32', () => {
    const m = build(
      [node('Add', ['a', 'b'], ['c']), node('Mul', ['x', 'c'], ['y'])],
      [initF('a', [2], [0.1, 1]), initF('b', [1], [0.2])],
      [vi('x', [2])],
    );
    const r = foldConstants.run(m, {});
    expect(ops(r.model)).toEqual(['Mul']);
    // float32(0.1) + float32(0.2) rounded to float32, as numpy float32 gives (0.3 prints, 0.30000001192092896 exactly)
    expect(values(r.model, 'c')).toEqual([0.30000001192092896, 1.2000000476837158]);
  });

  it('an op the evaluator does not know stays', () => {
    const m = build([node('Softmax', ['a'], ['c']), node('Mul', ['x', 'c'], ['y'])], [initF('a', [2], [1, 2])], [vi('x', [2])]);
    expect(foldConstants.run(m, {}).modified).toBe(false);
  });
});
