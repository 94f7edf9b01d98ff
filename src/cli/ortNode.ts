/**
 * onnxruntime for the commands that run a model (exec, sweep), loaded on first use: importing it costs
 * ~50 ms at start-up, which `info`, `cost` and the other commands never need. It stays a package import
 * (never bundled) so that it finds its wasm files beside itself in node_modules.
 */
import type { OrtApi } from '../core/exec/engine.js';

let loaded: Promise<OrtApi> | undefined;

export function loadOrt(): Promise<OrtApi> {
  loaded ??= import('onnxruntime-web').then((ort) => {
    ort.env.wasm.numThreads = 1;
    return ort as unknown as OrtApi;
  });
  return loaded;
}
