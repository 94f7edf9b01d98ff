/**
 * An independent protobuf wire-format reader for tests. It shares no code with the generated codec:
 * it walks tags, varints, fixed32/fixed64 and length-delimited fields by hand, and knows just enough
 * of the ONNX schema (field numbers) to list nodes, attributes, initializers and graph inputs/outputs.
 * Tests compare what the real decoder produced against what this walker sees in the raw bytes.
 */

export type WireType = 0 | 1 | 2 | 5;

export interface WireField {
  field: number;
  wire: WireType;
  /** offset of the tag (the field's first byte) */
  start: number;
  /** offset just past the field */
  end: number;
  /** varint, fixed32 and fixed64 payloads, as unsigned 64-bit */
  value?: bigint;
  /** length-delimited payload bounds */
  dataStart?: number;
  dataEnd?: number;
}

export class WireError extends Error {}

function readVarint(b: Uint8Array, pos: number, end: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) throw new WireError(`varint runs past byte ${end}`);
    const c = b[pos++];
    v |= BigInt(c & 0x7f) << shift;
    if ((c & 0x80) === 0) return [BigInt.asUintN(64, v), pos];
    shift += 7n;
  }
  throw new WireError(`varint longer than 10 bytes at byte ${pos}`);
}

function readFixed(b: Uint8Array, pos: number, size: 4 | 8): bigint {
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[pos + k]);
  return v;
}

/** Every top-level field of the message in `b[start, end)`, in file order. */
export function readFields(b: Uint8Array, start = 0, end = b.length): WireField[] {
  const out: WireField[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, p1] = readVarint(b, pos, end);
    pos = p1;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) throw new WireError(`field number 0 at byte ${fieldStart}`);
    if (wire === 0) {
      const [v, p2] = readVarint(b, pos, end);
      pos = p2;
      out.push({ field, wire, start: fieldStart, end: pos, value: v });
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > end) throw new WireError(`fixed${size * 8} runs past byte ${end}`);
      const v = readFixed(b, pos, size);
      pos += size;
      out.push({ field, wire, start: fieldStart, end: pos, value: v });
    } else if (wire === 2) {
      const [len, p2] = readVarint(b, pos, end);
      const dataStart = p2;
      const dataEnd = p2 + Number(len);
      if (dataEnd > end) throw new WireError(`length-delimited field ${field} at byte ${fieldStart} runs past byte ${end}`);
      pos = dataEnd;
      out.push({ field, wire, start: fieldStart, end: pos, dataStart, dataEnd });
    } else {
      throw new WireError(`wire type ${wire} at byte ${fieldStart}`);
    }
  }
  return out;
}

const utf8 = new TextDecoder();

export function fieldString(b: Uint8Array, f: WireField): string {
  return utf8.decode(b.subarray(f.dataStart!, f.dataEnd!));
}

export function fieldBytes(b: Uint8Array, f: WireField): Uint8Array {
  return b.subarray(f.start, f.end);
}

export function asInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function float32Of(v: bigint): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, Number(v), true);
  return dv.getFloat32(0, true);
}

/** Packed or unpacked repeated varint field values. */
function varints(b: Uint8Array, fs: WireField[]): bigint[] {
  const out: bigint[] = [];
  for (const f of fs) {
    if (f.wire === 0) out.push(f.value!);
    else if (f.wire === 2) {
      let p = f.dataStart!;
      while (p < f.dataEnd!) {
        const [v, q] = readVarint(b, p, f.dataEnd!);
        out.push(v);
        p = q;
      }
    }
  }
  return out;
}

// ---- ONNX, by field number (onnx.proto) ----

export interface WalkedAttribute {
  name: string;
  type: number;
  /** the whole encoded attribute (tag, length and payload) */
  bytes: Uint8Array;
  i?: bigint;
  f?: number;
  s?: string;
  ints: bigint[];
  subgraphs: WalkedGraph[];
}

export interface WalkedNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: WalkedAttribute[];
  /** the whole encoded node */
  bytes: Uint8Array;
}

export interface WalkedTensor {
  name: string;
  dataType: number;
  dims: bigint[];
  rawDataLength: number;
  dataLocation: number;
  externalData: Record<string, string>;
}

/** A ValueInfoProto with a tensor type: dims are numbers, symbolic names, or null when unset. */
export interface WalkedValueInfo {
  name: string;
  elemType: number;
  shape: (number | string | null)[] | null;
}

export interface WalkedGraph {
  name: string;
  nodes: WalkedNode[];
  initializers: WalkedTensor[];
  inputs: string[];
  outputs: string[];
  valueInfos: string[];
  inputInfos: WalkedValueInfo[];
  outputInfos: WalkedValueInfo[];
  /** quantization_annotation: tensor name -> key -> value */
  annotations: Record<string, Record<string, string>>;
  annotationCount: number;
  /** every top-level field of the graph message, with its bytes */
  fields: { field: number; bytes: Uint8Array }[];
}

export interface WalkedModel {
  irVersion?: bigint;
  producerName?: string;
  producerVersion?: string;
  opsets: { domain: string; version: bigint }[];
  graph?: WalkedGraph;
  metadata: Record<string, string>;
  /** every top-level field of the model message, with its bytes */
  fields: { field: number; bytes: Uint8Array }[];
}

const sub = (fs: WireField[], n: number) => fs.filter((f) => f.field === n);
const last = (fs: WireField[], n: number) => {
  const xs = sub(fs, n);
  return xs[xs.length - 1];
};

function str(b: Uint8Array, fs: WireField[], n: number): string {
  const f = last(fs, n);
  return f && f.wire === 2 ? fieldString(b, f) : '';
}

function entries(b: Uint8Array, fs: WireField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs) {
    const kv = readFields(b, f.dataStart!, f.dataEnd!);
    out[str(b, kv, 1)] = str(b, kv, 2);
  }
  return out;
}

function walkValueInfoName(b: Uint8Array, f: WireField): string {
  return str(b, readFields(b, f.dataStart!, f.dataEnd!), 1);
}

function walkValueInfo(b: Uint8Array, f: WireField): WalkedValueInfo {
  const fs = readFields(b, f.dataStart!, f.dataEnd!);
  const info: WalkedValueInfo = { name: str(b, fs, 1), elemType: 0, shape: null };
  const type = last(fs, 2);
  if (!type) return info;
  // TypeProto.tensor_type = 1 (or sparse_tensor_type = 8): elem_type = 1, shape = 2
  const tfs = readFields(b, type.dataStart!, type.dataEnd!);
  const tt = last(tfs, 1) ?? last(tfs, 8);
  if (!tt) return info;
  const ttf = readFields(b, tt.dataStart!, tt.dataEnd!);
  info.elemType = Number(last(ttf, 1)?.value ?? 0n);
  const shape = last(ttf, 2);
  if (!shape) return info;
  info.shape = sub(readFields(b, shape.dataStart!, shape.dataEnd!), 1).map((d) => {
    const dfs = readFields(b, d.dataStart!, d.dataEnd!);
    const v = last(dfs, 1);
    const p = last(dfs, 2);
    if (v && (!p || v.start > p.start)) return Number(asInt64(v.value!));
    if (p) return fieldString(b, p);
    return null;
  });
  return info;
}

function walkAnnotations(b: Uint8Array, fs: WireField[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const f of fs) {
    const afs = readFields(b, f.dataStart!, f.dataEnd!);
    const name = str(b, afs, 1);
    out[name] = { ...(out[name] ?? {}), ...entries(b, sub(afs, 2)) };
  }
  return out;
}

function walkTensor(b: Uint8Array, f: WireField): WalkedTensor {
  const fs = readFields(b, f.dataStart!, f.dataEnd!);
  const raw = last(fs, 9);
  const loc = last(fs, 14);
  return {
    name: str(b, fs, 8),
    dataType: Number(last(fs, 2)?.value ?? 0n),
    dims: varints(b, sub(fs, 1)).map(asInt64),
    rawDataLength: raw ? raw.dataEnd! - raw.dataStart! : 0,
    dataLocation: Number(loc?.value ?? 0n),
    externalData: entries(b, sub(fs, 13)),
  };
}

function walkAttribute(b: Uint8Array, f: WireField): WalkedAttribute {
  const fs = readFields(b, f.dataStart!, f.dataEnd!);
  const fi = last(fs, 2);
  const ii = last(fs, 3);
  const si = last(fs, 4);
  return {
    name: str(b, fs, 1),
    type: Number(last(fs, 20)?.value ?? 0n),
    bytes: fieldBytes(b, f),
    f: fi ? float32Of(fi.value!) : undefined,
    i: ii ? asInt64(ii.value!) : undefined,
    s: si ? fieldString(b, si) : undefined,
    ints: varints(b, sub(fs, 8)).map(asInt64),
    subgraphs: [...sub(fs, 6), ...sub(fs, 11)].map((g) => walkGraph(b, g.dataStart!, g.dataEnd!)),
  };
}

function walkNode(b: Uint8Array, f: WireField): WalkedNode {
  const fs = readFields(b, f.dataStart!, f.dataEnd!);
  return {
    inputs: sub(fs, 1).map((x) => fieldString(b, x)),
    outputs: sub(fs, 2).map((x) => fieldString(b, x)),
    name: str(b, fs, 3),
    opType: str(b, fs, 4),
    domain: str(b, fs, 7),
    attributes: sub(fs, 5).map((a) => walkAttribute(b, a)),
    bytes: fieldBytes(b, f),
  };
}

export function walkGraph(b: Uint8Array, start: number, end: number): WalkedGraph {
  const fs = readFields(b, start, end);
  return {
    name: str(b, fs, 2),
    nodes: sub(fs, 1).map((n) => walkNode(b, n)),
    initializers: sub(fs, 5).map((t) => walkTensor(b, t)),
    inputs: sub(fs, 11).map((v) => walkValueInfoName(b, v)),
    outputs: sub(fs, 12).map((v) => walkValueInfoName(b, v)),
    valueInfos: sub(fs, 13).map((v) => walkValueInfoName(b, v)),
    inputInfos: sub(fs, 11).map((v) => walkValueInfo(b, v)),
    outputInfos: sub(fs, 12).map((v) => walkValueInfo(b, v)),
    annotations: walkAnnotations(b, sub(fs, 14)),
    annotationCount: sub(fs, 14).length,
    fields: fs.map((x) => ({ field: x.field, bytes: fieldBytes(b, x) })),
  };
}

/** Walk an ONNX ModelProto. Throws WireError on malformed wire data. */
export function walkModel(b: Uint8Array): WalkedModel {
  const fs = readFields(b);
  const g = last(fs, 7);
  const ir = last(fs, 1);
  return {
    irVersion: ir ? asInt64(ir.value!) : undefined,
    producerName: last(fs, 2) ? str(b, fs, 2) : undefined,
    producerVersion: last(fs, 3) ? str(b, fs, 3) : undefined,
    opsets: sub(fs, 8).map((o) => {
      const os = readFields(b, o.dataStart!, o.dataEnd!);
      return { domain: str(b, os, 1), version: asInt64(last(os, 2)?.value ?? 0n) };
    }),
    graph: g ? walkGraph(b, g.dataStart!, g.dataEnd!) : undefined,
    metadata: entries(b, sub(fs, 14)),
    fields: fs.map((x) => ({ field: x.field, bytes: fieldBytes(b, x) })),
  };
}

// ---- hand encoding, for tests that need bytes the real encoder would not write ----

export function encodeVarint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let c = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) c |= 0x80;
    out.push(c);
  } while (x > 0n);
  return out;
}

export function encodeTag(field: number, wire: WireType): number[] {
  return encodeVarint((field << 3) | wire);
}

export function encodeLenField(field: number, payload: ArrayLike<number>): number[] {
  return [...encodeTag(field, 2), ...encodeVarint(payload.length), ...Array.from(payload)];
}
