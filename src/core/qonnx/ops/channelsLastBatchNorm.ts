/**
 * BatchNormalization in domain qonnx.custom_op.channels_last: ONNX BatchNormalization (inference) on
 * a channels-last tensor, the channel being the last axis.
 *
 *   y[..., c] = x[..., c] * a[c] + b[c],  a = scale / sqrt(var + epsilon),  b = B - mean * a
 *
 * computed in float32 in that order (onnxruntime's CPU kernel folds the parameters the same way), so
 * results match onnxruntime to the last bit or one rounding step.
 */
import type { AttrSpec, AttrValue, CustomOpDef, F32Tensor } from '../opTypes.js';
import { FLOAT32 } from '../datatypes.js';
import { resolveAttrs } from './attrs.js';
import { needInput } from './broadcast.js';

const OP = 'BatchNormalization';
const f32 = Math.fround;

export const CHANNELS_LAST_BN_ATTRS: readonly AttrSpec[] = [
  { name: 'epsilon', kind: 'float', default: 1e-5, doc: 'Added to the variance before the square root.' },
  { name: 'momentum', kind: 'float', default: 0.9, doc: 'Training only (running statistics update); unused in inference.' },
  { name: 'training_mode', kind: 'int', default: 0, allowed: [0], doc: 'Must be 0: only inference is supported.' },
];

export function channelsLastBatchNorm(x: F32Tensor, scale: F32Tensor, bias: F32Tensor, mean: F32Tensor, variance: F32Tensor, attrs: Record<string, AttrValue>): F32Tensor {
  const a = resolveAttrs(OP, CHANNELS_LAST_BN_ATTRS, attrs);
  const eps = f32(a.float('epsilon'));
  const C = x.shape[x.shape.length - 1];
  for (const [t, name] of [[scale, 'scale'], [bias, 'B'], [mean, 'mean'], [variance, 'var']] as const)
    if (t.data.length !== C) throw new Error(`${OP} (channels last): ${name} has ${t.data.length} values, the last axis of x has ${C}`);
  const mul = new Float32Array(C), add = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const inv = f32(1 / f32(Math.sqrt(f32(variance.data[c] + eps))));
    mul[c] = f32(scale.data[c] * inv);
    add[c] = f32(bias.data[c] - f32(mean.data[c] * mul[c]));
  }
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % C;
    out[i] = f32(f32(x.data[i] * mul[c]) + add[c]);
  }
  return { shape: [...x.shape], data: out };
}

export const ChannelsLastBatchNormOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Input, channels last: [N, ..., C].' },
    { name: 'scale', doc: 'Per-channel scale (gamma) [C].' },
    { name: 'B', doc: 'Per-channel bias (beta) [C].' },
    { name: 'input_mean', doc: 'Running mean [C].' },
    { name: 'input_var', doc: 'Running variance [C].' },
  ],
  outputs: [{ name: 'y', doc: 'Normalized output, shape of x.' }],
  attrs: CHANNELS_LAST_BN_ATTRS,
  summary: 'ONNX BatchNormalization (inference) on channels-last tensors: the channel is the last axis.',
  formula: 'y[..., c] = (x[..., c] - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]',
  inferShapes: (ctx) => [ctx.inputShapes[0] ?? null],
  inferDatatypes(ctx) {
    resolveAttrs(OP, CHANNELS_LAST_BN_ATTRS, ctx.attrs);
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    const x = needInput(inputs, 0, OP, 'x');
    return [channelsLastBatchNorm(x, needInput(inputs, 1, OP, 'scale'), needInput(inputs, 2, OP, 'B'), needInput(inputs, 3, OP, 'input_mean'), needInput(inputs, 4, OP, 'input_var'), attrs)];
  },
};
