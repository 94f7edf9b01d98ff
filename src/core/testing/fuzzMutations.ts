/**
 * Byte-level mutations of model files for the fuzz test: bit flips, byte overwrites, truncation,
 * inserted and deleted byte runs, duplicated chunks. Every mutation is driven by a seeded PRNG, so a
 * case is reproduced from (file, seed) alone.
 *
 * Most of a real model file is tensor payload (raw_data); a mutation there changes weights but not
 * the graph. To reach the decoder's and the analyses' structural paths, positions are drawn mostly
 * from the bytes outside large tensor payloads (`structuralRanges`).
 */
import { readFields, type WireField } from './wireWalker.js';

export type Rng = () => number;

/** A half-open byte range [start, end). */
export type Range = [number, number];

/** Payloads larger than this are "bulk" tensor data; smaller ones (shape constants, scales) are structure. */
const BULK_MIN_BYTES = 64;

// TensorProto fields holding element data: float_data 4, int32_data 5, string_data 6, int64_data 7,
// raw_data 9, double_data 10, uint64_data 11.
const TENSOR_DATA_FIELDS = new Set([4, 5, 6, 7, 9, 10, 11]);

function safeFields(b: Uint8Array, start: number, end: number): WireField[] {
  try {
    return readFields(b, start, end);
  } catch {
    return [];
  }
}

function collectTensorBulk(b: Uint8Array, t: WireField, out: Range[]): void {
  for (const f of safeFields(b, t.dataStart!, t.dataEnd!))
    if (f.wire === 2 && TENSOR_DATA_FIELDS.has(f.field) && f.dataEnd! - f.dataStart! >= BULK_MIN_BYTES) out.push([f.dataStart!, f.dataEnd!]);
}

function collectGraphBulk(b: Uint8Array, g: WireField, out: Range[], depth: number): void {
  if (depth > 4) return;
  for (const f of safeFields(b, g.dataStart!, g.dataEnd!)) {
    if (f.wire !== 2) continue;
    if (f.field === 5) collectTensorBulk(b, f, out); // initializer
    else if (f.field === 1) {
      // node -> attribute (5) -> t (5) / tensors (10) / g (6) / graphs (11)
      for (const a of safeFields(b, f.dataStart!, f.dataEnd!)) {
        if (a.field !== 5 || a.wire !== 2) continue;
        for (const af of safeFields(b, a.dataStart!, a.dataEnd!)) {
          if (af.wire !== 2) continue;
          if (af.field === 5 || af.field === 10) collectTensorBulk(b, af, out);
          else if (af.field === 6 || af.field === 11) collectGraphBulk(b, af, out, depth + 1);
        }
      }
    }
  }
}

/** The byte ranges of a model file that are not bulk tensor payload, sorted and disjoint. */
export function structuralRanges(b: Uint8Array): Range[] {
  const bulk = bulkRanges(b);
  bulk.sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  let pos = 0;
  for (const [s, e] of bulk) {
    if (s > pos) out.push([pos, s]);
    pos = Math.max(pos, e);
  }
  if (pos < b.length) out.push([pos, b.length]);
  return out;
}

/** The fields of a model file that can be rewritten in place without breaking the wire format. */
export interface FieldMap {
  /** varint values: [first byte, end) */
  varints: Range[];
  /** printable length-delimited payloads (names, op types, domains, attribute strings): [start, end) */
  strings: Range[];
}

const printable = (b: Uint8Array, s: number, e: number) => {
  if (e - s < 1 || e - s > 256) return false;
  for (let i = s; i < e; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
};

/** Every varint and every printable string in the file, found by a schema-free walk outside bulk payloads. */
export function fieldMap(b: Uint8Array): FieldMap {
  const bulk = new Set(bulkRanges(b).map(([s]) => s));
  const out: FieldMap = { varints: [], strings: [] };
  const walk = (start: number, end: number, depth: number) => {
    if (depth > 10) return;
    for (const f of safeFields(b, start, end)) {
      if (f.wire === 0) {
        let p = f.start;
        while (b[p] & 0x80) p++; // skip the tag
        out.varints.push([p + 1, f.end]);
      } else if (f.wire === 2 && !bulk.has(f.dataStart!)) {
        if (printable(b, f.dataStart!, f.dataEnd!)) out.strings.push([f.dataStart!, f.dataEnd!]);
        else if (f.dataEnd! > f.dataStart!) walk(f.dataStart!, f.dataEnd!, depth + 1);
      }
    }
  };
  walk(0, b.length, 0);
  return out;
}

function bulkRanges(b: Uint8Array): Range[] {
  const bulk: Range[] = [];
  for (const f of safeFields(b, 0, b.length)) if (f.field === 7 && f.wire === 2) collectGraphBulk(b, f, bulk, 0);
  return bulk;
}

/** Where mutations land: 3 in 4 in structural bytes, the rest anywhere. */
class Positions {
  private readonly total: number;
  constructor(
    private readonly length: number,
    private readonly ranges: Range[],
  ) {
    this.total = ranges.reduce((a, [s, e]) => a + e - s, 0);
  }

  /** A position in [0, length). */
  pick(rng: Rng): number {
    if (this.total === 0 || rng() % 4 === 0) return rng() % Math.max(1, this.length);
    let k = rng() % this.total;
    for (const [s, e] of this.ranges) {
      if (k < e - s) return s + k;
      k -= e - s;
    }
    return 0;
  }
}

/** What the mutations of one file aim at: its structural bytes, its varints and its strings. */
export interface FuzzTarget {
  positions: Positions;
  fields: FieldMap;
  /** strings by length, for renames that make two names collide */
  stringsByLength: Map<number, Range[]>;
}

export function fuzzTarget(b: Uint8Array): FuzzTarget {
  const fields = fieldMap(b);
  const stringsByLength = new Map<number, Range[]>();
  for (const r of fields.strings) {
    const l = r[1] - r[0];
    const xs = stringsByLength.get(l);
    if (xs) xs.push(r);
    else stringsByLength.set(l, [r]);
  }
  return { positions: new Positions(b.length, structuralRanges(b)), fields, stringsByLength };
}

/**
 * Byte mutations: bit flips, overwrites, truncation, inserted / deleted runs, duplicated chunks. Two
 * keep the wire format intact so that the file still decodes and the analyses see odd content:
 * `varint` rewrites a number in place (a dimension, an attribute, a data type, an opset version) and
 * `rename` changes a name, op type or string in place (often to another name of the file: collisions).
 */
export type MutationKind = 'bitflip' | 'overwrite' | 'truncate' | 'insert' | 'delete' | 'duplicate' | 'varint' | 'rename';
export const MUTATION_KINDS: MutationKind[] = ['bitflip', 'overwrite', 'truncate', 'insert', 'delete', 'duplicate', 'varint', 'rename'];

export interface Mutated {
  bytes: Uint8Array;
  /** e.g. "bitflip@1234.5, overwrite@77+4" */
  description: string;
}

// Bytes that matter to a protobuf reader: zero, varint continuation, all ones, small lengths, wire-type tags.
const INTERESTING = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x12, 0x1a, 0x7f, 0x80, 0xff, 0xfe];
// Small numbers that matter to ONNX: no / one element, unset enums, element types, axis -1 as 127...
const INTERESTING_SMALL = [0, 1, 2, 3, 4, 7, 8, 16, 32, 64, 127];

function randomByte(rng: Rng): number {
  return rng() % 3 === 0 ? INTERESTING[rng() % INTERESTING.length] : rng() & 0xff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Run length: mostly short, sometimes long. */
function runLength(rng: Rng, max: number): number {
  return 1 + (rng() % 4 === 0 ? rng() % max : rng() % 8);
}

function applyOne(b: Uint8Array, kind: MutationKind, rng: Rng, target: FuzzTarget): { bytes: Uint8Array; what: string } {
  const pos = target.positions;
  const p = Math.min(pos.pick(rng), Math.max(0, b.length - 1));
  switch (kind) {
    case 'varint': {
      const vs = target.fields.varints;
      if (!vs.length) return applyOne(b, 'bitflip', rng, target);
      const [s, e] = vs[rng() % vs.length];
      const out = b.slice();
      const len = e - s;
      if (len === 1) out[s] = rng() % 2 ? INTERESTING_SMALL[rng() % INTERESTING_SMALL.length] : rng() & 0x7f;
      else {
        for (let i = s; i < e - 1; i++) out[i] = 0x80 | (rng() & 0x7f);
        out[e - 1] = len === 10 ? 1 : 1 + (rng() % 127);
      }
      return { bytes: out, what: `varint@${s}+${len}` };
    }
    case 'rename': {
      const ss = target.fields.strings;
      if (!ss.length) return applyOne(b, 'overwrite', rng, target);
      const [s, e] = ss[rng() % ss.length];
      const out = b.slice();
      const same = target.stringsByLength.get(e - s) ?? [];
      if (same.length > 1 && rng() % 2) {
        const [fs] = same[rng() % same.length];
        out.copyWithin(s, fs, fs + (e - s));
        return { bytes: out, what: `rename@${s}+${e - s} from ${fs}` };
      }
      const at = s + (rng() % (e - s));
      out[at] = 0x20 + (rng() % 95);
      return { bytes: out, what: `rename@${s}+${e - s} char ${at}` };
    }
    case 'bitflip': {
      const out = b.slice();
      const bit = rng() % 8;
      if (out.length) out[p] ^= 1 << bit;
      return { bytes: out, what: `bitflip@${p}.${bit}` };
    }
    case 'overwrite': {
      const out = b.slice();
      const n = Math.min(runLength(rng, 64), out.length - p);
      for (let i = 0; i < n; i++) out[p + i] = randomByte(rng);
      return { bytes: out, what: `overwrite@${p}+${n}` };
    }
    case 'truncate': {
      const at = rng() % Math.max(1, b.length);
      return { bytes: b.slice(0, at), what: `truncate@${at}` };
    }
    case 'insert': {
      const n = runLength(rng, 256);
      const ins = new Uint8Array(n);
      for (let i = 0; i < n; i++) ins[i] = randomByte(rng);
      return { bytes: concat(b.subarray(0, p), ins, b.subarray(p)), what: `insert@${p}+${n}` };
    }
    case 'delete': {
      const n = Math.min(runLength(rng, 512), b.length - p);
      return { bytes: concat(b.subarray(0, p), b.subarray(p + n)), what: `delete@${p}+${n}` };
    }
    case 'duplicate': {
      const from = pos.pick(rng);
      const n = Math.min(runLength(rng, 1024), b.length - from);
      return { bytes: concat(b.subarray(0, p), b.subarray(from, from + n), b.subarray(p)), what: `duplicate ${from}+${n}@${p}` };
    }
  }
}

/**
 * One to three mutations of `original` (never modified). Positions and fields are those of the
 * original; after a length-changing mutation they are still valid offsets, just less targeted.
 */
export function mutate(original: Uint8Array, rng: Rng, target: FuzzTarget): Mutated {
  const count = 1 + (rng() % 5 === 0 ? 1 + (rng() % 2) : 0);
  let bytes = original;
  const what: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = MUTATION_KINDS[rng() % MUTATION_KINDS.length];
    const r = applyOne(bytes, kind, rng, target);
    bytes = r.bytes;
    what.push(r.what);
  }
  // Each case owns its buffer (decoded tensors are views into it).
  if (bytes === original) bytes = original.slice();
  return { bytes, description: what.join(', ') };
}
