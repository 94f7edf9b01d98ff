import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { externalRef, tensorValues } from '../onnx/tensorData.js';
import { indexGraph } from '../ir/graphIndex.js';
import { validateModel } from '../ir/validate.js';
import type { Model } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import {
  QONNX_DOMAIN,
  initializerBytes,
  makeCnn,
  makeExternalDataModel,
  makeHugeGraph,
  materialize,
  planExternalDataModel,
} from './synth.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Encode, decode, re-encode: the two encodings must be identical and the decoded model clean. */
function roundTrip(m: Model): { bytes: Uint8Array; decoded: Model } {
  const bytes = encodeModel(m);
  const decoded = decodeModel(bytes);
  expect(sameBytes(encodeModel(decoded), bytes)).toBe(true);
  expect(validateModel(decoded)).toEqual([]);
  return { bytes, decoded };
}

/** Every intermediate tensor has a value_info shape; every node input is known. */
function expectFullyShaped(m: Model) {
  const g = m.graph!;
  const idx = indexGraph(g);
  const outputs = new Set((g.output ?? []).map((o) => o.name));
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (!outputs.has(o)) expect(idx.valueInfo.has(o), `value_info for ${o}`).toBe(true);
}

describe('makeCnn', () => {
  it('builds a valid ~300-node QONNX CNN with ~100 MB of FLOAT weights that round-trips byte-identically', () => {
    const m = makeCnn();
    const { bytes, decoded } = roundTrip(m);
    const nodes = decoded.graph!.node!.length;
    expect(nodes).toBeGreaterThanOrEqual(280);
    expect(nodes).toBeLessThanOrEqual(330);
    const w = initializerBytes(decoded);
    expect(Math.abs(w - 100e6) / 100e6).toBeLessThan(0.03);
    expect(bytes.byteLength).toBeGreaterThan(w);
    expect(bytes.byteLength).toBeLessThan(w * 1.01);
    expectFullyShaped(decoded);
  });

  it('has the QONNX structure: Quant with initializer params and attributes, opsets, annotations, residual Adds', () => {
    const m = makeCnn({ targetWeightBytes: 2e6 });
    const g = m.graph!;
    const ops = new Map<string, number>();
    for (const n of g.node!) ops.set(n.opType!, (ops.get(n.opType!) ?? 0) + 1);
    expect(ops.get('Conv')).toBe(56);
    expect(ops.get('BatchNormalization')).toBe(56);
    expect(ops.get('Relu')).toBe(56);
    expect(ops.get('Quant')).toBe(56 * 2 + 2);
    expect(ops.get('Add')).toBeGreaterThan(8);
    expect(ops.get('Flatten')).toBe(1);
    expect(ops.get('Gemm')).toBe(1);
    const opsets = new Map(m.opsetImport!.map((o) => [o.domain, int64ToNumber(o.version)]));
    expect(opsets.get('')).toBe(13);
    expect(opsets.get(QONNX_DOMAIN)).toBe(1);
    const idx = indexGraph(g);
    const q = g.node!.find((n) => n.opType === 'Quant' && idx.initializer.has(n.input![0]))!;
    expect(q.domain).toBe(QONNX_DOMAIN);
    expect(q.input!.slice(1).every((t) => idx.initializer.has(t))).toBe(true);
    expect(q.attribute!.map((a) => a.name).sort()).toEqual(['narrow', 'rounding_mode', 'signed']);
    expect(idx.annotation.get(q.output![0])?.get('finn_datatype')).toMatch(/^INT\d+$/);
    for (const t of g.initializer!) expect(t.dataType).toBe(1);
    const weight = idx.initializer.get('features.0.0.conv.weight')!;
    const v = tensorValues(weight).data as Float32Array;
    expect(v.length).toBeGreaterThan(0);
    expect(v.every((x) => Math.abs(x) < 1)).toBe(true);
  });

  it('is deterministic and seedable', () => {
    const a = encodeModel(makeCnn({ targetWeightBytes: 1e6 }));
    const b = encodeModel(makeCnn({ targetWeightBytes: 1e6 }));
    const c = encodeModel(makeCnn({ targetWeightBytes: 1e6, seed: 2 }));
    expect(sameBytes(a, b)).toBe(true);
    expect(sameBytes(a, c)).toBe(false);
  });

  it('hits other weight targets', () => {
    for (const target of [5e5, 10e6]) {
      const w = initializerBytes(makeCnn({ targetWeightBytes: target }));
      expect(Math.abs(w - target) / target).toBeLessThan(0.1);
    }
  });
});

describe('makeHugeGraph', () => {
  it('builds exactly 20,000 nodes, valid, shaped, with tiny weights, round-tripping byte-identically', () => {
    const m = makeHugeGraph();
    const { bytes, decoded } = roundTrip(m);
    expect(decoded.graph!.node!.length).toBe(20000);
    expect(initializerBytes(decoded)).toBeLessThan(20e6);
    expect(bytes.byteLength).toBeLessThan(60e6);
    expectFullyShaped(decoded);
    expect(indexGraph(decoded.graph!).cyclic).toEqual([]);
  });

  it('honours other node counts exactly', () => {
    for (const n of [10, 11, 15, 101, 999]) expect(makeHugeGraph({ nodes: n }).graph!.node!.length).toBe(n);
  });
});

describe('external data', () => {
  it('stores large tensors externally at 4096-aligned offsets, with the same values as the inline model', () => {
    const opts = { targetWeightBytes: 3e6, location: 'cnn.data' };
    const { model, data, dataFileName } = makeExternalDataModel(opts);
    expect(dataFileName).toBe('cnn.data');
    const decoded = decodeModel(model);
    expect(sameBytes(encodeModel(decoded), model)).toBe(true);
    expect(validateModel(decoded)).toEqual([]);
    const inline = makeCnn(opts);
    const inlineByName = new Map(inline.graph!.initializer!.map((t) => [t.name, t]));
    let external = 0;
    let end = 0;
    for (const t of decoded.graph!.initializer!) {
      const ref = externalRef(t);
      const own = inlineByName.get(t.name)!.rawData!;
      if (!ref) {
        expect(own.byteLength).toBeLessThan(1024);
        expect(sameBytes(t.rawData!, own)).toBe(true);
        continue;
      }
      external++;
      expect(ref.location).toBe('cnn.data');
      expect(ref.offset % 4096).toBe(0);
      expect(ref.offset).toBeGreaterThanOrEqual(end);
      expect(ref.length).toBe(own.byteLength);
      expect(sameBytes(data.subarray(ref.offset, ref.offset + ref.length!), own)).toBe(true);
      end = ref.offset + ref.length!;
    }
    expect(external).toBeGreaterThan(50);
    expect(data.byteLength).toBe(end);
    // the .onnx itself is small
    expect(model.byteLength).toBeLessThan(200e3);
  });

  it('streams the same data file in small chunks', () => {
    const opts = { targetWeightBytes: 2e6 };
    const plan = planExternalDataModel(opts);
    const whole = makeExternalDataModel(opts).data;
    const parts: Uint8Array[] = [];
    for (const c of plan.chunks(5000)) {
      expect(c.byteLength).toBeLessThanOrEqual(5000);
      parts.push(c.slice());
    }
    expect(sameBytes(Buffer.concat(parts), whole)).toBe(true);
    expect(plan.dataByteLength).toBe(whole.byteLength);
    expect(sameBytes(materialize(plan.entries[0].spec), whole.subarray(plan.entries[0].offset, plan.entries[0].offset + plan.entries[0].length))).toBe(true);
  });
});
