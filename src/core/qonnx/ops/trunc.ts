/**
 * Trunc: drop low-order bits of a quantized tensor (e.g. after an accumulator). Two versions:
 *
 * v1 (inputs x, scale, zeropt, in_bw, out_bw):
 *   y = round_half_even(x / scale + zeropt); y = rounding(y / 2^(in_bw - out_bw)); out = (y - zeropt) * scale
 *   (no clamp)
 * v2 (inputs x, scale, zeropt, in_bw, out_scale, out_bw; in_bw is unused):
 *   y = round_half_even(x / scale + zeropt); t = 2^round(log2(out_scale / scale));
 *   y = rounding(clamp(y / t, min, max)); out = (y - zeropt / t) * out_scale
 *   with min/max the (signed, narrow, out_bw) integer range.
 *
 * The model's opset import for the QONNX domain picks the version (missing import: v1).
 * All arithmetic in float32; parameters broadcast against x with numpy rules.
 */
import { FLOAT32 } from '../datatypes.js';
import type { AttrSpec, CustomOpDef } from '../opTypes.js';
import { ROUNDING_MODES, roundHalfEven, roundingFunction } from '../rounding.js';
import { resolveAttrs } from './attrs.js';
import { broadcastAll, needInput, sameAsInput0 } from './broadcast.js';
import { maxInt, minInt } from './quant.js';

const f32 = Math.fround;

const ROUNDING_ATTR: AttrSpec = {
  name: 'rounding_mode',
  kind: 'string',
  default: 'FLOOR',
  allowed: ROUNDING_MODES,
  doc: 'Rounding of the truncated value (default FLOOR: plain truncation of low bits).',
};

const TRUNC_V1_ATTRS: readonly AttrSpec[] = [ROUNDING_ATTR];
const TRUNC_V2_ATTRS: readonly AttrSpec[] = [
  ROUNDING_ATTR,
  { name: 'signed', kind: 'int', default: 1, allowed: [0, 1], doc: 'Output integer range is signed (1) or unsigned (0).' },
  { name: 'narrow', kind: 'int', default: 0, allowed: [0, 1], doc: 'Narrow output range (drops the most negative / largest value).' },
];

export const TruncV1Op: CustomOpDef = {
  opType: 'Trunc',
  sinceVersion: 1,
  inputs: [
    { name: 'x', doc: 'Quantized tensor (float32 holding scaled integers).' },
    { name: 'scale', doc: 'Scale of x, broadcast against x.' },
    { name: 'zeropt', doc: 'Zero point of x.' },
    { name: 'in_bw', doc: 'Bit width of the input integers.' },
    { name: 'out_bw', doc: 'Bit width after truncation.' },
  ],
  outputs: [{ name: 'y', doc: 'Truncated values in x\'s scale (float32), shape of x.' }],
  attrs: TRUNC_V1_ATTRS,
  summary: 'Drop the (in_bw - out_bw) least significant bits of the integer value, keeping the scale.',
  formula: 'q = round_half_even(x / scale + zeropt); q = rounding(q / 2^(in_bw - out_bw)); y = (q - zeropt) * scale',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes(ctx) {
    resolveAttrs('Trunc', TRUNC_V1_ATTRS, ctx.attrs);
    return [FLOAT32];
  },
  execute(inputs, attrs) {
    const a = resolveAttrs('Trunc', TRUNC_V1_ATTRS, attrs);
    const round = roundingFunction(a.str('rounding_mode'));
    const names = ['x', 'scale', 'zeropt', 'in_bw', 'out_bw'];
    const {
      shape,
      arrays: [xs, ss, zs, ib, ob],
    } = broadcastAll(
      names.map((n, i) => needInput(inputs, i, 'Trunc', n)),
      'Trunc',
    );
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const s = ss[i];
      const z = zs[i];
      let y = roundHalfEven(f32(f32(xs[i] / s) + z));
      const t = f32(2 ** f32(ib[i] - ob[i]));
      y = round(f32(y / t));
      out[i] = f32(f32(y - z) * s);
    }
    return [{ shape, data: out }];
  },
};

export const TruncV2Op: CustomOpDef = {
  opType: 'Trunc',
  sinceVersion: 2,
  inputs: [
    { name: 'x', doc: 'Quantized tensor (float32 holding scaled integers).' },
    { name: 'scale', doc: 'Scale of x, broadcast against x.' },
    { name: 'zeropt', doc: 'Zero point of x.' },
    { name: 'in_bw', doc: 'Bit width of the input integers (informative; not used by the computation).' },
    { name: 'out_scale', doc: 'Scale of the output; out_scale / scale is rounded to a power of two.' },
    { name: 'out_bw', doc: 'Bit width of the output integers (the clamp range).' },
  ],
  outputs: [{ name: 'y', doc: 'Truncated values in out_scale (float32), shape of x.' }],
  attrs: TRUNC_V2_ATTRS,
  summary: 'Rescale to a power-of-two coarser scale, clamp to the out_bw integer range and round.',
  formula:
    'q = round_half_even(x / scale + zeropt); t = 2^round(log2(out_scale / scale)); ' +
    'q = rounding(clamp(q / t, min, max)); y = (q - zeropt / t) * out_scale. ' +
    'min/max: the (signed, narrow, out_bw) integer range.',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes(ctx) {
    resolveAttrs('Trunc', TRUNC_V2_ATTRS, ctx.attrs);
    return [FLOAT32];
  },
  execute(inputs, attrs) {
    const a = resolveAttrs('Trunc', TRUNC_V2_ATTRS, attrs);
    const round = roundingFunction(a.str('rounding_mode'));
    const signed = a.flag('signed');
    const narrow = a.flag('narrow');
    needInput(inputs, 3, 'Trunc', 'in_bw');
    const {
      shape,
      arrays: [xs, ss, zs, os, ob],
    } = broadcastAll(
      [
        needInput(inputs, 0, 'Trunc', 'x'),
        needInput(inputs, 1, 'Trunc', 'scale'),
        needInput(inputs, 2, 'Trunc', 'zeropt'),
        needInput(inputs, 4, 'Trunc', 'out_scale'),
        needInput(inputs, 5, 'Trunc', 'out_bw'),
      ],
      'Trunc',
    );
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const s = ss[i];
      const z = zs[i];
      const oscale = os[i];
      let y = roundHalfEven(f32(f32(xs[i] / s) + z));
      const t = f32(2 ** roundHalfEven(f32(Math.log2(f32(oscale / s)))));
      y = f32(y / t);
      const lo = minInt(signed, narrow, ob[i]);
      const hi = maxInt(signed, narrow, ob[i]);
      if (y > hi) y = hi;
      if (y < lo) y = lo;
      y = round(y);
      out[i] = f32(f32(y - f32(z / t)) * oscale);
    }
    return [{ shape, data: out }];
  },
};
