/**
 * Child process: lays out one model's view graph (the same nodes, sizes and edges the app lays out)
 * with elkjs' layered algorithm and with our layeredLayout, `runs` times each. The parent kills this
 * process at its deadline, since ELK runs synchronously and cannot be interrupted.
 *
 * ELK runs in a worker thread of this process: its recursion overflows the ~1 MB stack V8 gives the
 * main thread on the 20,000-node graph ("Maximum call stack size exceeded"); a worker's stack can be
 * made larger (resourceLimits.stackSizeMb), which is also what a browser worker would give it.
 * Usage (via child.ts): elkWorker.ts <file.onnx> <runs> <budgetMs>
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { decodeModel } from '../src/core/onnx/codec.js';
import { layeredLayout } from '../src/core/layout/layered.js';
import { buildViewGraph } from '../src/core/view/viewGraph.js';
import { reply, startClock } from './child.js';

export interface ElkResult {
  viewNodes: number;
  viewEdges: number;
  ours: number[];
  elk: number[];
}

interface ElkGraph {
  id: string;
  layoutOptions: Record<string, string>;
  children: { id: string; width: number; height: number }[];
  edges: { id: string; sources: string[]; targets: string[] }[];
}

// Plain CommonJS, evaluated in the worker thread; times one layout per message.
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ELK = require(workerData.elkPath);
const elk = new ELK();
parentPort.on('message', (graph) => {
  const t = performance.now();
  elk.layout(graph).then(
    () => parentPort.postMessage({ ms: performance.now() - t }),
    (e) => parentPort.postMessage({ error: String((e && e.message) || e) }),
  );
});
`;

function elkThread(): { layout(g: ElkGraph): Promise<number>; close(): Promise<number> } {
  const elkPath = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  const w = new Worker(THREAD_CODE, { eval: true, workerData: { elkPath }, resourceLimits: { stackSizeMb: 64 } });
  return {
    layout: (g) =>
      new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        w.once('error', onError);
        w.once('message', (m: { ms?: number; error?: string }) => {
          w.off('error', onError);
          if (m.error !== undefined) reject(new Error(`ELK: ${m.error}`));
          else resolve(m.ms!);
        });
        w.postMessage(g);
      }),
    close: () => w.terminate(),
  };
}

async function measure(file: string, runs: number, budgetMs: number): Promise<ElkResult> {
  const model = decodeModel(new Uint8Array(readFileSync(file)));
  const view = buildViewGraph(model, { showConstants: false });
  const ours: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t = performance.now();
    layeredLayout(view.nodes, view.edges);
    ours.push(performance.now() - t);
  }
  const graph: ElkGraph = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'DOWN' },
    children: view.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: view.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const elk = elkThread();
  const times: number[] = [];
  await startClock();
  const started = performance.now();
  try {
    for (let k = 0; k < runs; k++) {
      // postMessage clones the graph, so every run starts from the same unpositioned input.
      times.push(await elk.layout(graph));
      // Slow graphs get fewer runs: stop once ELK has used a quarter of the deadline.
      if (performance.now() - started > budgetMs * 0.25) break;
    }
  } finally {
    await elk.close();
  }
  return { viewNodes: view.nodes.length, viewEdges: view.edges.length, ours, elk: times };
}

const [file, runs, budget] = process.argv.slice(2);
void reply(() => measure(file, Math.max(1, Number(runs) || 1), Number(budget) || 60000));
