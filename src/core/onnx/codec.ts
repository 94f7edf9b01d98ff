/**
 * Bytes <-> Model. Decoding keeps tensor bytes as views into the input buffer (no copy) and keeps
 * unknown fields, so an unedited model re-encodes to the same bytes. Every failure is a ModelError
 * that says what is wrong and where.
 */
import { ModelError } from '../errors.js';
import type { Graph, Model } from '../ir/types.js';
import $protobuf from 'protobufjs/minimal.js';
import { onnx } from './onnxProto.js';
import { runSync, type Task } from '../task.js';

// Unknown fields (from a newer ONNX than this schema) are kept in `$unknowns`. protobufjs makes that
// property non-enumerable, which would drop it on structured clone (postMessage) and on object spread
// (every immutable edit). Make it an ordinary property so unknown fields survive both.
{
  const util = $protobuf.util as unknown as { makeProp: (o: object, k: string, e?: boolean) => void };
  const makeProp = util.makeProp;
  util.makeProp = (o, k, e) => makeProp(o, k, k === '$unknowns' ? true : e);
  // protobufjs drops unknown fields unless told otherwise; a lossless editor must keep them.
  ($protobuf.Reader as unknown as { discardUnknown: boolean }).discardUnknown = false;

  // int64 values: a plain number whenever it is exact (|v| < 2^53: every dimension, attribute and
  // version seen in practice), a Long otherwise. Numbers are far cheaper to keep, clone and send to
  // workers than one Long object per dimension; the encoder accepts both and writes the same bytes.
  type LongLike = { low: number; high: number; unsigned: boolean };
  const proto = $protobuf.Reader.prototype as unknown as { int64(): LongLike | number; uint64(): LongLike | number };
  const int64 = proto.int64;
  const uint64 = proto.uint64;
  proto.int64 = function (this: unknown) {
    const l = int64.call(this) as LongLike;
    return l.high >= -0x200000 && l.high < 0x200000 ? l.high * 4294967296 + (l.low >>> 0) : l;
  };
  proto.uint64 = function (this: unknown) {
    const l = uint64.call(this) as LongLike;
    return l.high >>> 0 < 0x200000 ? (l.high >>> 0) * 4294967296 + (l.low >>> 0) : l;
  };
}

/** Protobuf messages cannot exceed 2 GiB; larger ONNX models must keep weights in external files. */
export const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;

const ascii = (b: Uint8Array, start: number, len: number) =>
  String.fromCharCode(...b.subarray(start, Math.min(b.length, start + len)));

/** Recognise common non-ONNX files by their first bytes; returns a description or undefined. */
export function sniffForeignFormat(b: Uint8Array): string | undefined {
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5 || b[2] === 7))
    return 'a ZIP archive (for example a PyTorch .pt/.pth checkpoint or a Keras .keras file), not an ONNX protobuf';
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') return 'a PNG image';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'a JPEG image';
  if (b.length >= 4 && ascii(b, 0, 4) === 'GIF8') return 'a GIF image';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'a WebP image';
  if (b.length >= 4 && ascii(b, 0, 4) === '%PDF') return 'a PDF document';
  if (b.length >= 4 && b[0] === 0x89 && ascii(b, 1, 3) === 'HDF') return 'an HDF5 file (for example a Keras .h5 model), not an ONNX protobuf';
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'a gzip-compressed file; decompress it first';
  if (b.length >= 6 && b[0] === 0x93 && ascii(b, 1, 5) === 'NUMPY') return 'a NumPy .npy array, not a model';
  if (b.length >= 8 && ascii(b, 4, 4) === 'TFL3') return 'a TensorFlow Lite flatbuffer, not ONNX';
  // Text: JSON or anything else that is printable in its first bytes.
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  const head = b.subarray(i, Math.min(b.length, i + 512));
  const printable = head.length > 0 && head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f) || c >= 0x80);
  if (printable && head.length >= 2) {
    if (head[0] === 0x7b || head[0] === 0x5b) return 'a JSON text file, not a binary ONNX protobuf';
    if (ascii(head, 0, 5) === '<?xml' || head[0] === 0x3c) return 'an XML/HTML text file, not a binary ONNX protobuf';
    if (ascii(head, 0, 10).startsWith('ir_version')) return 'ONNX in protobuf text format; only the binary format is supported';
    // A binary protobuf can start with printable bytes, so require the whole head to look like prose.
    if (head.length >= 32 && head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f))) return 'a plain text file, not a binary ONNX protobuf';
  }
  return undefined;
}

export interface DecodeOptions {
  /** File name, used in messages. */
  fileName?: string;
}

/**
 * Where the reader stood when protobufjs gave up. A read past `len` when `len` is the end of the file
 * means the file was cut short; a read past the end of an enclosing message (len < total) means a
 * length inside the file is wrong, i.e. the file is damaged, not truncated.
 */
interface ReaderState {
  pos: number;
  len: number;
}

function describeProtobufFailure(e: unknown, total: number, name: string, reader?: ReaderState): ModelError {
  const msg = e instanceof Error ? e.message : String(e);
  const fmt = (v: number) => v.toLocaleString('en-US');
  const m = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(msg);
  if (m) {
    const at = Number(m[1]);
    const want = Number(m[2]);
    const limit = Number(m[3]);
    if (limit >= total)
      return new ModelError(
        'truncated',
        `${name} is truncated: a field at byte ${fmt(at)} needs ${fmt(want)} more bytes but the file ends at byte ${fmt(total)}`,
        `byte ${at}`,
      );
    return new ModelError(
      'corrupt',
      `${name} is damaged: a field at byte ${fmt(at)} needs ${fmt(want)} bytes but the message that contains it ends at byte ${fmt(limit)}`,
      `byte ${at}`,
    );
  }
  if (/index out of range/i.test(msg)) {
    if (!reader || reader.len >= total) {
      const at = reader ? reader.pos : total;
      return new ModelError(
        'truncated',
        `${name} is truncated: the field whose content starts at byte ${fmt(at)} runs past the end of the file at byte ${fmt(total)}`,
        `byte ${at}`,
      );
    }
    return new ModelError(
      'corrupt',
      `${name} is damaged: a message at byte ${fmt(reader.pos)} claims to be longer than the message that contains it, which ends at byte ${fmt(reader.len)}`,
      `byte ${reader.pos}`,
    );
  }
  const wt = /invalid wire type (\d+) at offset (\d+)/.exec(msg);
  if (wt)
    return new ModelError(
      'corrupt',
      `${name} is not a valid protobuf: byte ${Number(wt[2]).toLocaleString('en-US')} has an invalid field encoding (wire type ${wt[1]}). The file is damaged or is not an ONNX model`,
      `byte ${wt[2]}`,
    );
  if (/max depth|recursion/i.test(msg))
    return new ModelError('corrupt', `${name} nests messages deeper than the decoder allows; the file is damaged or hostile`);
  return new ModelError('corrupt', `${name} could not be decoded as an ONNX protobuf: ${msg}`);
}

function looksLikeOnnx(m: onnx.ModelProto): boolean {
  const hasIr = Object.prototype.hasOwnProperty.call(m, 'irVersion');
  const hasGraph = Object.prototype.hasOwnProperty.call(m, 'graph') && m.graph != null;
  const hasOpset = (m.opsetImport?.length ?? 0) > 0;
  if (!hasGraph && !hasIr && !hasOpset) return false;
  if (!hasIr && !hasOpset && hasGraph) {
    // Some other protobuf whose field 7 happens to be length-delimited: such a "graph" has no known
    // content, only unknown fields.
    const g = m.graph!;
    const known = (g.node?.length ?? 0) + (g.input?.length ?? 0) + (g.output?.length ?? 0) + (g.initializer?.length ?? 0);
    if (known === 0) return false;
  }
  return true;
}

/** Decode a binary ONNX model. Tensor bytes in the result are views into `bytes`. */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): Model {
  const name = opts.fileName ? `'${opts.fileName}'` : 'The file';
  if (bytes.byteLength === 0) throw new ModelError('empty-file', `${name} is empty (0 bytes)`);
  if (bytes.byteLength > MAX_PROTOBUF_BYTES)
    throw new ModelError('too-large', `${name} is over 2 GiB; a single ONNX protobuf cannot be that large. Save the model with external data (weights in a separate .data file) and open both files together`);
  const foreign = sniffForeignFormat(bytes);
  if (foreign) throw new ModelError('wrong-format', `${name} is ${foreign}`, 'byte 0');
  let m: onnx.ModelProto;
  const reader = $protobuf.Reader.create(bytes);
  try {
    m = onnx.ModelProto.decode(reader);
  } catch (e) {
    throw describeProtobufFailure(e, bytes.byteLength, name, reader);
  }
  if (!looksLikeOnnx(m))
    throw new ModelError('not-onnx', `${name} is a protobuf message but not an ONNX model: it has no graph, IR version or opset import`);
  return m;
}

/** Encode a model. Fields are written in field-number order, as the reference implementation does. */
export function encodeModel(model: Model): Uint8Array {
  return onnx.ModelProto.encode(model as onnx.ModelProto).finish();
}

/** Fields of the graph decoded between two yields of a deferred graph decode. */
const GRAPH_FIELDS_PER_STEP = 64;
/** The tag of ModelProto.graph (field 7, length-delimited). */
const GRAPH_TAG = (7 << 3) | 2;

/** A model whose graph is decoded later; see decodeModelDeferred. */
export interface DeferredModel {
  /** every field of the file decoded except the graph; reading `model.graph` before `graph` has run decodes the rest at once */
  model: Model;
  /**
   * Decodes the graph a run of fields at a time (for a page that must not freeze); at its end, or at
   * the first read of `model.graph`, the graph becomes an ordinary property of the model.
   */
  graph: Task<void>;
  /** whether the graph has been decoded (by the task or by a read) */
  readonly decoded: boolean;
}

type Decoder = { decode(r: $protobuf.Reader, len: number, end: undefined, depth: number, target: object): unknown };

// eslint-disable-next-line require-yield
function* nothingLeft(): Task<void> {
  return;
}

/**
 * Decode a binary ONNX model except its graph, which waits until it is read or until the returned
 * task runs. The page opens a model this way: the worker sends everything the first picture needs,
 * so the page decodes its own editable copy of the graph only afterwards, or when something reads it.
 *
 * The result is the same object tree as decodeModel's, field for field (protobufjs decodes a run of
 * fields into an existing message, so consecutive runs add up to the one-shot decode, unknown fields
 * included, in file order; a second graph field merges into the first, as protobuf merges). Anything
 * unusual in the wire format (groups, damage) is left to decodeModel itself, which gives the precise
 * message: at once for the model's own fields, at the graph's decode for the graph's.
 */
export function decodeModelDeferred(bytes: Uint8Array, opts: DecodeOptions = {}): DeferredModel {
  const whole = (): DeferredModel => ({ model: decodeModel(bytes, opts), graph: nothingLeft(), decoded: true });
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_PROTOBUF_BYTES || sniffForeignFormat(bytes)) return whole();
  const total = bytes.byteLength;
  const reader = $protobuf.Reader.create(bytes);
  const model = new onnx.ModelProto();
  const decodeRun = (type: Decoder, from: number, to: number, depth: number, target: object) => {
    if (to <= from) return;
    reader.pos = from;
    type.decode(reader, to - from, undefined, depth, target);
  };
  const readTag = () => {
    const tag = reader.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 0 || wt === 3 || wt === 4 || wt > 5) throw new Error('unusual field');
    return tag;
  };
  // the model's own fields now, around the graph fields, whose extents are kept for later
  const graphs: [number, number][] = [];
  try {
    let runStart = 0;
    while (reader.pos < total) {
      const fieldStart = reader.pos;
      const tag = readTag();
      if (tag !== GRAPH_TAG) {
        reader.skipType(tag & 7);
        continue;
      }
      const len = reader.uint32();
      const gStart = reader.pos;
      const gEnd = gStart + len;
      if (gEnd > total) throw new Error('graph past the end');
      decodeRun(onnx.ModelProto as unknown as Decoder, runStart, fieldStart, 0, model);
      graphs.push([gStart, gEnd]);
      reader.pos = gEnd;
      runStart = gEnd;
    }
    decodeRun(onnx.ModelProto as unknown as Decoder, runStart, total, 0, model);
  } catch {
    return whole();
  }
  const hasIr = Object.prototype.hasOwnProperty.call(model, 'irVersion');
  const hasOpset = (model.opsetImport?.length ?? 0) > 0;
  // without IR version or opsets, only the graph's content tells an ONNX file from another protobuf
  if (!graphs.length || (!hasIr && !hasOpset)) return whole();

  const graph = new onnx.GraphProto();
  let decoded = false;
  let failure: unknown;
  const settle = (g: Graph | null | undefined) => {
    Object.defineProperty(model, 'graph', { value: g, writable: true, enumerable: true, configurable: true });
    decoded = true;
  };
  function* steps(): Task<void> {
    try {
      for (const [gStart, gEnd] of graphs) {
        reader.pos = gStart;
        let from = gStart;
        let n = 0;
        while (reader.pos < gEnd) {
          reader.skipType(readTag() & 7);
          if (reader.pos > gEnd) throw new Error('field past the graph');
          if (++n === GRAPH_FIELDS_PER_STEP) {
            const to = reader.pos;
            decodeRun(onnx.GraphProto as unknown as Decoder, from, to, 1, graph);
            from = to;
            n = 0;
            yield { label: 'Decoding', done: to, total };
          }
        }
        decodeRun(onnx.GraphProto as unknown as Decoder, from, gEnd, 1, graph);
      }
    } catch {
      // the one-shot decoder's verdict: its graph, or its precise message
      try {
        settle(decodeModel(bytes, opts).graph);
      } catch (e) {
        failure = e;
        throw e;
      }
      return;
    }
    settle(graph);
  }
  const task = steps();
  // what callers run: stopping it (a cancelled runner returns it) leaves the decode to the next read
  function* pull(): Task<void> {
    for (;;) {
      const r = task.next();
      if (r.done) return;
      yield r.value;
    }
  }
  Object.defineProperty(model, 'graph', {
    get() {
      if (failure === undefined) runSync(task);
      if (!decoded) throw failure;
      return (model as { graph?: Graph | null }).graph;
    },
    set(g: Graph | null | undefined) {
      task.return();
      settle(g);
    },
    enumerable: true,
    configurable: true,
  });
  return {
    model,
    graph: pull(),
    get decoded() {
      return decoded;
    },
  };
}

/**
 * decodeModel as a task (src/core/task.ts) that yields between runs of graph fields, so a page can
 * decode a 20,000-node model in slices without freezing. The result equals decodeModel's.
 */
export function* decodeModelTask(bytes: Uint8Array, opts: DecodeOptions = {}): Task<Model> {
  const d = decodeModelDeferred(bytes, opts);
  yield* d.graph;
  return d.model;
}
