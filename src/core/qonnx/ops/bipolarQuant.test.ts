import { describe, expect, it } from 'vitest';
import { BIPOLAR, FLOAT32 } from '../datatypes.js';
import { scalar, tensor, values, vec } from '../testing/tensors.js';
import { BipolarQuantOp } from './bipolarQuant.js';

describe('BipolarQuant', () => {
  it('out = (x >= 0 ? 1 : -1) * scale; zero counts as +1, NaN as -1', () => {
    const [y] = BipolarQuantOp.execute([vec([-2, -0.001, 0, 0.001, 3, NaN]), scalar(0.5)], {});
    expect(values(y)).toEqual([-0.5, -0.5, 0.5, 0.5, 0.5, -0.5]);
  });

  it('broadcasts a per-channel scale', () => {
    const [y] = BipolarQuantOp.execute([tensor([2, 2], [1, -1, -1, 1]), tensor([2, 1], [2, 3])], {});
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([2, -2, -3, 3]);
  });

  it('datatype BIPOLAR with unit scale, FLOAT32 otherwise or when the scale is computed', () => {
    const ctx = (s: ReturnType<typeof scalar> | undefined) => ({ inputTypes: [FLOAT32, FLOAT32], attrs: {}, constInputs: [undefined, s], allowScaledInt: true });
    expect(BipolarQuantOp.inferDatatypes(ctx(scalar(1)))).toEqual([BIPOLAR]);
    expect(BipolarQuantOp.inferDatatypes(ctx(scalar(0.5)))).toEqual([FLOAT32]);
    expect(BipolarQuantOp.inferDatatypes(ctx(undefined))).toEqual([FLOAT32]);
    expect(BipolarQuantOp.inferShapes({ inputShapes: [[1, 784], []], attrs: {}, constInputs: [] })).toEqual([[1, 784]]);
  });
});
