/**
 * The constant evaluator used by constant folding: shape ops (numpy / ONNX semantics worked out by
 * hand), broadcasting arithmetic in float32, and DequantizeLinear against onnxruntime.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { int64From, type Node } from '../ir/types.js';
import { encodeModel } from '../onnx/codec.js';
import { numericTensor } from '../onnx/tensorData.js';
import type { AttrValue } from '../qonnx/opTypes.js';
import { evalConstOp } from './constKernels.js';
import { BOOL, FLOAT, INT64, type ConstTensor } from './constTensor.js';

const t = (shape: number[], data: number[], dataType = FLOAT): ConstTensor => ({ dataType, shape, data: Float64Array.from(dataType === FLOAT ? data.map(Math.fround) : data) });
const iota = (shape: number[], dataType = FLOAT) => t(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), dataType);
const ev = (op: string, ins: (ConstTensor | undefined)[], attrs: Record<string, AttrValue> = {}) => {
  const n: Node = { opType: op, input: ins.map((_, i) => `i${i}`), output: ['o'] };
  const r = evalConstOp(n, ins, attrs);
  return r?.[0];
};
const plain = (c: ConstTensor | undefined) => c && { shape: c.shape, data: Array.from(c.data), dataType: c.dataType };

describe('Transpose', () => {
  it('2-D with perm [1, 0]', () => {
    // [[0,1,2],[3,4,5]] -> [[0,3],[1,4],[2,5]]
    expect(plain(ev('Transpose', [iota([2, 3])], { perm: [1, 0] }))).toEqual({ shape: [3, 2], data: [0, 3, 1, 4, 2, 5], dataType: FLOAT });
  });

  it('3-D with perm [2, 0, 1]: out[k][i][j] = x[i][j][k]', () => {
    // x [2,2,3], x[i][j][k] = 6i + 3j + k
    const r = ev('Transpose', [iota([2, 2, 3])], { perm: [2, 0, 1] })!;
    expect(r.shape).toEqual([3, 2, 2]);
    const want: number[] = [];
    for (let k = 0; k < 3; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) want.push(6 * i + 3 * j + k);
    expect(Array.from(r.data)).toEqual(want);
  });

  it('no perm reverses the axes', () => {
    expect(plain(ev('Transpose', [iota([2, 3])]))).toEqual({ shape: [3, 2], data: [0, 3, 1, 4, 2, 5], dataType: FLOAT });
  });
});

describe('Reshape', () => {
  it('-1 takes the rest, 0 copies the input dimension', () => {
    expect(ev('Reshape', [iota([2, 3, 4]), t([2], [0, -1], INT64)])!.shape).toEqual([2, 12]);
    // 0 copies x's dimension 2 (4); -1 = 24 / (2 * 4) = 3
    expect(ev('Reshape', [iota([2, 3, 4]), t([3], [-1, 2, 0], INT64)])!.shape).toEqual([3, 2, 4]);
    expect(Array.from(ev('Reshape', [iota([2, 3]), t([1], [-1], INT64)])!.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('allowzero = 1 keeps a literal 0; a size mismatch is not folded', () => {
    expect(ev('Reshape', [iota([0, 3]), t([2], [3, 0], INT64)], { allowzero: 1 })!.shape).toEqual([3, 0]);
    expect(ev('Reshape', [iota([2, 3]), t([2], [4, 2], INT64)])).toBeUndefined();
  });
});

describe('Concat', () => {
  it('along axis 1, and the same with axis -1', () => {
    // [[0],[1]] ++ [[10,11],[12,13]] -> [[0,10,11],[1,12,13]]
    const a = t([2, 1], [0, 1]), b = t([2, 2], [10, 11, 12, 13]);
    expect(plain(ev('Concat', [a, b], { axis: 1 }))).toEqual({ shape: [2, 3], data: [0, 10, 11, 1, 12, 13], dataType: FLOAT });
    expect(plain(ev('Concat', [a, b], { axis: -1 }))).toEqual({ shape: [2, 3], data: [0, 10, 11, 1, 12, 13], dataType: FLOAT });
  });

  it('1-D int64 shape pieces along axis 0', () => {
    expect(plain(ev('Concat', [t([1], [1], INT64), t([1], [-1], INT64), t([2], [3, 4], INT64)], { axis: 0 }))).toEqual({ shape: [4], data: [1, -1, 3, 4], dataType: INT64 });
  });
});

describe('Gather', () => {
  it('axis 0 with negative indices counts from the end', () => {
    // rows of [[0,1],[2,3],[4,5]]: [-1, 0] -> [[4,5],[0,1]]
    expect(plain(ev('Gather', [iota([3, 2]), t([2], [-1, 0], INT64)], { axis: 0 }))).toEqual({ shape: [2, 2], data: [4, 5, 0, 1], dataType: FLOAT });
  });

  it('axis 1, and a scalar index drops the axis', () => {
    // columns of [[0,1,2],[3,4,5]]: [2, -3] -> [[2,0],[5,3]]
    expect(plain(ev('Gather', [iota([2, 3]), t([2], [2, -3], INT64)], { axis: 1 }))).toEqual({ shape: [2, 2], data: [2, 0, 5, 3], dataType: FLOAT });
    expect(plain(ev('Gather', [t([4], [7, 8, 9, 10], INT64), t([], [-2], INT64)]))).toEqual({ shape: [], data: [9], dataType: INT64 });
  });
});

describe('Unsqueeze and Squeeze', () => {
  it('Unsqueeze with axes as attribute (opset < 13) or input (13+), negative axes against the output rank', () => {
    expect(ev('Unsqueeze', [iota([3])], { axes: [0] })!.shape).toEqual([1, 3]);
    expect(ev('Unsqueeze', [iota([3]), t([2], [0, 2], INT64)])!.shape).toEqual([1, 3, 1]);
    expect(ev('Unsqueeze', [iota([2, 3]), t([1], [-1], INT64)])!.shape).toEqual([2, 3, 1]);
    expect(ev('Unsqueeze', [t([], [5], INT64)], { axes: [0] })!.shape).toEqual([1]);
  });

  it('Squeeze given axes, or every 1 without', () => {
    expect(ev('Squeeze', [iota([1, 3, 1, 2]), t([1], [-2], INT64)])!.shape).toEqual([1, 3, 2]);
    expect(ev('Squeeze', [iota([1, 3, 1, 2])], { axes: [0] })!.shape).toEqual([3, 1, 2]);
    expect(ev('Squeeze', [iota([1, 3, 1, 2])])!.shape).toEqual([3, 2]);
  });
});

describe('arithmetic with numpy broadcasting, in float32', () => {
  it('[2,3] + [3] adds the row to every row', () => {
    expect(plain(ev('Add', [iota([2, 3]), t([3], [10, 20, 30])]))).toEqual({ shape: [2, 3], data: [10, 21, 32, 13, 24, 35], dataType: FLOAT });
  });

  it('[2,1] * [1,3] is the outer product', () => {
    expect(plain(ev('Mul', [t([2, 1], [1, 2]), t([1, 3], [3, 4, 5])]))).toEqual({ shape: [2, 3], data: [3, 4, 5, 6, 8, 10], dataType: FLOAT });
  });

  it('a scalar broadcasts against anything; Sub and Div keep the order', () => {
    expect(plain(ev('Sub', [t([], [1]), t([2, 2], [1, 2, 3, 4])]))).toEqual({ shape: [2, 2], data: [0, -1, -2, -3], dataType: FLOAT });
    expect(plain(ev('Div', [t([3], [1, 2, 3]), t([], [4])]))).toEqual({ shape: [3], data: [0.25, 0.5, 0.75], dataType: FLOAT });
  });

  it('each step rounds to float32, as numpy float32 does', () => {
    // float32(0.1) + float32(0.2) = 0.30000001192092896 (float64 would give 0.30000000447034836)
    expect(Array.from(ev('Add', [t([1], [0.1]), t([1], [0.2])])!.data)).toEqual([0.30000001192092896]);
    // float32(1/3) in float32
    expect(Array.from(ev('Div', [t([1], [1]), t([1], [3])])!.data)).toEqual([Math.fround(1 / 3)]);
    // 16777216 + 1 is not representable in float32
    expect(Array.from(ev('Add', [t([1], [16777216]), t([1], [1])])!.data)).toEqual([16777216]);
  });

  it('integer tensors stay exact integers', () => {
    expect(plain(ev('Mul', [t([2], [16777217, 3], INT64), t([], [1], INT64)]))).toEqual({ shape: [2], data: [16777217, 3], dataType: INT64 });
    expect(Array.from(ev('Div', [t([1], [7], INT64), t([1], [2], INT64)])!.data)).toEqual([3]);
  });

  it('Equal gives booleans', () => {
    expect(plain(ev('Equal', [t([3], [1, 2, 3], INT64), t([1], [2], INT64)]))).toEqual({ shape: [3], data: [0, 1, 0], dataType: BOOL });
  });

  it('shapes that do not broadcast are not folded', () => {
    expect(ev('Add', [iota([2, 3]), iota([2])])).toBeUndefined();
  });
});

describe('other ops', () => {
  it('Cast to int64 truncates toward zero', () => {
    expect(plain(ev('Cast', [t([3], [2.7, -2.7, 0.5])], { to: INT64 }))).toEqual({ shape: [3], data: [2, -2, 0], dataType: INT64 });
  });

  it('Shape, Flatten, Identity', () => {
    expect(plain(ev('Shape', [iota([2, 3, 4])]))).toEqual({ shape: [3], data: [2, 3, 4], dataType: INT64 });
    expect(ev('Flatten', [iota([2, 3, 4])], { axis: 2 })!.shape).toEqual([6, 4]);
    expect(ev('Flatten', [iota([2, 3, 4])])!.shape).toEqual([2, 12]);
    expect(plain(ev('Identity', [t([2], [1, 2])]))).toEqual({ shape: [2], data: [1, 2], dataType: FLOAT });
  });

  it('an op it does not cover gives undefined', () => {
    expect(ev('Softmax', [iota([3])])).toBeUndefined();
    expect(ev('MatMul', [iota([2, 2]), iota([2, 2])])).toBeUndefined();
  });
});

/** Runs one node in onnxruntime on x (an input) and constant parameters (initializers). */
async function ortNode(op: string, x: ConstTensor, params: (ConstTensor | undefined)[], attrs: { name: string; i: number }[] = []): Promise<ort.Tensor> {
  const names = params.map((p, k) => (p ? `p${k}` : ''));
  const ortType: Record<number, ort.Tensor.Type> = { 1: 'float32', 2: 'uint8', 3: 'int8' };
  const model = {
    irVersion: int64From(8),
    opsetImport: [{ domain: '', version: int64From(13) }],
    graph: {
      name: op,
      node: [{ opType: op, input: ['x', ...names], output: ['y'], ...(attrs.length ? { attribute: attrs.map((a) => ({ name: a.name, type: 2, i: int64From(a.i) })) } : {}) }],
      initializer: params.flatMap((p, k) => (p ? [numericTensor(`p${k}`, p.dataType, p.shape, p.data)] : [])),
      input: [{ name: 'x', type: { tensorType: { elemType: x.dataType, shape: { dim: x.shape.map((d) => ({ dimValue: int64From(d) })) } } } }],
      output: [{ name: 'y' }],
    },
  };
  const s = await ort.InferenceSession.create(encodeModel(model));
  const type = ortType[x.dataType];
  const data = type === 'int8' ? Int8Array.from(x.data) : type === 'uint8' ? Uint8Array.from(x.data) : Float32Array.from(x.data);
  const r = await s.run({ x: new ort.Tensor(type, data, x.shape) });
  await s.release();
  return r.y;
}

describe('QuantizeLinear and Clip (a QCDQ weight quantizer, folded as the reference folds it with onnxruntime)', () => {
  // halves on both sides of even and odd integers, saturation at both ends, per-channel scales
  const w = t([2, 4], [0.25, 0.75, -0.25, -1.25, 1.3, 100, -100, 0.0999]);
  it.each([
    { what: 'int8, per tensor, zero point -3', scale: t([], [0.5]), zp: t([], [-3], 3) },
    { what: 'uint8, per tensor, zero point 128', scale: t([], [0.1]), zp: t([], [128], 2) },
    { what: 'int8, per channel along axis 0', scale: t([2], [0.5, 0.0333]), zp: t([2], [0, 0], 3), axis: 0 },
  ])('QuantizeLinear $what: the integers onnxruntime computes', async ({ scale, zp, axis }) => {
    const ours = ev('QuantizeLinear', [w, scale, zp], axis === undefined ? {} : { axis })!;
    const ref = await ortNode('QuantizeLinear', w, [scale, zp], axis === undefined ? [] : [{ name: 'axis', i: axis }]);
    expect(ours.dataType).toBe(zp.dataType);
    expect(Array.from(ours.data)).toEqual(Array.from(ref.data as Int8Array));
  });
  it('Clip of int8 values to [-7, 7] (a 4-bit QCDQ weight), as onnxruntime clips', async () => {
    const x = t([6], [-128, -8, -7, 0, 7, 127], 3);
    const lo = t([], [-7], 3), hi = t([], [7], 3);
    const ours = ev('Clip', [x, lo, hi])!;
    expect(ours.dataType).toBe(3);
    expect(Array.from(ours.data)).toEqual(Array.from((await ortNode('Clip', x, [lo, hi])).data as Int8Array));
  });
});

describe('DequantizeLinear (a QDQ weight, folded as the reference folds it with onnxruntime)', () => {
  const cases: { what: string; x: ConstTensor; scale: ConstTensor; zp?: ConstTensor; axis?: number; elem: 'int8' | 'uint8' }[] = [
    { what: 'int8, per tensor, zero point 3', x: t([2, 3], [-128, -1, 0, 3, 64, 127], 3), scale: t([], [0.0123]), zp: t([], [3], 3), elem: 'int8' },
    { what: 'uint8, per channel along axis 0 (Conv weight)', x: t([3, 2], [0, 255, 128, 7, 200, 1], 2), scale: t([3], [0.5, 0.01, 3.25]), zp: t([3], [128, 0, 17], 2), axis: 0, elem: 'uint8' },
    { what: 'int8, per channel along the default axis 1, no zero point', x: t([2, 3], [-5, 6, -7, 8, -9, 10], 3), scale: t([3], [0.1, 0.2, 0.3]), elem: 'int8' },
  ];
  it.each(cases)('$what: the values onnxruntime computes, bit for bit', async ({ x, scale, zp, axis, elem }) => {
    const ours = ev('DequantizeLinear', [x, scale, zp], axis === undefined ? {} : { axis })!;
    const inits = [numericTensor('s', 1, scale.shape, scale.data), ...(zp ? [numericTensor('z', zp.dataType, zp.shape, zp.data)] : [])];
    const model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'dq',
        node: [{ opType: 'DequantizeLinear', input: ['x', 's', ...(zp ? ['z'] : [])], output: ['y'], ...(axis === undefined ? {} : { attribute: [{ name: 'axis', type: 2, i: int64From(axis) }] }) }],
        initializer: inits,
        input: [{ name: 'x', type: { tensorType: { elemType: x.dataType, shape: { dim: x.shape.map((d) => ({ dimValue: int64From(d) })) } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    };
    const s = await ort.InferenceSession.create(encodeModel(model));
    const data = elem === 'int8' ? Int8Array.from(x.data) : Uint8Array.from(x.data);
    const r = await s.run({ x: new ort.Tensor(elem, data, x.shape) });
    await s.release();
    expect(ours.dataType).toBe(FLOAT);
    expect(ours.shape).toEqual(x.shape);
    expect(Array.from(ours.data)).toEqual(Array.from(r.y.data as Float32Array));
  });
  it('blocked scales are left unfolded', () => {
    expect(ev('DequantizeLinear', [t([4], [1, 2, 3, 4], 3), t([2], [0.5, 0.25])], { axis: 0, block_size: 2 })).toBeUndefined();
  });
});
