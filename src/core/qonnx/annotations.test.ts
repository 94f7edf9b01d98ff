import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatPyLiteral, getAnnotation, parsePyLiteral, PyLiteralError, setAnnotation, tensorLayout } from './annotations.js';
import type { Model } from '../ir/types.js';
import { indexGraph } from '../ir/graphIndex.js';
import { tensorInfo } from '../ir/tensorInfo.js';

const MODELS = resolve(__dirname, '../../../testdata/models');

describe('Python literal annotations', () => {
  it('parses the literals the reference writes', () => {
    expect(parsePyLiteral("['N', 'C', 'H', 'W']")).toEqual(['N', 'C', 'H', 'W']);
    expect(parsePyLiteral("('N', 'H', 'W', 'C')")).toEqual(['N', 'H', 'W', 'C']);
    expect(parsePyLiteral("{'dw': {'kernel_shape': [3, 3]}}")).toEqual({ dw: { kernel_shape: [3, 3] } });
    expect(parsePyLiteral('[1, -2.5, 1e-05, True, False, None]')).toEqual([1, -2.5, 1e-5, true, false, null]);
    expect(parsePyLiteral(`{"a": 'it\\'s', 3: []}`)).toEqual({ a: "it's", 3: [] });
  });

  it('never evaluates: code and malformed text are errors, not results', () => {
    for (const bad of ["__import__('os').system('x')", "['N', 'C'", '{1: }', "['a'] + ['b']", 'lambda: 1', '[' .repeat(100) + ']'.repeat(100)])
      expect(() => parsePyLiteral(bad), bad).toThrow(PyLiteralError);
  });

  it('writes what it reads', () => {
    for (const v of [['N', 'C', 'H', 'W'], { dw: { kernel_shape: [3, 3] } }, [true, null, "it's"]]) expect(parsePyLiteral(formatPyLiteral(v))).toEqual(v);
    expect(formatPyLiteral(['N', 'C'])).toBe("['N', 'C']");
  });

  it('reads every tensor_layout in the real models as a list of axis names matching the tensor rank', () => {
    let seen = 0;
    for (const f of readdirSync(MODELS).filter((x) => x.endsWith('.onnx'))) {
      const m = decodeModel(new Uint8Array(readFileSync(resolve(MODELS, f))));
      for (const a of m.graph?.quantizationAnnotation ?? []) {
        for (const kv of a.quantParameterTensorNames ?? []) {
          if (kv.key !== 'tensor_layout') continue;
          seen++;
          const layout = tensorLayout(m, a.tensorName!);
          expect(layout, `${f}: ${a.tensorName} ${kv.value}`).toBeDefined();
          // FINN writes one letter per axis (N, C, H, W, and 'x' for an unnamed axis)
          expect(layout!.every((x) => /^[A-Za-z]$/.test(x))).toBe(true);
          const info = tensorInfo(indexGraph(m.graph!), a.tensorName!);
          if (info.shape) expect(layout!.length, `${f}: ${a.tensorName}`).toBe(info.shape.length);
        }
      }
    }
    // five of the FINN files carry layouts (hundreds of entries)
    expect(seen).toBeGreaterThan(100);
  });

  it('setAnnotation adds, replaces and removes one entry and leaves the rest untouched', () => {
    const m: Model = { graph: { quantizationAnnotation: [{ tensorName: 't', quantParameterTensorNames: [{ key: 'finn_datatype', value: 'INT4' }] }] } };
    const a = setAnnotation(m, 't', 'tensor_layout', "['N', 'C']");
    expect(getAnnotation(a, 't', 'finn_datatype')).toBe('INT4');
    expect(tensorLayout(a, 't')).toEqual(['N', 'C']);
    const b = setAnnotation(a, 't', 'finn_datatype', 'UINT2');
    expect(getAnnotation(b, 't', 'finn_datatype')).toBe('UINT2');
    expect(getAnnotation(m, 't', 'finn_datatype')).toBe('INT4'); // the original is unchanged
    const c = setAnnotation(b, 'u', 'finn_datatype', 'BIPOLAR');
    expect(c.graph!.quantizationAnnotation!.length).toBe(2);
    const d = setAnnotation(c, 't', 'tensor_layout', undefined);
    expect(getAnnotation(d, 't', 'tensor_layout')).toBeUndefined();
  });
});
