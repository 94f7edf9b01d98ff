import type { OpCategory } from '../../core/view/viewGraph.js';

/** One colour per op family; the same on canvas, DOM nodes, minimap and exported images. */
export const CATEGORY_COLOR: Record<OpCategory, string> = {
  quant: '#7c3aed',
  compute: '#1d4ed8',
  activation: '#b91c1c',
  shape: '#475569',
  elementwise: '#0e7490',
  pool: '#15803d',
  norm: '#a16207',
  hardware: '#be185d',
  io: '#1f2937',
  const: '#6b7280',
  other: '#4b5563',
};

export const CATEGORY_LABEL: Record<OpCategory, string> = {
  quant: 'quantizer',
  compute: 'compute (Conv, MatMul, Gemm)',
  activation: 'activation',
  shape: 'shape / layout',
  elementwise: 'element-wise',
  pool: 'pooling',
  norm: 'normalisation',
  hardware: 'FINN hardware op',
  io: 'graph input / output',
  const: 'constant',
  other: 'other',
};
