/**
 * XnorPopcountMatMul (FINN): matrix product of binary {0, 1} operands read as bipolar {-1, +1},
 * returned as the XNOR popcount (the number of agreeing positions):
 *
 *   out = ((2a - 1) @ (2b - 1) + K) / 2
 *
 * a has shape [..., M, K] (or [K]); b has shape [K, N]. Float32 arithmetic, accumulating along K.
 */
import type { Dim } from '../../ir/tensorInfo.js';
import { intType } from '../datatypes.js';
import type { CustomOpDef, F32Tensor } from '../opTypes.js';
import { resolveAttrs } from './attrs.js';
import { needInput } from './broadcast.js';

const f32 = Math.fround;

export function xnorPopcountMatMulKernel(a: F32Tensor, b: F32Tensor, opType = 'XnorPopcountMatMul'): F32Tensor {
  if (a.shape.length < 1) throw new Error(`${opType}: input 0 must have at least one axis`);
  if (b.shape.length !== 2) throw new Error(`${opType}: input 1 must be a matrix [K, N], got [${b.shape.join(',')}]`);
  const K = a.shape[a.shape.length - 1];
  const [K1, N] = b.shape;
  if (K !== K1) throw new Error(`${opType}: inner dimensions differ (${K} vs ${K1})`);
  const rows = K === 0 ? 0 : a.data.length / K;
  const outShape = [...a.shape.slice(0, -1), N];
  const out = new Float32Array(rows * N);
  const bb = new Float32Array(b.data.length);
  for (let i = 0; i < bb.length; i++) bb[i] = f32(f32(2 * b.data[i]) - 1);
  const arow = new Float32Array(K);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) arow[k] = f32(f32(2 * a.data[r * K + k]) - 1);
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc = f32(acc + f32(arow[k] * bb[k * N + n]));
      out[r * N + n] = f32(f32(acc + K) * 0.5);
    }
  }
  return { shape: outShape, data: out };
}

export const XnorPopcountMatMulOp: CustomOpDef = {
  opType: 'XnorPopcountMatMul',
  sinceVersion: 1,
  inputs: [
    { name: 'a', doc: 'Binary {0, 1} activations [..., M, K].' },
    { name: 'b', doc: 'Binary {0, 1} weights [K, N].' },
  ],
  outputs: [{ name: 'y', doc: 'Popcount of XNOR along K, [..., M, N].' }],
  attrs: [],
  summary: 'Binary matrix product as XNOR + popcount: the number of positions where a and b agree.',
  formula: 'y = ((2a - 1) @ (2b - 1) + K) / 2',
  inferShapes(ctx) {
    const [sa, sb] = ctx.inputShapes;
    if (!sa || !sb || sa.length < 1 || sb.length !== 2) return [null];
    return [[...sa.slice(0, -1), sb[1]] as Dim[]];
  },
  inferDatatypes(ctx) {
    resolveAttrs('XnorPopcountMatMul', [], ctx.attrs);
    return [intType(32, false)];
  },
  execute(inputs, attrs) {
    resolveAttrs('XnorPopcountMatMul', [], attrs);
    return [xnorPopcountMatMulKernel(needInput(inputs, 0, 'XnorPopcountMatMul', 'a'), needInput(inputs, 1, 'XnorPopcountMatMul', 'b'))];
  },
};
