/**
 * One-MatMul layers (x [1,4] · w [4,3]: 12 MACs, 12 weights, 3 outputs) whose quantizers qonnx counts
 * as FLOAT32 although they have few bits: a scaled BipolarQuant, and a Quant whose bit width is a
 * 1-element array. With scale 1 / a scalar bit width the same builders give the control models that
 * the reference types as integers.
 */
import { int64From, type Model, type Node, type Tensor, type ValueInfo } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { attrInt, attrString, QONNX_DOMAIN } from './synth.js';

const vi = (name: string, shape: number[]): ValueInfo => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: int64From(d) })) } } } });
const f32 = (name: string, dims: number[], values: number[]): Tensor => ({ name, dims: dims.map((d) => int64From(d)), dataType: 1, floatData: values });
/** 4x3 weights, all of magnitude above 0.5: none becomes 0 after 1- or 2-bit quantization, so no sparsity discount */
const W = [0.9, -0.8, 0.7, -0.6, 0.95, -0.85, 0.75, -0.65, 0.9, -0.7, 0.6, -0.9];

function mlp(nodes: Node[], inits: Tensor[]): Model {
  return decodeModel(
    encodeModel({
      irVersion: int64From(7),
      opsetImport: [{ domain: '', version: int64From(13) }, { domain: QONNX_DOMAIN, version: int64From(1) }],
      graph: { name: 'g', node: nodes, input: [vi('x', [1, 4])], output: [vi('y', [1, 3])], initializer: [f32('w', [4, 3], W), ...inits] },
    }),
  );
}

/** x -> BipolarQuant(scale sa) -> MatMul <- BipolarQuant(w, scale sw) */
export function bipolarMlp(sa: number, sw: number): Model {
  return mlp(
    [
      { opType: 'BipolarQuant', domain: QONNX_DOMAIN, name: 'act_q', input: ['x', 'sa'], output: ['a'] },
      { opType: 'BipolarQuant', domain: QONNX_DOMAIN, name: 'w_q', input: ['w', 'sw'], output: ['wq'] },
      { opType: 'MatMul', name: 'fc', input: ['a', 'wq'], output: ['y'] },
    ],
    [f32('sa', [], [sa]), f32('sw', [], [sw])],
  );
}

/** x -> Quant(4 bits signed) -> MatMul <- Quant(w, 2 bits signed narrow); bit widths of shape `dims` ([] = scalar) */
export function quantMlp(dims: number[]): Model {
  const q = (name: string, x: string, p: string, narrow: number): Node => ({
    opType: 'Quant',
    domain: QONNX_DOMAIN,
    name,
    input: [x, `${p}_s`, `${p}_z`, `${p}_b`],
    output: [`${x}q`],
    attribute: [attrInt('narrow', narrow), attrString('rounding_mode', 'ROUND'), attrInt('signed', 1)],
  });
  return mlp(
    [q('act_q', 'x', 'qa', 0), q('w_q', 'w', 'qw', 1), { opType: 'MatMul', name: 'fc', input: ['xq', 'wq'], output: ['y'] }],
    [f32('qa_s', [], [1]), f32('qa_z', [], [0]), f32('qa_b', dims, [4]), f32('qw_s', [], [1]), f32('qw_z', [], [0]), f32('qw_b', dims, [2])],
  );
}
