import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { runSync } from '../task.js';
import { makeHugeGraph } from '../testing/synth.js';
import { TEST_MODELS } from '../testing/paths.js';
import { analyzeModel, primeAnalysis, serializeAnalysis } from '../analysis/modelAnalysis.js';
import { indexGraph, indexGraphTask } from '../ir/graphIndex.js';
import { buildViewGraph } from './viewGraph.js';
import { packView, unpackViewTask } from './viewTransport.js';

const FILES = fs.readdirSync(TEST_MODELS).filter((f) => f.endsWith('.onnx')).sort();
const load = (f: string) => decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, f))));

/** What the page receives from the worker: through the structured clone the message applies. */
const post = <T>(x: T): T => structuredClone(x);

describe('what the model worker sends the page while opening', () => {
  it.each(FILES)('%s: the view graph and the analysis arrive as they were built', (f) => {
    const m = load(f);
    for (const opts of [{ showConstants: false, groupLayers: false }, { showConstants: true, groupLayers: true }]) {
      const vg = buildViewGraph(m, opts);
      expect(runSync(unpackViewTask(post(packView(vg))))).toEqual(vg);
    }
    const a = analyzeModel(m);
    const copy = load(f); // the page's own copy of the model
    const got = primeAnalysis(copy, post(serializeAnalysis(a)));
    expect(got.shapes.tensors).toEqual(a.shapes.tensors);
    expect(got.shapes.conflicts).toEqual(a.shapes.conflicts);
    expect(got.shapes.unknownOps).toEqual(a.shapes.unknownOps);
    expect([...got.datatypes.types].map(([k, v]) => [k, v.name])).toEqual([...a.datatypes.types].map(([k, v]) => [k, v.name]));
    expect(got.datatypes.annotated).toEqual(a.datatypes.annotated);
    expect(analyzeModel(copy)).toBe(got); // installed for the page's copy: no second inference
  });

  it('a 20,000-node view arrives in many small steps, each a slice of JSON', () => {
    const m = decodeModel(encodeModel(makeHugeGraph({ nodes: 20000 })));
    const vg = buildViewGraph(m, { showConstants: false, groupLayers: true });
    const packed = packView(vg);
    const task = unpackViewTask(post(packed));
    let steps = 0;
    let r = task.next();
    for (; !r.done; r = task.next()) steps++;
    expect(steps).toBeGreaterThan(10);
    expect(r.value).toEqual(vg);
    expect(Math.max(...[...packed.nodes, ...packed.edges].map((s) => s.length))).toBeLessThan(400_000);
  });

  it('the graph index built in steps equals the one built at once', () => {
    const m = decodeModel(encodeModel(makeHugeGraph({ nodes: 5000 })));
    const again = decodeModel(encodeModel(m));
    const task = indexGraphTask(m.graph!);
    let steps = 0;
    let r = task.next();
    for (; !r.done; r = task.next()) steps++;
    expect(steps).toBeGreaterThan(2);
    expect(r.value).toBe(indexGraph(m.graph!)); // cached for the graph
    const once = indexGraph(again.graph!);
    for (const k of ['producer', 'consumers', 'order', 'cyclic'] as const) expect(r.value[k]).toEqual(once[k]);
    for (const k of ['initializer', 'input', 'output', 'valueInfo', 'annotation'] as const) expect([...r.value[k].keys()]).toEqual([...once[k].keys()]);
  });
});
