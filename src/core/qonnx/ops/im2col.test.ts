import { describe, expect, it } from 'vitest';
import { FLOAT32, intType } from '../datatypes.js';
import type { AttrValue } from '../opTypes.js';
import { tensor, values } from '../testing/tensors.js';
import { convOutputDim, Im2ColOp, parseShapeText } from './im2col.js';

// 3x3 image with 2 channels, NHWC; value = (h*3 + w)*10 + c
const X = tensor(
  [1, 3, 3, 2],
  Array.from({ length: 18 }, (_, i) => Math.floor(i / 2) * 10 + (i % 2)),
);
const run = (attrs: Record<string, AttrValue>, x = X) => Im2ColOp.execute([x], attrs)[0];

describe('Im2Col', () => {
  it('2x2 kernel, stride 1, no padding: patches ordered (kh, kw, c)', () => {
    const y = run({ kernel_size: [2, 2], stride: [1, 1], input_shape: '(1, 3, 3, 2)' });
    expect(y.shape).toEqual([1, 2, 2, 8]);
    expect(values(y)).toEqual([
      0, 1, 10, 11, 30, 31, 40, 41, // (0, 0)
      10, 11, 20, 21, 40, 41, 50, 51, // (0, 1)
      30, 31, 40, 41, 60, 61, 70, 71, // (1, 0)
      40, 41, 50, 51, 70, 71, 80, 81, // (1, 1)
    ]);
  });

  it('padding [1, 1, 1, 1] with pad_value 7 and stride 2', () => {
    const y = run({ kernel_size: [2, 2], stride: [2, 2], pad_amount: [1, 1, 1, 1], pad_value: 7 });
    expect(y.shape).toEqual([1, 2, 2, 8]);
    expect(values(y)).toEqual([
      7, 7, 7, 7, 7, 7, 0, 1,
      7, 7, 7, 7, 10, 11, 20, 21,
      7, 7, 30, 31, 7, 7, 60, 61,
      40, 41, 50, 51, 70, 71, 80, 81,
    ]);
  });

  it('dilation on a 1-D (dummy height) input', () => {
    const x = tensor([1, 1, 5, 1], [0, 1, 2, 3, 4]);
    const y = run({ kernel_size: [1, 2], stride: [1, 1], dilations: [1, 2] }, x);
    expect(y.shape).toEqual([1, 1, 3, 2]);
    expect(values(y)).toEqual([0, 2, 1, 3, 2, 4]);
  });

  it('batches are independent', () => {
    const x = tensor([2, 1, 2, 1], [1, 2, 3, 4]);
    const y = run({ kernel_size: [1, 2], stride: [1, 1] }, x);
    expect(y.shape).toEqual([2, 1, 1, 2]);
    expect(values(y)).toEqual([1, 2, 3, 4]);
  });

  it('a dummy axis must have kernel 1 and no padding', () => {
    const x = tensor([1, 1, 5, 1], [0, 1, 2, 3, 4]);
    expect(() => run({ kernel_size: [2, 2], stride: [1, 1] }, x)).toThrow(/Im2Col: input height is 1/);
  });

  it('attribute errors name the op, the attribute and the value', () => {
    expect(() => run({ stride: [1, 1] })).toThrow(/Im2Col: required attribute 'kernel_size' is missing/);
    expect(() => run({ kernel_size: [2, 2, 2], stride: [1, 1] })).toThrow(/Im2Col: attribute 'kernel_size' must have 2 values \[H, W\], got \[2,2,2\]/);
    expect(() => run({ kernel_size: [2, 2], stride: [1, 1], depthwise: 3 })).toThrow(/Im2Col: attribute 'depthwise' must be one of 0, 1, got 3/);
  });

  it('shape rule from the input shape, or from input_shape when the input is unknown', () => {
    const attrs = { kernel_size: [3, 3], stride: [1, 1], pad_amount: [1, 1, 1, 1], input_shape: '(1, 28, 28, 3)' };
    expect(Im2ColOp.inferShapes({ inputShapes: [['N', 28, 28, 3]], attrs, constInputs: [] })).toEqual([['N', 28, 28, 27]]);
    expect(Im2ColOp.inferShapes({ inputShapes: [null], attrs, constInputs: [] })).toEqual([[1, 28, 28, 27]]);
    expect(Im2ColOp.inferShapes({ inputShapes: [null], attrs: { ...attrs, input_shape: '' }, constInputs: [] })).toEqual([null]);
    expect(convOutputDim(7, 3, 2, 0, 1)).toBe(3);
    expect(parseShapeText('(1, 4, 4, 3)')).toEqual([1, 4, 4, 3]);
    expect(parseShapeText('[1,4]')).toEqual([1, 4]);
  });

  it('datatype passes through', () => {
    expect(Im2ColOp.inferDatatypes({ inputTypes: [intType(4, false)], attrs: { kernel_size: [2, 2], stride: [1, 1] }, constInputs: [], allowScaledInt: true })).toEqual([intType(4, false)]);
    expect(Im2ColOp.inferDatatypes({ inputTypes: [FLOAT32], attrs: { kernel_size: [2, 2], stride: [1, 1] }, constInputs: [], allowScaledInt: true })).toEqual([FLOAT32]);
  });
});
