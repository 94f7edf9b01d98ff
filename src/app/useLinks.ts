/**
 * Keeps the address bar and the view in step (see links.ts for the format):
 * - when a model has opened (and is laid out), the hash the page was loaded with selects and centres
 *   its node or tensor and opens its panel; a name the model does not have is said in a notice;
 * - a hash the user edits by hand (hashchange) is applied the same way;
 * - as the user selects and opens panels, the hash follows with history.replaceState (no history
 *   entry per click), and ?url= names the open model's address (dropped for a local file).
 */
import { useEffect } from 'react';
import { currentModel, currentVersionId, useApp, type AppState } from './store.js';
import { formatLinkHash, linkHref, parseLinkHash, resolveLink, targetOf, type LinkPanel } from './links.js';

/** The open bottom panel, as a link names it. */
export function openPanel(s: AppState): LinkPanel | undefined {
  return s.costPanelOpen ? 'cost' : s.quantPanelOpen ? 'quantizers' : s.runPanelOpen ? 'run' : s.explorePanelOpen ? 'explore' : undefined;
}

/** The link to what the app shows now. */
export function currentLink(): string {
  const s = useApp.getState();
  const hash = formatLinkHash(targetOf(currentModel(s), s.selection, openPanel(s)));
  return linkHref(window.location.href, document.baseURI, s.doc?.source, hash);
}

function openPanelNamed(p: LinkPanel) {
  const s = useApp.getState();
  if (p === 'cost') s.setCostPanelOpen(true);
  else if (p === 'quantizers') s.setQuantPanelOpen(true);
  else if (p === 'run') s.setRunPanelOpen(true);
  else s.setExplorePanelOpen(true);
}

/** Select, centre and open what the location's hash names; say what the model does not have. */
function applyHash(hash: string) {
  const s = useApp.getState();
  const model = currentModel(s);
  if (!model) return;
  const r = resolveLink(model, parseLinkHash(hash));
  const sel = r.selection;
  if (r.panel && openPanel(s) !== r.panel) {
    openPanelNamed(r.panel);
    if (sel) {
      // The panel shrinks the graph area: centre once the canvas has its new size (unless the user moved on).
      s.select(sel);
      requestAnimationFrame(() => requestAnimationFrame(() => useApp.getState().selection === sel && useApp.getState().select(sel, true)));
    }
  } else if (sel) s.select(sel, true);
  if (r.missing.length)
    s.notify({ kind: 'info', code: 'link-not-found', message: `${r.missing.join('\n')}\nThe model is open; the rest of the link was applied.` });
}

/** The hash still waits to be applied to the next model that opens (the page's own, or one typed before any model). */
let pending = true;
/** the opened model (file + time) the hash was last applied to or written for */
let lastDoc = '';

function writeLocation() {
  const next = currentLink();
  if (next !== window.location.href) window.history.replaceState(window.history.state, '', next);
}

export function useLinkSync(): void {
  const doc = useApp((s) => s.doc);
  const docKey = doc ? `${doc.docId}:${doc.openedAt}` : '';
  // laid out as it stands (a restored session opens with its edits, laid out after the file as opened)
  const laidOut = useApp((s) => s.layout !== null && s.layout.key.startsWith(`${currentVersionId(s)}:`));
  const selection = useApp((s) => s.selection);
  const panel = useApp(openPanel);
  const model = useApp(currentModel);

  // A model has opened and has its first layout: apply the hash once, else show its own (empty) selection.
  useEffect(() => {
    if (!docKey || !laidOut || docKey === lastDoc) return;
    lastDoc = docKey;
    if (pending) {
      pending = false;
      applyHash(window.location.hash);
    }
    writeLocation();
  }, [docKey, laidOut]);

  // The hash follows the selection and the open panel (reading the store, not this render's values,
  // so an apply that just ran in the effect above is what gets written).
  useEffect(() => {
    if (!docKey || pending || docKey !== lastDoc) return;
    writeLocation();
  }, [docKey, selection, panel, model]);

  // The user edited the hash: apply it now, or to the model that opens next.
  useEffect(() => {
    const onHash = () => {
      if (useApp.getState().doc && lastDoc) {
        applyHash(window.location.hash);
        writeLocation(); // the address says what is shown (a name that was not found is in the notice)
      } else pending = true;
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
}

/** What the Copy link button's tooltip says: a local file is not in the link. */
export function copyLinkTitle(fromFile: boolean, key: string): string {
  return fromFile
    ? `Copy a link to the selection and the open panel (${key}). This model came from a local file, which a link cannot carry: whoever follows it must open the same file again (a model opened by ?url= or a sample is reopened by the link itself).`
    : `Copy a link that opens this model with the selection and the open panel (${key})`;
}

/** Put the link to what the app shows on the clipboard, and say so (showing the link if the clipboard refuses). */
export async function copyLink(): Promise<void> {
  const s = useApp.getState();
  if (!s.doc) return;
  const link = currentLink();
  const fromFile = s.doc.source === undefined;
  const note = fromFile ? `\n${s.doc.fileName} was opened from a local file: the link does not carry it; open the same file after following the link.` : '';
  try {
    await navigator.clipboard.writeText(link);
    s.notify({ kind: 'info', code: 'link-copied', message: `Link copied: ${link}${note}` });
  } catch {
    s.notify({ kind: 'info', code: 'link-not-copied', message: `The browser did not allow copying; the link is:\n${link}${note}` });
  }
}
