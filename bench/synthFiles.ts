/**
 * Synthetic models on disk for the benchmarks, generated into bench/out/ (gitignored) and cached:
 * a file's name carries its parameters and a hash of the generator's source, so a changed generator
 * produces new files instead of reusing stale ones.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel } from '../src/core/onnx/codec.js';
import { makeCnn, makeHugeGraph, planExternalDataModel, type CnnOptions, type ExternalDataOptions, type HugeGraphOptions } from '../src/core/testing/synth.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(REPO_ROOT, 'bench', 'out');

function generatorHash(): string {
  const src = readFileSync(join(REPO_ROOT, 'src', 'core', 'testing', 'synth.ts'));
  return createHash('sha256').update(src).digest('hex').slice(0, 8);
}

const tag = (o: object) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}${v}`)
    .join('-');

/** Write via a temporary name so an interrupted run never leaves a truncated file in the cache. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

export interface CachedFile {
  path: string;
  /** true when this call generated it */
  generated: boolean;
  genMs?: number;
}

/** Files of the same kind and parameters made by an older generator (another hash) are removed. */
function removeStale(stem: string, hash: string): void {
  for (const f of readdirSync(OUT_DIR)) {
    const m = /^(.*)-([0-9a-f]{8})\.(onnx|data)$/.exec(f);
    if (m && m[1] === stem && m[2] !== hash) rmSync(join(OUT_DIR, f), { force: true });
  }
}

function cached(stem: string, make: () => Uint8Array): CachedFile {
  mkdirSync(OUT_DIR, { recursive: true });
  const hash = generatorHash();
  const path = join(OUT_DIR, `${stem}-${hash}.onnx`);
  if (existsSync(path)) return { path, generated: false };
  removeStale(stem, hash);
  const t = performance.now();
  writeAtomically(path, make());
  return { path, generated: true, genMs: performance.now() - t };
}

export function ensureCnn(opts: CnnOptions = {}): CachedFile {
  return cached(`cnn-${tag(opts) || 'default'}`, () => encodeModel(makeCnn(opts)));
}

export function ensureHugeGraph(opts: HugeGraphOptions = {}): CachedFile {
  return cached(`huge-${tag(opts) || 'default'}`, () => encodeModel(makeHugeGraph(opts)));
}

/**
 * The external-data CNN on disk: `<name>.onnx` plus its data file beside it. The data file is written
 * chunk by chunk (8 MiB at a time), so a 1 GB model needs no more than a few MiB of memory.
 */
export function ensureExternalDataModel(opts: ExternalDataOptions = {}): CachedFile & { dataPath: string } {
  const stem = `ext-${tag({ ...opts, location: undefined }) || 'default'}`;
  const hash = generatorHash();
  const base = `${stem}-${hash}`;
  const location = opts.location ?? `${base}.data`;
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `${base}.onnx`);
  const dataPath = join(OUT_DIR, location);
  if (existsSync(path) && existsSync(dataPath)) return { path, dataPath, generated: false };
  removeStale(stem, hash);
  const t = performance.now();
  const plan = planExternalDataModel({ ...opts, location });
  const fd = openSync(`${dataPath}.tmp`, 'w');
  try {
    for (const chunk of plan.chunks()) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(`${dataPath}.tmp`, dataPath);
  writeAtomically(path, plan.model);
  return { path, dataPath, generated: true, genMs: performance.now() - t };
}
