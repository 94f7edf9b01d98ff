/**
 * Builds the command line into one minified CommonJS file, dist-cli/qonnx-studio.cjs, with esbuild
 * (~0.2 s). `npm ci` runs it as `prepare` (with `--prepare` a failure only warns: the install goes on,
 * and the launcher reports it on first use); `npm run build:cli` runs it by hand; bin/qonnx-studio.cjs
 * runs it when the build is missing or older than one of its sources.
 *
 * Why this shape (bin/qonnx-studio.cjs explains how the file is run):
 * - CommonJS, not ESM: the launcher compiles it with node:vm so that V8's code cache can be kept between
 *   calls, which only works for scripts. `import.meta.url` is defined from `__filename` for main.ts.
 * - onnxruntime-web stays outside the bundle: it loads its .wasm files from beside its own file in
 *   node_modules. Its dynamic import (exec, sweep only) becomes a `require` (a vm script has no module
 *   loader for `import()`), which Node resolves to the package's CommonJS build for Node.
 * - protobufjs looks for `require` to find Buffer and Long; the real `require` it gets here is the one
 *   it has under tsx, so both runs decode alike.
 *
 * Next to the bundle: manifest.json (build time, content hash, the source files it was built from) for
 * the launcher's staleness check, and a source map (`NODE_OPTIONS=--enable-source-maps` for stacks).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const OUT_DIR = join(ROOT, 'dist-cli');
export const BUNDLE = join(OUT_DIR, 'qonnx-studio.cjs');
export const MANIFEST = join(OUT_DIR, 'manifest.json');

/** Write a file under a temporary name, then rename: a CLI started meanwhile sees the old or the new file, never half of one. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Build the CLI; returns the manifest written. */
export async function buildCli() {
  const started = Date.now();
  const r = await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/main.ts'],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: 'linked',
    external: ['onnxruntime-web'],
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__qonnxStudioUrl' },
    banner: { js: "'use strict';var __qonnxStudioUrl=require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(OUT_DIR, { recursive: true });
  const bundle = r.outputFiles.find((f) => f.path === BUNDLE);
  if (!bundle) throw new Error('esbuild wrote no bundle');
  const hash = createHash('sha256').update(bundle.contents).digest('hex').slice(0, 16);
  // sources first (what a developer edits), then the build script, then bundled packages
  const rel = (p) => relative(ROOT, join(ROOT, p)).split(sep).join('/');
  const inputs = Object.keys(r.metafile.inputs).map(rel);
  inputs.push('scripts/build-cli.mjs');
  inputs.sort((a, b) => Number(a.startsWith('node_modules/')) - Number(b.startsWith('node_modules/')) || a.localeCompare(b));
  // an input dated in the future (a clock skew, an unpacked archive) would make every later call rebuild
  let builtAt = started;
  const now = Date.now();
  for (const f of inputs) {
    const m = statSync(join(ROOT, f)).mtimeMs;
    if (m > now && m > builtAt) builtAt = m;
  }
  // code caches of an older bundle are useless (their names hold the hash): drop them
  for (const f of readdirSync(OUT_DIR)) if (f.endsWith('.v8cache')) rmSync(join(OUT_DIR, f), { force: true });
  for (const f of r.outputFiles) if (f !== bundle) writeAtomic(f.path, f.contents);
  writeAtomic(BUNDLE, bundle.contents);
  const manifest = { builtAt, hash, inputs };
  writeAtomic(MANIFEST, JSON.stringify(manifest) + '\n');
  return manifest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  buildCli().then(
    (m) => {
      if (!process.argv.includes('--quiet')) console.log(`built ${relative(ROOT, BUNDLE)} from ${m.inputs.length} files in ${Math.round(performance.now() - t0)} ms`);
    },
    (e) => {
      const msg = e instanceof Error ? e.message : e;
      // as `prepare`, a failure must not fail `npm ci`/`npm install`: the launcher rebuilds (and reports) on first use
      if (process.argv.includes('--prepare')) console.error(`warning: the CLI was not built (${msg}); \`npm run build:cli\` builds it`);
      else {
        console.error(`error: could not build the CLI: ${msg}`);
        process.exitCode = 1;
      }
    },
  );
}
