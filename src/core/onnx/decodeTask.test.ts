import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeLenField, encodeTag, encodeVarint } from '../testing/wireWalker.js';
import { makeHugeGraph } from '../testing/synth.js';
import { runSync } from '../task.js';
import { decodeModel, decodeModelTask, encodeModel } from './codec.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';

const FILES = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();
const load = (f: string) => new Uint8Array(fs.readFileSync(path.join(MODELS, f)));

/** Run the task to the end, counting its yields. */
function decodeInSteps(bytes: Uint8Array): { model: ReturnType<typeof decodeModel>; steps: number } {
  const t = decodeModelTask(bytes);
  let steps = 0;
  for (;;) {
    const r = t.next();
    if (r.done) return { model: r.value, steps };
    steps++;
  }
}

describe('decodeModelTask (the page decodes in slices)', () => {
  it.each(FILES)('%s: the same object tree and bytes as decodeModel', (f) => {
    const bytes = load(f);
    const ref = decodeModel(bytes);
    const { model } = decodeInSteps(bytes);
    expect(model).toEqual(ref);
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(encodeModel(ref)))).toBe(true);
    // tensor bytes stay views into the input (no copy), as decodeModel's
    const raw = model.graph?.initializer?.find((t) => (t.rawData?.byteLength ?? 0) > 0)?.rawData;
    if (raw) expect(raw.buffer).toBe(bytes.buffer);
  });

  it('yields many times on a 2,000-node graph and still equals the one-shot decode', () => {
    const bytes = encodeModel(makeHugeGraph({ nodes: 2000 }));
    const { model, steps } = decodeInSteps(bytes);
    expect(steps).toBeGreaterThan(2000 / 64);
    expect(model).toEqual(decodeModel(bytes));
  });

  it('keeps unknown fields of the model and the graph in file order, and merges a second graph field as protobuf does', () => {
    const base = load('zoo_TFC_2W2A.onnx');
    // appended: an unknown model field 99, a second graph field (a name and an unknown field 77), field 99 again
    const unknownModel = [...encodeTag(99, 0), ...encodeVarint(5)];
    const graphBytes = [...encodeLenField(2, Array.from(new TextEncoder().encode('g'))), ...encodeTag(77, 0), ...encodeVarint(3)];
    const extra = new Uint8Array([...unknownModel, ...encodeLenField(7, graphBytes), ...unknownModel]);
    const bytes = new Uint8Array(base.length + extra.length);
    bytes.set(base);
    bytes.set(extra, base.length);
    const ref = decodeModel(bytes);
    expect(runSync(decodeModelTask(bytes))).toEqual(ref);
    expect(Buffer.from(encodeModel(runSync(decodeModelTask(bytes)))).equals(Buffer.from(encodeModel(ref)))).toBe(true);
  });

  it('reports a damaged or foreign file exactly as decodeModel does', () => {
    const base = load('zoo_TFC_2W2A.onnx');
    for (const bad of [base.subarray(0, base.length - 1000), new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), new Uint8Array(0)]) {
      let want = '';
      try {
        decodeModel(bad);
      } catch (e) {
        want = (e as Error).message;
      }
      expect(want).not.toBe('');
      expect(() => runSync(decodeModelTask(bad))).toThrow(want);
    }
  });
});
