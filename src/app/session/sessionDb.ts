/**
 * The saved sessions in IndexedDB (database `qonnx-studio-sessions`). Four object stores:
 *   sessions  one SessionMeta per tab session (file name, step order, cursor, labels)
 *   files     the opened files, once per session: [sid, name] -> { role, bytes }
 *   steps     one VersionRecord per history step: [sid, seq] -> record
 *   parts     graph elements (nodes, tensors, value info) made by edits, once each, in chunks: [sid, id] -> PartChunk
 * Every write of a step is one transaction (steps, their new parts, the session's order), so a
 * crash leaves the previous consistent state.
 */
import type { SessionMeta } from './sessionPolicy.js';
import type { PartChunk, VersionRecord } from './versionRecord.js';

export const DB_NAME = 'qonnx-studio-sessions';
const DB_VERSION = 3;

export interface StoredFile {
  sid: string;
  name: string;
  role: 'model' | 'data';
  /**
   * The file's bytes. A Blob where the browser takes one (the file as the user gave it: IndexedDB copies
   * its data off the page's thread, where an ArrayBuffer of 100 MB is cloned on it for a third of a
   * second), else an ArrayBuffer: WebKit refuses Blobs in IndexedDB in private windows and automation
   * sessions, where its database lives in memory.
   */
  bytes: ArrayBuffer | Blob;
}

export const storedSize = (f: Pick<StoredFile, 'bytes'>): number => (f.bytes instanceof Blob ? f.bytes.size : f.bytes.byteLength);

const blobProbes = new WeakMap<IDBFactory, Promise<boolean>>();

/**
 * Whether this browser stores Blobs in IndexedDB, tried once on a database of its own: WebKit without a
 * disk database fails the write, and a session database that saw such a failure stopped answering.
 */
export function indexedDbTakesBlobs(factory: IDBFactory = indexedDB): Promise<boolean> {
  const known = blobProbes.get(factory);
  if (known) return known;
  const probe = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 3000);
    const answer = (v: boolean) => {
      clearTimeout(timer);
      resolve(v);
    };
    let r: IDBOpenDBRequest;
    try {
      r = factory.open('qonnx-studio-blob-probe', 1);
    } catch {
      answer(false);
      return;
    }
    r.onupgradeneeded = () => r.result.createObjectStore('probe');
    r.onerror = () => answer(false);
    r.onsuccess = () => {
      const db = r.result;
      const end = (v: boolean) => {
        db.close();
        answer(v);
      };
      try {
        const tx = db.transaction('probe', 'readwrite');
        tx.objectStore('probe').put(new Blob(['probe']), 1);
        tx.oncomplete = () => end(true);
        tx.onerror = () => end(false);
        tx.onabort = () => end(false);
      } catch {
        end(false);
      }
    };
  });
  blobProbes.set(factory, probe);
  return probe;
}

export type StoredStep = VersionRecord & { sid: string; seq: number };
export type StoredPart = PartChunk & { sid: string };

const req = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new DOMException('IndexedDB transaction aborted', 'AbortError'));
  });

/** Keys [sid, anything]: arrays sort after numbers and strings, so [sid, []] is past every key of sid. */
const ofSession = (sid: string) => IDBKeyRange.bound([sid], [sid, []]);

export class SessionDb {
  private constructor(private readonly db: IDBDatabase) {}

  static open(factory: IDBFactory = indexedDB): Promise<SessionDb> {
    return new Promise((resolve, reject) => {
      let r: IDBOpenDBRequest;
      try {
        r = factory.open(DB_NAME, DB_VERSION);
      } catch (e) {
        reject(e);
        return;
      }
      r.onupgradeneeded = () => {
        const db = r.result;
        // sessions are a cache of the user's work, not its only copy: an older layout is dropped
        for (const name of [...db.objectStoreNames]) db.deleteObjectStore(name);
        db.createObjectStore('sessions', { keyPath: 'id' });
        db.createObjectStore('files', { keyPath: ['sid', 'name'] });
        db.createObjectStore('steps', { keyPath: ['sid', 'seq'] });
        db.createObjectStore('parts', { keyPath: ['sid', 'id'] });
      };
      r.onsuccess = () => resolve(new SessionDb(r.result));
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new Error('the session database is blocked by another tab of an older version'));
    });
  }

  close(): void {
    this.db.close();
  }

  list(): Promise<SessionMeta[]> {
    return req(this.db.transaction('sessions').objectStore('sessions').getAll() as IDBRequest<SessionMeta[]>);
  }

  meta(sid: string): Promise<SessionMeta | undefined> {
    return req(this.db.transaction('sessions').objectStore('sessions').get(sid) as IDBRequest<SessionMeta | undefined>);
  }

  /** Everything a restore needs, read in one transaction. */
  async load(sid: string): Promise<{ meta: SessionMeta; files: StoredFile[]; steps: StoredStep[]; parts: StoredPart[] } | undefined> {
    const tx = this.db.transaction(['sessions', 'files', 'steps', 'parts']);
    const [meta, files, steps, parts] = await Promise.all([
      req(tx.objectStore('sessions').get(sid) as IDBRequest<SessionMeta | undefined>),
      req(tx.objectStore('files').getAll(ofSession(sid)) as IDBRequest<StoredFile[]>),
      req(tx.objectStore('steps').getAll(ofSession(sid)) as IDBRequest<StoredStep[]>),
      req(tx.objectStore('parts').getAll(ofSession(sid)) as IDBRequest<StoredPart[]>),
    ]);
    return meta ? { meta, files, steps, parts } : undefined;
  }

  /** Start a session over with a newly opened model: its files and an empty history. */
  async begin(meta: SessionMeta, files: StoredFile[]): Promise<void> {
    const tx = this.db.transaction(['sessions', 'files', 'steps', 'parts'], 'readwrite');
    for (const s of ['files', 'steps', 'parts']) tx.objectStore(s).delete(ofSession(meta.id));
    for (const f of files) tx.objectStore('files').put(f);
    tx.objectStore('sessions').put(meta);
    await done(tx);
  }

  /** Write new steps and parts, drop the ones no longer in the history, update the order. */
  async update(meta: SessionMeta, steps: StoredStep[], parts: StoredPart[], dropSteps: number[], dropParts: number[]): Promise<void> {
    const tx = this.db.transaction(['sessions', 'steps', 'parts'], 'readwrite');
    for (const p of parts) tx.objectStore('parts').put(p);
    for (const s of steps) tx.objectStore('steps').put(s);
    for (const seq of dropSteps) tx.objectStore('steps').delete([meta.id, seq]);
    for (const id of dropParts) tx.objectStore('parts').delete([meta.id, id]);
    tx.objectStore('sessions').put(meta);
    await done(tx);
  }

  async remove(sid: string): Promise<void> {
    const tx = this.db.transaction(['sessions', 'files', 'steps', 'parts'], 'readwrite');
    tx.objectStore('sessions').delete(sid);
    for (const s of ['files', 'steps', 'parts']) tx.objectStore(s).delete(ofSession(sid));
    await done(tx);
  }
}
