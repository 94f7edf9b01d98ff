/**
 * BipolarQuant: 1-bit quantization to {-1, +1} times a scale.
 *
 *   out = (x >= 0 ? 1 : -1) * scale      (NaN counts as negative)
 */
import { BIPOLAR, FLOAT32 } from '../datatypes.js';
import type { CustomOpDef } from '../opTypes.js';
import { resolveAttrs } from './attrs.js';
import { allEqual, broadcastAll, needInput, sameAsInput0 } from './broadcast.js';

const f32 = Math.fround;

export const BipolarQuantOp: CustomOpDef = {
  opType: 'BipolarQuant',
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Tensor to quantize (float32).' },
    { name: 'scale', doc: 'Scale factor, broadcast against x.' },
  ],
  outputs: [{ name: 'y', doc: '±scale, shape of x.' }],
  attrs: [],
  summary: 'Binarize to ±1 by sign (zero counts as +1), then multiply by the scale.',
  formula: 'y = (x >= 0 ? 1 : -1) * scale',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes(ctx) {
    resolveAttrs('BipolarQuant', [], ctx.attrs);
    return [allEqual(ctx.constInputs[1], 1) ? BIPOLAR : FLOAT32];
  },
  execute(inputs, attrs) {
    resolveAttrs('BipolarQuant', [], attrs);
    const {
      shape,
      arrays: [xs, ss],
    } = broadcastAll([needInput(inputs, 0, 'BipolarQuant', 'x'), needInput(inputs, 1, 'BipolarQuant', 'scale')], 'BipolarQuant');
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = f32((xs[i] >= 0 ? 1 : -1) * ss[i]);
    return [{ shape, data: out }];
  },
};
