import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setAttribute } from '../ir/edit.js';
import { int64From, int64ToNumber, type Model } from '../ir/types.js';
import { encodeLenField, encodeTag, encodeVarint, readFields, walkModel, type WalkedGraph } from '../testing/wireWalker.js';
import { decodeModel, encodeModel } from './codec.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';


const FILES = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();
const load = (f: string) => new Uint8Array(fs.readFileSync(path.join(MODELS, f)));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('the test wire walker itself', () => {
  it('reads hand-encoded varint, fixed32, fixed64 and length-delimited fields', () => {
    // field 1 varint 150 (08 96 01), field 2 "testing", field 3 fixed32 1.0f, field 4 fixed64 7, field 5 varint -1
    const bytes = new Uint8Array([
      0x08, 0x96, 0x01,
      ...encodeLenField(2, Array.from(new TextEncoder().encode('testing'))),
      ...encodeTag(3, 5), 0x00, 0x00, 0x80, 0x3f,
      ...encodeTag(4, 1), 7, 0, 0, 0, 0, 0, 0, 0,
      ...encodeTag(5, 0), ...encodeVarint(-1),
    ]);
    const fs_ = readFields(bytes);
    expect(fs_.map((f) => [f.field, f.wire])).toEqual([[1, 0], [2, 2], [3, 5], [4, 1], [5, 0]]);
    expect(fs_[0].value).toBe(150n);
    expect(new TextDecoder().decode(bytes.subarray(fs_[1].dataStart, fs_[1].dataEnd))).toBe('testing');
    expect(fs_[2].value).toBe(0x3f800000n);
    expect(fs_[3].value).toBe(7n);
    expect(encodeVarint(-1)).toHaveLength(10);
    expect(BigInt.asIntN(64, fs_[4].value!)).toBe(-1n);
    expect(fs_[4].end).toBe(bytes.length);
  });

  it('rejects a length that runs past the end', () => {
    expect(() => readFields(new Uint8Array([0x12, 0x05, 0x41]))).toThrow(/runs past/);
  });
});

describe('decode + encode of every shared model', () => {
  it('finds the shared models', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(FILES)('%s re-encodes to identical bytes', (f) => {
    const bytes = load(f);
    const out = encodeModel(decodeModel(bytes, { fileName: f }));
    expect(out.byteLength).toBe(bytes.byteLength);
    expect(sameBytes(out, bytes)).toBe(true);
  });

  function compareGraph(w: WalkedGraph, g: NonNullable<Model['graph']>, where: string) {
    const nodes = g.node ?? [];
    expect(nodes.length, `${where}: node count`).toBe(w.nodes.length);
    w.nodes.forEach((wn, i) => {
      const n = nodes[i];
      expect(n.opType ?? '', `${where}: op_type of node ${i}`).toBe(wn.opType);
      expect(n.name ?? '', `${where}: name of node ${i}`).toBe(wn.name);
      expect(n.domain ?? '', `${where}: domain of node ${i}`).toBe(wn.domain);
      expect(n.input ?? [], `${where}: inputs of node ${i}`).toEqual(wn.inputs);
      expect(n.output ?? [], `${where}: outputs of node ${i}`).toEqual(wn.outputs);
      const attrs = n.attribute ?? [];
      expect(attrs.map((a) => a.name), `${where}: attributes of node ${i}`).toEqual(wn.attributes.map((a) => a.name));
      wn.attributes.forEach((wa, k) => {
        const a = attrs[k];
        expect(a.type ?? 0).toBe(wa.type);
        if (wa.i !== undefined) expect(int64ToNumber(a.i)).toBe(Number(wa.i));
        if (wa.f !== undefined) expect(a.f).toBe(wa.f);
        if (wa.s !== undefined) expect(new TextDecoder().decode(a.s ?? new Uint8Array())).toBe(wa.s);
        expect((a.ints ?? []).map((v) => int64ToNumber(v))).toEqual(wa.ints.map(Number));
        const subs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
        expect(subs.length).toBe(wa.subgraphs.length);
        subs.forEach((sg, j) => compareGraph(wa.subgraphs[j], sg, `${where}/node ${i}.${wa.name}[${j}]`));
      });
    });
    const inits = g.initializer ?? [];
    expect(inits.length, `${where}: initializer count`).toBe(w.initializers.length);
    w.initializers.forEach((wt, i) => {
      const t = inits[i];
      expect(t.name ?? '').toBe(wt.name);
      expect(t.dataType ?? 0).toBe(wt.dataType);
      expect((t.dims ?? []).map((d) => int64ToNumber(d))).toEqual(wt.dims.map(Number));
      expect(t.rawData?.byteLength ?? 0).toBe(wt.rawDataLength);
    });
    expect((g.input ?? []).map((v) => v.name ?? '')).toEqual(w.inputs);
    expect((g.output ?? []).map((v) => v.name ?? '')).toEqual(w.outputs);
    expect((g.valueInfo ?? []).map((v) => v.name ?? '')).toEqual(w.valueInfos);
    expect(g.quantizationAnnotation?.length ?? 0).toBe(w.annotationCount);
  }

  it.each(FILES)('%s: decoded fields match an independent wire walk', (f) => {
    const bytes = load(f);
    const m = decodeModel(bytes);
    const w = walkModel(bytes);
    expect(int64ToNumber(m.irVersion)).toBe(Number(w.irVersion ?? 0n));
    expect(m.producerName ?? '').toBe(w.producerName ?? '');
    expect((m.opsetImport ?? []).map((o) => [o.domain ?? '', int64ToNumber(o.version)])).toEqual(w.opsets.map((o) => [o.domain, Number(o.version)]));
    expect(w.graph).toBeDefined();
    expect(w.graph!.nodes.length).toBeGreaterThan(0);
    compareGraph(w.graph!, m.graph!, f);
  });

  it('keeps tensor bytes as views into the input buffer', () => {
    const bytes = load('zoo_TFC_2W2A.onnx');
    const m = decodeModel(bytes);
    const big = m.graph!.initializer!.find((t) => t.name === '41')!;
    expect(big.rawData!.buffer).toBe(bytes.buffer);
  });
});

describe('editing one attribute', () => {
  const FILE = 'zoo_TFC_2W2A.onnx';
  const bytes = load(FILE);
  const model = decodeModel(bytes);
  const before = walkModel(bytes);
  // The first Quant node with a 'narrow' attribute, found from the raw bytes.
  const k = before.graph!.nodes.findIndex((n) => n.opType === 'Quant' && n.attributes.some((a) => a.name === 'narrow'));
  const attrPos = before.graph!.nodes[k].attributes.findIndex((a) => a.name === 'narrow');
  const oldValue = before.graph!.nodes[k].attributes[attrPos].i!;
  const newValue = oldValue === 0n ? 1n : 0n;
  const edited = setAttribute(model, k, { name: 'narrow', type: 2, i: int64From(newValue) });
  const outBytes = encodeModel(edited);
  const after = walkModel(outBytes);

  it('found a Quant node to edit', () => {
    expect(k).toBeGreaterThanOrEqual(0);
    expect(attrPos).toBeGreaterThanOrEqual(0);
  });

  it('changes the edited attribute and nothing else in the encoded bytes', () => {
    const ga = after.graph!;
    const gb = before.graph!;
    expect(ga.nodes.length).toBe(gb.nodes.length);
    gb.nodes.forEach((nb, j) => {
      const na = ga.nodes[j];
      if (j !== k) {
        expect(sameBytes(na.bytes, nb.bytes), `node ${j} bytes`).toBe(true);
        return;
      }
      expect(sameBytes(na.bytes, nb.bytes)).toBe(false);
      expect([na.name, na.opType, na.domain, na.inputs, na.outputs]).toEqual([nb.name, nb.opType, nb.domain, nb.inputs, nb.outputs]);
      expect(na.attributes.map((a) => a.name)).toEqual(nb.attributes.map((a) => a.name));
      nb.attributes.forEach((ab, p) => {
        const aa = na.attributes[p];
        if (p === attrPos) {
          expect(aa.i).toBe(newValue);
          expect(aa.type).toBe(2);
        } else expect(sameBytes(aa.bytes, ab.bytes), `attribute ${ab.name}`).toBe(true);
      });
    });
    // Every other field of the graph and of the model is byte-identical.
    expect(ga.fields.map((f) => f.field)).toEqual(gb.fields.map((f) => f.field));
    let nodeNo = -1;
    gb.fields.forEach((fb, j) => {
      if (fb.field === 1) nodeNo++;
      if (fb.field === 1 && nodeNo === k) return;
      expect(sameBytes(ga.fields[j].bytes, fb.bytes), `graph field #${j} (${fb.field})`).toBe(true);
    });
    expect(after.fields.map((f) => f.field)).toEqual(before.fields.map((f) => f.field));
    before.fields.forEach((fb, j) => {
      if (fb.field !== 7) expect(sameBytes(after.fields[j].bytes, fb.bytes), `model field ${fb.field}`).toBe(true);
    });
    // The size changes by at most the varint length difference of the value.
    expect(Math.abs(outBytes.byteLength - bytes.byteLength)).toBeLessThanOrEqual(9);
  });

  it('decodes back to the edited value with the real decoder', () => {
    const again = decodeModel(outBytes);
    const a = again.graph!.node![k].attribute!.find((x) => x.name === 'narrow')!;
    expect(int64ToNumber(a.i)).toBe(Number(newValue));
    const orig = decodeModel(bytes).graph!.node![k].attribute!.find((x) => x.name === 'narrow')!;
    expect(int64ToNumber(orig.i)).toBe(Number(oldValue));
  });

  it('shares every untouched object with the old model and leaves the old model intact', () => {
    const g0 = model.graph!;
    const g1 = edited.graph!;
    expect(edited).not.toBe(model);
    expect(g1).not.toBe(g0);
    expect(g1.node).not.toBe(g0.node);
    g0.node!.forEach((n, j) => {
      if (j === k) expect(g1.node![j]).not.toBe(n);
      else expect(g1.node![j]).toBe(n);
    });
    g0.node![k].attribute!.forEach((a, p) => {
      if (p === attrPos) expect(g1.node![k].attribute![p]).not.toBe(a);
      else expect(g1.node![k].attribute![p]).toBe(a);
    });
    expect(g1.node![k].input).toBe(g0.node![k].input);
    expect(g1.initializer).toBe(g0.initializer);
    expect(g1.input).toBe(g0.input);
    expect(g1.output).toBe(g0.output);
    expect(g1.valueInfo).toBe(g0.valueInfo);
    expect(edited.opsetImport).toBe(model.opsetImport);
    // the old version still encodes to the original file
    expect(sameBytes(encodeModel(model), bytes)).toBe(true);
  });
});
