/** A worker_threads runner of the sweep bench (bench/sweep.ts): one SweepRunner, configurations on request. */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-web';
import { decodeModel } from '../src/core/onnx/codec.js';
import { applyWidths, type ExplorePlan } from '../src/core/explore/explore.js';
import { SweepRunner } from '../src/core/explore/runner.js';
import type { OrtApi } from '../src/core/exec/engine.js';
import type { RuntimeTensor } from '../src/core/exec/runtimeTensor.js';

ort.env.wasm.numThreads = 1;
const { bytes, samples, plan } = workerData as { bytes: Uint8Array; samples: [string, RuntimeTensor][][]; plan: ExplorePlan };
const model = decodeModel(bytes);
const t0 = performance.now();
const runner = await SweepRunner.create({ model, samples: samples.map((s) => new Map(s)), reference: 'float', varied: plan.varied }, ort as unknown as OrtApi);
parentPort!.postMessage({ ready: true, setupMs: performance.now() - t0, signal: runner.signal, referencePredictions: runner.referencePredictions, batch: runner.batch });
parentPort!.on('message', async (m: { id: number; widths: number[]; verify: boolean }) => {
  const r = m.verify ? await runner.evaluateModel(applyWidths(model, plan, m.widths)) : await runner.evaluate(m.widths);
  parentPort!.postMessage({ id: m.id, result: r });
});
