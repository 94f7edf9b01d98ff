/**
 * The model worker: reading, decoding, validating, laying out and encoding, off the UI thread.
 * A thin shell over src/core; exposed with Comlink.
 */
import * as Comlink from 'comlink';
import { decodeModel, encodeModel, MAX_PROTOBUF_BYTES } from '../core/onnx/codec.js';
import { ModelError, serializeError, type SerializedError } from '../core/errors.js';
import { readAll, type Progress } from '../core/io/readStream.js';
import { validateModel, type GraphProblem } from '../core/ir/validate.js';
import { summarizeModel, type ModelSummary } from '../core/ir/summary.js';
import type { Model } from '../core/ir/types.js';
import { layeredLayout, type LayoutInputEdge, type LayoutInputNode } from '../core/layout/layered.js';

export interface DecodedModel {
  model: Model;
  problems: GraphProblem[];
  summary: ModelSummary;
  bytes: number;
  timings: Record<string, number>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

function decodeBytes(bytes: Uint8Array, fileName: string, t0: number, tRead: number): DecodedModel {
  const tDec0 = performance.now();
  const model = decodeModel(bytes, { fileName });
  const tDec = performance.now();
  const problems = validateModel(model);
  const summary = summarizeModel(model);
  const tEnd = performance.now();
  return { model, problems, summary, bytes: bytes.byteLength, timings: { read: tRead - t0, decode: tDec - tDec0, check: tEnd - tDec } };
}

function ok<T>(value: T, transfer: Transferable[] = []): Result<T> {
  return Comlink.transfer({ ok: true as const, value }, transfer);
}

function fail(e: unknown): Result<never> {
  return { ok: false, error: serializeError(e) };
}

/** Rewrite web links that point at a page about a file to the file itself. */
export function rawUrl(url: string): string {
  const gh = /^https?:\/\/github\.com\/([^/]+)\/([^/]+)\/(?:blob|raw)\/(.+)$/.exec(url);
  if (gh) return `https://raw.githubusercontent.com/${gh[1]}/${gh[2]}/${gh[3]}`;
  const hf = /^https?:\/\/huggingface\.co\/(.+)\/blob\/(.+)$/.exec(url);
  if (hf) return `https://huggingface.co/${hf[1]}/resolve/${hf[2]}`;
  return url;
}

const api = {
  async decodeFile(file: File, onProgress?: Progress): Promise<Result<DecodedModel>> {
    try {
      const t0 = performance.now();
      if (file.size === 0) throw new ModelError('empty-file', `'${file.name}' is empty (0 bytes)`);
      if (file.size > MAX_PROTOBUF_BYTES)
        throw new ModelError(
          'too-large',
          `'${file.name}' is ${(file.size / 2 ** 30).toFixed(2)} GiB; a single ONNX protobuf cannot exceed 2 GiB. Save the model with external data (weights in a separate .data file) and open both files together`,
        );
      const bytes = await readAll(file.stream(), file.size, onProgress, 'Reading');
      onProgress?.(bytes.byteLength, file.size, 'Decoding');
      const r = decodeBytes(bytes, file.name, t0, performance.now());
      return ok(r, [bytes.buffer]);
    } catch (e) {
      return fail(e);
    }
  },

  async fetchModel(url: string, onProgress?: Progress): Promise<Result<DecodedModel & { fileName: string; url: string }>> {
    try {
      const t0 = performance.now();
      const target = rawUrl(url);
      let res: Response;
      try {
        res = await fetch(target);
      } catch (e) {
        throw new ModelError('fetch-failed', `Could not download ${target}: ${(e as Error).message}. The server may be offline or may not allow cross-origin downloads`);
      }
      if (!res.ok) throw new ModelError('fetch-failed', `Downloading ${target} failed: HTTP ${res.status} ${res.statusText}`);
      const len = Number(res.headers.get('content-length')) || undefined;
      const bytes = res.body ? await readAll(res.body, len, onProgress, 'Downloading') : new Uint8Array(await res.arrayBuffer());
      const fileName = decodeURIComponent(new URL(target, 'http://x/').pathname.split('/').pop() || 'model.onnx');
      const r = decodeBytes(bytes, fileName, t0, performance.now());
      return ok({ ...r, fileName, url: target }, [bytes.buffer]);
    } catch (e) {
      return fail(e);
    }
  },

  layout(nodes: LayoutInputNode[], edges: LayoutInputEdge[]): Result<{ ids: string[]; xy: Float64Array; routes: [string, Float64Array][]; width: number; height: number; ms: number }> {
    try {
      const t0 = performance.now();
      const r = layeredLayout(nodes, edges);
      const ids = nodes.map((n) => n.id);
      const xy = new Float64Array(ids.length * 2);
      ids.forEach((id, i) => {
        const p = r.positions.get(id)!;
        xy[2 * i] = p.x;
        xy[2 * i + 1] = p.y;
      });
      const routes: [string, Float64Array][] = [];
      const buffers: ArrayBuffer[] = [xy.buffer];
      for (const [id, pts] of r.routes) {
        const a = new Float64Array(pts.length * 2);
        pts.forEach((p, k) => {
          a[2 * k] = p.x;
          a[2 * k + 1] = p.y;
        });
        routes.push([id, a]);
        buffers.push(a.buffer);
      }
      return ok({ ids, xy, routes, width: r.width, height: r.height, ms: performance.now() - t0 }, buffers);
    } catch (e) {
      return fail(e);
    }
  },

  encode(model: Model): Result<Uint8Array> {
    try {
      const bytes = encodeModel(model);
      return ok(bytes, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      return fail(e);
    }
  },
};

export type ModelWorkerApi = typeof api;

Comlink.expose(api);
