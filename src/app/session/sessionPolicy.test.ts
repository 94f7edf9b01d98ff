import { describe, expect, it } from 'vitest';
import { HISTORY_MARGIN, planStorage, restoreCandidates, restoredMessage, sessionIsOfUrl, sessionsToPrune, type SessionMeta } from './sessionPolicy.js';

const meta = (id: string, updatedAt: number): SessionMeta => ({ id, fileName: `${id}.onnx`, createdAt: 0, updatedAt, order: [], cursor: 0, labels: [], fileBytes: 1, dataNotKept: [] });

describe('which session a tab takes over', () => {
  const all = [meta('a', 10), meta('b', 30), meta('c', 20)];
  it('the most recently changed one that no live tab holds', () => {
    expect(restoreCandidates(all, new Set()).map((s) => s.id)).toEqual(['b', 'c', 'a']);
    expect(restoreCandidates(all, new Set(['b']))[0].id).toBe('c');
    expect(restoreCandidates(all, new Set(['a', 'b', 'c']))).toEqual([]);
  });
  it('keeps a few recent sessions of closed tabs and every live one', () => {
    const many = Array.from({ length: 9 }, (_, i) => meta(`s${i}`, i));
    const drop = sessionsToPrune(many, new Set(['s0']), 5);
    expect(drop.sort()).toEqual(['s1', 's2', 's3']);
  });
});

describe('a reload with ?url=', () => {
  const base = 'https://example.org/qonnx-studio/index.html';
  it('restores the session of a model opened from that address, written relative or absolute', () => {
    const sample = { url: 'https://example.org/qonnx-studio/samples/zoo_TFC_2W2A.onnx' };
    expect(sessionIsOfUrl(sample, 'samples/zoo_TFC_2W2A.onnx', base)).toBe(true);
    expect(sessionIsOfUrl({ url: 'samples/zoo_TFC_2W2A.onnx' }, 'https://example.org/qonnx-studio/samples/zoo_TFC_2W2A.onnx', base)).toBe(true);
  });
  it('opens any other address afresh: another model, a local file\'s session, no session', () => {
    expect(sessionIsOfUrl({ url: 'samples/zoo_TFC_2W2A.onnx' }, 'samples/qonnx_espcn_subpixel_quant.onnx', base)).toBe(false);
    expect(sessionIsOfUrl({ url: 'https://other.org/samples/zoo_TFC_2W2A.onnx' }, 'samples/zoo_TFC_2W2A.onnx', base)).toBe(false);
    expect(sessionIsOfUrl({}, 'samples/zoo_TFC_2W2A.onnx', base)).toBe(false);
    expect(sessionIsOfUrl(undefined, 'samples/zoo_TFC_2W2A.onnx', base)).toBe(false);
  });
});

describe('what fits in the storage left', () => {
  const model = { name: 'm.onnx', size: 1e6 };
  it('everything when the browser does not say, or when there is room', () => {
    expect(planStorage(model, [{ name: 'w.data', size: 5e6 }], undefined)).toEqual({ keep: true, data: ['w.data'], dataNotKept: [] });
    expect(planStorage(model, [{ name: 'w.data', size: 5e6 }], 1e9).note).toBeUndefined();
  });
  it('the model and the data files that fit (smallest first), with a note naming the others', () => {
    const free = model.size + HISTORY_MARGIN + 3e6;
    const p = planStorage(model, [{ name: 'big.data', size: 5e6 }, { name: 'small.data', size: 2e6 }], free);
    expect(p.keep).toBe(true);
    expect(p.data).toEqual(['small.data']);
    expect(p.dataNotKept).toEqual(['big.data']);
    expect(p.note).toMatch(/big\.data \(4\.8 MB\) is too large/);
  });
  it('nothing when the model itself does not fit, and says so', () => {
    const p = planStorage(model, [], HISTORY_MARGIN);
    expect(p.keep).toBe(false);
    expect(p.note).toMatch(/^This session will not be kept: m\.onnx \(1\.0 MB\) does not fit/);
  });
});

describe('the notice after a restore', () => {
  it('names the file, the edits and the undone ones', () => {
    expect(restoredMessage({ fileName: 'x.onnx', order: [1, 2, 3], cursor: 3, dataNotKept: [] })).toBe('Restored your last session: x.onnx, 3 edits');
    expect(restoredMessage({ fileName: 'x.onnx', order: [1], cursor: 0, dataNotKept: [] })).toBe('Restored your last session: x.onnx, 1 edit (1 undone)');
    expect(restoredMessage({ fileName: 'x.onnx', order: [], cursor: 0, dataNotKept: [] })).toBe('Restored your last session: x.onnx, no edits');
    expect(restoredMessage({ fileName: 'x.onnx', order: [], cursor: 0, dataNotKept: ['w.data'] })).toMatch(/no edits, without w\.data/);
  });
});
