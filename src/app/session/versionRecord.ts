/**
 * One step of the edit history, as kept in the saved session: small enough to write after every edit.
 *
 * The file as opened is stored once (the session's files). A later version is stored as its
 * "skeleton" (the model encoded as ONNX with every initializer emptied: nodes, attributes, value
 * info, metadata) plus, per initializer, where its content is: the initializer of that index in the
 * opened file, or a tensor blob. Edits share untouched tensors with the version they came from
 * (structural sharing), so a tensor object that is already known, from the opened file or from an
 * earlier step, is referenced, never written again: a bit-width edit of a 100 MB model writes its
 * graph skeleton and a few scalar tensors.
 *
 * Pure: no IndexedDB, no DOM. Runs in Node for the tests.
 */
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { onnx } from '../../core/onnx/onnxProto.js';
import type { Model, Tensor } from '../../core/ir/types.js';

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
  bytes: Uint8Array;
}

/**
 * Which tensor objects are already stored. Identity (not content) is what structural sharing keeps,
 * so a WeakMap on the tensor objects finds them without hashing any bytes.
 */
export class TensorIds {
  private readonly ids = new WeakMap<Tensor, number>();
  private readonly byId = new Map<number, Tensor>();
  private readonly baseIndex = new Map<Tensor, number>();
  next = 1;

  constructor(base: Model) {
    (base.graph?.initializer ?? []).forEach((t, i) => this.baseIndex.set(t, i));
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
    if (t) this.ids.delete(t);
    this.byId.delete(id);
  }
}

const EMPTY: Tensor = {};

/** The record of `model` and the tensor blobs it needs that are not stored yet. */
export function encodeVersion(model: Model, label: string, ids: TensorIds): { record: VersionRecord; blobs: TensorBlob[] } {
  const blobs: TensorBlob[] = [];
  const init = model.graph?.initializer ?? [];
  const inits = init.map((t) => {
    const b = ids.base(t);
    if (b !== undefined) return b;
    let id = ids.blob(t);
    if (id === undefined) {
      id = ids.assign(t);
      blobs.push({ id, bytes: onnx.TensorProto.encode(t as onnx.TensorProto).finish() });
    }
    return -id;
  });
  const skeleton = encodeModel({ ...model, graph: { ...(model.graph ?? {}), initializer: init.map(() => EMPTY) } });
  return { record: { label, skeleton, inits }, blobs };
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

/** Decode stored tensor blobs into tensors, each once; `ids` learns them so later steps reference them. */
export function decodeBlobs(stored: TensorBlob[], ids?: TensorIds): Map<number, Tensor> {
  const out = new Map<number, Tensor>();
  for (const b of stored) {
    const t = onnx.TensorProto.decode(b.bytes) as Tensor;
    out.set(b.id, t);
    ids?.remember(t, b.id);
  }
  return out;
}

/** Blob ids that the records reference. */
export function blobsUsed(records: Iterable<Pick<VersionRecord, 'inits'>>): Set<number> {
  const used = new Set<number>();
  for (const r of records) for (const k of r.inits) if (k < 0) used.add(-k);
  return used;
}
