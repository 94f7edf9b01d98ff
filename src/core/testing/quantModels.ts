/**
 * Small quantized models in the shapes real exporters write, for tests of quantizer kinds and bulk
 * bit-width edits (unit, CLI and e2e):
 * - brevitasGemm: Brevitas-style Gemm layers whose bias quantizer gets its scale from a Mul of the input
 *   and weight scales and its bit width from an Add of the input and weight bit widths (computed by the
 *   graph), and a second layer whose weight bit width is a Cast of an INT64 constant (computed too).
 * - qkerasDense: QKeras-style Dense layers (MatMul + Add) with quantized weight and bias constants.
 * - convBias: a Conv with a quantizer on its bias input, a residual Add of a quantized activation after
 *   it, and a Conv without bias followed by Add of a Reshape of a quantized bias constant.
 * Every Quant starts at 8 bits, scale 1 (or computed), zero point 0.
 */
import { encodeModel, decodeModel } from '../onnx/codec.js';
import { int64From, type Attribute, type Model, type Node, type Tensor, type ValueInfo } from '../ir/types.js';

const QONNX = 'qonnx.custom_op.general';

function vi(name: string, shape: number[]): ValueInfo {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: int64From(d) })) } } } };
}

function f32(name: string, dims: number[], values: number[]): Tensor {
  return { name, dims: dims.map((d) => int64From(d)), dataType: 1, floatData: values };
}

/** Deterministic small weights in [-1, 1]. */
function ramp(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(Math.sin(i * 1.7 + seed) * 100) / 100);
}

const int = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });
const ints = (name: string, v: number[]): Attribute => ({ name, type: 7, ints: v.map((x) => int64From(x)) });
const str = (name: string, v: string): Attribute => ({ name, type: 3, s: new TextEncoder().encode(v) });

function quant(name: string, x: string, scale: string, zero: string, bits: string, out: string, signed = 1): Node {
  return { name, opType: 'Quant', domain: QONNX, input: [x, scale, zero, bits], output: [out], attribute: [int('signed', signed), int('narrow', 0), str('rounding_mode', 'ROUND')] };
}

function op(name: string, opType: string, input: string[], output: string[], attribute: Attribute[] = []): Node {
  return { name, opType, input, output, ...(attribute.length ? { attribute } : {}) };
}

function model(nodes: Node[], inits: Tensor[], inputs: ValueInfo[], outputs: ValueInfo[]): Model {
  const m: Model = {
    irVersion: int64From(8),
    producerName: 'qonnx-studio-test',
    opsetImport: [{ domain: '', version: int64From(13) }, { domain: QONNX, version: int64From(1) }],
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: inits },
  };
  return decodeModel(encodeModel(m));
}

const COMMON = (): Tensor[] => [f32('one', [], [1]), f32('zero', [], [0]), f32('bw8', [], [8])];

/**
 * x[1,8] -> Quant_in -> Gemm_1 (Quant_w1 weights [4,8], Quant_b1 bias) -> Relu -> Quant_a1
 *        -> Gemm_2 (Quant_w2 weights [3,4] with bit width Cast(INT64 8), plain bias) -> y[1,3]
 * Quant_b1: scale = Mul(in scale, weight scale), bit width = Add(in bit width, weight bit width).
 */
export function brevitasGemm(): Model {
  const inits = [
    ...COMMON(),
    f32('in_scale', [], [0.5]),
    f32('w1_scale', [], [0.25]),
    f32('w1_bw', [], [8]),
    f32('W1', [4, 8], ramp(32, 1)),
    f32('B1', [4], [1, -2, 3, -4]),
    f32('W2', [3, 4], ramp(12, 2)),
    { name: 'w2_bw_i64', dims: [], dataType: 7, int64Data: [int64From(8)] },
    f32('B2', [3], [0.5, 0, -0.5]),
  ];
  const nodes = [
    quant('Quant_in', 'x', 'in_scale', 'zero', 'bw8', 'xq'),
    quant('Quant_w1', 'W1', 'w1_scale', 'zero', 'w1_bw', 'w1q'),
    op('Mul_b1_scale', 'Mul', ['in_scale', 'w1_scale'], ['b1_scale']),
    op('Add_b1_bw', 'Add', ['bw8', 'w1_bw'], ['b1_bw']),
    quant('Quant_b1', 'B1', 'b1_scale', 'zero', 'b1_bw', 'b1q'),
    op('Gemm_1', 'Gemm', ['xq', 'w1q', 'b1q'], ['h1'], [int('transB', 1)]),
    op('Relu_1', 'Relu', ['h1'], ['r1']),
    quant('Quant_a1', 'r1', 'one', 'zero', 'bw8', 'a1q', 0),
    op('Cast_w2_bw', 'Cast', ['w2_bw_i64'], ['w2_bw'], [int('to', 1)]),
    quant('Quant_w2', 'W2', 'one', 'zero', 'w2_bw', 'w2q'),
    op('Gemm_2', 'Gemm', ['a1q', 'w2q', 'B2'], ['y'], [int('transB', 1)]),
  ];
  return model(nodes, inits, [vi('x', [1, 8])], [vi('y', [1, 3])]);
}

/** x[1,6] -> Quant_in -> MatMul(Quant_w1 [6,5]) + Quant_b1 -> Relu -> Quant_a1 -> MatMul(Quant_w2 [5,3]) + Quant_b2 -> y[1,3] */
export function qkerasDense(): Model {
  const inits = [
    ...COMMON(),
    f32('w_scale', [], [0.125]),
    f32('W1', [6, 5], ramp(30, 3)),
    f32('B1', [5], ramp(5, 4)),
    f32('W2', [5, 3], ramp(15, 5)),
    f32('B2', [3], ramp(3, 6)),
  ];
  const nodes = [
    quant('Quant_in', 'x', 'one', 'zero', 'bw8', 'xq'),
    quant('Quant_w1', 'W1', 'w_scale', 'zero', 'bw8', 'w1q'),
    op('MatMul_1', 'MatMul', ['xq', 'w1q'], ['m1']),
    quant('Quant_b1', 'B1', 'w_scale', 'zero', 'bw8', 'b1q'),
    op('Add_1', 'Add', ['m1', 'b1q'], ['h1']),
    op('Relu_1', 'Relu', ['h1'], ['r1']),
    quant('Quant_a1', 'r1', 'one', 'zero', 'bw8', 'a1q', 0),
    quant('Quant_w2', 'W2', 'w_scale', 'zero', 'bw8', 'w2q'),
    op('MatMul_2', 'MatMul', ['a1q', 'w2q'], ['m2']),
    quant('Quant_b2', 'B2', 'w_scale', 'zero', 'bw8', 'b2q'),
    op('Add_2', 'Add', ['b2q', 'm2'], ['y']),
  ];
  return model(nodes, inits, [vi('x', [1, 6])], [vi('y', [1, 3])]);
}

/**
 * x[1,2,5,5] -> Quant_in -> Conv_1(Quant_w1 [2,2,3,3], bias Quant_b1 [2], pads 1) -> + Quant_skip(x) (residual)
 *   -> Conv_2(Quant_w2 [2,2,1,1], no bias) -> + Reshape(Quant_b2 [2], [1,2,1,1]) -> y[1,2,5,5]
 */
export function convBias(): Model {
  const inits = [
    ...COMMON(),
    f32('W1', [2, 2, 3, 3], ramp(36, 7)),
    f32('B1', [2], [0.5, -0.5]),
    f32('W2', [2, 2, 1, 1], ramp(4, 8)),
    f32('B2', [2], [1, 2]),
    { name: 'b2_shape', dims: [int64From(4)], dataType: 7, int64Data: [1, 2, 1, 1].map((v) => int64From(v)) },
  ];
  const nodes = [
    quant('Quant_in', 'x', 'one', 'zero', 'bw8', 'xq'),
    quant('Quant_w1', 'W1', 'one', 'zero', 'bw8', 'w1q'),
    quant('Quant_b1', 'B1', 'one', 'zero', 'bw8', 'b1q'),
    op('Conv_1', 'Conv', ['xq', 'w1q', 'b1q'], ['c1'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
    quant('Quant_skip', 'x', 'one', 'zero', 'bw8', 'sq'),
    op('Add_res', 'Add', ['c1', 'sq'], ['r']),
    quant('Quant_w2', 'W2', 'one', 'zero', 'bw8', 'w2q'),
    op('Conv_2', 'Conv', ['r', 'w2q'], ['c2'], [ints('kernel_shape', [1, 1])]),
    quant('Quant_b2', 'B2', 'one', 'zero', 'bw8', 'b2q'),
    op('Reshape_b2', 'Reshape', ['b2q', 'b2_shape'], ['b2r']),
    op('Add_b2', 'Add', ['c2', 'b2r'], ['y']),
  ];
  return model(nodes, inits, [vi('x', [1, 2, 5, 5])], [vi('y', [1, 2, 5, 5])]);
}
