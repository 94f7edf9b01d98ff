import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { walkModel } from '../testing/wireWalker.js';
import { summarizeModel } from './summary.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';

const FILES = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();

/** ONNX element type names by id, written out here rather than taken from the code under test. */
const TYPE_NAMES: Record<number, string> = { 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 6: 'INT32', 7: 'INT64', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE' };

describe('summarizeModel against an independent wire walk', () => {
  it.each(FILES)('%s', (f) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(MODELS, f)));
    const s = summarizeModel(decodeModel(bytes));
    const w = walkModel(bytes);
    const g = w.graph!;

    expect(s.ir_version).toBe(Number(w.irVersion));
    expect(s.producer).toBe(w.producerName ?? '');
    const opsets: Record<string, number> = {};
    for (const o of w.opsets) opsets[o.domain === '' ? 'ai.onnx' : o.domain] = Number(o.version);
    expect(s.opsets).toEqual(opsets);

    const hist: Record<string, number> = {};
    for (const n of g.nodes) {
      const k = `${n.domain === '' ? 'ai.onnx' : n.domain}::${n.opType}`;
      hist[k] = (hist[k] ?? 0) + 1;
    }
    expect(s.op_histogram).toEqual(hist);
    expect(s.node_count).toBe(g.nodes.length);
    expect(Object.values(s.op_histogram).reduce((a, b) => a + b, 0)).toBe(g.nodes.length);

    const initNames = new Set(g.initializers.map((t) => t.name));
    const realInputs = g.inputInfos.filter((v) => !initNames.has(v.name));
    expect(s.inputs.map((i) => i.name)).toEqual(realInputs.map((v) => v.name));
    expect(s.outputs.map((o) => o.name)).toEqual(g.outputInfos.map((v) => v.name));
    const checkIo = (got: typeof s.inputs, want: typeof realInputs) =>
      want.forEach((v, i) => {
        expect(got[i].shape).toEqual(v.shape);
        const annotated = g.annotations[v.name]?.finn_datatype;
        if (!annotated) expect(TYPE_NAMES[v.elemType], `element type ${v.elemType} of '${v.name}'`).toBeDefined();
        expect(got[i].datatype).toBe(annotated ?? (v.elemType === 1 ? 'FLOAT32' : TYPE_NAMES[v.elemType]));
      });
    checkIo(s.inputs, realInputs);
    checkIo(s.outputs, g.outputInfos);

    expect(s.initializer_count).toBe(g.initializers.length);
    const params = g.initializers.reduce((sum, t) => sum + t.dims.reduce((p, d) => p * Number(d), 1), 0);
    expect(s.parameter_count).toBe(params);
    expect(s.metadata).toEqual(w.metadata);
  });

  it('labels inputs annotated with finn_datatype by the annotation', () => {
    // Find any model whose real input or output carries a finn_datatype annotation, from raw bytes.
    let checked = 0;
    for (const f of FILES) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(MODELS, f)));
      const g = walkModel(bytes).graph!;
      const s = summarizeModel(decodeModel(bytes));
      for (const io of [...s.inputs, ...s.outputs]) {
        const dt = g.annotations[io.name]?.finn_datatype;
        if (dt) {
          expect(io.datatype).toBe(dt);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
