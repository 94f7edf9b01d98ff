import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { applyDelta, makeDelta } from './modelDelta.js';
import { listQuantizers, setQuantizer } from './quantEdit.js';

const file = resolve(__dirname, '../../../testdata/models/zoo_TFC_2W2A.onnx');

describe('model deltas', () => {
  it('send only the changed initializers and rebuild the same model on the other side', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const base = decodeModel(bytes);
    let edited = base;
    for (const q of listQuantizers(base).filter((x) => x.role === 'weight')) edited = setQuantizer(edited, q.nodeIndex, { bits: 4 });
    const d = makeDelta(edited, base);
    const n = edited.graph!.initializer!.length;
    // the four bit-width initializers changed; every other initializer travels as a reference
    expect(n - d.refs.length).toBe(4);
    const sent = structuredClone(d);
    // the other side holds its own decode of the same file (different objects, same content)
    const other = decodeModel(bytes);
    const rebuilt = applyDelta(sent, other);
    expect(Buffer.from(encodeModel(rebuilt)).equals(Buffer.from(encodeModel(edited)))).toBe(true);
    // and the weights were not in the message
    const weightBytes = base.graph!.initializer!.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
    const sentBytes = sent.model.graph!.initializer!.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
    expect(sentBytes).toBeLessThan(64);
    expect(weightBytes).toBeGreaterThan(200_000);
  });

  it('refuses a reference the base does not have', () => {
    const base = decodeModel(new Uint8Array(readFileSync(file)));
    const d = makeDelta(base, base);
    const stripped = { ...base, graph: { ...base.graph!, initializer: [] } };
    expect(() => applyDelta(d, stripped)).toThrow(/no initializer/);
  });
});
