/**
 * One step of the edit history, as kept in the saved session: small enough to write after every edit.
 *
 * The file as opened is stored once (the session's files). A later version is stored as its
 * "skeleton" (the model encoded as ONNX with the graph's lists emptied: nodes, initializers, value
 * info, inputs, outputs) plus, per element of each list, where it is: the element of that index in
 * the opened file, or a part blob. Edits share untouched objects with the version they came from
 * (structural sharing), so an object that is already known, from the opened file or from an earlier
 * step, is referenced, never written again: a bit-width edit of a 100 MB model, or of a 20,000-node
 * graph, writes a few references and the node and scalar tensors it changed.
 *
 * A transformation comes back from the worker as new objects (often renamed). Its new tensors are
 * compared with the known tensors of the same type and size, and a match is written without its data,
 * as "the data of that tensor"; its nodes are written each as its own part, in slices.
 *
 * Pure: no IndexedDB, no DOM. Runs in Node for the tests.
 */
import { decodeModel, encodeModel } from '../../core/onnx/codec.js';
import { onnx } from '../../core/onnx/onnxProto.js';
import type { Model, Tensor } from '../../core/ir/types.js';
import { runSync, type Task } from '../../core/task.js';

/** The graph lists stored element by element. */
export const LISTS = ['node', 'initializer', 'valueInfo', 'input', 'output', 'quantizationAnnotation', 'sparseInitializer'] as const;
export type ListName = (typeof LISTS)[number];
type Part = object;
type Graph = NonNullable<Model['graph']>;

export interface VersionRecord {
  label: string;
  /** the version encoded as ONNX with the graph's lists (LISTS) emptied */
  skeleton: Uint8Array;
  /**
   * per list, per element: >= 0 the index in the opened file's list, < 0 the part -id; stored as runs
   * (see packRefs): an untouched list of 20,000 nodes is one run, not 20,000 numbers
   */
  refs: Record<ListName, Int32Array>;
}

/**
 * Runs of references as pairs (first, length): first, first + 1, ... for the opened file's elements,
 * first, first - 1, ... for parts (new parts of a step have consecutive ids).
 */
export function packRefs(refs: Int32Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < refs.length; ) {
    const v = refs[i];
    const d = v >= 0 ? 1 : -1;
    let n = 1;
    while (i + n < refs.length && refs[i + n] === v + d * n && (v >= 0) === (refs[i + n] >= 0)) n++;
    out.push(v, n);
    i += n;
  }
  return Int32Array.from(out);
}

export function unpackRefs(packed: Int32Array): Int32Array {
  let total = 0;
  for (let i = 1; i < packed.length; i += 2) total += packed[i];
  const out = new Int32Array(total);
  let at = 0;
  for (let i = 0; i < packed.length; i += 2) {
    const v = packed[i];
    const d = v >= 0 ? 1 : -1;
    for (let k = 0; k < packed[i + 1]; k++) out[at++] = v + d * k;
  }
  return out;
}

/**
 * New graph elements of one list written by one step: parts id .. id + count - 1, encoded together as
 * a GraphProto holding only that list (one record per up to CHUNK parts, not one per node).
 */
export interface PartChunk {
  id: number;
  count: number;
  list: ListName;
  bytes: Uint8Array;
  /** tensors stored without their raw data: index in the chunk -> whose data (>= 0 opened initializer, < 0 part -id) */
  dataFrom?: Record<number, number>;
}

/** Parts per chunk: a chunk is encoded in one go, between two turns of the event loop. */
const CHUNK = 2000;
/** Tensors smaller than this are written whole rather than compared. */
const SHARE_MIN_BYTES = 4096;
const contentKey = (t: Tensor) => `${t.dataType ?? 0}:${t.rawData?.byteLength ?? 0}`;

function addByContent(map: Map<string, { t: Tensor; ref: number }[]>, t: Tensor, ref: number): void {
  if ((t.rawData?.byteLength ?? 0) < SHARE_MIN_BYTES) return;
  const k = contentKey(t);
  const list = map.get(k);
  if (list) list.push({ t, ref });
  else map.set(k, [{ t, ref }]);
}

/**
 * Which graph elements are already stored, and in which chunk. Identity (not content) is what
 * structural sharing keeps, so maps on the objects find them without encoding or hashing anything.
 */
export class StoredParts {
  private readonly ids = new WeakMap<object, number>();
  private readonly byId = new Map<number, Part>();
  private readonly chunkOf = new Map<number, number>();
  private readonly chunks = new Map<number, number>();
  /** the opened model's parts by list, and its tensors by content (built at the first diff: see baseParts) */
  private opened: { index: Record<ListName, Map<object, number>>; byContent: Map<string, { t: Tensor; ref: number }[]> } | null = null;
  /** tensors with raw data of written parts, by type and size, for matching the content of new objects */
  private readonly byContent = new Map<string, { t: Tensor; ref: number }[]>();
  /** chunk id -> chunks whose tensor data its tensors share (kept while it is) */
  readonly dataSource = new Map<number, Set<number>>();
  next = 1;

  constructor(private readonly openedModel: Model) {}

  /**
   * The opened model's graph, indexed when a version is first compared with it (not when the session
   * starts: the page decodes the opened graph after the first picture, and a session that is never
   * edited never needs it).
   */
  private baseParts(): NonNullable<StoredParts['opened']> {
    if (this.opened) return this.opened;
    const g = (this.openedModel.graph ?? {}) as Graph;
    const index = Object.fromEntries(LISTS.map((l) => [l, new Map<object, number>()])) as Record<ListName, Map<object, number>>;
    for (const l of LISTS) ((g[l] ?? []) as object[]).forEach((p, i) => index[l].set(p, i));
    const byContent = new Map<string, { t: Tensor; ref: number }[]>();
    (g.initializer ?? []).forEach((t, i) => addByContent(byContent, t, i));
    return (this.opened = { index, byContent });
  }

  /** Known tensors whose raw data may equal t's: ref >= 0 an opened initializer, < 0 a part. */
  candidates(t: Tensor): { t: Tensor; ref: number }[] {
    if ((t.rawData?.byteLength ?? 0) < SHARE_MIN_BYTES) return [];
    const k = contentKey(t);
    const opened = this.baseParts().byContent.get(k) ?? [];
    const parts = this.byContent.get(k) ?? [];
    return parts.length === 0 ? opened : opened.length === 0 ? parts : [...opened, ...parts];
  }

  base(list: ListName, p: object): number | undefined {
    return this.baseParts().index[list].get(p);
  }

  part(p: object): number | undefined {
    return this.ids.get(p);
  }

  /** Record that object `p` is part `id` of chunk `chunk` (when written, or after a restore). */
  remember(p: Part, id: number, chunk: number, list: ListName): void {
    this.ids.set(p, id);
    this.byId.set(id, p);
    this.chunkOf.set(id, chunk);
    this.chunks.set(chunk, Math.max(this.chunks.get(chunk) ?? 0, id - chunk + 1));
    if (list === 'initializer') addByContent(this.byContent, p as Tensor, -id);
    if (id >= this.next) this.next = id + 1;
  }

  depend(chunk: number, onPart: number): void {
    const c = this.chunkOf.get(onPart);
    if (c === undefined || c === chunk) return;
    const set = this.dataSource.get(chunk);
    if (set) set.add(c);
    else this.dataSource.set(chunk, new Set([c]));
  }

  /** The chunk was deleted (no step uses it any more): its objects, seen again, are written again. */
  forget(chunk: number): void {
    const n = this.chunks.get(chunk) ?? 0;
    for (let id = chunk; id < chunk + n; id++) {
      const p = this.byId.get(id);
      if (p) {
        this.ids.delete(p);
        const list = this.byContent.get(contentKey(p as Tensor));
        const at = list?.findIndex((c) => c.t === p) ?? -1;
        if (at >= 0) list!.splice(at, 1);
      }
      this.byId.delete(id);
      this.chunkOf.delete(id);
    }
    this.chunks.delete(chunk);
    this.dataSource.delete(chunk);
  }

  /** The chunks that records need: those holding their parts, and the chunks those share data with. */
  chunksUsed(records: Iterable<Pick<VersionRecord, 'refs'>>): Set<number> {
    const out = new Set<number>();
    for (const r of records)
      for (const l of LISTS)
        for (const k of unpackRefs(r.refs[l] ?? new Int32Array(0))) {
          if (k >= 0) continue;
          const c = this.chunkOf.get(-k);
          if (c !== undefined) out.add(c);
        }
    const todo = [...out];
    while (todo.length) for (const d of this.dataSource.get(todo.pop()!) ?? []) if (!out.has(d)) out.add(d), todo.push(d);
    return out;
  }
}

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
 * The record of `model` and the chunks of new parts it needs, as a task: after a transformation of a
 * large model, comparing tensors and encoding thousands of new nodes takes a while, and the page runs
 * this cooperatively (a chunk or a megabyte compared per slice).
 */
export function* encodeVersionTask(model: Model, label: string, parts: StoredParts): Task<{ record: VersionRecord; chunks: PartChunk[] }> {
  const chunks: PartChunk[] = [];
  const g = (model.graph ?? {}) as Graph;
  const refs = {} as Record<ListName, Int32Array>;
  for (const l of LISTS) {
    const items = (g[l] ?? []) as Part[];
    const out = new Int32Array(items.length);
    let fresh: { p: Part; dataFrom?: number }[] = [];
    const flush = function* (): Task<void> {
      if (!fresh.length) return;
      const id = parts.next;
      const dataFrom: Record<number, number> = {};
      const stored = fresh.map((f, i) => {
        parts.remember(f.p, id + i, id, l);
        if (f.dataFrom === undefined) return f.p;
        dataFrom[i] = f.dataFrom;
        if (f.dataFrom < 0) parts.depend(id, -f.dataFrom);
        return { ...(f.p as Tensor), rawData: new Uint8Array(0) };
      });
      const bytes = onnx.GraphProto.encode({ [l]: stored } as unknown as onnx.GraphProto).finish();
      chunks.push({ id, count: fresh.length, list: l, bytes, ...(Object.keys(dataFrom).length ? { dataFrom } : {}) });
      fresh = [];
      yield { label: 'Saving the step', done: chunks.length, total: chunks.length + 1 };
    };
    for (let i = 0; i < items.length; i++) {
      if ((i & 8191) === 8191) yield { label: 'Saving the step', done: i, total: items.length };
      const p = items[i];
      const b = parts.base(l, p);
      if (b !== undefined) {
        out[i] = b;
        continue;
      }
      let id = parts.part(p);
      if (id === undefined) {
        let dataFrom: number | undefined;
        if (l === 'initializer') {
          const t = p as Tensor;
          for (const c of parts.candidates(t)) {
            if (c.t.rawData === t.rawData || (yield* sameBytes(c.t.rawData!, t.rawData!))) {
              dataFrom = c.ref;
              break;
            }
          }
        }
        id = parts.next + fresh.length;
        fresh.push({ p, dataFrom });
        if (fresh.length >= CHUNK) yield* flush();
      }
      out[i] = -id;
    }
    yield* flush();
    refs[l] = packRefs(out);
  }
  const emptied = Object.fromEntries(LISTS.map((l) => [l, []]));
  const skeleton = encodeModel({ ...model, graph: { ...g, ...emptied } });
  return { record: { label, skeleton, refs }, chunks };
}

export function encodeVersion(model: Model, label: string, parts: StoredParts): { record: VersionRecord; chunks: PartChunk[] } {
  return runSync(encodeVersionTask(model, label, parts));
}

/**
 * The model a record describes. `base` is the opened file decoded again; `stored` the parts by id,
 * decoded once each and shared between versions (so the restored history shares them as the
 * original one did).
 */
export function decodeVersion(record: VersionRecord, base: Model, stored: Map<number, Part>): Model {
  const model = decodeModel(record.skeleton);
  const baseGraph = (base.graph ?? {}) as Graph;
  const graph: Record<string, unknown> = { ...(model.graph ?? {}) };
  for (const l of LISTS) {
    const baseList = (baseGraph[l] ?? []) as Part[];
    const refs = unpackRefs(record.refs[l] ?? new Int32Array(0));
    const list: Part[] = new Array(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const k = refs[i];
      const p = k >= 0 ? baseList[k] : stored.get(-k);
      if (!p) throw new Error(k >= 0 ? `The opened file has no ${l} #${k}` : `Part #${-k} of the saved session is missing`);
      list[i] = p;
    }
    graph[l] = list;
  }
  return { ...model, graph };
}

/**
 * Decode stored chunks into parts by id; `parts` learns them so later steps reference them. A tensor
 * stored without its data takes the data of the tensor it names (`base`: the reopened file).
 */
export function decodeChunks(stored: PartChunk[], base: Model, parts?: StoredParts): Map<number, Part> {
  const out = new Map<number, Part>();
  const baseInit = base.graph?.initializer ?? [];
  // a tensor's data source was stored before it: ascending ids decode sources first
  for (const c of [...stored].sort((x, y) => x.id - y.id)) {
    const list = ((onnx.GraphProto.decode(c.bytes) as unknown as Graph)[c.list] ?? []) as Part[];
    if (list.length !== c.count) throw new Error(`A saved chunk holds ${list.length} parts instead of ${c.count}`);
    list.forEach((p0, i) => {
      let p = p0;
      const from = c.dataFrom?.[i];
      if (from !== undefined) {
        const src = (from >= 0 ? baseInit[from] : out.get(-from)) as Tensor | undefined;
        if (!src?.rawData) throw new Error(`The data of saved tensor '${(p as Tensor).name}' is missing`);
        p = { ...(p as Tensor), rawData: src.rawData };
        if (from < 0) parts?.depend(c.id, -from);
      }
      out.set(c.id + i, p);
      parts?.remember(p, c.id + i, c.id, c.list);
    });
  }
  return out;
}
