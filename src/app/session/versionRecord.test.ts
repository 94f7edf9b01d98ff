import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { listQuantizers, setQuantizer } from '../../core/ir/quantEdit.js';
import { renameTensor } from '../../core/ir/edit.js';
import { applyTransform } from '../../core/passes/apply.js';
import type { Model } from '../../core/ir/types.js';
import { TEST_MODELS } from '../../core/testing/paths.js';
import { blobsUsed, decodeBlobs, decodeVersion, encodeVersion, TensorIds, type TensorBlob, type VersionRecord } from './versionRecord.js';

const load = (name: string) => new Uint8Array(readFileSync(join(TEST_MODELS, name)));
const same = (a: Model, b: Model) => Buffer.from(encodeModel(a)).equals(Buffer.from(encodeModel(b)));

/** Save every version as the session writer does, then rebuild them from a fresh decode of the file. */
function roundTrip(file: Uint8Array, versions: Model[]) {
  const base = versions[0];
  const ids = new TensorIds(base);
  const records: VersionRecord[] = [];
  const blobs: TensorBlob[] = [];
  const written: number[] = [];
  for (const v of versions.slice(1)) {
    const r = encodeVersion(v, 'step', ids);
    records.push(r.record);
    blobs.push(...r.blobs);
    written.push(r.record.skeleton.byteLength + r.blobs.reduce((s, b) => s + b.bytes.byteLength, 0));
  }
  const reopened = decodeModel(file.slice());
  const tensors = decodeBlobs(blobs, reopened);
  const restored = records.map((r) => decodeVersion(r, reopened, tensors));
  return { records, blobs, written, restored, reopened };
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
    const { written, blobs, records } = roundTrip(file, [v0, v1, v2]);
    expect(file.byteLength).toBeGreaterThan(200_000);
    for (const n of written) expect(n).toBeLessThan(file.byteLength / 20);
    // step 1 wrote the new bit width; step 2 references it and writes only its own
    expect(blobs.length).toBe(2);
    expect(blobsUsed([records[0]]).size).toBe(1);
    expect(blobsUsed([records[1]]).size).toBe(2);
    // the weights themselves come from the opened file
    const bigInits = v2.graph!.initializer!.map((t, i) => [t, i] as const).filter(([t]) => (t.rawData?.byteLength ?? 0) > 10_000);
    for (const [, i] of bigInits) expect(records[1].inits[i]).toBeGreaterThanOrEqual(0);
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
    const { restored, written, records, blobs } = roundTrip(file, versions);
    restored.forEach((m, i) => expect(same(m, versions[i + 1]), `version ${i + 1}`).toBe(true));
    expect(v1.graph!.initializer!.some((t) => v0.graph!.initializer!.includes(t))).toBe(false);
    expect(written[0]).toBeLessThan(file.byteLength / 20);
    expect(written[1]).toBeGreaterThan(file.byteLength / 2); // the transposed weights are new data
    expect(written[2]).toBeLessThan(file.byteLength / 20);
    // v3's weights take their data from v2's blobs: keeping v3 alone keeps those blobs
    const ids = new TensorIds(v0);
    const shared = blobs.filter((b) => b.dataFrom !== undefined && b.dataFrom < 0);
    // the 784x64, 64x64 and 64x64 weights (the 64x10 one, under 4 KiB, is written whole)
    expect(shared.length).toBe(3);
    for (const b of shared) ids.dataSource.set(b.id, -b.dataFrom!);
    const need = ids.withSources(blobsUsed([records[2]]));
    for (const b of shared) expect(need.has(-b.dataFrom!)).toBe(true);
  });

  it('says which part is missing instead of building a wrong model', () => {
    const file = load('zoo_TFC_2W2A.onnx');
    const v0 = decodeModel(file);
    const q = listQuantizers(v0).filter((x) => x.role === 'weight');
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 4 });
    const { records } = roundTrip(file, [v0, v1]);
    expect(() => decodeVersion(records[0], decodeModel(file), new Map())).toThrow(/Tensor #1 of the saved session is missing/);
  });
});
