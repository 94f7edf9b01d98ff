import { describe, expect, it } from 'vitest';
import { int64From, type Model, type Node } from '../../ir/types.js';
import { resolveCustomOp } from '../registry.js';
import { resolveAttrs } from './attrs.js';
import { ALL_OPS } from './index.js';

const node = (opType: string, domain = 'qonnx.custom_op.general'): Node => ({ opType, domain, input: [], output: [] });
const model = (domain: string, version: number): Model => ({ opsetImport: [{ domain, version: int64From(version) }] });

describe('ALL_OPS', () => {
  it('holds every op of the brief', () => {
    const names = ALL_OPS.map((d) => `${d.opType}@${d.sinceVersion}`).sort();
    expect(names).toEqual(
      [
        'BipolarQuant@1', 'DebugMarker@1', 'FloatQuant@1', 'Im2Col@1', 'MaxPoolNHWC@1', 'MultiThreshold@1',
        'Quant@1', 'QuantAvgPool2d@1', 'Trunc@1', 'Trunc@2', 'XnorPopcountMatMul@1',
        // channels-last wrappers (domain qonnx.custom_op.channels_last)
        'Conv@1', 'MaxPool@1', 'BatchNormalization@1',
      ].sort(),
    );
  });

  it('every definition documents itself and its defaults pass its own validation', () => {
    for (const d of ALL_OPS) {
      expect(d.summary.length, d.opType).toBeGreaterThan(10);
      expect(d.summary).not.toMatch(/\n/);
      expect(d.formula.length, d.opType).toBeGreaterThan(3);
      expect(d.outputs.length).toBeGreaterThan(0);
      for (const i of d.inputs) expect(i.doc.length, `${d.opType}.${i.name}`).toBeGreaterThan(0);
      for (const a of d.attrs) expect(a.doc.length, `${d.opType}.${a.name}`).toBeGreaterThan(0);
      const withDefaults = d.attrs.filter((a) => a.required && a.default === undefined);
      const sample: Record<string, string | number[]> = {};
      for (const a of withDefaults) sample[a.name] = a.kind === 'ints' ? [1, 1] : 'UINT2';
      expect(() => resolveAttrs(d.opType, d.attrs, sample)).not.toThrow();
    }
  });

  it('IntQuant resolves to Quant; ops in the default domain and in alias domains resolve', () => {
    expect(resolveCustomOp(node('IntQuant'))?.opType).toBe('Quant');
    expect(resolveCustomOp(node('Quant', ''))?.opType).toBe('Quant');
    expect(resolveCustomOp(node('MultiThreshold', 'finn.custom_op.general'))?.opType).toBe('MultiThreshold');
    expect(resolveCustomOp(node('FloatQuant', 'onnx.brevitas'))?.opType).toBe('FloatQuant');
  });

  it('Trunc picks v2 only when the model imports the domain at version 2 or above', () => {
    expect(resolveCustomOp(node('Trunc'))?.sinceVersion).toBe(1);
    expect(resolveCustomOp(node('Trunc'), model('qonnx.custom_op.general', 1))?.sinceVersion).toBe(1);
    expect(resolveCustomOp(node('Trunc'), model('qonnx.custom_op.general', 2))?.sinceVersion).toBe(2);
    expect(resolveCustomOp(node('Trunc'), model('qonnx.custom_op.general', 5))?.sinceVersion).toBe(2);
    expect(resolveCustomOp(node('Trunc'), model('qonnx.custom_op.general', 2))?.inputs.length).toBe(6);
  });
});
