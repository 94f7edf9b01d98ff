/**
 * MultiThreshold (FINN): counts how many thresholds each value reaches, per channel.
 *
 *   out[..c..] = out_scale * #{ j : v[..c..] >= thresholds[c, j] } + out_bias
 *
 * thresholds has shape [C, B] (C = 1: the same thresholds for every channel). The channel axis is 1
 * for data_layout NCHW-like layouts and the last axis when data_layout ends in "C" (NHWC, NC, ...).
 * The count is a float32 array and the scale/bias step is float32, as in the reference.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import { FLOAT32, parseDataType } from '../datatypes.js';
import type { AttrSpec, CustomOpDef, F32Tensor } from '../opTypes.js';
import { badAttr, resolveAttrs } from './attrs.js';
import { needInput } from './broadcast.js';

const f32 = Math.fround;

export const MULTI_THRESHOLD_ATTRS: readonly AttrSpec[] = [
  // Names the output datatype only: the kernel reads thresholds, out_scale and out_bias, so a node
  // without it still runs (its output is then typed FLOAT32, and Problems says so).
  { name: 'out_dtype', kind: 'string', ifMissing: 'output datatype unknown', doc: 'QONNX datatype of the output (e.g. UINT4, INT2, BIPOLAR).' },
  { name: 'out_scale', kind: 'float', default: 1.0, doc: 'Multiplier applied to the threshold count.' },
  { name: 'out_bias', kind: 'float', default: 0.0, doc: 'Offset added after scaling.' },
  { name: 'data_layout', kind: 'string', default: 'NCHW', doc: 'Layout of the input; ending in C (e.g. NHWC) means channels last, otherwise the channel axis is 1.' },
];

export function isChannelsLast(layout: string): boolean {
  return layout.endsWith('C');
}

export function multiThresholdKernel(v: F32Tensor, thresholds: F32Tensor, outScale: number, outBias: number, channelsLast: boolean, opType = 'MultiThreshold'): F32Tensor {
  const rank = v.shape.length;
  if (thresholds.shape.length !== 2) throw new Error(`${opType}: thresholds must have shape [C, B], got [${thresholds.shape.join(',')}]`);
  const axis = channelsLast ? rank - 1 : 1;
  if (axis < 0 || axis >= rank) throw new Error(`${opType}: input of shape [${v.shape.join(',')}] has no channel axis ${channelsLast ? '(last)' : '1'}`);
  const C = v.shape[axis];
  const [tc, B] = thresholds.shape;
  if (tc !== C && tc !== 1)
    throw new Error(`${opType}: thresholds have ${tc} rows but the input has ${C} channels (need ${C} or 1)`);
  let inner = 1;
  for (let k = axis + 1; k < rank; k++) inner *= v.shape[k];
  const t = thresholds.data;
  const x = v.data;
  const out = new Float32Array(x.length);
  // every possible count maps to one output value: compute those once
  const lut = new Float32Array(B + 1);
  for (let n = 0; n <= B; n++) lut[n] = f32(f32(outScale * n) + outBias);
  const outer = C * inner > 0 ? x.length / (C * inner) : 0;
  let i = 0;
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < C; c++) {
      const row = tc === 1 ? 0 : c * B;
      for (let k = 0; k < inner; k++, i++) {
        const xi = x[i];
        let n = 0;
        for (let j = 0; j < B; j++) if (xi >= t[row + j]) n++;
        out[i] = lut[n];
      }
    }
  return { shape: [...v.shape], data: out };
}

export const MultiThresholdOp: CustomOpDef = {
  opType: 'MultiThreshold',
  sinceVersion: 1,
  inputs: [
    { name: 'v', doc: 'Input tensor (channel axis 1, or last when data_layout ends in C).' },
    { name: 'thresholds', doc: 'Thresholds [C, B] (C = 1: shared by all channels), B steps per channel.' },
  ],
  outputs: [{ name: 'y', doc: 'Scaled threshold counts, shape of v.' }],
  attrs: MULTI_THRESHOLD_ATTRS,
  summary: 'Quantized activation as a step function: count the thresholds each value reaches, then scale and shift.',
  formula: 'y = out_scale * count_j(v >= thresholds[c, j]) + out_bias',
  inferShapes(ctx) {
    const s = ctx.inputShapes[0];
    return [s ? ([...s] as Dim[]) : null];
  },
  inferDatatypes(ctx) {
    const a = resolveAttrs('MultiThreshold', MULTI_THRESHOLD_ATTRS, ctx.attrs);
    if (!a.has('out_dtype')) return [FLOAT32];
    let dt;
    try {
      dt = parseDataType(a.str('out_dtype'));
    } catch {
      badAttr('MultiThreshold', 'out_dtype', a.str('out_dtype'), 'is not a QONNX datatype');
    }
    if (!Number.isInteger(a.float('out_scale')) || !Number.isInteger(a.float('out_bias'))) return [FLOAT32];
    return [dt];
  },
  execute(inputs, attrs) {
    const a = resolveAttrs('MultiThreshold', MULTI_THRESHOLD_ATTRS, attrs);
    return [
      multiThresholdKernel(
        needInput(inputs, 0, 'MultiThreshold', 'v'),
        needInput(inputs, 1, 'MultiThreshold', 'thresholds'),
        a.float('out_scale'),
        a.float('out_bias'),
        isChannelsLast(a.str('data_layout')),
      ),
    ];
  },
};
