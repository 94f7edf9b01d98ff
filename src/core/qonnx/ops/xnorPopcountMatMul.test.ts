import { describe, expect, it } from 'vitest';
import { BINARY, FLOAT32 } from '../datatypes.js';
import { tensor, values } from '../testing/tensors.js';
import { XnorPopcountMatMulOp } from './xnorPopcountMatMul.js';

describe('XnorPopcountMatMul', () => {
  it('counts agreeing positions of binary rows and columns', () => {
    const a = tensor([2, 3], [1, 0, 1, 0, 0, 0]);
    const b = tensor([3, 2], [1, 0, 0, 1, 1, 0]); // columns (1, 0, 1) and (0, 1, 0)
    const [y] = XnorPopcountMatMulOp.execute([a, b], {});
    expect(y.shape).toEqual([2, 2]);
    // row (1,0,1): 3 agree with (1,0,1), 0 with (0,1,0); row (0,0,0): 1 and 2
    expect(values(y)).toEqual([3, 0, 1, 2]);
  });

  it('equals ((2a-1) @ (2b-1) + K) / 2 on a batched input', () => {
    const a = tensor([2, 1, 4], [1, 1, 1, 1, 0, 1, 0, 1]);
    const b = tensor([4, 1], [1, 0, 0, 1]);
    const [y] = XnorPopcountMatMulOp.execute([a, b], {});
    expect(y.shape).toEqual([2, 1, 1]);
    // (1,1,1,1) vs (1,0,0,1): 2 agree; (0,1,0,1) vs (1,0,0,1): 2 agree
    expect(values(y)).toEqual([2, 2]);
  });

  it('shape is MatMul\'s, datatype UINT32', () => {
    expect(XnorPopcountMatMulOp.inferShapes({ inputShapes: [['N', 64], [64, 10]], attrs: {}, constInputs: [] })).toEqual([['N', 10]]);
    expect(XnorPopcountMatMulOp.inferDatatypes({ inputTypes: [BINARY, BINARY], attrs: {}, constInputs: [], allowScaledInt: true })[0].name).toBe('UINT32');
    expect(XnorPopcountMatMulOp.inferDatatypes({ inputTypes: [FLOAT32, FLOAT32], attrs: {}, constInputs: [], allowScaledInt: true })[0].name).toBe('UINT32');
  });

  it('rejects mismatched inner dimensions', () => {
    expect(() => XnorPopcountMatMulOp.execute([tensor([1, 2], [1, 0]), tensor([3, 1], [1, 1, 1])], {})).toThrow(/XnorPopcountMatMul: inner dimensions differ/);
  });
});
