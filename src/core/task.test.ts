/**
 * Cooperative tasks: the cooperative driver gives the same results as the synchronous one, reports
 * progress, lets timers (the worker's cancel messages) run while it works, and stops when cancelled.
 * Checked on the real long computations: inference cost and transformations of generated graphs.
 */
import { describe, expect, it } from 'vitest';
import { inferenceCost, inferenceCostTask } from './analysis/inferenceCost.js';
import { applyTransform, applyTransformTask } from './passes/apply.js';
import { CancelledError, runCooperative, runSync, type Task, type TaskProgress } from './task.js';
import { makeCnn, makeHugeGraph } from './testing/synth.js';
import { encodeModel } from './onnx/codec.js';

function* counter(n: number, spinMs: number): Task<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    while (performance.now() - t < spinMs); // a unit of real work
    sum += i;
    yield { label: 'Counting', done: i + 1, total: n };
  }
  return sum;
}

describe('drivers', () => {
  it('runSync and runCooperative return the task\'s value', async () => {
    expect(runSync(counter(100, 0))).toBe(4950);
    expect(await runCooperative(counter(100, 0))).toBe(4950);
  });

  it('runCooperative lets timers run while the task works, and reports progress between slices', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const seen: TaskProgress[] = [];
    try {
      await runCooperative(counter(60, 2), { sliceMs: 10, onProgress: (p) => seen.push(p) });
    } finally {
      clearInterval(timer);
    }
    // ~120 ms of work in 10 ms slices: the interval fired in between, progress came several times
    expect(ticks).toBeGreaterThan(3);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((p) => p.label === 'Counting' && p.total === 60)).toBe(true);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
  });

  it('a cancel set by a timer while the task runs stops it at the next slice with an AbortError', async () => {
    const signal = { aborted: false };
    setTimeout(() => (signal.aborted = true), 20);
    let done = 0;
    const err = await runCooperative(counter(1000, 1), { signal, sliceMs: 5, onProgress: (p) => (done = p.done) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).name).toBe('AbortError');
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(500); // stopped long before the 1000 units (~1 s) were done
  });

  it('a cancel before the start stops before any work', async () => {
    let started = false;
    function* t(): Task<number> {
      started = true;
      yield { label: 'x', done: 0, total: 0 };
      return 1;
    }
    await expect(runCooperative(t(), { signal: { aborted: true } })).rejects.toThrow(CancelledError);
    expect(started).toBe(false);
  });
});

describe('inference cost as a task', () => {
  const cnn = makeCnn({ targetWeightBytes: 2_000_000, seed: 3 });
  const huge = makeHugeGraph({ nodes: 3000 });
  const mid = makeHugeGraph({ nodes: 1000 });

  it('cooperative and synchronous runs give the same report (CNN and a 3,000-node graph)', async () => {
    for (const m of [cnn, huge]) {
      const a = inferenceCost(m);
      const b = await runCooperative(inferenceCostTask(m), { sliceMs: 1 });
      expect(JSON.stringify(b.total_cost)).toBe(JSON.stringify(a.total_cost));
      expect(JSON.stringify(b.node_cost)).toBe(JSON.stringify(a.node_cost));
    }
  });

  it('progress names the preprocessing steps, folding and costing, and costing counts every node', async () => {
    const labels = new Set<string>();
    let lastCosting: TaskProgress | undefined;
    await runCooperative(inferenceCostTask(mid), {
      sliceMs: 0,
      onProgress: (p) => {
        labels.add(p.label);
        if (p.label === 'Costing layers') lastCosting = p;
      },
    });
    for (const l of ['Annotating datatypes', 'Folding constants', 'Inferring shapes', 'Inferring datatypes', 'Costing layers']) expect(labels.has(l), l).toBe(true);
    // every node of the preprocessed model (weight quantizers folded away) is visited
    expect(lastCosting!.total).toBeGreaterThan(300);
    expect(lastCosting!.total).toBeLessThan(1000);
    expect(lastCosting!.done).toBe(lastCosting!.total - 1);
  });

  it('cancelling the cost of a 3,000-node graph stops it', async () => {
    const signal = { aborted: false };
    let calls = 0;
    const err = await runCooperative(inferenceCostTask(huge), {
      signal,
      sliceMs: 0,
      onProgress: () => {
        if (++calls === 5) signal.aborted = true;
      },
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(calls).toBe(5);
  });
});

describe('transformations as tasks', () => {
  const m = makeHugeGraph({ nodes: 600 });

  it('cooperative and synchronous runs of a transformation give byte-identical models', async () => {
    for (const id of ['cleanup', 'fold-constants']) {
      const a = applyTransform(m, id);
      const b = await runCooperative(applyTransformTask(m, id), { sliceMs: 0 });
      expect(b.modified).toBe(a.modified);
      expect(Buffer.from(encodeModel(b.model)).equals(Buffer.from(encodeModel(a.model)))).toBe(true);
    }
  });

  it('a transformation reports progress with the pass and tidy-up steps, and can be cancelled', async () => {
    const labels: string[] = [];
    await runCooperative(applyTransformTask(m, 'fold-constants'), { sliceMs: 0, onProgress: (p) => labels.push(p.label) });
    expect(labels.some((l) => l.startsWith('Folding constants') || l === 'Fold constants')).toBe(true);
    expect(labels.some((l) => l.startsWith('Tidying up'))).toBe(true);
    // a composite transformation names the step it is in
    const steps = new Set<string>();
    await runCooperative(applyTransformTask(m, 'cleanup'), { sliceMs: 0, onProgress: (p) => steps.add(p.label) });
    for (const l of ['Cleanup: infer shapes', 'Cleanup: fold constants', 'Cleanup: unique node names', 'Cleanup: readable tensor names']) expect([...steps].some((x) => x.startsWith(l)), `${l} in ${[...steps].slice(0, 8).join(' | ')}`).toBe(true);
    const signal = { aborted: false };
    const err = await runCooperative(applyTransformTask(m, 'fold-constants'), { signal, sliceMs: 0, onProgress: () => (signal.aborted = true) }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
  });
});
