/**
 * The execution bench page: time per inference in Chromium on the page's main thread, with the number of
 * onnxruntime threads given by `?threads=N` (more than 1 only works when the page is cross-origin
 * isolated). bench/exec.ts opens one fresh page per model and thread count and calls `__execBench`.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { Engine, type OrtApi } from '../../src/core/exec/engine.js';
import { decodeModel } from '../../src/core/onnx/codec.js';
import { customOpsLeft, feedsFor, interleaved, median, plainOrt } from '../execTiming.js';

export interface PageExecResult {
  crossOriginIsolated: boolean;
  threadsAsked: number;
  /** ort.env.wasm.numThreads after onnxruntime started (it falls back to 1 when threads cannot work) */
  threadsUsed: number;
  /** Workers created in the page (onnxruntime's wasm threads) */
  workers: number;
  /** smallest step of performance.now() seen, ms */
  timerResolutionMs: number;
  sessions: number;
  lowered: number;
  kernelSteps: number;
  prepareMs: number;
  /** per-call medians after warm-up, ms */
  quant: number;
  twinEngine: number;
  twinOrt?: number;
  /** why there is no twinOrt figure */
  twinOrtNote?: string;
  /** samples per figure */
  samples: { quant: number; twinEngine: number; twinOrt?: number };
}

declare global {
  interface Window {
    __execBench?: (modelUrl: string, rounds: number) => Promise<PageExecResult>;
  }
}

// onnxruntime-web's bundle starts its wasm threads as Workers of this very module (its own URL): in
// them only the onnxruntime import may run, the page code below must not.
if (typeof document !== 'undefined') setupPage();

function setupPage(): void {
  // Count the Workers onnxruntime starts (one per extra wasm thread).
  let workers = 0;
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class extends NativeWorker {
    constructor(url: string | URL, opts?: WorkerOptions) {
      super(url, opts);
      workers++;
    }
  };

  const threadsAsked = Math.max(1, Math.floor(Number(new URLSearchParams(location.search).get('threads')) || 1));
  // the .wasm comes from this build, as in the app's model worker
  ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, location.href).href };
  ort.env.wasm.numThreads = threadsAsked;
  const api = ort as unknown as OrtApi;

  function timerResolution(): number {
    let best = Infinity;
    for (let i = 0; i < 20; i++) {
      const a = performance.now();
      let b = performance.now();
      while (b === a) b = performance.now();
      best = Math.min(best, b - a);
    }
    return best;
  }

  window.__execBench = async (modelUrl: string, rounds: number): Promise<PageExecResult> => {
    const res = await fetch(modelUrl);
    if (!res.ok) throw new Error(`${modelUrl}: HTTP ${res.status}`);
    const model = decodeModel(new Uint8Array(await res.arrayBuffer()), { fileName: modelUrl.split('/').pop() });
    const feeds = feedsFor(model, 1);
    const opt = (new URLSearchParams(location.search).get('opt') ?? undefined) as 'disabled' | 'all' | undefined;
    const engine = new Engine(model, api, { graphOptimization: opt });
    const t = performance.now();
    await engine.prepare();
    const prepareMs = performance.now() - t;
    const twin = new Engine(model, api, { bypassQuantizers: true, graphOptimization: opt });
    await twin.prepare();
    const left = customOpsLeft(twin.model);
    const twinOrtNote = left.length ? `the float twin keeps ${left.length} custom op${left.length > 1 ? 's' : ''} (${[...new Set(left)].join(', ')})` : undefined;
    const plain = left.length ? undefined : await plainOrt(api, twin.model, feeds);
    const calls: (() => Promise<unknown>)[] = [() => engine.run(feeds), () => twin.run(feeds)];
    if (plain) calls.push(plain.run);
    // a sample lasts at least 50 timer steps (0.25 ms at 5 µs): TFC's 20 µs calls are timed in groups
    const [quant, twinEngine, twinOrt] = await interleaved(rounds, 3, calls, 50 * timerResolution());
    const st = engine.stats();
    await plain?.release();
    await engine.release();
    await twin.release();
    return {
      crossOriginIsolated: self.crossOriginIsolated === true,
      threadsAsked,
      threadsUsed: ort.env.wasm.numThreads ?? 1,
      workers,
      timerResolutionMs: timerResolution(),
      sessions: st.sessions,
      lowered: st.lowered,
      kernelSteps: st.kernelSteps,
      prepareMs,
      quant: median(quant),
      twinEngine: median(twinEngine),
      twinOrt: twinOrt ? median(twinOrt) : undefined,
      twinOrtNote,
      samples: { quant: quant.length, twinEngine: twinEngine.length, twinOrt: twinOrt?.length },
    };
  };
}
