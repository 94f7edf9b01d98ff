/**
 * Keeps the tab's session in IndexedDB as the user works, and brings the last one back on the next
 * visit. The opened files are written once when a model is opened; after each change of the history
 * (edit, undo, redo, jump) the new steps are written a moment later, off the input handler, as small
 * records (see versionRecord.ts). Storage failures never reach editing: they end in one notice.
 *
 * Tabs: each tab owns a session id kept in its sessionStorage (a reload finds its own session). Live
 * tabs answer a roll call on a BroadcastChannel with their session id; a fresh visit takes over the
 * most recent session no live tab answers for, a duplicated tab (same sessionStorage, and the
 * original answers for that id) copies it. Each tab also holds a Web Lock named after its session,
 * which settles two fresh tabs starting at once.
 *
 * A page loaded with ?url= opens that model, except on a reload (or a reopened or duplicated tab) of a
 * tab whose own session is of a model from that same address: then the session comes back, edits and
 * all, and the address keeps its ?url= (urlRestored() tells App not to fetch the model again).
 */
import { jumpTo, pushVersion, type History } from '../../core/ir/history.js';
import type { Model } from '../../core/ir/types.js';
import { validateModel } from '../../core/ir/validate.js';
import { summarizeModel } from '../../core/ir/summary.js';
import { openFiles, openedListeners, type Opened } from '../open.js';
import { useApp, type Notice } from '../store.js';
import { DB_NAME, indexedDbTakesBlobs, SessionDb, storedSize, type StoredFile, type StoredPart, type StoredStep } from './sessionDb.js';
import { lockName, planStorage, restoreCandidates, restoredMessage, sessionIsOfUrl, sessionsToPrune, type SessionMeta } from './sessionPolicy.js';
import { runCooperative } from '../../core/task.js';
import { decodeChunks, decodeVersion, encodeVersionTask, StoredParts, type VersionRecord } from './versionRecord.js';

const SID_KEY = 'qonnx-studio:session';
/** Steps are written this long after the last change (a burst of edits is one write). */
const WRITE_DELAY_MS = 120;

interface Active {
  sid: string;
  docId: number;
  /** id of the history version that is the file as opened */
  openedId: number;
  meta: SessionMeta;
  ids: StoredParts;
  /** stored steps by history version id */
  written: Map<number, { seq: number; refs: VersionRecord['refs'] }>;
  /** part chunks in the database */
  parts: Set<number>;
  nextSeq: number;
  /** nothing more is written for this model (storage failed or too small) */
  off: boolean;
}

let db: SessionDb | null = null;
let dbError: string | null = null;
let dbErrorShown = false;
let sid = '';
let active: Active | null = null;
let queue: Promise<void> = Promise.resolve();
let timer: ReturnType<typeof setTimeout> | null = null;
/** a restore in progress: the open it starts belongs to it */
let restoring: { adopt: boolean } | null = null;

function enqueue(job: () => Promise<void>): Promise<void> {
  queue = queue.then(job, job);
  return queue;
}

const newId = () => (typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

function storedSid(): string | null {
  try {
    return sessionStorage.getItem(SID_KEY);
  } catch {
    return null;
  }
}

function saveSid(id: string): void {
  sid = id;
  try {
    sessionStorage.setItem(SID_KEY, id);
  } catch {
    /* no sessionStorage: a reload then takes over the session as a fresh visit does */
  }
}

type Locks = { request(name: string, opts: { ifAvailable?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => unknown): Promise<unknown>; query(): Promise<{ held?: { name?: string }[] }> };
const locks = (): Locks | undefined => (typeof navigator !== 'undefined' ? (navigator as unknown as { locks?: Locks }).locks : undefined);

const CHANNEL = 'qonnx-studio-sessions';
let channel: BroadcastChannel | null = null;

/** Answer other tabs' roll calls with this tab's session id. */
function joinRollCall(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (e: MessageEvent) => {
    if ((e.data as { type?: string })?.type === 'who' && sid) channel?.postMessage({ type: 'here', sid });
  };
}

/** The session ids of the live tabs of this app (those that answer within `ms`). */
function rollCall(ms = 250): Promise<Set<string>> {
  const live = new Set<string>();
  if (typeof BroadcastChannel === 'undefined') return Promise.resolve(live);
  const ch = new BroadcastChannel(CHANNEL);
  ch.onmessage = (e: MessageEvent) => {
    const d = e.data as { type?: string; sid?: string };
    if (d?.type === 'here' && d.sid) live.add(d.sid);
  };
  ch.postMessage({ type: 'who' });
  return new Promise((resolve) =>
    setTimeout(() => {
      ch.close();
      resolve(live);
    }, ms),
  );
}

/** Hold the lock of a session for the life of the page; false when another tab holds it. */
function hold(id: string, waitMs = 0): Promise<boolean> {
  const l = locks();
  if (!l) return Promise.resolve(true);
  return new Promise((resolve) => {
    const opts = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true };
    l.request(lockName(id), opts, (lock) => {
      if (!lock) {
        resolve(false);
        return undefined;
      }
      resolve(true);
      return new Promise(() => {}); // held until the page goes away
    }).catch(() => resolve(false));
  });
}

function show(n: Notice): void {
  useApp.getState().notify(n);
}

function storageMessage(e: unknown): string {
  const name = (e as { name?: string })?.name ?? '';
  const msg = e instanceof Error || e instanceof DOMException ? e.message : String(e);
  if (name === 'QuotaExceededError' || /quota/i.test(msg))
    return `This session will not be kept: the browser storage for this site is full (${msg || name}). Your edits work as usual; download the model to keep them.`;
  return `This session will not be kept: ${msg || name || 'the browser refused to store it'}. Your edits work as usual; download the model to keep them.`;
}

/** A write failed: stop writing for this model, drop what is half kept, say so once. */
function writeFailed(a: Active, e: unknown): void {
  if (a.off) return;
  a.off = true;
  console.warn('QONNX Studio: session not kept', e);
  void db?.remove(a.sid).catch(() => {});
  if (active === a && useApp.getState().doc?.docId === a.docId) show({ kind: 'info', message: storageMessage(e), code: 'session-not-kept' });
}

/** A model was opened (or restored): its files start the tab's session over. Never throws into the open. */
function opened(o: Opened): void {
  try {
    begin(o);
  } catch (e) {
    console.warn('QONNX Studio: session not kept', e);
  }
}

function begin(o: Opened): void {
  const doc = useApp.getState().doc;
  if (!doc || restoring?.adopt) return;
  // the open calls its listeners after the first paint: by then a restore has taken this model over
  if (active && active.docId === doc.docId) return;
  if (!db) {
    active = null;
    if (!dbErrorShown && dbError) {
      dbErrorShown = true;
      show({ kind: 'info', message: `This session will not be kept: this browser does not let the page store data (${dbError}; private browsing or blocked site data?). Your edits work as usual; download the model to keep them.`, code: 'session-not-kept' });
    }
    return;
  }
  const now = Date.now();
  const a: Active = {
    sid,
    docId: doc.docId,
    openedId: doc.history.versions[0].id,
    meta: { id: sid, fileName: o.fileName, createdAt: now, updatedAt: now, order: [], cursor: 0, labels: [], fileBytes: 0, dataNotKept: [], ...(doc.source !== undefined ? { url: doc.source } : {}) },
    ids: new StoredParts(doc.history.versions[0].value),
    written: new Map(),
    parts: new Set(),
    nextSeq: 1,
    off: false,
  };
  active = a;
  // The model's bytes as a Blob where IndexedDB takes one (see sessionDb.ts): the file as the user gave it,
  // or, opened from an address, a Blob of the page's copy. Otherwise the page's copy itself, which IndexedDB
  // clones when it stores it (the page never transfers or writes to it).
  const whole = o.bytes.byteOffset === 0 && o.bytes.byteLength === o.bytes.buffer.byteLength && o.bytes.buffer instanceof ArrayBuffer;
  const asBuffer = () => (whole ? (o.bytes.buffer as ArrayBuffer) : o.bytes.slice().buffer);
  void enqueue(async () => {
    const sdb = db;
    if (!sdb || a.off) return;
    let free: number | undefined;
    try {
      const est = await navigator.storage?.estimate?.();
      if (est?.quota !== undefined) free = est.quota - (est.usage ?? 0);
    } catch {
      free = undefined;
    }
    const data = [...o.files].map(([name, f]) => ({ name, size: f.size }));
    const plan = planStorage({ name: o.fileName, size: o.bytes.byteLength }, data, free);
    if (!plan.keep) {
      a.off = true;
      await sdb.remove(a.sid).catch(() => {});
      if (active === a) show({ kind: 'info', message: plan.note!, code: 'session-not-kept' });
      return;
    }
    try {
      const blobs = await indexedDbTakesBlobs();
      const files: StoredFile[] = [{ sid: a.sid, name: o.fileName, role: 'model', bytes: blobs ? o.file ?? new Blob([o.bytes as Uint8Array<ArrayBuffer>]) : asBuffer() }];
      for (const n of plan.data) {
        const f = o.files.get(n)!;
        files.push({ sid: a.sid, name: n, role: 'data', bytes: blobs ? f : await f.arrayBuffer() });
      }
      if (a.off) return;
      a.meta = { ...a.meta, fileBytes: files.reduce((s, f) => s + storedSize(f), 0), dataNotKept: plan.dataNotKept };
      await sdb.begin(a.meta, files);
    } catch (e) {
      writeFailed(a, e);
      return;
    }
    if (plan.note && active === a) show({ kind: 'info', message: plan.note, code: 'session-data-not-kept' });
  });
  schedule();
}

function schedule(): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void enqueue(writeSteps);
  }, WRITE_DELAY_MS);
}

/** Write the steps of the history that are not stored yet, and the order and cursor. */
async function writeSteps(): Promise<void> {
  const a = active;
  const doc = useApp.getState().doc;
  if (!db || !a || a.off || !doc || doc.docId !== a.docId) return;
  const versions = doc.history.versions;
  // the opened version stays first unless the history limit dropped it
  const start = versions[0].id === a.openedId ? 1 : 0;
  const steps: StoredStep[] = [];
  const parts: StoredPart[] = [];
  const order: number[] = [];
  const labels: string[] = [];
  const keep = new Map<number, { seq: number; refs: VersionRecord['refs'] }>();
  for (const v of versions.slice(start)) {
    let w = a.written.get(v.id);
    if (!w) {
      const r = await runCooperative(encodeVersionTask(v.value, v.label, a.ids), { sliceMs: 8 });
      if (active !== a) return;
      w = { seq: a.nextSeq++, refs: r.record.refs };
      steps.push({ ...r.record, sid: a.sid, seq: w.seq });
      for (const c of r.chunks) parts.push({ ...c, sid: a.sid });
    }
    keep.set(v.id, w);
    order.push(w.seq);
    labels.push(v.label);
  }
  const cursor = doc.history.cursor + 1 - start;
  if (!steps.length && cursor === a.meta.cursor && order.join() === a.meta.order.join()) return;
  const kept = new Set(order);
  const dropSteps = a.meta.order.filter((s) => !kept.has(s));
  const used = a.ids.chunksUsed(keep.values());
  const dropParts = [...a.parts].filter((id) => !used.has(id));
  const meta: SessionMeta = { ...a.meta, order, labels, cursor, updatedAt: Date.now() };
  try {
    await db.update(meta, steps, parts, dropSteps, dropParts);
  } catch (e) {
    writeFailed(a, e);
    return;
  }
  a.meta = meta;
  a.written = keep;
  for (const p of parts) a.parts.add(p.id);
  for (const id of dropParts) {
    a.parts.delete(id);
    a.ids.forget(id);
  }
}

/**
 * Restore a saved session: open its files as a drop would, with the history rebuilt from its steps
 * installed as the model opens (so the first model shown, and a link's #node= applied to it, is the
 * restored one), from the address it came from if it came by URL.
 */
async function restore(from: string, adopt: boolean): Promise<boolean> {
  if (!db) return false;
  const saved = await db.load(from);
  const model = saved?.files.find((f) => f.role === 'model');
  if (!saved || !model) return false;
  const { meta } = saved;
  const app = useApp.getState();
  app.setLoading({ stage: 'Restoring', done: 0, fileName: meta.fileName });
  const rebuilt: { ids?: StoredParts; written?: Map<number, { seq: number; refs: VersionRecord['refs'] }>; error?: Error } = {};
  const rebuild = (opened: History<Model>): History<Model> => {
    const base = opened.versions[0].value;
    const ids = new StoredParts(base);
    const written = new Map<number, { seq: number; refs: VersionRecord['refs'] }>();
    let history = opened;
    try {
      const blobs = decodeChunks(saved.parts, base, ids);
      const bySeq = new Map(saved.steps.map((s) => [s.seq, s]));
      for (const seq of meta.order) {
        const step = bySeq.get(seq);
        if (!step) throw new Error(`step ${seq} is missing`);
        history = pushVersion(history, decodeVersion(step, base, blobs), step.label);
        written.set(history.versions[history.cursor].id, { seq, refs: step.refs });
      }
      history = jumpTo(history, meta.cursor);
    } catch (e) {
      rebuilt.error = e instanceof Error ? e : new Error(String(e));
      return opened;
    }
    rebuilt.ids = ids;
    rebuilt.written = written;
    return history;
  };
  restoring = { adopt };
  try {
    const files = [model, ...saved.files.filter((f) => f.role === 'data')].map((f) => new File([f.bytes], f.name));
    await openFiles(files, { source: meta.url, history: rebuild });
  } finally {
    restoring = null;
  }
  const doc = useApp.getState().doc;
  if (!doc || doc.fileName !== meta.fileName) return false;
  if (rebuilt.error || !rebuilt.ids || !rebuilt.written) {
    show({ kind: 'error', message: `Restored ${meta.fileName} as opened, but not its edits: ${rebuilt.error?.message ?? 'they were not read'}`, code: 'session-restore-failed' });
    return true;
  }
  const history = doc.history;
  if (adopt) {
    active = {
      sid,
      docId: doc.docId,
      openedId: history.versions[0].id,
      meta,
      ids: rebuilt.ids,
      written: rebuilt.written,
      parts: new Set(saved.parts.map((p) => p.id)),
      nextSeq: Math.max(0, ...saved.steps.map((s) => s.seq)) + 1,
      off: false,
    };
  }
  const cur = history.versions[history.cursor].value;
  if (history.cursor > 0) useApp.setState({ doc: { ...doc, problems: validateModel(cur), summary: summarizeModel(cur) } });
  show({ kind: 'info', message: restoredMessage(meta), code: 'session-restored', action: { label: 'Start fresh', run: startFresh } });
  return true;
}

/** Forget the tab's session and go back to the start screen. */
export function startFresh(): void {
  active = null;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  useApp.setState({ doc: null, layout: null, layoutBusy: null, notice: null, selection: null, cost: null, costError: null, baselineCost: null, run: null, loading: null, dialog: null });
  void enqueue(async () => {
    await db?.remove(sid).catch(() => {});
  });
}

/** Resolves when every change so far is written (tests; a page about to be closed by script). */
export async function whenSaved(): Promise<void> {
  if (timer !== null) {
    clearTimeout(timer);
    timer = null;
    void enqueue(writeSteps);
  }
  let q: Promise<void>;
  do {
    q = queue;
    await q;
  } while (q !== queue || timer !== null);
}

let started = false;
let urlDecision: Promise<boolean> = Promise.resolve(false);
let settleUrl: (restored: boolean) => void = () => undefined;

/**
 * For a page loaded with ?url=: true once the tab's own session of that address is restored (the model
 * is not to be fetched again), false as soon as it is known there is none (at once in a fresh tab) or
 * its restore failed.
 */
export function urlRestored(): Promise<boolean> {
  return urlDecision;
}

/**
 * Start keeping the tab's session; on a fresh visit or a reload, restore the last one. With `url` (the
 * page's ?url=), only the tab's own session of a model from that address is restored.
 */
export function startSessions(opts: { url: string | null }): Promise<void> {
  if (started) return Promise.resolve();
  started = true;
  const own = storedSid();
  if (opts.url !== null && own) urlDecision = new Promise((resolve) => (settleUrl = resolve));
  return start(own, opts.url).finally(() => settleUrl(false)); // (settles once: a restore may have said true first)
}

async function start(own: string | null, url: string | null): Promise<void> {
  openedListeners.push(opened);
  useApp.subscribe((s, prev) => {
    if (s.doc && s.doc.history !== prev.doc?.history && active && s.doc.docId === active.docId) schedule();
  });
  try {
    if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available');
    db = await SessionDb.open();
    // asked now, so that the first save after an open does not wait for the answer
    void indexedDbTakesBlobs();
  } catch (e) {
    dbError = e instanceof Error || e instanceof DOMException ? e.message || e.name : String(e);
    console.warn(`QONNX Studio: no session storage (${DB_NAME})`, e);
  }
  // ?url=: the tab's own session (a reload, a reopened or duplicated tab) if it is of that address;
  // otherwise the link opens what it names, and no session is restored
  let restoreOwn = url === null;
  if (url !== null && own && db) restoreOwn = sessionIsOfUrl(await db.meta(own).catch(() => undefined), url, document.baseURI);
  if (!restoreOwn) settleUrl(false);
  let from: { id: string; adopt: boolean } | null = null;
  const live = await rollCall();
  if (own && !live.has(own)) {
    sid = own; // a reload of this tab: its own session
    from = { id: own, adopt: true };
    void hold(own, 10_000);
  } else {
    saveSid(newId());
    void hold(sid);
    if (own) from = { id: own, adopt: false }; // a duplicated tab: a copy of the original's session
  }
  joinRollCall();
  if (!db) return;
  try {
    const all = await db.list();
    live.add(sid);
    // a fresh visit takes over a closed tab's session only to restore it (?url= leaves them all be)
    if (!from && !own && url === null) {
      for (const c of restoreCandidates(all, live)) {
        // the lock is taken: another fresh tab may have just taken this session (it answers now),
        // or a closed tab's lock is still held (Firefox; nobody answers)
        if (!(await hold(c.id)) && (await rollCall()).has(c.id)) continue;
        saveSid(c.id);
        from = { id: c.id, adopt: true };
        live.add(c.id);
        break;
      }
    }
    for (const id of sessionsToPrune(all, live)) if (id !== from?.id) await db.remove(id);
    if (from && restoreOwn && !useApp.getState().doc && !useApp.getState().loading) {
      if (await restore(from.id, from.adopt)) settleUrl(true);
      else {
        if (useApp.getState().loading?.stage === 'Restoring') useApp.getState().setLoading(null);
        // a session that cannot be opened any more would fail on every visit
        if (from.adopt && !useApp.getState().doc) await db.remove(from.id);
      }
    }
  } catch (e) {
    console.warn('QONNX Studio: could not restore the last session', e);
    if (useApp.getState().loading?.stage === 'Restoring') useApp.getState().setLoading(null);
  }
}
