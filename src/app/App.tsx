import { useCallback, useEffect, useRef, useState } from 'react';
import { indexGraph } from '../core/ir/graphIndex.js';
import { COMMANDS, commandFor, keyLabel, openPicker } from './commands.js';
import { GraphCanvas } from './graph/GraphCanvas.js';
import { cancelOpen, openFiles, openUrl } from './open.js';
import { SearchBox } from './Search.js';
import { Sidebar } from './Sidebar.js';
import { StartScreen } from './StartScreen.js';
import { canRedo, canUndo, currentModel, useApp } from './store.js';
import { useLayoutSync } from './useLayout.js';
import { copyLink, copyLinkTitle, useLinkSync } from './useLinks.js';
import { useCostSync } from './cost/useCost.js';
import { urlRestored } from './session/sessionSync.js';
import { CostPanel } from './cost/CostPanel.js';
import { partialSummary } from '../core/analysis/inferenceCost.js';
import { RunPanel } from './run/RunPanel.js';
import { QuantizerTable } from './edit/QuantizerTable.js';
import { TransformDialog } from './edit/TransformDialog.js';
import { CompareDialog } from './edit/CompareDialog.js';
import { ExplorePanel } from './explore/ExplorePanel.js';
import type { OverlayMode } from './store.js';
import { formatBytes } from './sidebar/format.js';

export function App() {
  const doc = useApp((s) => s.doc);
  const loading = useApp((s) => s.loading);
  const notice = useApp((s) => s.notice);
  // the search box opens where a notice floats (the top of the graph area): the notice then moves down
  const searchOpen = useApp((s) => s.searchOpen);
  const layout = useApp((s) => s.layout);
  const costPanelOpen = useApp((s) => s.costPanelOpen);
  const runPanelOpen = useApp((s) => s.runPanelOpen);
  const quantPanelOpen = useApp((s) => s.quantPanelOpen);
  const explorePanelOpen = useApp((s) => s.explorePanelOpen);
  const dialog = useApp((s) => s.dialog);
  const overlay = useApp((s) => s.overlay);
  const cost = useApp((s) => s.cost);
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  useLayoutSync();
  useCostSync();
  useLinkSync();

  openPicker.current = () => fileInput.current?.click();

  // ?url= opens a model by address once at start (unless it is the tab's saved session, restored with its edits).
  useEffect(() => {
    const url = new URLSearchParams(window.location.search).get('url');
    if (!url) return;
    void urlRestored().then((restored) => {
      if (!restored && !useApp.getState().doc) void openUrl(url);
    });
  }, []);

  // Esc stops an open in progress.
  const isLoading = !!loading;
  useEffect(() => {
    if (!isLoading) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && cancelOpen();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [isLoading]);

  // Keyboard: commands from the registry, then graph navigation.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
      if (typing && !(e.ctrlKey || e.metaKey)) return;
      const cmd = commandFor(e);
      if (cmd) {
        e.preventDefault();
        void cmd.run();
        return;
      }
      navigate(e);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onDrop = useCallback((e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) void openFiles(files);
  }, []);

  return (
    <div
      className="app"
      onDragOver={(e) => {
        e.preventDefault();
        if (!dragging) setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="topbar">
        <span className="brand">QONNX Studio</span>
        <button onClick={() => openPicker.current()} title={`Open a model (${keyLabel('Mod+O')})`} data-testid="open">Open</button>
        <input
          ref={fileInput}
          type="file"
          multiple
          accept=".onnx,.data,.bin,.pb,.weights,*"
          data-testid="file-input"
          style={{ display: 'none' }}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) void openFiles(files);
          }}
        />
        {doc && (
          <>
            <span className="filename mono" title={doc.fileName} data-testid="file-name">{doc.fileName}</span>
            <ExportMenu />
            <button disabled={!canUndo(doc.history)} onClick={() => useApp.getState().undo()} title={`Undo (${keyLabel('Mod+Z')})`}>↶</button>
            <button disabled={!canRedo(doc.history)} onClick={() => useApp.getState().redo()} title={`Redo (${keyLabel('Mod+Shift+Z')})`}>↷</button>

            <button onClick={() => useApp.getState().setSearchOpen(true)} title={`Find (${keyLabel('Mod+F')})`} data-testid="search-button">Find</button>
            <button onClick={() => void copyLink()} title={copyLinkTitle(doc.source === undefined, 'L')} data-testid="copy-link">Copy link</button>
            <button
              className={costPanelOpen ? 'is-active' : ''}
              onClick={() => useApp.getState().setCostPanelOpen(!costPanelOpen)}
              title="Inference cost: MACs, BOPs, weight and output memory, as qonnx-inference-cost (K)"
              data-testid="cost-button"
            >
              Cost{cost ? ` · ${formatBops(Number(cost.report.total_cost.total_bops))} BOPs` : ''}
              {cost && partialSummary(cost.report) && (
                <span
                  className="cost-chip"
                  data-testid="cost-partial-chip"
                  title={`The BOPs count only the costed layers. Not costed:\n${cost.report.uncosted.slice(0, 20).map((u) => `${u.node}: ${u.reason}`).join('\n')}${cost.report.uncosted.length > 20 ? `\n… and ${cost.report.uncosted.length - 20} more (the cost panel lists them)` : ''}`}
                >
                  {partialSummary(cost.report)}
                </span>
              )}
            </button>
            <button onClick={() => useApp.getState().setDialog('transform')} title="Transformations: cleanup, fold constants, QCDQ, channels-last, pruning… (T)" data-testid="transform-button">
              Transform
            </button>
            <button onClick={() => useApp.getState().setDialog('compare')} title="Compare with the opened version or another file" data-testid="compare-button">
              Compare
            </button>
            <button
              className={quantPanelOpen ? 'is-active' : ''}
              onClick={() => useApp.getState().setQuantPanelOpen(!quantPanelOpen)}
              title="Every quantizer in an editable table, with bulk bit-width changes (Q)"
              data-testid="quant-panel-button"
            >
              Quantizers
            </button>
            <button
              className={runPanelOpen ? 'is-active' : ''}
              onClick={() => useApp.getState().setRunPanelOpen(!runPanelOpen)}
              title="Run the model in the browser and compare it with its float twin (R)"
              data-testid="run-panel-button"
            >
              Run
            </button>
            <button
              className={explorePanelOpen ? 'is-active' : ''}
              onClick={() => useApp.getState().setExplorePanelOpen(!explorePanelOpen)}
              title="Precision explorer: per-quantizer sensitivity and the cost/error Pareto front of bit widths (E)"
              data-testid="explore-button"
            >
              Explore
            </button>
            <label className="toggle" title="Colour the graph by cost share or by quantization error">
              overlay
              <select className="overlay-select" value={overlay} onChange={(e) => useApp.getState().setOverlay(e.target.value as OverlayMode)} data-testid="overlay-select">
                <option value="none">none</option>
                <option value="bops">BOPs</option>
                <option value="memw">weight memory</option>
                <option value="memo">output memory</option>
                <option value="error">quantization error</option>
              </select>
            </label>
          </>
        )}
        <span className="spacer" />
        <button className="icon" title="Keyboard shortcuts (?)" onClick={() => COMMANDS.find((c) => c.id === 'shortcuts')!.run()}>?</button>
      </header>
      <main className="main">
        {notice && (
          <div className={`notice notice-${notice.kind}${doc && searchOpen ? ' notice-low' : ''}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice" data-code={notice.code ?? ''}>
            <pre className="notice-text">{notice.message}{notice.where ? `\n(at ${notice.where})` : ''}</pre>
            {notice.action && <button onClick={notice.action.run} data-testid="notice-action">{notice.action.label}</button>}
            <button className="icon" onClick={() => useApp.getState().notify(null)} title="Dismiss">×</button>
          </div>
        )}
        {doc ? (
          <>
            <div className="center-column">
              <section className="graph-area">
                <SearchBox />
                {layout ? <GraphCanvas /> : <div className="placeholder">Laying out {doc.summary.node_count.toLocaleString('en-US')} nodes…</div>}
              </section>
              {costPanelOpen && <CostPanel />}
              {runPanelOpen && <RunPanel />}
              {quantPanelOpen && <QuantizerTable />}
              {explorePanelOpen && <ExplorePanel />}
            </div>
            <Sidebar />
          </>
        ) : (
          !loading && <StartScreen onPick={() => openPicker.current()} />
        )}
        {loading && (
          <div className="loading" data-testid="loading" role="progressbar" aria-valuenow={loading.total ? Math.round((100 * loading.done) / loading.total) : undefined}>
            <div>{loading.stage} {loading.fileName}…</div>
            <div className="bar"><div style={{ width: loading.total ? `${(100 * loading.done) / loading.total}%` : '30%' }} /></div>
            <div className="muted small">{formatBytes(loading.done)}{loading.total ? ` of ${formatBytes(loading.total)}` : ''}</div>
            <button onClick={cancelOpen} title="Stop opening this model (Esc)" data-testid="loading-cancel">Cancel</button>
          </div>
        )}
        {dialog === 'transform' && <TransformDialog onClose={() => useApp.getState().setDialog(null)} />}
        {dialog === 'compare' && <CompareDialog onClose={() => useApp.getState().setDialog(null)} />}
        {dragging && <div className="dropzone">Drop an .onnx model (and its external data files)</div>}
      </main>
    </div>
  );
}

function formatBops(v: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of units) if (v >= f) return `${(v / f).toPrecision(3)}${p}`;
  return String(v);
}

function ExportMenu() {
  // Where the list opens: fixed under the button, above the panels and the graph.
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  const setOpen = (open: boolean, button?: HTMLElement) => {
    const r = open ? button?.getBoundingClientRect() : undefined;
    setAt(r ? { left: r.left, top: r.bottom } : null);
  };
  const items = COMMANDS.filter((c) => c.group === 'file' && c.id.startsWith('export'));
  const menu = useRef<HTMLDivElement>(null);
  // An open list closes on Escape and on a press anywhere else, as a menu does.
  useEffect(() => {
    if (!at) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      setAt(null);
    };
    const onDown = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as globalThis.Node)) setAt(null);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('pointerdown', onDown, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('pointerdown', onDown, true);
    };
  }, [at]);
  return (
    <div className="menu" ref={menu}>
      <button onClick={(e) => setOpen(!at, e.currentTarget)} data-testid="export-menu">Export ▾</button>
      {at && (
        <ul className="menu-list" style={{ position: 'fixed', left: at.left, top: at.top }} onMouseLeave={() => setOpen(false)}>
          {items.map((c) => (
            <li key={c.id}>
              <button
                data-testid={`cmd-${c.id}`}
                disabled={!(c.enabled?.() ?? true)}
                onClick={() => {
                  setOpen(false);
                  void c.run();
                }}
              >
                {c.title}
                {c.keys ? <span className="muted"> {keyLabel(c.keys[0])}</span> : null}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Arrow keys walk the graph from the selected node; Enter centres it. */
function navigate(e: KeyboardEvent) {
  const st = useApp.getState();
  const model = currentModel(st);
  const sel = st.selection;
  if (!model || !['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Enter'].includes(e.key)) return;
  const idx = indexGraph(model.graph ?? {});
  if (!sel || sel.kind !== 'node') {
    if (e.key.startsWith('Arrow') && idx.order.length) {
      e.preventDefault();
      st.select({ kind: 'node', index: idx.order[0] }, true);
    }
    return;
  }
  const n = idx.nodes[sel.index];
  let next: number | undefined;
  if (e.key === 'ArrowUp') {
    for (const t of n?.input ?? []) {
      const p = t ? idx.producer.get(t) : undefined;
      if (p !== undefined) { next = p; break; }
    }
  } else if (e.key === 'ArrowDown') {
    for (const t of n?.output ?? []) {
      const c = idx.consumers.get(t)?.[0];
      if (c !== undefined) { next = c; break; }
    }
  } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    const at = idx.order.indexOf(sel.index);
    next = idx.order[at + (e.key === 'ArrowLeft' ? -1 : 1)];
  } else if (e.key === 'Enter') {
    e.preventDefault();
    st.select(sel, true);
    return;
  }
  if (next !== undefined) {
    e.preventDefault();
    st.select({ kind: 'node', index: next }, true);
  }
}
