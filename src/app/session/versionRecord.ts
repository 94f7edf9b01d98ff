/**
 * One step of the edit history, as kept in the saved session: small enough to write after every edit.
 *
 * The file as opened is stored once (the session's files). A later version is stored as its
 * "skeleton" (the model encoded as ONNX with every initializer emptied: nodes, attributes, value
 * info, metadata) plus, per initializer, where its content is: the initializer of that index in the
 * opened file, or a tensor blob. Edits share untouched tensors with the version they came from
 * (structural sharing), so a tensor object that is already known, from the opened file or from an
 * earlier step, is referenced, never written again: a bit-width edit of a 100 MB model writes its
 * graph skeleton and a few scalar tensors. A transformation comes back from the worker as new objects
 * (often renamed); their bytes are compared with the known tensors of the same size and type, and a
 * match is written without its data, as "the data of that tensor".
 *
 * Pure: no IndexedDB, no DOM. Runs in Node for the tests.
 */
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { onnx } from '../../core/onnx/onnxProto.js';
import type { Model, Tensor } from '../../core/ir/types.js';
import { runSync, type Task } from '../../core/task.js';

export interface VersionRecord {
  label: string;
  /** the version encoded as ONNX with each initializer replaced by an empty tensor */
  skeleton: Uint8Array;
  /** per initializer: >= 0 the index of the opened file's initializer, < 0 the tensor blob -id */
  inits: number[];
}

/** A tensor written once and referenced by the versions that hold it. */
export interface TensorBlob {
  id: number;
  /** the TensorProto; without its raw data when `dataFrom` is set */
  bytes: Uint8Array;
  /** its raw data is that of the opened file's initializer of this index (>= 0) or of blob -dataFrom */
  dataFrom?: number;
}

/** Tensors smaller than this are written whole rather than compared. */
const SHARE_MIN_BYTES = 4096;
const contentKey = (t: Tensor) => `${t.dataType ?? 0}:${t.rawData?.byteLength ?? 0}`;

/**
 * Which tensor objects are already stored. Identity (not content) is what structural sharing keeps,
 * so a WeakMap on the tensor objects finds them without hashing any bytes.
 */
export class TensorIds {
  private readonly ids = new WeakMap<Tensor, number>();
  private readonly byId = new Map<number, Tensor>();
  /** blob id -> the blob whose raw data it shares (that one must be kept while this one is) */
  readonly dataSource = new Map<number, number>();
  private readonly baseIndex = new Map<Tensor, number>();
  /** known tensors with raw data by type and size, for matching the content of new objects */
  private readonly byContent = new Map<string, { t: Tensor; ref: number }[]>();
  next = 1;

  constructor(base: Model) {
    (base.graph?.initializer ?? []).forEach((t, i) => {
      this.baseIndex.set(t, i);
      this.index(t, i);
    });
  }

  private index(t: Tensor, ref: number): void {
    if ((t.rawData?.byteLength ?? 0) < SHARE_MIN_BYTES) return;
    const k = contentKey(t);
    const list = this.byContent.get(k);
    if (list) list.push({ t, ref });
    else this.byContent.set(k, [{ t, ref }]);
  }

  /** Known tensors whose raw data may equal t's: ref >= 0 an opened initializer, < 0 a blob. */
  candidates(t: Tensor): { t: Tensor; ref: number }[] {
    if ((t.rawData?.byteLength ?? 0) < SHARE_MIN_BYTES) return [];
    return this.byContent.get(contentKey(t)) ?? [];
  }

  base(t: Tensor): number | undefined {
    return this.baseIndex.get(t);
  }

  blob(t: Tensor): number | undefined {
    return this.ids.get(t);
  }

  /** Record that tensor object `t` is blob `id` (after a restore, so later steps reference it). */
  remember(t: Tensor, id: number): void {
    this.ids.set(t, id);
    this.byId.set(id, t);
    this.index(t, -id);
    if (id >= this.next) this.next = id + 1;
  }

  assign(t: Tensor): number {
    const id = this.next++;
    this.remember(t, id);
    return id;
  }

  /** The blob was deleted (no step uses it any more): a tensor object seen again is written again. */
  forget(id: number): void {
    const t = this.byId.get(id);
    if (t) {
      this.ids.delete(t);
      const list = this.byContent.get(contentKey(t));
      const at = list?.findIndex((c) => c.t === t) ?? -1;
      if (at >= 0) list!.splice(at, 1);
    }
    this.byId.delete(id);
    this.dataSource.delete(id);
  }

  /** The blobs `used` need: themselves and the blobs whose data they share. */
  withSources(used: Set<number>): Set<number> {
    const out = new Set(used);
    for (let id of used) while (this.dataSource.has(id) && !out.has(this.dataSource.get(id)!)) out.add((id = this.dataSource.get(id)!));
    return out;
  }
}

const EMPTY: Tensor = {};

/** Equal bytes, compared a megabyte at a time (the caller's task yields between slices). */
function* sameBytes(a: Uint8Array, b: Uint8Array): Generator<{ label: string; done: number; total: number }, boolean, void> {
  if (a.byteLength !== b.byteLength) return false;
  const STEP = 1 << 20;
  for (let at = 0; at < a.byteLength; at += STEP) {
    const end = Math.min(a.byteLength, at + STEP);
    for (let i = at; i < end; i++) if (a[i] !== b[i]) return false;
    yield { label: 'Comparing tensors', done: end, total: a.byteLength };
  }
  return true;
}

/**
 * The record of `model` and the tensor blobs it needs that are not stored yet, as a task: comparing
 * the bytes of a transformation's new tensors can take a while on a large model, and the page runs
 * this cooperatively.
 */
export function* encodeVersionTask(model: Model, label: string, ids: TensorIds): Task<{ record: VersionRecord; blobs: TensorBlob[] }> {
  const blobs: TensorBlob[] = [];
  const init = model.graph?.initializer ?? [];
  const inits: number[] = [];
  for (const t of init) {
    const b = ids.base(t);
    if (b !== undefined) {
      inits.push(b);
      continue;
    }
    let id = ids.blob(t);
    if (id === undefined) {
      let dataFrom: number | undefined;
      for (const c of ids.candidates(t)) {
        if (c.t.rawData === t.rawData || (yield* sameBytes(c.t.rawData!, t.rawData!))) {
          dataFrom = c.ref;
          break;
        }
      }
      id = ids.assign(t);
      if (dataFrom !== undefined && dataFrom < 0) ids.dataSource.set(id, -dataFrom);
      if (dataFrom === undefined) blobs.push({ id, bytes: onnx.TensorProto.encode(t as onnx.TensorProto).finish() });
      else blobs.push({ id, bytes: onnx.TensorProto.encode({ ...t, rawData: new Uint8Array(0) } as onnx.TensorProto).finish(), dataFrom });
    }
    inits.push(-id);
  }
  const skeleton = encodeModel({ ...model, graph: { ...(model.graph ?? {}), initializer: init.map(() => EMPTY) } });
  return { record: { label, skeleton, inits }, blobs };
}

export function encodeVersion(model: Model, label: string, ids: TensorIds): { record: VersionRecord; blobs: TensorBlob[] } {
  return runSync(encodeVersionTask(model, label, ids));
}

/**
 * The model a record describes. `base` is the opened file decoded again; `blobs` the stored tensors by
 * id, decoded once each and shared between versions (so the restored history shares them as the
 * original one did).
 */
export function decodeVersion(record: VersionRecord, base: Model, blobs: Map<number, Tensor>): Model {
  const model = decodeModel(record.skeleton);
  const baseInit = base.graph?.initializer ?? [];
  const initializer = record.inits.map((k) => {
    const t = k >= 0 ? baseInit[k] : blobs.get(-k);
    if (!t) throw new Error(k >= 0 ? `The opened file has no initializer #${k}` : `Tensor #${-k} of the saved session is missing`);
    return t;
  });
  if ((model.graph?.initializer?.length ?? 0) !== initializer.length) throw new Error('The saved step does not match its tensors');
  return { ...model, graph: { ...(model.graph ?? {}), initializer } };
}

/**
 * Decode stored tensor blobs into tensors, each once; `ids` learns them so later steps reference them.
 * A blob stored without its data takes the data of the tensor it names (`base`: the reopened file).
 */
export function decodeBlobs(stored: TensorBlob[], base: Model, ids?: TensorIds): Map<number, Tensor> {
  const out = new Map<number, Tensor>();
  const baseInit = base.graph?.initializer ?? [];
  // a blob's data source was stored before it: ascending ids decode sources first
  for (const b of [...stored].sort((x, y) => x.id - y.id)) {
    let t = onnx.TensorProto.decode(b.bytes) as Tensor;
    if (b.dataFrom !== undefined) {
      const src = b.dataFrom >= 0 ? baseInit[b.dataFrom] : out.get(-b.dataFrom);
      if (!src?.rawData) throw new Error(`The data of saved tensor '${t.name}' is missing`);
      t = { ...t, rawData: src.rawData };
    }
    out.set(b.id, t);
    ids?.remember(t, b.id);
    if (b.dataFrom !== undefined && b.dataFrom < 0) ids?.dataSource.set(b.id, -b.dataFrom);
  }
  return out;
}

/** Blob ids that the records reference. */
export function blobsUsed(records: Iterable<Pick<VersionRecord, 'inits'>>): Set<number> {
  const used = new Set<number>();
  for (const r of records) for (const k of r.inits) if (k < 0) used.add(-k);
  return used;
}
