import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeLenField, encodeTag, encodeVarint } from '../testing/wireWalker.js';
import { makeHugeGraph } from '../testing/synth.js';
import { runSync } from '../task.js';
import { isDeepStrictEqual } from 'node:util';
import * as v8 from 'node:v8';
import { decodeModel, decodeModelDeferred, decodeModelTask, encodeModel } from './codec.js';
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

describe('decodeModelDeferred (the page decodes its graph later, or never)', () => {
  /** the model's own fields, as decodeModel has them, without the graph */
  const ownFields = (m: object) => Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(m)).filter(([k]) => k !== 'graph').map(([k, d]) => [k, d.value]));

  it.each(FILES)('%s: decodes every field but the graph at once; reading the graph gives decodeModel\'s tree', (f) => {
    const bytes = load(f);
    const ref = decodeModel(bytes);
    const d = decodeModelDeferred(bytes);
    expect(d.decoded).toBe(false);
    expect(ownFields(d.model)).toEqual(ownFields(ref));
    expect(d.decoded).toBe(false); // looking at the other fields did not decode the graph
    const g = d.model.graph;
    expect(d.decoded).toBe(true);
    expect(d.model.graph).toBe(g); // decoded once: now an ordinary property
    expect(Object.getOwnPropertyDescriptor(d.model, 'graph')?.value).toBe(g);
    // node's deep equality is much faster than expect's on megabytes of tensor bytes; expect shows the difference
    if (!isDeepStrictEqual(d.model, ref)) expect(d.model).toEqual(ref);
    expect(isDeepStrictEqual(d.model, ref)).toBe(true);
  });

  it('decodes the graph in steps when its task runs, and a read in the middle finishes it at once', () => {
    const bytes = encodeModel(makeHugeGraph({ nodes: 2000 }));
    const ref = decodeModel(bytes);
    const d = decodeModelDeferred(bytes);
    let steps = 0;
    while (steps < 5 && !d.graph.next().done) steps++;
    expect(steps).toBe(5);
    expect(d.decoded).toBe(false);
    expect(d.model.graph).toEqual(ref.graph);
    expect(d.decoded).toBe(true);
    expect(d.graph.next().done).toBe(true); // nothing left for the task
    expect(Buffer.from(encodeModel(d.model)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('encodes, spreads and structured-clones before the graph is read, as the decoded model does', () => {
    const bytes = load('zoo_TFC_2W2A.onnx');
    const ref = decodeModel(bytes);
    expect(Buffer.from(encodeModel(decodeModelDeferred(bytes).model)).equals(Buffer.from(encodeModel(ref)))).toBe(true);
    expect({ ...decodeModelDeferred(bytes).model }.graph).toEqual(ref.graph);
    // what postMessage does to a model sent to the worker
    expect(v8.deserialize(v8.serialize(decodeModelDeferred(bytes).model))).toEqual(v8.deserialize(v8.serialize(ref)));
  });

  it('keeps the graph readable when a runner stops the task half way (a cancelled idle decode)', () => {
    const bytes = encodeModel(makeHugeGraph({ nodes: 1000 }));
    const d = decodeModelDeferred(bytes);
    d.graph.next();
    d.graph.next();
    d.graph.return();
    expect(d.decoded).toBe(false);
    expect(isDeepStrictEqual(d.model.graph, decodeModel(bytes).graph)).toBe(true);
  });

  it('lets an edit replace the graph before it was ever read', () => {
    const d = decodeModelDeferred(load('zoo_TFC_2W2A.onnx'));
    d.model.graph = { name: 'replaced' };
    expect(d.model.graph).toEqual({ name: 'replaced' });
    expect(d.graph.next().done).toBe(true);
  });

  it('reports a damaged graph at the read, with decodeModel\'s message, every time it is read', () => {
    // IR version 7, a graph whose node field claims 50 bytes of the graph's 3, then an opset import
    const graph = [...encodeTag(1, 2), ...encodeVarint(50), 1, 2];
    const opset = encodeLenField(8, [...encodeTag(2, 0), ...encodeVarint(13)]);
    const bad = new Uint8Array([...encodeTag(1, 0), ...encodeVarint(7), ...encodeLenField(7, graph), ...opset]);
    let want = '';
    try {
      decodeModel(bad);
    } catch (e) {
      want = (e as Error).message;
    }
    expect(want).toMatch(/damaged|truncated/);
    const d = decodeModelDeferred(bad);
    expect(d.model.opsetImport?.[0]?.version).toBeDefined(); // the model's own fields are fine
    expect(() => d.model.graph).toThrow(want);
    expect(() => d.model.graph).toThrow(want);
    expect(d.decoded).toBe(false);
  });
});
