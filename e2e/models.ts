/** Small models built in the test process with the project's own encoder. */
import { encodeModel } from '../src/core/onnx/codec';
import { int64From, type Model, type Node, type ValueInfo } from '../src/core/ir/types';

const i64 = (v: number) => int64From(v);

function vi(name: string, shape: number[]): ValueInfo {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: i64(d) })) } } } };
}

function model(nodes: Node[], inputs: ValueInfo[], outputs: ValueInfo[], extra: Partial<Model> = {}, graphDoc?: string): Uint8Array {
  const m: Model = {
    irVersion: i64(8),
    producerName: 'qonnx-studio-e2e',
    opsetImport: [{ domain: '', version: i64(13) }],
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, ...(graphDoc ? { docString: graphDoc } : {}) },
    ...extra,
  } as Model;
  return encodeModel(m);
}

/** `add_b` reads 'ghost_tensor', which nothing provides. */
export function danglingInputModel(): Uint8Array {
  return model(
    [
      { name: 'relu_a', opType: 'Relu', input: ['x'], output: ['y'] },
      { name: 'add_b', opType: 'Add', input: ['y', 'ghost_tensor'], output: ['z'] },
    ],
    [vi('x', [1, 4])],
    [vi('z', [1, 4])],
  );
}

/** loop_add -> loop_relu -> loop_add: two nodes that depend on their own output. */
export function cycleModel(): Uint8Array {
  return model(
    [
      { name: 'entry', opType: 'Relu', input: ['x'], output: ['e'] },
      { name: 'loop_add', opType: 'Add', input: ['e', 'r'], output: ['a'] },
      { name: 'loop_relu', opType: 'Relu', input: ['a'], output: ['r'] },
      { name: 'exit', opType: 'Identity', input: ['a'], output: ['out'] },
    ],
    [vi('x', [1, 4])],
    [vi('out', [1, 4])],
  );
}

export const XSS_IMG = '<img src=x onerror="window.__xss=1">';
export const XSS_SCRIPT = '<script>window.__xss=2</script>';

/** Markup in every string the app shows: node name, doc strings, metadata, tensor names, attributes. */
export function hostileStringsModel(): Uint8Array {
  const enc = new TextEncoder();
  return model(
    [
      {
        name: XSS_IMG,
        opType: 'Relu',
        input: ['x'],
        output: [XSS_SCRIPT],
        docString: XSS_SCRIPT,
        attribute: [{ name: 'note', type: 3, s: enc.encode(XSS_IMG) }],
      },
      { name: 'after', opType: 'Identity', input: [XSS_SCRIPT], output: ['y'] },
    ],
    [vi('x', [1, 4])],
    [vi('y', [1, 4])],
    {
      docString: XSS_SCRIPT + ' ' + XSS_IMG,
      metadataProps: [
        { key: 'html', value: XSS_IMG },
        { key: XSS_SCRIPT, value: XSS_SCRIPT },
      ],
    },
    XSS_IMG,
  );
}
