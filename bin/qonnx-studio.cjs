#!/usr/bin/env node
/**
 * qonnx-studio: the command line, run from compiled JavaScript (`npm run cli -- ...` runs this file too).
 *
 * The commands live in dist-cli/qonnx-studio.cjs, one file that scripts/build-cli.mjs bundles from
 * src/cli and src/core (`npm ci` builds it; `npm run build:cli` rebuilds it). This launcher
 * 1. checks that the build is current: every file it was built from (dist-cli/manifest.json) is older
 *    than the build, ~1 ms for its ~120 files. When the build is missing or older (a `git pull` without
 *    `npm ci`, an edited source), it says so on stderr and rebuilds first (~0.3 s, once);
 * 2. compiles the bundle with node:vm and V8's code cache: the first successful call of each command
 *    saves the compiled code of every function it ran (dist-cli/*.v8cache, named after the bundle's
 *    hash and Node's version), and later calls start from it instead of parsing and compiling again
 *    (the bundle loads in about half the time). V8 rejects a cache that does not fit (and a new one is
 *    written); QONNX_STUDIO_NO_CODE_CACHE=1 turns it off. QONNX_STUDIO_DEBUG=1 loads the bundle with
 *    `require` instead, with source maps, so that stack traces name the TypeScript sources.
 * It is CommonJS because Node starts a CommonJS entry point faster than an ES module (no ESM loader).
 */
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const ROOT = dirname(__dirname);
const OUT_DIR = join(ROOT, 'dist-cli');
const BUNDLE = join(OUT_DIR, 'qonnx-studio.cjs');

function readManifest() {
  try {
    return JSON.parse(readFileSync(join(OUT_DIR, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why the build must be redone, or undefined when it is current. */
function staleReason(manifest) {
  if (!manifest) return 'the CLI is not built yet';
  for (const f of manifest.inputs) {
    let mtime;
    try {
      mtime = statSync(join(ROOT, f)).mtimeMs;
    } catch {
      return `${f} is gone since the last build`;
    }
    if (mtime > manifest.builtAt) return `${f} changed since the last build`;
  }
  return undefined;
}

async function currentManifest() {
  const manifest = readManifest();
  const stale = staleReason(manifest);
  if (!stale) return manifest;
  process.stderr.write(`qonnx-studio: ${stale}; rebuilding it (npm run build:cli)...\n`);
  try {
    const { buildCli } = await import(pathToFileURL(join(ROOT, 'scripts/build-cli.mjs')).href);
    return await buildCli();
  } catch (e) {
    process.stderr.write(`error: could not build the CLI: ${e instanceof Error ? e.message : e}\nRun \`npm ci\` (or \`npm run build:cli\`) in ${ROOT}; \`npm run cli:dev -- ...\` runs the sources with tsx.\n`);
    process.exit(1);
  }
}

async function main() {
  const manifest = await currentManifest();
  const argv = process.argv.slice(2);
  if (process.env.QONNX_STUDIO_DEBUG) {
    // stack traces mapped to the TypeScript sources (dist-cli/qonnx-studio.cjs.map); no code cache
    process.setSourceMapsEnabled(true);
    return finish(require(BUNDLE), argv);
  }
  const useCache = !process.env.QONNX_STUDIO_NO_CODE_CACHE;
  // one cache per command: each holds the functions that command runs
  const command = /^[a-z]+$/.test(argv[0] ?? '') ? argv[0] : 'other';
  const cacheFile = join(OUT_DIR, `${manifest.hash}-node${process.versions.node}-${process.arch}-${command}.v8cache`);
  let cachedData;
  if (useCache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const source = readFileSync(BUNDLE, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(BUNDLE), mod, BUNDLE, OUT_DIR);
  const code = await finish(mod.exports, argv);
  // a cache is written after a successful call, so that it holds the command's working path
  if (useCache && code === 0 && command !== 'other' && (cachedData === undefined || script.cachedDataRejected)) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only checkout still runs, only without the cache
    }
  }
}

/** Run the command; returns its exit code, also set as the process's. */
async function finish(cli, argv) {
  let code;
  try {
    code = await cli.run(argv);
  } catch (e) {
    code = cli.reportError(e, cli.processIO);
  }
  process.exitCode = code;
  return code;
}

main().catch((e) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : e}\n`);
  process.exitCode = 1;
});
