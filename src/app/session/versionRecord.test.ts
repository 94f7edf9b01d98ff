import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { listQuantizers, setQuantizer } from '../../core/ir/quantEdit.js';
import { renameTensor } from '../../core/ir/edit.js';
import { applyTransform } from '../../core/passes/apply.js';
import type { Model } from '../../core/ir/types.js';
import { makeHugeGraphBytes } from '../../core/testing/synth.js';
import { TEST_MODELS } from '../../core/testing/paths.js';
import { decodeChunks, decodeVersion, encodeVersion, packRefs, StoredParts, unpackRefs, type PartChunk, type VersionRecord } from './versionRecord.js';

const load = (name: string) => new Uint8Array(readFileSync(join(TEST_MODELS, name)));
const same = (a: Model, b: Model) => Buffer.from(encodeModel(a)).equals(Buffer.from(encodeModel(b)));

/** Save every version as the session writer does, then rebuild them from a fresh decode of the file. */
function roundTrip(file: Uint8Array, versions: Model[]) {
  const base = versions[0];
  const parts = new StoredParts(base);
  const records: VersionRecord[] = [];
  const chunks: PartChunk[] = [];
  const written: number[] = [];
  for (const v of versions.slice(1)) {
    const r = encodeVersion(v, 'step', parts);
    records.push(r.record);
    chunks.push(...r.chunks);
    const refBytes = Object.values(r.record.refs).reduce((s, a) => s + a.byteLength, 0);
    written.push(r.record.skeleton.byteLength + refBytes + r.chunks.reduce((s, c) => s + c.bytes.byteLength, 0));
  }
  const reopened = decodeModel(file.slice());
  const stored = decodeChunks(chunks, reopened);
  const restored = records.map((r) => decodeVersion(r, reopened, stored));
  return { records, chunks, parts, written, restored, reopened };
}

describe('saved history steps', () => {
  it('rebuild every version byte for byte: bit widths, a rename and a transformation (TFC 2W2A)', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    const v0 = decodeModel(file);
    const weights = listQuantizers(v0).filter((q) => q.role === 'weight');
    const v1 = setQuantizer(v0, weights[0].nodeIndex, { bits: 4 });
    const v2 = setQuantizer(v1, weights[1].nodeIndex, { bits: 3 });
    const w = v2.graph!.initializer!.find((t) => (t.rawData?.byteLength ?? 0) > 10_000)!;
    const v3 = renameTensor(v2, w.name!, 'renamed_weight');
    const v4 = applyTransform(v3, 'cleanup').model;
    const versions = [v0, v1, v2, v3, v4];
    const { restored } = roundTrip(file, versions);
    restored.forEach((m, i) => expect(same(m, versions[i + 1]), `version ${i + 1}`).toBe(true));
  });

  it('write a few kilobytes per bit-width edit, and a tensor made by one step is not written again by the next', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    const v0 = decodeModel(file);
    const weights = listQuantizers(v0).filter((q) => q.role === 'weight');
    const v1 = setQuantizer(v0, weights[0].nodeIndex, { bits: 4 });
    const v2 = setQuantizer(v1, weights[1].nodeIndex, { bits: 3 });
    const { written, chunks, records } = roundTrip(file, [v0, v1, v2]);
    expect(file.byteLength).toBeGreaterThan(200_000);
    for (const n of written) expect(n).toBeLessThan(file.byteLength / 20);
    // step 1 wrote the new bit width; step 2 references it and writes only its own
    const tensors = chunks.filter((c) => c.list === 'initializer');
    expect(tensors.map((c) => c.count)).toEqual([1, 1]);
    const newTensorRefs = (r: VersionRecord) => [...unpackRefs(r.refs.initializer)].filter((k) => k < 0);
    expect(newTensorRefs(records[0])).toEqual([-tensors[0].id]);
    expect(newTensorRefs(records[1]).sort()).toEqual([-tensors[0].id, -tensors[1].id].sort());
    // and every part it writes is something the edit changed: the new bit width and at most a few declarations
    expect(chunks.reduce((s, c) => s + c.count, 0)).toBeLessThanOrEqual(8);
    // the weights themselves come from the opened file
    const bigInits = v2.graph!.initializer!.map((t, i) => [t, i] as const).filter(([t]) => (t.rawData?.byteLength ?? 0) > 10_000);
    for (const [, i] of bigInits) expect(unpackRefs(records[1].refs.initializer)[i]).toBeGreaterThanOrEqual(0);
  });

  it('restored versions share the tensors they shared before (one decoded object per stored tensor)', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    const v0 = decodeModel(file);
    const q = listQuantizers(v0).filter((x) => x.role === 'weight');
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 4 });
    const v2 = setQuantizer(v1, q[1].nodeIndex, { bits: 5 });
    const { restored, reopened } = roundTrip(file, [v0, v1, v2]);
    const shared = restored[1].graph!.initializer!.filter((t) => restored[0].graph!.initializer!.includes(t));
    expect(shared.length).toBe(v2.graph!.initializer!.length - 1);
    expect(restored[1].graph!.initializer!.filter((t) => reopened.graph!.initializer!.includes(t)).length).toBe(v2.graph!.initializer!.length - 2);
  });

  it('a model whose weights live in an external data file keeps only the references (the data file is stored once)', () => {
    // make an external-data model from a real one: every large initializer points into "weights.data"
    const v0raw = decodeModel(load('zoo_TFC_2W2A.onnx'));
    let offset = 0;
    const init = v0raw.graph!.initializer!.map((t) => {
      const n = t.rawData?.byteLength ?? 0;
      if (n < 1024) return t;
      const ext = { ...t, rawData: new Uint8Array(0), dataLocation: 1, externalData: [{ key: 'location', value: 'weights.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(n) }] };
      offset += n;
      return ext;
    });
    const file = encodeModel({ ...v0raw, graph: { ...v0raw.graph!, initializer: init } });
    const v0 = decodeModel(file);
    const q = listQuantizers(v0).filter((x) => x.role === 'weight');
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 3 });
    const v2 = applyTransform(v1, 'cleanup').model;
    const { restored, written } = roundTrip(file, [v0, v1, v2]);
    expect(same(restored[0], v1)).toBe(true);
    expect(same(restored[1], v2)).toBe(true);
    expect(Math.max(...written)).toBeLessThan(offset / 10);
  });

  it('a transformation coming back from the worker as new objects writes only the bytes that changed', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    // what the page gets from the worker: the pass result encoded and decoded again (no shared objects)
    const viaWorker = (m: Model, id: string) => decodeModel(encodeModel(applyTransform(m, id).model));
    const v0 = decodeModel(file);
    const v1 = viaWorker(v0, 'give-readable-tensor-names'); // every tensor renamed, bytes unchanged
    const v2 = viaWorker(v1, 'cleanup'); // folds the weight Transposes: new weight bytes
    const v3 = viaWorker(v2, 'give-unique-node-names'); // new objects again, same bytes as v2's
    const versions = [v0, v1, v2, v3];
    const { restored, written, records, chunks, parts } = roundTrip(file, versions);
    restored.forEach((m, i) => expect(same(m, versions[i + 1]), `version ${i + 1}`).toBe(true));
    expect(v1.graph!.initializer!.some((t) => v0.graph!.initializer!.includes(t))).toBe(false);
    expect(written[0]).toBeLessThan(file.byteLength / 20);
    expect(written[1]).toBeGreaterThan(file.byteLength / 2); // the transposed weights are new data
    expect(written[2]).toBeLessThan(file.byteLength / 20);
    // v3's weights take their data from v2's tensors: keeping v3 alone keeps v2's tensor chunk
    const v3Tensors = chunks.find((c) => c.list === 'initializer' && c.id > chunks.find((x) => x.list === 'initializer' && x.dataFrom === undefined)!.id && c.dataFrom)!;
    const fromParts = Object.values(v3Tensors.dataFrom!).filter((k) => k < 0);
    // the 784x64, 64x64 and 64x64 weights (the 64x10 one, under 4 KiB, is written whole)
    expect(fromParts.length).toBe(3);
    const v2Chunk = chunks.find((c) => c.list === 'initializer' && -fromParts[0] >= c.id && -fromParts[0] < c.id + c.count)!;
    expect(unpackRefs(records[2].refs.initializer).some((k) => -k >= v2Chunk.id && -k < v2Chunk.id + v2Chunk.count)).toBe(false);
    expect(parts.chunksUsed([records[2]]).has(v2Chunk.id)).toBe(true);
  });

  it('a 20,000-node graph: an edit writes the parts it changed, not the graph again', () => {
    const file = makeHugeGraphBytes({ nodes: 20_000 });
    const v0 = decodeModel(file);
    const q = listQuantizers(v0);
    expect(q.length).toBeGreaterThan(100);
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 3 });
    const v2 = setQuantizer(v1, q[q.length - 1].nodeIndex, { bits: 5 });
    const { restored, written, chunks } = roundTrip(file, [v0, v1, v2]);
    expect(same(restored[1], v2)).toBe(true);
    // references are 4 bytes per graph element; the changed parts are a handful
    const elements = v0.graph!.node!.length + v0.graph!.initializer!.length + (v0.graph!.valueInfo?.length ?? 0);
    for (const n of written) expect(n).toBeLessThan(file.byteLength / 100);
    expect(chunks.reduce((s, c) => s + c.count, 0)).toBeLessThan(20);
    expect(elements).toBeGreaterThan(20_000);
  });

  it('references are kept as runs and come back the same', () => {
    const refs = Int32Array.from([0, 1, 2, 3, -7, -8, -9, 5, 4, 6, -2, 10, 11]);
    const packed = packRefs(refs);
    expect([...packed]).toEqual([0, 4, -7, 3, 5, 1, 4, 1, 6, 1, -2, 1, 10, 2]);
    expect([...unpackRefs(packed)]).toEqual([...refs]);
    expect([...packRefs(Int32Array.from({ length: 20_000 }, (_, i) => i))]).toEqual([0, 20_000]);
    expect(unpackRefs(packRefs(new Int32Array(0))).length).toBe(0);
  });

  it('says which part is missing instead of building a wrong model', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    const v0 = decodeModel(file);
    const q = listQuantizers(v0).filter((x) => x.role === 'weight');
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 4 });
    const { records } = roundTrip(file, [v0, v1]);
    expect(() => decodeVersion(records[0], decodeModel(file), new Map())).toThrow(/Part #\d+ of the saved session is missing/);
  });
});
