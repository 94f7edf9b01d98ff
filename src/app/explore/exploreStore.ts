/**
 * The precision explorer's page state: the settings of the next sweep, and the sweep in progress or
 * finished (its plan, the events as they arrived, timings), tied to the model version it explored.
 */
import { create } from 'zustand';
import type { ConfigPoint, ExplorePlan, SensitivityEntry } from '../../core/explore/explore.js';
import type { QuantizerRole } from '../../core/ir/quantizerRoles.js';
import type { ExploreTimings } from '../../workers/explore.worker.js';
import type { ImageScaling } from '../run/imageInput.js';
import type { XKey, YKey } from './exploreFormat.js';

export type SourceKind = 'random' | 'arrays' | 'images';

export interface ExploreSettings {
  source: SourceKind;
  /** random: sample count and seed */
  n: number;
  seed: number;
  /** arrays: a .npz (one array per graph input) or a .npy (one-input models) */
  arraysFile: File | null;
  images: File[];
  scaling: ImageScaling;
  /** .npy of class indices, one per sample */
  labelsFile: File | null;
  /** candidate widths as typed: "2,3,4,5,6,8" */
  bits: string;
  kinds: QuantizerRole[];
  fixFirstLast: boolean;
  /** quantizers kept at their widths (names) */
  fixed: string[];
  reference: 'float' | 'model';
  maxPoints: number;
}

export const DEFAULT_SETTINGS: ExploreSettings = {
  source: 'random',
  n: 16,
  seed: 0,
  arraysFile: null,
  images: [],
  scaling: 'unit',
  labelsFile: null,
  bits: '2,3,4,5,6,8',
  kinds: ['weight', 'activation'],
  fixFirstLast: false,
  fixed: [],
  reference: 'float',
  maxPoints: 20,
};

/** A row of the sensitivity map: a quantizer of the kinds chosen, taking part or kept at its width. */
export interface MapRow {
  name: string;
  node: number;
  kind: QuantizerRole;
  /** the width it has in the swept (or previewed) model */
  current: number;
  candidates: number[];
  /** why it does not take part, if it does not */
  fixedBy?: 'you' | 'first/last';
}

export interface ExploreProgressView {
  label: string;
  done: number;
  total: number;
}

export interface ExploreRun {
  id: number;
  /** the document and version explored (results apply to it, and to versions made by applying them) */
  docId: number;
  versionId: number;
  status: 'preparing' | 'running' | 'done' | 'cancelled' | 'error';
  message?: string;
  progress?: ExploreProgressView;
  plan?: ExplorePlan;
  /** the map's rows when the sweep started */
  rows: MapRow[];
  samples?: number;
  poolSize?: number;
  /** estimated memory of one runner (bytes), and the samples it stacks into one run */
  runnerBytes?: number;
  maxBatch?: number;
  reference: 'float' | 'model';
  hasLabels: boolean;
  baseline?: ConfigPoint;
  sensitivity: SensitivityEntry[];
  points: ConfigPoint[];
  pareto?: ConfigPoint[];
  runs?: number;
  timings?: ExploreTimings;
  /** page-side wall time from Start to the end (ms) */
  wallMs?: number;
  startedAt: number;
  /** versions made by applying a configuration of this sweep */
  applied: number[];
}

interface ExploreState {
  settings: ExploreSettings;
  run: ExploreRun | null;
  xKey: XKey;
  yKey: YKey;
  setSettings(p: Partial<ExploreSettings>): void;
  setRun(r: ExploreRun | null): void;
  /** change the run with this id (a stale sweep's late events are dropped) */
  patchRun(id: number, fn: (r: ExploreRun) => Partial<ExploreRun>): void;
  setAxes(p: { xKey?: XKey; yKey?: YKey }): void;
}

export const useExplore = create<ExploreState>((set, get) => ({
  settings: DEFAULT_SETTINGS,
  run: null,
  xKey: 'bops',
  yKey: 'sqnr',
  setSettings: (p) => set({ settings: { ...get().settings, ...p } }),
  setRun: (run) => set({ run }),
  patchRun: (id, fn) => {
    const r = get().run;
    if (r && r.id === id) set({ run: { ...r, ...fn(r) } });
  },
  setAxes: (p) => set(p),
}));

/** Whether a sweep's configurations can be applied to this version: the one explored, or one made by applying. */
export function appliesTo(run: ExploreRun, docId: number | undefined, versionId: number): boolean {
  return run.docId === docId && (run.versionId === versionId || run.applied.includes(versionId));
}
