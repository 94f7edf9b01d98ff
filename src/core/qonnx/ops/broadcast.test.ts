import { describe, expect, it } from 'vitest';
import { tensor } from '../testing/tensors.js';
import { broadcastShapes, broadcastTo } from './broadcast.js';

describe('numpy broadcasting', () => {
  it('result shapes', () => {
    expect(broadcastShapes([[2, 3], [3]])).toEqual([2, 3]);
    expect(broadcastShapes([[2, 1], [1, 3]])).toEqual([2, 3]);
    expect(broadcastShapes([[], [4]])).toEqual([4]);
    expect(broadcastShapes([[1, 3, 1, 1], [8, 1, 5, 5], []])).toEqual([8, 3, 5, 5]);
    expect(() => broadcastShapes([[2, 3], [2]], 'Quant')).toThrow('Quant: shapes [2,3], [2] cannot be broadcast together');
  });

  it('values laid out in the broadcast shape', () => {
    expect(Array.from(broadcastTo(tensor([2, 1], [1, 2]), [2, 3]))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(broadcastTo(tensor([3], [1, 2, 3]), [2, 3]))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(Array.from(broadcastTo(tensor([1, 2, 1], [5, 6]), [2, 2, 2]))).toEqual([5, 5, 6, 6, 5, 5, 6, 6]);
    expect(Array.from(broadcastTo(tensor([], 7), [2, 2]))).toEqual([7, 7, 7, 7]);
    const same = tensor([2, 2], [1, 2, 3, 4]);
    expect(broadcastTo(same, [2, 2])).toBe(same.data);
  });
});
