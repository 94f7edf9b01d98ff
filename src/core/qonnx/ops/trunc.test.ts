import { describe, expect, it } from 'vitest';
import { FLOAT32 } from '../datatypes.js';
import type { AttrValue, F32Tensor } from '../opTypes.js';
import { scalar, values, vec } from '../testing/tensors.js';
import { TruncV1Op, TruncV2Op } from './trunc.js';

const v1 = (x: F32Tensor, s: number, z: number, inBw: number, outBw: number, attrs: Record<string, AttrValue> = {}) =>
  TruncV1Op.execute([x, scalar(s), scalar(z), scalar(inBw), scalar(outBw)], attrs)[0];
const v2 = (x: F32Tensor, s: number, z: number, inBw: number, outScale: number, outBw: number, attrs: Record<string, AttrValue> = {}) =>
  TruncV2Op.execute([x, scalar(s), scalar(z), scalar(inBw), scalar(outScale), scalar(outBw)], attrs)[0];

describe('Trunc v1', () => {
  const x = vec([7, 8, 13, -13, 255, 3.6]);

  it('divides by 2^(in_bw - out_bw) after a half-even round, default FLOOR, no clamp', () => {
    // round: [7, 8, 13, -13, 255, 4]; / 4: [1.75, 2, 3.25, -3.25, 63.75, 1]
    expect(values(v1(x, 1, 0, 8, 6))).toEqual([1, 2, 3, -4, 63, 1]);
    expect(values(v1(x, 1, 0, 8, 6, { rounding_mode: 'ROUND' }))).toEqual([2, 2, 3, -3, 64, 1]);
    expect(values(v1(x, 1, 0, 8, 6, { rounding_mode: 'ceil' }))).toEqual([2, 2, 4, -3, 64, 1]);
    // no clamp to the out_bw range: 2^6 = 64 survives under ROUND
  });

  it('keeps the input scale: (q - zeropt) * scale', () => {
    // x / 0.5 = [7, 8, 13, -13] -> /4 -> floor [1, 2, 3, -4] -> * 0.5
    expect(values(v1(vec([3.5, 4, 6.5, -6.5]), 0.5, 0, 8, 6))).toEqual([0.5, 1, 1.5, -2]);
    // zeropt 2: 1.0 / 0.5 + 2 = 4 -> 1 -> (1 - 2) * 0.5
    expect(values(v1(vec([1.0]), 0.5, 2, 8, 6))).toEqual([-0.5]);
  });

  it('shape as input, datatype FLOAT32', () => {
    expect(TruncV1Op.inferShapes({ inputShapes: [[1, 4], [], [], [], []], attrs: {}, constInputs: [] })).toEqual([[1, 4]]);
    expect(TruncV1Op.inferDatatypes({ inputTypes: [], attrs: {}, constInputs: [], allowScaledInt: true })).toEqual([FLOAT32]);
  });
});

describe('Trunc v2', () => {
  const x = vec([7, 8, 13, -13, 255, 3.6]);

  it('t = 2^round(log2(out_scale / scale)), clamp to the out_bw range, then FLOOR, times out_scale', () => {
    // t = 4; y / 4 = [1.75, 2, 3.25, -3.25, 63.75, 1]; clamp [-32, 31]; floor; * 4
    expect(values(v2(x, 1, 0, 8, 4, 6))).toEqual([4, 8, 12, -16, 124, 4]);
  });

  it('rounds the scale ratio to a power of two: out_scale 3 -> t = 4, out_scale 2.75 -> t = 2', () => {
    expect(values(v2(x, 1, 0, 8, 3, 6))).toEqual([3, 6, 9, -12, 93, 3]);
    // t = 2: [3.5, 4, 6.5, -6.5, 127.5, 2] -> clamp 31 -> floor [3, 4, 6, -7, 31, 2] -> * 2.75
    expect(values(v2(x, 1, 0, 8, 2.75, 6))).toEqual([8.25, 11, 16.5, -19.25, 85.25, 5.5]);
  });

  it('unsigned narrow output range [0, 14] for out_bw 4', () => {
    expect(values(v2(x, 1, 0, 8, 4, 4, { signed: 0, narrow: 1 }))).toEqual([4, 8, 12, 0, 56, 4]);
  });

  it('rescales the zero point: out = (q - zeropt / t) * out_scale', () => {
    // 6 + 2 = 8 -> / 4 = 2 -> (2 - 0.5) * 4 = 6;  5 + 2 = 7 -> 1.75 -> 1 -> (1 - 0.5) * 4 = 2
    expect(values(v2(vec([6, 5]), 1, 2, 8, 4, 6))).toEqual([6, 2]);
  });

  it('scale != 1: x / 0.5 = 7, t = 2 / 0.5 = 4, floor(1.75) * 2 = 2', () => {
    expect(values(v2(vec([3.5]), 0.5, 0, 8, 2, 6))).toEqual([2]);
  });

  it('in_bw does not matter', () => {
    expect(values(v2(x, 1, 0, 3, 4, 6))).toEqual(values(v2(x, 1, 0, 32, 4, 6)));
  });

  it('rejects a bad signed flag naming the op and attribute', () => {
    expect(() => v2(x, 1, 0, 8, 4, 6, { signed: 2 })).toThrow(/Trunc: attribute 'signed' must be one of 0, 1, got 2/);
  });
});
