import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { listQuantizers, setQuantizer } from '../../core/ir/quantEdit.js';
import { TEST_MODELS } from '../../core/testing/paths.js';
import { SessionDb } from './sessionDb.js';
import type { SessionMeta } from './sessionPolicy.js';
import { decodeChunks, decodeVersion, encodeVersion, StoredParts } from './versionRecord.js';

const meta = (id: string, extra: Partial<SessionMeta> = {}): SessionMeta => ({ id, fileName: 'zoo_TFC_2W2A.onnx', createdAt: 1, updatedAt: 1, order: [], cursor: 0, labels: [], fileBytes: 0, dataNotKept: [], ...extra });

describe('the session database', () => {
  it('keeps two sessions apart, rebuilds a saved history and forgets a removed session entirely', async () => {
    const db = await SessionDb.open();
    const file = new Uint8Array(readFileSync(join(TEST_MODELS, 'zoo_TFC_2W2A.onnx')));
    const v0 = decodeModel(file);
    const q = listQuantizers(v0).filter((x) => x.role === 'weight');
    const v1 = setQuantizer(v0, q[0].nodeIndex, { bits: 4 });
    const v2 = setQuantizer(v1, q[1].nodeIndex, { bits: 6 });
    const ids = new StoredParts(v0);

    for (const sid of ['tab-a', 'tab-b']) await db.begin(meta(sid), [{ sid, name: 'zoo_TFC_2W2A.onnx', role: 'model', bytes: file.slice().buffer }]);
    const s1 = encodeVersion(v1, 'four bits', ids);
    await db.update(meta('tab-a', { order: [1], cursor: 1, labels: ['four bits'] }), [{ ...s1.record, sid: 'tab-a', seq: 1 }], s1.chunks.map((c) => ({ ...c, sid: 'tab-a' })), [], []);
    const s2 = encodeVersion(v2, 'six bits', ids);
    await db.update(meta('tab-a', { order: [1, 2], cursor: 2, labels: ['four bits', 'six bits'] }), [{ ...s2.record, sid: 'tab-a', seq: 2 }], s2.chunks.map((c) => ({ ...c, sid: 'tab-a' })), [], []);

    const a = (await db.load('tab-a'))!;
    const b = (await db.load('tab-b'))!;
    expect(a.meta.order).toEqual([1, 2]);
    expect(a.steps.map((s) => s.label)).toEqual(['four bits', 'six bits']);
    expect(a.parts.filter((p) => p.list === 'initializer').length).toBe(2);
    expect(b.steps.length).toBe(0);
    // the stored file and steps give back the edited model, byte for byte
    const stored = a.files.find((f) => f.role === 'model')!;
    const reopened = decodeModel(new Uint8Array(stored.bytes as ArrayBuffer));
    const blobs = decodeChunks(a.parts, reopened);
    expect(Buffer.from(encodeModel(decodeVersion(a.steps[1], reopened, blobs))).equals(Buffer.from(encodeModel(v2)))).toBe(true);

    // an undo then a different edit drops step 2 and the parts only it used
    await db.update(meta('tab-a', { order: [1], cursor: 1 }), [], [], [2], s2.chunks.map((c) => c.id));
    const a2 = (await db.load('tab-a'))!;
    expect(a2.steps.map((s) => s.seq)).toEqual([1]);
    expect(a2.parts.map((t) => t.id)).toEqual(s1.chunks.map((c) => c.id));

    // a new model in tab b starts its session over; tab a is untouched
    await db.begin(meta('tab-b', { fileName: 'other.onnx' }), [{ sid: 'tab-b', name: 'other.onnx', role: 'model', bytes: new ArrayBuffer(3) }]);
    expect((await db.load('tab-b'))!.files.map((f) => f.name)).toEqual(['other.onnx']);
    expect((await db.load('tab-a'))!.steps.length).toBe(1);

    await db.remove('tab-a');
    expect(await db.load('tab-a')).toBeUndefined();
    expect((await db.list()).map((m) => m.id)).toEqual(['tab-b']);
    db.close();
  });
});
