/**
 * The rules of saved sessions, apart from the browser: which saved session a new tab takes over,
 * which old ones are dropped, and what of an opened model fits in the storage the browser grants.
 *
 * Each tab owns one session (its id is kept in the tab's sessionStorage, so a reload finds it). A tab
 * that is alive answers for its session (sessionSync.ts); a session nobody answers for belongs to a
 * tab that was closed (or crashed) and may be taken over by the next visit.
 */

/** What the session list keeps about each saved session. */
export interface SessionMeta {
  id: string;
  fileName: string;
  createdAt: number;
  updatedAt: number;
  /** sequence numbers of the stored steps after the opened file, in history order */
  order: number[];
  /** position in the history: 0 is the file as opened, i the step order[i - 1] */
  cursor: number;
  /** the labels of the steps, as the history shows them (order[i] -> labels[i]) */
  labels: string[];
  /** bytes stored for the opened files */
  fileBytes: number;
  /** external data files that were too large to keep: the user opens them again after a restore */
  dataNotKept: string[];
  /** the address the model was opened from (?url=, a bundled sample); absent for a local file */
  url?: string;
}

/** How many sessions of closed tabs are kept (the live tabs' sessions are always kept). */
export const KEEP_SESSIONS = 5;

/** The session a new tab restores: the most recently changed one that no live tab owns. */
export function restoreCandidates(sessions: SessionMeta[], live: ReadonlySet<string>): SessionMeta[] {
  return sessions.filter((s) => !live.has(s.id)).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Sessions to delete: those of closed tabs beyond the `keep` most recent ones. */
export function sessionsToPrune(sessions: SessionMeta[], live: ReadonlySet<string>, keep = KEEP_SESSIONS): string[] {
  return restoreCandidates(sessions, live)
    .slice(keep)
    .map((s) => s.id);
}

/**
 * A page loaded with ?url=`url` restores the tab's own session instead of fetching the model afresh
 * only when that session's model came from the same address (relative addresses resolved against the
 * app's `baseURI`); any other ?url= is a link that must open what it names.
 */
export function sessionIsOfUrl(meta: Pick<SessionMeta, 'url'> | undefined, url: string, baseURI: string): boolean {
  if (!meta?.url) return false;
  try {
    return new URL(meta.url, baseURI).href === new URL(url, baseURI).href;
  } catch {
    return false;
  }
}

export const lockName = (sessionId: string) => `qonnx-studio-session:${sessionId}`;

export interface StoragePlan {
  /** keep the session at all (the model file fits) */
  keep: boolean;
  /** external data files that are stored with it */
  data: string[];
  /** external data files left out: too large for the space left */
  dataNotKept: string[];
  /** why something is not kept, for the user */
  note?: string;
}

/** Space kept free for the steps of the history, beyond the files themselves. */
export const HISTORY_MARGIN = 8 * 2 ** 20;

const mb = (n: number) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MB`;

/**
 * What of an opened model is stored, given the space the browser still grants this site (`free`,
 * from navigator.storage.estimate(); undefined when the browser does not say). The model file comes
 * first; external data files follow, smallest first, while they fit.
 */
export function planStorage(model: { name: string; size: number }, data: { name: string; size: number }[], free: number | undefined): StoragePlan {
  if (free === undefined) return { keep: true, data: data.map((d) => d.name), dataNotKept: [] };
  if (model.size + HISTORY_MARGIN > free)
    return {
      keep: false,
      data: [],
      dataNotKept: data.map((d) => d.name),
      note: `This session will not be kept: ${model.name} (${mb(model.size)}) does not fit in the ${mb(Math.max(0, free))} of browser storage left for this site. Your edits work as usual; download the model to keep them.`,
    };
  let left = free - model.size - HISTORY_MARGIN;
  const kept: string[] = [];
  const notKept: string[] = [];
  for (const d of [...data].sort((a, b) => a.size - b.size)) {
    if (d.size <= left) {
      kept.push(d.name);
      left -= d.size;
    } else notKept.push(d.name);
  }
  const order = (names: string[]) => data.map((d) => d.name).filter((n) => names.includes(n));
  const plan: StoragePlan = { keep: true, data: order(kept), dataNotKept: order(notKept) };
  if (notKept.length) {
    const size = data.filter((d) => notKept.includes(d.name)).reduce((s, d) => s + d.size, 0);
    plan.note = `The external data ${notKept.length === 1 ? 'file' : 'files'} ${notKept.join(', ')} (${mb(size)}) ${notKept.length === 1 ? 'is' : 'are'} too large for the browser storage left for this site: the model and its edits are kept without ${notKept.length === 1 ? 'it' : 'them'}, so after a reload the weights stored there cannot be shown, run or exported until you open the model with ${notKept.length === 1 ? 'that file' : 'those files'} again.`;
  }
  return plan;
}

/** The notice after a restore. */
export function restoredMessage(meta: Pick<SessionMeta, 'fileName' | 'order' | 'cursor' | 'dataNotKept'>): string {
  const n = meta.order.length;
  const undone = n - meta.cursor;
  let s = `Restored your last session: ${meta.fileName}, ${n === 0 ? 'no edits' : `${n} ${n === 1 ? 'edit' : 'edits'}`}`;
  if (undone > 0 && n > 0) s += ` (${undone} undone)`;
  if (meta.dataNotKept.length) s += `, without ${meta.dataNotKept.join(', ')} (too large to keep: open the model with ${meta.dataNotKept.length === 1 ? 'it' : 'them'} again to see those weights)`;
  return s;
}
