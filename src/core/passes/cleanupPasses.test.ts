/**
 * The tidy-up passes: names, unique parameters, unused tensors, static inputs, datatype annotations.
 * Expected names follow the reference (qonnx GiveUniqueNodeNames / GiveReadableTensorNames); every
 * passed model must still encode and decode.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import type { Attribute, Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import { attrInt, attrInts, attrString, QONNX_DOMAIN } from '../testing/synth.js';
import { annotateDatatypes, giveReadableTensorNames, giveUniqueNodeNames, giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from './cleanupPasses.js';
import { renameTensors } from './renameTensor.js';

const FLOAT = 1;
const vi = (name: string, dims: number[]): ValueInfo => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: int64From(d) })) } } } });
const initF = (name: string, dims: number[], values?: number[]): Tensor => ({
  name,
  dims: dims.map((d) => int64From(d)),
  dataType: FLOAT,
  floatData: values ?? Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
});
function node(opType: string, input: string[], output: string[], name = '', attribute: Attribute[] = [], domain?: string): Node {
  const n: Node = { opType, input, output, name };
  if (attribute.length) n.attribute = attribute;
  if (domain !== undefined) n.domain = domain;
  return n;
}
interface Spec {
  nodes: Node[];
  inits?: Tensor[];
  inputs?: ValueInfo[];
  outputs?: ValueInfo[];
  valueInfo?: ValueInfo[];
  ann?: [string, string, string][];
}
function build(s: Spec): Model {
  return decodeModel(
    encodeModel({
      irVersion: int64From(7),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'g',
        node: s.nodes,
        initializer: s.inits ?? [],
        input: s.inputs ?? [],
        output: s.outputs ?? [],
        valueInfo: s.valueInfo ?? [],
        quantizationAnnotation: (s.ann ?? []).map(([tensorName, key, value]) => ({ tensorName, quantParameterTensorNames: [{ key, value }] })),
      },
    }),
  );
}
const reread = (m: Model) => decodeModel(encodeModel(m));
const ann = (m: Model, t: string, key = 'finn_datatype') => indexGraph(m.graph!).annotation.get(t)?.get(key);

describe('giveUniqueNodeNames', () => {
  it('names every node <OpType>_<k>, counting per op type in graph order', () => {
    const m = build({
      inputs: [vi('x', [1, 4])],
      nodes: [node('Relu', ['x'], ['a'], 'first'), node('Add', ['a', 'a'], ['b']), node('Relu', ['b'], ['c'], 'Relu_0'), node('Relu', ['c'], ['d'], 'dup'), node('Add', ['d', 'a'], ['e'], 'dup')],
    });
    const r = giveUniqueNodeNames.run(m, {});
    expect(r.modified).toBe(true);
    expect(r.model.graph!.node!.map((n) => n.name)).toEqual(['Relu_0', 'Add_0', 'Relu_1', 'Relu_2', 'Add_1']);
    expect(giveUniqueNodeNames.run(r.model, {}).modified).toBe(false);
    expect(reread(r.model).graph!.node!.map((n) => n.name)).toEqual(['Relu_0', 'Add_0', 'Relu_1', 'Relu_2', 'Add_1']);
  });
});

describe('renameTensors', () => {
  it('renames every reference: node inputs and outputs, initializers, graph io, value_info, annotations', () => {
    const m = build({
      inputs: [vi('x', [1, 2])],
      outputs: [vi('y', [1, 2])],
      valueInfo: [vi('h', [1, 2])],
      inits: [initF('w', [2, 2])],
      nodes: [node('MatMul', ['x', 'w'], ['h'], 'mm'), node('Relu', ['h'], ['y'], 'r')],
      ann: [['h', 'finn_datatype', 'INT8'], ['w', 'finn_datatype', 'INT2'], ['x', 'tensor_layout', "['N', 'C']"]],
    });
    const out = renameTensors(m, new Map([['x', 'X'], ['w', 'W'], ['h', 'H'], ['y', 'Y']]));
    const g = reread(out).graph!;
    expect(g.node!.map((n) => [n.input, n.output])).toEqual([[['X', 'W'], ['H']], [['H'], ['Y']]]);
    expect(g.input!.map((i) => i.name)).toEqual(['X']);
    expect(g.output!.map((i) => i.name)).toEqual(['Y']);
    expect(g.valueInfo!.map((i) => i.name)).toEqual(['H']);
    expect(g.initializer!.map((i) => i.name)).toEqual(['W']);
    expect(g.quantizationAnnotation!.map((a) => a.tensorName)).toEqual(['H', 'W', 'X']);
    // the original is untouched
    expect(m.graph!.node![0].input).toEqual(['x', 'w']);
  });
});

describe('giveReadableTensorNames', () => {
  const spec = (): Spec => ({
    inputs: [vi('input.1', [1, 3, 4, 4]), vi('aux', [1, 4, 4, 4])],
    outputs: [vi('out', [1, 4, 4, 4])],
    valueInfo: [vi('17', [1, 4, 4, 4])],
    inits: [initF('W', [4, 3, 1, 1]), initF('B', [4]), initF('g', [4]), initF('be', [4]), initF('mu', [4]), initF('var', [4], [1, 1, 1, 1])],
    nodes: [
      node('Conv', ['input.1', 'W', 'B'], ['17'], 'Conv_0', [attrInts('kernel_shape', [1, 1])]),
      node('BatchNormalization', ['17', 'g', 'be', 'mu', 'var'], ['18'], 'BatchNormalization_0'),
      node('Add', ['18', 'aux'], ['out'], 'Add_0'),
    ],
    ann: [['17', 'finn_datatype', 'INT8'], ['W', 'finn_datatype', 'INT4']],
  });

  it('outputs <node>_out<i>, initializer inputs <node>_param<j> (j counts initializers), global_in, global_in_1, global_out', () => {
    const r = giveReadableTensorNames.run(build(spec()), {});
    expect(r.modified).toBe(true);
    const g = reread(r.model).graph!;
    expect(g.node!.map((n) => [n.input, n.output])).toEqual([
      [['global_in', 'Conv_0_param0', 'Conv_0_param1'], ['Conv_0_out0']],
      [['Conv_0_out0', 'BatchNormalization_0_param0', 'BatchNormalization_0_param1', 'BatchNormalization_0_param2', 'BatchNormalization_0_param3'], ['BatchNormalization_0_out0']],
      [['BatchNormalization_0_out0', 'global_in_1'], ['global_out']],
    ]);
    expect(g.input!.map((i) => i.name)).toEqual(['global_in', 'global_in_1']);
    expect(g.output!.map((i) => i.name)).toEqual(['global_out']);
    expect(g.valueInfo!.map((i) => i.name)).toEqual(['Conv_0_out0']);
    expect(g.initializer!.map((i) => i.name)).toEqual(['Conv_0_param0', 'Conv_0_param1', 'BatchNormalization_0_param0', 'BatchNormalization_0_param1', 'BatchNormalization_0_param2', 'BatchNormalization_0_param3']);
    expect(ann(r.model, 'Conv_0_out0')).toBe('INT8');
    expect(ann(r.model, 'Conv_0_param0')).toBe('INT4');
    // values travel with their names
    expect(Array.from(toNumbers(tensorValues(indexGraph(r.model.graph!).initializer.get('BatchNormalization_0_param3')!)))).toEqual([1, 1, 1, 1]);
    // a second run changes nothing
    expect(giveReadableTensorNames.run(r.model, {}).modified).toBe(false);
  });

  it('an initializer read by two nodes keeps the name the last one gives', () => {
    const m = build({
      inputs: [vi('x', [1, 2])],
      inits: [initF('w', [2, 2])],
      nodes: [node('MatMul', ['x', 'w'], ['a'], 'MatMul_0'), node('MatMul', ['a', 'w'], ['b'], 'MatMul_1')],
      outputs: [vi('b', [1, 2])],
    });
    const g = giveReadableTensorNames.run(m, {}).model.graph!;
    expect(g.node!.map((n) => n.input)).toEqual([['global_in', 'MatMul_1_param0'], ['MatMul_0_out0', 'MatMul_1_param0']]);
  });
});

describe('giveUniqueParameterTensors', () => {
  it('gives every further use of an initializer its own copy, with the same values and datatype annotation', () => {
    const m = build({
      inputs: [vi('x', [1, 2])],
      inits: [initF('w', [2, 2], [1, 0, 0, 2]), initF('k', [2])],
      nodes: [node('MatMul', ['x', 'w'], ['a']), node('MatMul', ['a', 'w'], ['b']), node('Add', ['k', 'k'], ['c']), node('Add', ['b', 'c'], ['y'])],
      ann: [['w', 'finn_datatype', 'INT4']],
    });
    const r = giveUniqueParameterTensors.run(m, {});
    expect(r.modified).toBe(true);
    const g = reread(r.model).graph!;
    const [w2, k2] = [g.node![1].input![1], g.node![2].input![1]];
    expect(g.node![0].input).toEqual(['x', 'w']);
    expect(w2).not.toBe('w');
    expect(g.node![2].input![0]).toBe('k');
    expect(k2).not.toBe('k'); // twice in one node counts as two uses
    expect(new Set(g.initializer!.map((t) => t.name)).size).toBe(4);
    const idx = indexGraph(g);
    expect(Array.from(toNumbers(tensorValues(idx.initializer.get(w2)!)))).toEqual([1, 0, 0, 2]);
    expect(idx.annotation.get(w2)?.get('finn_datatype')).toBe('INT4');
    expect(idx.annotation.get(k2)).toBeUndefined(); // k had no annotation
    expect(giveUniqueParameterTensors.run(r.model, {}).modified).toBe(false);
  });
});

describe('removeUnusedTensors and removeStaticGraphInputs', () => {
  it('drops initializers, value_info and annotations no node uses; keeps graph outputs', () => {
    const m = build({
      inputs: [vi('x', [1, 2])],
      outputs: [vi('y', [1, 2])],
      valueInfo: [vi('a', [1, 2]), vi('gone', [1, 2])],
      inits: [initF('w', [2, 2]), initF('orphan', [3])],
      nodes: [node('MatMul', ['x', 'w'], ['a']), node('Relu', ['a'], ['y'])],
      ann: [['a', 'finn_datatype', 'INT8'], ['orphan', 'finn_datatype', 'INT2'], ['gone', 'finn_datatype', 'INT4']],
    });
    const r = removeUnusedTensors.run(m, {});
    expect(r.modified).toBe(true);
    const g = reread(r.model).graph!;
    expect(g.initializer!.map((t) => t.name)).toEqual(['w']);
    expect(g.valueInfo!.map((t) => t.name)).toEqual(['a']);
    expect(g.quantizationAnnotation!.map((t) => t.tensorName)).toEqual(['a']);
    expect(g.output!.map((t) => t.name)).toEqual(['y']);
    expect(removeUnusedTensors.run(r.model, {}).modified).toBe(false);
  });

  it('removes graph inputs that are initializers (older exporters list every weight as an input)', () => {
    const m = build({
      inputs: [vi('x', [1, 2]), vi('w', [2, 2])],
      inits: [initF('w', [2, 2])],
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
    });
    const r = removeStaticGraphInputs.run(m, {});
    expect(r.modified).toBe(true);
    expect(reread(r.model).graph!.input!.map((i) => i.name)).toEqual(['x']);
    expect(reread(r.model).graph!.initializer!.map((i) => i.name)).toEqual(['w']);
    expect(removeStaticGraphInputs.run(r.model, {}).modified).toBe(false);
  });
});

describe('annotateDatatypes', () => {
  const quantSpec = (): Spec => ({
    inputs: [vi('x', [1, 2])],
    inits: [initF('s', [], [0.5]), initF('z', [], [0]), initF('b', [], [4]), initF('w', [2, 2])],
    nodes: [
      node('Quant', ['x', 's', 'z', 'b'], ['xq'], 'q', [attrInt('narrow', 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', 1)], QONNX_DOMAIN),
      node('MatMul', ['xq', 'w'], ['y'], 'mm'),
      node('Relu', ['y'], ['r'], 'relu'),
    ],
    ann: [['w', 'finn_datatype', 'INT3'], ['xq', 'tensor_layout', "['N', 'C']"]],
  });

  it('writes finn_datatype for every node output; keeps the other keys of an existing annotation', () => {
    const r = annotateDatatypes.run(build(quantSpec()), { allowScaledInt: true });
    expect(r.modified).toBe(true);
    const m = reread(r.model);
    expect(ann(m, 'xq')).toBe('SCALEDINT<4>'); // scale 0.5 != 1
    expect(ann(m, 'xq', 'tensor_layout')).toBe("['N', 'C']");
    expect(ann(m, 'y')).toBe('SCALEDINT<32>'); // scaled-int x int
    expect(ann(m, 'r')).toBe('FLOAT32'); // Relu has no rule
    expect(ann(m, 'w')).toBe('INT3'); // initializer annotations are kept as they are
    expect(ann(m, 'x')).toBeUndefined(); // graph inputs are not annotated
    expect(annotateDatatypes.run(r.model, { allowScaledInt: true }).modified).toBe(false);
  });

  it('without scaled-int, SCALEDINT results are FLOAT32', () => {
    const m = annotateDatatypes.run(build(quantSpec()), {}).model;
    expect(ann(m, 'xq')).toBe('FLOAT32');
    expect(ann(m, 'y')).toBe('FLOAT32');
  });
});
