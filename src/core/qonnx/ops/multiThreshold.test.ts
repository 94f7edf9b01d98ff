import { describe, expect, it } from 'vitest';
import { FLOAT32, intType, parseDataType } from '../datatypes.js';
import type { AttrValue } from '../opTypes.js';
import { tensor, values } from '../testing/tensors.js';
import { MultiThresholdOp } from './multiThreshold.js';

const run = (v: ReturnType<typeof tensor>, t: ReturnType<typeof tensor>, attrs: Record<string, AttrValue>) => MultiThresholdOp.execute([v, t], { out_dtype: 'UINT2', ...attrs })[0];

// channel 0 values and thresholds [0, 1, 2]; channel 1 values and thresholds [10, 20, 30]
const CH0 = [-1, 0, 1.5, 5];
const CH1 = [5, 10, 25, 30];
const PER_CHANNEL = tensor([2, 3], [0, 1, 2, 10, 20, 30]);
const GLOBAL = tensor([1, 3], [0, 1, 2]);

describe('MultiThreshold', () => {
  it('NCHW, per-channel thresholds: count of v >= t', () => {
    const v = tensor([1, 2, 2, 2], [...CH0, ...CH1]);
    const y = run(v, PER_CHANNEL, {});
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(values(y)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('NCHW, global thresholds (C = 1)', () => {
    const v = tensor([1, 2, 2, 2], [...CH0, ...CH1]);
    expect(values(run(v, GLOBAL, {}))).toEqual([0, 1, 2, 3, 3, 3, 3, 3]);
  });

  it('NHWC: channel is the last axis', () => {
    const interleaved = CH0.flatMap((a, i) => [a, CH1[i]]);
    const v = tensor([1, 2, 2, 2], interleaved);
    expect(values(run(v, PER_CHANNEL, { data_layout: 'NHWC' }))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(values(run(v, GLOBAL, { data_layout: 'NHWC' }))).toEqual([0, 3, 1, 3, 2, 3, 3, 3]);
  });

  it('2-D [N, C] inputs (NCHW and NC layouts agree)', () => {
    const v = tensor([2, 2], [0.5, 15, 2, 35]);
    expect(values(run(v, PER_CHANNEL, {}))).toEqual([1, 1, 3, 3]);
    expect(values(run(v, PER_CHANNEL, { data_layout: 'NC' }))).toEqual([1, 1, 3, 3]);
  });

  it('out = out_scale * count + out_bias', () => {
    const v = tensor([1, 2, 2, 2], [...CH0, ...CH1]);
    expect(values(run(v, PER_CHANNEL, { out_scale: 2, out_bias: -3 }))).toEqual([-3, -1, 1, 3, -3, -1, 1, 3]);
    expect(values(run(v, PER_CHANNEL, { out_scale: 0.5, out_bias: 0.25 }))).toEqual([0.25, 0.75, 1.25, 1.75, 0.25, 0.75, 1.25, 1.75]);
  });

  it('NaN reaches no threshold', () => {
    expect(values(run(tensor([1, 1], [NaN]), GLOBAL, {}))).toEqual([0]);
  });

  it('rejects thresholds whose row count is neither C nor 1', () => {
    expect(() => run(tensor([1, 3], [1, 2, 3]), PER_CHANNEL, {})).toThrow(/MultiThreshold: thresholds have 2 rows but the input has 3 channels/);
  });

  it('datatype: out_dtype, or FLOAT32 when out_scale or out_bias is not an integer or out_dtype is absent', () => {
    const ctx = (attrs: Record<string, AttrValue>) => ({ inputTypes: [FLOAT32, FLOAT32], attrs, constInputs: [], allowScaledInt: true });
    expect(MultiThresholdOp.inferDatatypes(ctx({ out_dtype: 'UINT4' }))).toEqual([intType(4, false)]);
    expect(MultiThresholdOp.inferDatatypes(ctx({ out_dtype: 'BIPOLAR', out_scale: 2, out_bias: -1 }))).toEqual([parseDataType('BIPOLAR')]);
    expect(MultiThresholdOp.inferDatatypes(ctx({ out_dtype: 'INT4', out_scale: 0.5 }))).toEqual([FLOAT32]);
    expect(MultiThresholdOp.inferDatatypes(ctx({ out_dtype: 'INT4', out_bias: 0.5 }))).toEqual([FLOAT32]);
    expect(MultiThresholdOp.inferDatatypes(ctx({}))).toEqual([FLOAT32]);
    expect(() => MultiThresholdOp.inferDatatypes(ctx({ out_dtype: 'WORD7' }))).toThrow(/MultiThreshold: attribute 'out_dtype' is not a QONNX datatype, got 'WORD7'/);
  });

  it('shape of v', () => {
    expect(MultiThresholdOp.inferShapes({ inputShapes: [['N', 64], [64, 3]], attrs: { out_dtype: 'UINT2' }, constInputs: [] })).toEqual([['N', 64]]);
  });
});
