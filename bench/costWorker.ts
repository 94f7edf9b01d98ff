/**
 * Child process: times inferenceCost (the reference's preprocessing + costing, default options) on one
 * model file, `runs` times, in Node. Each run costs a freshly decoded model (decoding is not timed), so
 * no memoised graph index or analysis of an earlier run is reused. The preprocessing alone is timed the
 * same way, on its own fresh copy, to split the total.
 * With `profile`, one more run under V8's sampling profiler (node:inspector): top functions by self time,
 * and the inclusive time of the pipeline's main stages.
 * Usage (via child.ts): costWorker.ts <file.onnx> <runs> [profile]
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { relative, sep } from 'node:path';
import { inferenceCost, preprocessForCost } from '../src/core/analysis/inferenceCost.js';
import { decodeModel } from '../src/core/onnx/codec.js';
import { reply } from './child.js';
import { REPO_ROOT } from './synthFiles.js';

export interface CostProfileEntry {
  fn: string;
  /** the source file, relative to the repository when inside it */
  where: string;
  ms: number;
  share: number;
}

export interface CostResult {
  nodes: number;
  costedNodes: number;
  unsupported: string;
  errors: number;
  totalBops: number;
  /** per-run timings in ms; total[0] is the first (cold) run */
  total: number[];
  preprocess: number[];
  profile?: { totalMs: number; self: CostProfileEntry[]; stages: CostProfileEntry[] };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Functions whose inclusive time shows where the pipeline spends it. */
const STAGES = ['inferenceCost', 'preprocessForCost', 'inferShapes', 'inferDatatypes', 'analyzeModel', 'indexGraph', 'costNode', 'density', 'tensorValues', 'execute', '(garbage collector)'];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

function summarize(p: CpuProfile): NonNullable<CostResult['profile']> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // File only: line numbers would be those of tsx's transpiled code, not of the source.
  const where = (n: CpuProfile['nodes'][number]) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    return url.startsWith(REPO_ROOT) ? relative(REPO_ROOT, url).split(sep).join('/') : url.split('/').slice(-2).join('/');
  };
  const underCost = (id: number) => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) if (byId.get(x)!.callFrame.functionName === 'inferenceCost') return true;
    return false;
  };
  const self = new Map<string, CostProfileEntry>();
  const incl = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    const n = byId.get(p.samples[i])!;
    // only the work of inferenceCost (and garbage collection meanwhile), not the profiler's own messaging
    if (n.callFrame.functionName !== '(garbage collector)' && !underCost(p.samples[i])) continue;
    total += dt;
    const fn = n.callFrame.functionName || '(anonymous)';
    const key = `${fn}@${where(n)}`;
    const e = self.get(key) ?? { fn, where: where(n), ms: 0, share: 0 };
    e.ms += dt;
    self.set(key, e);
    const seen = new Set<string>();
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (STAGES.includes(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, (incl.get(name) ?? 0) + dt);
      }
    }
  }
  const skip = new Set(['(idle)', '(program)', '(root)']);
  const top = [...self.values()].filter((e) => !skip.has(e.fn)).sort((a, b) => b.ms - a.ms).slice(0, 15);
  for (const e of top) e.share = e.ms / total;
  const stages = STAGES.filter((s) => incl.has(s)).map((s) => ({ fn: s, where: '', ms: incl.get(s)!, share: incl.get(s)! / total }));
  return { totalMs: total, self: top, stages };
}

async function measure(file: string, runs: number, profile: boolean): Promise<CostResult> {
  const bytes = new Uint8Array(readFileSync(file));
  const r: CostResult = { nodes: 0, costedNodes: 0, unsupported: '', errors: 0, totalBops: 0, total: [], preprocess: [] };
  for (let k = 0; k < runs; k++) {
    let model = decodeModel(bytes, { fileName: file });
    gc();
    const t0 = performance.now();
    const rep = inferenceCost(model);
    r.total.push(performance.now() - t0);
    if (k === 0) {
      r.nodes = model.graph?.node?.length ?? 0;
      r.costedNodes = rep.nodes.length;
      r.unsupported = String(rep.total_cost.unsupported);
      r.errors = rep.errors.length;
      r.totalBops = Number(rep.total_cost.total_bops);
    }
    model = decodeModel(bytes, { fileName: file });
    gc();
    const t1 = performance.now();
    preprocessForCost(model);
    r.preprocess.push(performance.now() - t1);
  }
  if (profile) {
    const model = decodeModel(bytes, { fileName: file });
    gc();
    const s = new Session();
    s.connect();
    await post(s, 'Profiler.enable');
    await post(s, 'Profiler.setSamplingInterval', { interval: 100 });
    await post(s, 'Profiler.start');
    inferenceCost(model);
    const { profile: p } = await post<{ profile: CpuProfile }>(s, 'Profiler.stop');
    s.disconnect();
    r.profile = summarize(p);
  }
  return r;
}

const [file, runs, profile] = process.argv.slice(2);
void reply(() => measure(file, Math.max(1, Number(runs) || 1), profile === 'profile'));
