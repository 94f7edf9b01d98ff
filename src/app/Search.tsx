/** Find nodes and tensors by name or op type; Enter / Shift+Enter step through the hits. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { indexGraph } from '../core/ir/graphIndex.js';
import { currentModel, useApp } from './store.js';

export interface SearchHit {
  kind: 'node' | 'tensor';
  index?: number;
  name: string;
  detail: string;
}

export function searchModel(model: ReturnType<typeof currentModel>, query: string, limit = 500): SearchHit[] {
  const q = query.trim().toLowerCase();
  if (!model || !q) return [];
  const idx = indexGraph(model.graph ?? {});
  const hits: SearchHit[] = [];
  idx.nodes.forEach((n, i) => {
    if (hits.length >= limit) return;
    const name = n.name ?? '';
    const op = n.opType ?? '';
    if (name.toLowerCase().includes(q) || op.toLowerCase().includes(q)) hits.push({ kind: 'node', index: i, name: name || `#${i}`, detail: op });
  });
  const seen = new Set<string>();
  const addTensor = (t: string, detail: string) => {
    if (hits.length >= limit || !t || seen.has(t) || !t.toLowerCase().includes(q)) return;
    seen.add(t);
    hits.push({ kind: 'tensor', name: t, detail });
  };
  for (const i of model.graph?.input ?? []) addTensor(i.name ?? '', 'input');
  for (const n of idx.nodes) for (const o of n.output ?? []) addTensor(o, 'tensor');
  for (const t of model.graph?.initializer ?? []) addTensor(t.name ?? '', 'initializer');
  return hits;
}

export function SearchBox() {
  const open = useApp((s) => s.searchOpen);
  const model = useApp((s) => currentModel(s));
  const [q, setQ] = useState('');
  const [at, setAt] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const hits = useMemo(() => searchModel(model, q), [model, q]);
  useEffect(() => {
    if (open) {
      input.current?.focus();
      input.current?.select();
    }
  }, [open]);
  useEffect(() => setAt(0), [q]);
  if (!open) return null;
  const go = (k: number) => {
    if (!hits.length) return;
    const i = ((k % hits.length) + hits.length) % hits.length;
    setAt(i);
    const h = hits[i];
    useApp.getState().select(h.kind === 'node' ? { kind: 'node', index: h.index! } : { kind: 'tensor', name: h.name }, true);
  };
  return (
    <div className="search" role="search">
      <input
        ref={input}
        data-testid="search-input"
        placeholder="Find node, op type or tensor…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            go(e.shiftKey ? at - 1 : hits.length && useApp.getState().selection ? at + (isCurrent(hits[at]) ? 1 : 0) : at);
          } else if (e.key === 'Escape') {
            useApp.getState().setSearchOpen(false);
          }
          e.stopPropagation();
        }}
      />
      <span className="search-count" data-testid="search-count">{q ? (hits.length ? `${at + 1} / ${hits.length}${hits.length >= 500 ? '+' : ''}` : 'no match') : ''}</span>
      {q && hits.length > 0 && (
        <ul className="search-hits">
          {hits.slice(0, 12).map((h, i) => (
            <li key={`${h.kind}${h.name}${h.index}`} className={i === at ? 'is-active' : ''}>
              <button className="linklike" onClick={() => go(i)}>
                <span className="mono">{h.name}</span> <span className="muted">{h.detail}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button className="icon" title="Close (Esc)" onClick={() => useApp.getState().setSearchOpen(false)}>×</button>
    </div>
  );
}

function isCurrent(h: SearchHit | undefined): boolean {
  const s = useApp.getState().selection;
  if (!h || !s) return false;
  return h.kind === 'node' ? s.kind === 'node' && s.index === h.index : s.kind === 'tensor' && s.name === h.name;
}
