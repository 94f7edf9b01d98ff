/**
 * Links to what the user is looking at: `?url=<model>#node=<name>`, `#tensor=<name>`, `#panel=cost`.
 *
 * The hash names a node or a tensor by its name (names are what survive a reload; indices are not
 * stable across tools) and the open bottom panel. Names are percent-encoded with encodeURIComponent,
 * so '/', ':', '&', '=' and '#' in ONNX names (PyTorch exports: '/conv1/Conv', 'onnx::Conv_41') stay
 * inside their field. Everything here is pure: the hook in useLinks.ts reads and writes the location.
 */
import { hasTensor } from '../core/ir/correspond.js';
import type { Model } from '../core/ir/types.js';
import type { Selection } from './store.js';

/** The bottom panels a link can open, by the word the hash uses. */
export const LINK_PANELS = ['cost', 'quantizers', 'run', 'explore'] as const;
export type LinkPanel = (typeof LINK_PANELS)[number];

export interface LinkTarget {
  node?: string;
  tensor?: string;
  panel?: LinkPanel;
}

export interface ParsedLink extends LinkTarget {
  /** fields the hash had that mean nothing here, as written (e.g. "panel=costs", "zoom=2") */
  unknown: string[];
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a lone '%' typed by hand: take it literally
  }
}

/** Read a location hash ("#node=a%2Fb&panel=cost", with or without the '#'). */
export function parseLinkHash(hash: string): ParsedLink {
  const out: ParsedLink = { unknown: [] };
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const part of body.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (key === 'node' && value) out.node = value;
    else if (key === 'tensor' && value) out.tensor = value;
    else if (key === 'panel' && (LINK_PANELS as readonly string[]).includes(value)) out.panel = value as LinkPanel;
    else out.unknown.push(decode(part));
  }
  return out;
}

/** The hash for a target: "" when there is nothing to point at, else "#node=...&panel=...". */
export function formatLinkHash(t: LinkTarget): string {
  const parts: string[] = [];
  if (t.node) parts.push(`node=${encodeURIComponent(t.node)}`);
  else if (t.tensor) parts.push(`tensor=${encodeURIComponent(t.tensor)}`);
  if (t.panel) parts.push(`panel=${t.panel}`);
  return parts.length ? `#${parts.join('&')}` : '';
}

/** What the app shows, as a link target. An unnamed node cannot be linked to (its index is not a name). */
export function targetOf(model: Model | null, selection: Selection, panel: LinkPanel | undefined): LinkTarget {
  const t: LinkTarget = {};
  if (selection?.kind === 'node') {
    const name = model?.graph?.node?.[selection.index]?.name;
    if (name) t.node = name;
  } else if (selection?.kind === 'tensor') t.tensor = selection.name;
  if (panel) t.panel = panel;
  return t;
}

export interface ResolvedLink {
  selection: Selection;
  panel?: LinkPanel;
  /** what the link names that this model does not have, one sentence each */
  missing: string[];
}

/** Find what a parsed link names in a model: the first node of that name, a tensor of that name. */
export function resolveLink(model: Model, link: ParsedLink): ResolvedLink {
  const missing: string[] = [];
  let selection: Selection = null;
  if (link.node !== undefined) {
    const index = (model.graph?.node ?? []).findIndex((n) => n.name === link.node);
    if (index >= 0) selection = { kind: 'node', index };
    else missing.push(`No node named "${link.node}" in this model.`);
  }
  if (link.tensor !== undefined && !selection) {
    if (hasTensor(model, link.tensor)) selection = { kind: 'tensor', name: link.tensor };
    else missing.push(`No tensor named "${link.tensor}" in this model.`);
  }
  for (const u of link.unknown) missing.push(`The link's "${u}" means nothing here (it can say node=, tensor=, panel=${LINK_PANELS.join('|')}).`);
  return { selection, panel: link.panel, missing };
}

/**
 * The address of the page for a model and a hash. `source` is the address the model was opened from
 * (undefined for a local file): it goes into ?url= (relative to the app when it lies under it), and
 * a ?url= of another model is dropped, since reloading it would open something else. Other query
 * parameters stay. When ?url= already names the source, the query is kept exactly as written.
 */
export function linkHref(href: string, baseURI: string, source: string | undefined, hash: string): string {
  const u = new URL(href);
  const params = new URLSearchParams(u.search);
  const present = params.get('url');
  const sameSource = present !== null && source !== undefined && new URL(present, baseURI).href === new URL(source, baseURI).href;
  if (!sameSource) {
    if (source === undefined) params.delete('url');
    else {
      const abs = new URL(source, baseURI).href;
      const base = new URL('.', baseURI).href;
      params.set('url', abs.startsWith(base) && !abs.slice(base.length).includes('?') ? abs.slice(base.length) : abs);
    }
    const q = params.toString();
    // keep '/' and ':' readable in ?url= (both are allowed in a query)
    u.search = q ? `?${q.replace(/%2F/gi, '/').replace(/%3A/gi, ':')}` : '';
  }
  u.hash = hash;
  return u.href;
}
