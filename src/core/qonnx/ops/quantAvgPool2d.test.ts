import { describe, expect, it } from 'vitest';
import { FLOAT32, intType } from '../datatypes.js';
import type { AttrValue } from '../opTypes.js';
import { tensor, values } from '../testing/tensors.js';
import { accumulatorBits, QuantAvgPool2dOp, quantAvgPoolShift } from './quantAvgPool2d.js';

const X16 = Array.from({ length: 16 }, (_, i) => i);
const run = (x: ReturnType<typeof tensor>, attrs: Record<string, AttrValue>) => QuantAvgPool2dOp.execute([x], attrs)[0];

describe('QuantAvgPool2d', () => {
  it('accumulator width and shift', () => {
    expect(accumulatorBits(4, 2)).toBe(6); // 15 * 4 = 60
    expect(accumulatorBits(8, 2)).toBe(10); // 255 * 4 = 1020
    expect(accumulatorBits(1, 1)).toBe(1);
    expect(quantAvgPoolShift(4, 4, 2)).toBe(2);
    expect(quantAvgPoolShift(4, 8, 2)).toBe(0); // never negative
  });

  it('NCHW 4x4, k = s = 2, ibits 4, obits 4: window sums >> 2', () => {
    // sums: 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50
    const y = run(tensor([1, 1, 4, 4], X16), { kernel: 2, stride: 2, ibits: 4, obits: 4 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([2, 4, 10, 12]);
    expect(values(run(tensor([1, 1, 4, 4], X16), { kernel: 2, stride: 2, ibits: 4, obits: 6 }))).toEqual([10, 18, 42, 50]);
  });

  it('NHWC gives the same numbers in NHWC layout', () => {
    const y = run(tensor([1, 4, 4, 1], X16), { kernel: 2, stride: 2, ibits: 4, obits: 4, data_layout: 'NHWC' });
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(values(y)).toEqual([2, 4, 10, 12]);
  });

  it('the shift of a negative sum is arithmetic (floor)', () => {
    // ibits 2, k 2: 3 * 4 = 12 -> 4 bits; obits 3 -> shift 1; sum -7 -> floor(-3.5) = -4
    const y = run(tensor([1, 1, 2, 2], [-3, -2, -1, -1]), { kernel: 2, stride: 2, ibits: 2, obits: 3, signed: 1 });
    expect(values(y)).toEqual([-4]);
  });

  it('stride smaller than the kernel (overlapping windows)', () => {
    const y = run(tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), { kernel: 2, stride: 1, ibits: 4, obits: 8 });
    expect(values(y)).toEqual([12, 16, 24, 28]);
  });

  it('shape rule in both layouts', () => {
    const attrs = { kernel: 3, stride: 2, ibits: 4, obits: 4 };
    expect(QuantAvgPool2dOp.inferShapes({ inputShapes: [['N', 3, 7, 7]], attrs, constInputs: [] })).toEqual([['N', 3, 3, 3]]);
    expect(QuantAvgPool2dOp.inferShapes({ inputShapes: [[1, 7, 7, 3]], attrs: { ...attrs, data_layout: 'nhwc' }, constInputs: [] })).toEqual([[1, 3, 3, 3]]);
  });

  it('datatype (U)INT<obits>; obits outside 2..32 is an error', () => {
    const ctx = (attrs: Record<string, AttrValue>) => ({ inputTypes: [FLOAT32], attrs, constInputs: [], allowScaledInt: true });
    expect(QuantAvgPool2dOp.inferDatatypes(ctx({ obits: 4 }))).toEqual([intType(4, false)]);
    expect(QuantAvgPool2dOp.inferDatatypes(ctx({ obits: 4, signed: 1 }))).toEqual([intType(4, true)]);
    expect(() => QuantAvgPool2dOp.inferDatatypes(ctx({ obits: 1 }))).toThrow(/QuantAvgPool2d: attribute 'obits' must be between 2 and 32/);
    expect(() => QuantAvgPool2dOp.inferDatatypes(ctx({ obits: 4, data_layout: 'HWCN' }))).toThrow(/QuantAvgPool2d: attribute 'data_layout' must be one of NCHW, NHWC, got 'HWCN'/);
  });
});
