/**
 * Shared by the channels-last wrappers of Conv, MaxPool and BatchNormalization (domain
 * qonnx.custom_op.channels_last): the layout permutations, the window geometry of one spatial axis
 * (explicit pads or auto_pad, as ONNX defines them) and the common attribute specs.
 *
 * A channels-last op computes exactly what the standard op computes on the channels-first transpose of
 * its inputs, with the result transposed back: y = T_last(Op(T_first(x), ...)).
 */
import type { Dim } from '../../ir/tensorInfo.js';
import type { AttrSpec } from '../opTypes.js';

/** Permutation taking a channels-first tensor (N, C, d1, ...) to channels-last (N, d1, ..., C). */
export function toChannelsLastPerm(ndim: number): number[] {
  const p = Array.from({ length: ndim }, (_, i) => i);
  p.splice(1, 1);
  p.push(1);
  return p;
}

/** Permutation taking a channels-last tensor (N, d1, ..., C) to channels-first (N, C, d1, ...). */
export function toChannelsFirstPerm(ndim: number): number[] {
  const p = Array.from({ length: ndim - 1 }, (_, i) => i);
  p.splice(1, 0, ndim - 1);
  return p;
}

export const AUTO_PAD_VALUES = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;

export const autoPadAttr: AttrSpec = {
  name: 'auto_pad',
  kind: 'string',
  default: 'NOTSET',
  allowed: AUTO_PAD_VALUES,
  doc: 'As ONNX: NOTSET uses pads; SAME_UPPER/SAME_LOWER pad so that the output is ceil(input / stride) (the odd pixel at the end / at the start); VALID pads nothing.',
};

/** One spatial axis of a sliding window: output size and leading padding. */
export interface AxisWindow {
  out: number;
  padBegin: number;
}

/**
 * Output size and leading padding of one spatial axis, ONNX rules. `k` is the kernel size, `d` the
 * dilation; with ceil_mode (pooling) the output rounds up, but a window must start inside the input
 * or the leading padding.
 */
export function axisWindow(inSize: number, k: number, s: number, d: number, padBegin: number, padEnd: number, autoPad: string, ceilMode = false): AxisWindow {
  const ek = (k - 1) * d + 1;
  const mode = autoPad.toUpperCase();
  if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
    const out = Math.ceil(inSize / s);
    const total = Math.max(0, (out - 1) * s + ek - inSize);
    const begin = mode === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    return { out, padBegin: begin };
  }
  if (mode === 'VALID') {
    padBegin = 0;
    padEnd = 0;
  }
  const span = inSize + padBegin + padEnd - ek;
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= inSize + padBegin) out--;
  return { out, padBegin };
}

/** Explicit [begin..., end...] pads of the given spatial axes (auto_pad resolved). */
export function explicitPads(inSizes: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[], pads: readonly number[], autoPad: string): number[] {
  const n = inSizes.length;
  const begin: number[] = [], end: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = axisWindow(inSizes[i], k[i], s[i], d[i], pads[i] ?? 0, pads[i + n] ?? 0, autoPad);
    const ek = (k[i] - 1) * d[i] + 1;
    begin.push(w.padBegin);
    end.push(Math.max(0, (w.out - 1) * s[i] + ek - inSizes[i] - w.padBegin));
  }
  return [...begin, ...end];
}

/** Attribute lists of `n` spatial axes with ONNX defaults for empty lists. */
export function spatialParams(a: { ints(name: string): number[]; str(name: string): string }, nsp: number, kernelFromWeight?: number[]) {
  const k = a.ints('kernel_shape').length ? a.ints('kernel_shape') : (kernelFromWeight ?? []);
  const s = a.ints('strides').length ? a.ints('strides') : new Array(nsp).fill(1);
  const d = a.ints('dilations').length ? a.ints('dilations') : new Array(nsp).fill(1);
  const p = a.ints('pads').length ? a.ints('pads') : new Array(2 * nsp).fill(0);
  return { k, s, d, p, autoPad: a.str('auto_pad') };
}

/** Output spatial dims (numbers where the input dim is known). */
export function spatialOutDims(inDims: readonly Dim[], k: number[], s: number[], d: number[], p: number[], autoPad: string, ceilMode = false): Dim[] {
  const n = inDims.length;
  return inDims.map((dim, i) => (typeof dim === 'number' && k[i] !== undefined ? axisWindow(dim, k[i], s[i] ?? 1, d[i] ?? 1, p[i] ?? 0, p[i + n] ?? 0, autoPad, ceilMode).out : null));
}
