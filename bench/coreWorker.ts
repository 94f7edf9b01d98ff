/**
 * Child process: times the core open path on one model file, `runs` times, in Node.
 *   decode -> validate -> buildViewGraph -> layeredLayout   (= total, what opening a model costs)
 *   encode                                                (export; not part of total)
 * Each run starts from the file's bytes with a fresh decode, so no memoised index is reused.
 * Usage (via child.ts): coreWorker.ts <file.onnx> <runs>
 */
import { readFileSync } from 'node:fs';
import { decodeModel, encodeModel } from '../src/core/onnx/codec.js';
import { validateModel } from '../src/core/ir/validate.js';
import { layeredLayout } from '../src/core/layout/layered.js';
import { buildViewGraph } from '../src/core/view/viewGraph.js';
import { reply } from './child.js';

export interface CoreResult {
  fileBytes: number;
  nodes: number;
  initializers: number;
  viewNodes: number;
  viewEdges: number;
  problems: number;
  /** encode(decode(file)) equals the file byte for byte */
  roundTrip: boolean;
  /** per-run timings in ms */
  decode: number[];
  validate: number[];
  view: number[];
  layout: number[];
  total: number[];
  encode: number[];
  /** peak resident set size of this process, bytes */
  peakRss: number;
  /** largest V8 heapUsed seen between stages, bytes */
  peakHeap: number;
  /** heapUsed and rss before the file was read */
  baseRss: number;
  baseHeap: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function measure(file: string, runs: number): CoreResult {
  gc();
  const base = process.memoryUsage();
  const bytes = new Uint8Array(readFileSync(file));
  let peakHeap = 0;
  const sample = () => {
    const h = process.memoryUsage().heapUsed;
    if (h > peakHeap) peakHeap = h;
  };
  const r: CoreResult = {
    fileBytes: bytes.byteLength, nodes: 0, initializers: 0, viewNodes: 0, viewEdges: 0, problems: 0, roundTrip: false,
    decode: [], validate: [], view: [], layout: [], total: [], encode: [], peakRss: 0, peakHeap: 0, baseRss: base.rss, baseHeap: base.heapUsed,
  };
  for (let k = 0; k < runs; k++) {
    gc();
    const t0 = performance.now();
    const model = decodeModel(bytes, { fileName: file });
    const t1 = performance.now();
    sample();
    const problems = validateModel(model);
    const t2 = performance.now();
    sample();
    const view = buildViewGraph(model, { showConstants: false });
    const t3 = performance.now();
    sample();
    layeredLayout(view.nodes, view.edges);
    const t4 = performance.now();
    sample();
    const out = encodeModel(model);
    const t5 = performance.now();
    sample();
    r.decode.push(t1 - t0);
    r.validate.push(t2 - t1);
    r.view.push(t3 - t2);
    r.layout.push(t4 - t3);
    r.total.push(t4 - t0);
    r.encode.push(t5 - t4);
    if (k === 0) {
      r.nodes = model.graph?.node?.length ?? 0;
      r.initializers = model.graph?.initializer?.length ?? 0;
      r.viewNodes = view.nodes.length;
      r.viewEdges = view.edges.length;
      r.problems = problems.length;
      r.roundTrip = sameBytes(out, bytes);
    }
  }
  r.peakHeap = peakHeap;
  r.peakRss = process.resourceUsage().maxRSS * 1024;
  return r;
}

const [file, runs] = process.argv.slice(2);
void reply(() => measure(file, Math.max(1, Number(runs) || 1)));
