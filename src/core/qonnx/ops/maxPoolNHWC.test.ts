import { describe, expect, it } from 'vitest';
import { intType } from '../datatypes.js';
import type { AttrValue } from '../opTypes.js';
import { tensor, values } from '../testing/tensors.js';
import { MaxPoolNHWCOp, maxPoolOutputDim } from './maxPoolNHWC.js';

const run = (x: ReturnType<typeof tensor>, attrs: Record<string, AttrValue>) => MaxPoolNHWCOp.execute([x], attrs)[0];

describe('MaxPoolNHWC', () => {
  it('2x2 / stride 2 on a 4x4 single-channel image', () => {
    const y = run(tensor([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => i)), { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(values(y)).toEqual([5, 7, 13, 15]);
  });

  it('channels are pooled separately', () => {
    // 2x2 image, 2 channels: channel 0 = [1, -5, 3, 2], channel 1 = [-1, -2, -3, -4]
    const y = run(tensor([1, 2, 2, 2], [1, -1, -5, -2, 3, -3, 2, -4]), { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0] });
    expect(y.shape).toEqual([1, 1, 1, 2]);
    expect(values(y)).toEqual([3, -1]);
  });

  it('padding never wins, even over negative values', () => {
    const y = run(tensor([1, 2, 2, 1], [-4, -3, -2, -1]), { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(values(y)).toEqual([-4, -3, -2, -1]);
  });

  it('ceil_mode adds the partial last window', () => {
    const x = tensor([1, 5, 5, 1], Array.from({ length: 25 }, (_, i) => i));
    expect(run(x, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }).shape).toEqual([1, 2, 2, 1]);
    const y = run(x, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 1 });
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(values(y)).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
    expect(maxPoolOutputDim(4, 2, 2, 0, 1, true)).toBe(2); // a window starting in the end padding is dropped
  });

  it('shape and datatype rules', () => {
    const attrs = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
    expect(MaxPoolNHWCOp.inferShapes({ inputShapes: [['N', 32, 32, 16]], attrs, constInputs: [] })).toEqual([['N', 16, 16, 16]]);
    expect(MaxPoolNHWCOp.inferDatatypes({ inputTypes: [intType(4, false)], attrs, constInputs: [], allowScaledInt: true })).toEqual([intType(4, false)]);
    expect(() => MaxPoolNHWCOp.inferShapes({ inputShapes: [[1, 4, 4, 1]], attrs: { kernel_shape: [2, 2, 2] }, constInputs: [] })).toThrow(/MaxPoolNHWC: attribute 'kernel_shape'/);
  });
});
