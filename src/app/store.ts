/**
 * The application state (zustand). It holds the model history, selection and view state, and results
 * that workers computed, each keyed by the model version it belongs to so that a stale result is never
 * shown. Logic lives in src/core; this file only sequences it.
 */
import { create } from 'zustand';
import { isModelError } from '../core/errors.js';
import { canRedo, canUndo, current, jumpTo, pushVersion, redo, undo, type History } from '../core/ir/history.js';
import type { GraphProblem } from '../core/ir/validate.js';
import { validateModel } from '../core/ir/validate.js';
import { summarizeModel, type ModelSummary } from '../core/ir/summary.js';
import type { Model } from '../core/ir/types.js';
import { correspondingNode, hasTensor } from '../core/ir/correspond.js';
import type { ViewGraph } from '../core/view/viewGraph.js';
import type { CostReport } from '../core/analysis/inferenceCost.js';
import type { TaskProgress } from '../core/task.js';
import type { RunSummary, TensorError } from '../core/exec/runs.js';

export type Selection = { kind: 'node'; index: number } | { kind: 'tensor'; name: string } | null;

export interface Loading {
  stage: string;
  done: number;
  total?: number;
  fileName: string;
}

export interface Notice {
  kind: 'error' | 'info';
  message: string;
  where?: string;
  code?: string;
  /** a button beside the message (e.g. "Start fresh" after a restored session) */
  action?: { label: string; run: () => void };
}

export interface LayoutState {
  key: string;
  vg: ViewGraph;
  pos: Map<string, { x: number; y: number }>;
  routes: Map<string, Float64Array>;
  width: number;
  height: number;
  ms: number;
}

export interface Doc {
  /** the model worker's handle for its copy of the opened file */
  docId: number;
  fileName: string;
  history: History<Model>;
  problems: GraphProblem[];
  summary: ModelSummary;
  /** external data files the user provided, by file name */
  externalFiles: Map<string, File>;
  /** external data locations referenced by the model but not provided */
  missingExternal: string[];
  openedAt: number;
  timings: Record<string, number>;
  /** the address the model was opened from (?url=, a sample); undefined for a local file */
  source?: string;
}

export type OverlayMode = 'none' | 'bops' | 'memw' | 'memo' | 'error';

/** Results of running the model: the quantized run and, optionally, the float twin and their errors. */
export interface RunState {
  /** model version the results belong to */
  versionId: number;
  status: 'running' | 'done' | 'error' | 'cancelled';
  progress?: { done: number; total: number; stage: string };
  runId: number;
  quant?: RunSummary;
  float?: RunSummary;
  errors?: TensorError[];
  message?: string;
}

export interface CostState {
  key: string;
  report: CostReport;
  ms: number;
}

export interface AppState {
  doc: Doc | null;
  /** the cost of the current version under the current options (never a stale one: see key) */
  cost: CostState | null;
  costError: string | null;
  discountSparsity: boolean;
  costPanelOpen: boolean;
  runPanelOpen: boolean;
  quantPanelOpen: boolean;
  /** the precision explorer's panel */
  explorePanelOpen: boolean;
  dialog: 'transform' | 'compare' | null;
  /** the cost of the version that was opened, to show before -> after while editing */
  baselineCost: CostState | null;
  /** the cost being computed: its worker task (to cancel) and its last progress */
  costTask: { id: number; progress?: TaskProgress } | null;
  /** the user cancelled the cost of the current version; `costRetry` changes to compute it again */
  costCancelled: boolean;
  costRetry: number;
  run: RunState | null;
  overlay: OverlayMode;
  selection: Selection;
  showConstants: boolean;
  /** one box per layer (on by default for graphs of more than GROUP_BY_DEFAULT nodes) */
  groupLayers: boolean;
  layout: LayoutState | null;
  /** a new layout is being computed (the current one stays on screen until it arrives) */
  layoutBusy: { nodes: number } | null;
  loading: Loading | null;
  notice: Notice | null;
  searchOpen: boolean;
  sidebarTab: 'model' | 'selection';
  /** centre the view on this view-node id (consumed by the canvas) */
  focusRequest: { id: string; seq: number } | null;

  setDoc(doc: Doc): void;
  setCost(c: CostState | null, error?: string | null): void;
  setDiscountSparsity(v: boolean): void;
  setCostPanelOpen(v: boolean): void;
  setRunPanelOpen(v: boolean): void;
  setQuantPanelOpen(v: boolean): void;
  setExplorePanelOpen(v: boolean): void;
  setDialog(d: AppState['dialog']): void;
  setBaselineCost(c: CostState | null): void;
  setCostTask(t: { id: number; progress?: TaskProgress } | null): void;
  setCostCancelled(v: boolean): void;
  retryCost(): void;
  /** apply a pure edit to the current model as one undoable step */
  edit(fn: (m: Model) => Model, label: string): void;
  setRun(r: RunState | null): void;
  setOverlay(m: OverlayMode): void;
  commit(model: Model, label: string): void;
  undo(): void;
  redo(): void;
  jump(i: number): void;
  select(s: Selection, focus?: boolean): void;
  focus(id: string): void;
  setShowConstants(v: boolean): void;
  setGroupLayers(v: boolean): void;
  setLayout(l: LayoutState | null): void;
  setLayoutBusy(b: { nodes: number } | null): void;
  setLoading(l: Loading | null): void;
  notify(n: Notice | null): void;
  fail(e: unknown): void;
  setSearchOpen(v: boolean): void;
  setSidebarTab(t: AppState['sidebarTab']): void;
}

export function currentModel(s: Pick<AppState, 'doc'>): Model | null {
  return s.doc ? current(s.doc.history).value : null;
}

/**
 * The worker's summary when the current version is the model as opened (it describes that version
 * only): answers about it without reading the page's copy of the graph, which may not be decoded yet.
 */
export function openedSummary(s: Pick<AppState, 'doc'>): ModelSummary | null {
  return s.doc && current(s.doc.history).value === s.doc.history.versions[0].value ? s.doc.summary : null;
}

export function currentVersionId(s: Pick<AppState, 'doc'>): number {
  return s.doc ? current(s.doc.history).id : 0;
}

let focusSeq = 0;

/** Graphs with more nodes than this open with layers grouped. */
export const GROUP_BY_DEFAULT = 2000;

/** Identifies a cost result: which model version, which options. */
export function costKey(versionId: number, discountSparsity: boolean): string {
  return `${versionId}:${discountSparsity}`;
}

/** Identifies a laid-out view: which model version, which view options. */
export function layoutKey(versionId: number, showConstants: boolean, groupLayers: boolean): string {
  return `${versionId}:${showConstants}:${groupLayers}`;
}

export const useApp = create<AppState>((set, get) => ({
  doc: null,
  cost: null,
  costError: null,
  discountSparsity: true,
  costPanelOpen: false,
  runPanelOpen: false,
  quantPanelOpen: false,
  explorePanelOpen: false,
  dialog: null,
  baselineCost: null,
  costTask: null,
  costCancelled: false,
  costRetry: 0,
  run: null,
  overlay: 'none',
  selection: null,
  showConstants: false,
  groupLayers: false,
  layout: null,
  layoutBusy: null,
  loading: null,
  notice: null,
  searchOpen: false,
  sidebarTab: 'model',
  focusRequest: null,

  setDoc: (doc) => set({ doc, selection: null, layout: null, notice: null, sidebarTab: 'model', showConstants: false, groupLayers: doc.summary.node_count > GROUP_BY_DEFAULT, cost: null, costError: null, run: null, baselineCost: null, costCancelled: false, layoutBusy: null }),
  setCost: (cost, costError = null) => set({ cost, costError }),
  setDiscountSparsity: (discountSparsity) => set({ discountSparsity }),
  setCostPanelOpen: (costPanelOpen) => set(costPanelOpen ? { costPanelOpen, runPanelOpen: false, quantPanelOpen: false, explorePanelOpen: false } : { costPanelOpen }),
  setRunPanelOpen: (runPanelOpen) => set(runPanelOpen ? { runPanelOpen, costPanelOpen: false, quantPanelOpen: false, explorePanelOpen: false } : { runPanelOpen }),
  setQuantPanelOpen: (quantPanelOpen) => set(quantPanelOpen ? { quantPanelOpen, costPanelOpen: false, runPanelOpen: false, explorePanelOpen: false } : { quantPanelOpen }),
  setExplorePanelOpen: (explorePanelOpen) => set(explorePanelOpen ? { explorePanelOpen, costPanelOpen: false, runPanelOpen: false, quantPanelOpen: false } : { explorePanelOpen }),
  setBaselineCost: (baselineCost) => set({ baselineCost }),
  setCostTask: (costTask) => set({ costTask }),
  setCostCancelled: (costCancelled) => set({ costCancelled }),
  retryCost: () => set((s) => ({ costRetry: s.costRetry + 1, costCancelled: false })),
  setDialog: (dialog) => set({ dialog }),
  edit: (fn, label) => {
    const m = currentModel(get());
    if (!m) return;
    try {
      const next = fn(m);
      if (next !== m) get().commit(next, label);
    } catch (e) {
      get().fail(e);
    }
  },
  setRun: (run) => set({ run }),
  setOverlay: (overlay) => set({ overlay }),
  commit: (model, label) => {
    const doc = get().doc;
    if (!doc) return;
    set({ doc: { ...doc, history: pushVersion(doc.history, model, label), problems: validateModel(model), summary: summarizeModel(model) }, ...carrySelection(get(), current(doc.history).value, model) });
  },
  undo: () => moveHistory(get, set, undo),
  redo: () => moveHistory(get, set, redo),
  jump: (i) => moveHistory(get, set, (h) => jumpTo(h, i)),
  select: (selection, focus) => {
    set({ selection, sidebarTab: selection ? 'selection' : 'model' });
    if (focus && selection) {
      const vg = get().layout?.vg;
      if (!vg) return;
      const id = selection.kind === 'node' ? vg.nodeIdOf.get(selection.index) : edgeTargetOf(vg, selection.name);
      if (id) get().focus(id);
    }
  },
  focus: (id) => set({ focusRequest: { id, seq: ++focusSeq } }),
  setShowConstants: (showConstants) => set({ showConstants }),
  setGroupLayers: (groupLayers) => set({ groupLayers }),
  setLayoutBusy: (layoutBusy) => set({ layoutBusy }),
  setLayout: (layout) => set({ layout }),
  setLoading: (loading) => set({ loading }),
  notify: (notice) => set({ notice }),
  fail: (e) => {
    const notice: Notice = isModelError(e)
      ? { kind: 'error', message: e.message, where: e.where, code: e.code }
      : { kind: 'error', message: e instanceof Error ? e.message : String(e) };
    set({ notice, loading: null });
  },
  setSearchOpen: (searchOpen) => set({ searchOpen }),
  setSidebarTab: (sidebarTab) => set({ sidebarTab }),
}));

function edgeTargetOf(vg: ViewGraph, tensor: string): string | undefined {
  const e = vg.edgesOfTensor.get(tensor)?.[0];
  if (!e) return vg.nodes.find((n) => n.tensor === tensor)?.id;
  return vg.edges.find((x) => x.id === e)?.source;
}

function moveHistory(get: () => AppState, set: (p: Partial<AppState>) => void, fn: (h: History<Model>) => History<Model>) {
  const doc = get().doc;
  if (!doc) return;
  const history = fn(doc.history);
  if (history === doc.history) return;
  const model = current(history).value;
  set({ doc: { ...doc, history, problems: validateModel(model), summary: summarizeModel(model) }, ...carrySelection(get(), current(doc.history).value, model) });
}

/** The selection in the new version: the same node or tensor, or nothing when it is gone. */
function carrySelection(st: AppState, from: Model, to: Model): Pick<AppState, 'selection' | 'sidebarTab'> | Record<string, never> {
  const sel = st.selection;
  if (!sel) return {};
  const next: Selection = sel.kind === 'node' ? ((i) => (i === undefined ? null : { kind: 'node', index: i }))(correspondingNode(from, sel.index, to)) : hasTensor(to, sel.name) ? sel : null;
  if (next && sel.kind === 'node' && next.kind === 'node' && next.index === sel.index) return {};
  return { selection: next, sidebarTab: next ? st.sidebarTab : 'model' };
}

export { canRedo, canUndo, current };
