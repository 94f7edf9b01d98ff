/**
 * The compiled CLI (bin/qonnx-studio.cjs running dist-cli/qonnx-studio.cjs, what `npm run cli` and the
 * package's bin run) against the same commands run in-process from the sources: a broken bundle, a
 * broken code cache or a launcher that misses a stale build fails here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../core/testing/paths.js';
import { run } from './main.js';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin/qonnx-studio.cjs');
const MODELS = path.resolve(ROOT, 'testdata/models');
const TFC = path.join(MODELS, 'zoo_TFC_1W1A.onnx');
const FINNPLUS = path.join(MODELS, 'finnplus_metafi_step_qonnx_to_finn.onnx');
const FP8 = path.join(MODELS, 'qonnx_act_weight_fp8.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-bin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bin(args: string[], opts: { bin?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...opts.env } });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function inProcess(args: string[]) {
  let stdout = '', stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** float32 values of a little-endian '<f4' .npy file */
function npyF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  expect(b.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const headerLen = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (b[6] === 1 ? 10 : 12) + headerLen;
  expect(b.subarray(0, start).toString('latin1')).toContain("'descr': '<f4'");
  return new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
}

beforeAll(() => {
  // builds dist-cli/ first when it is missing or stale (a fresh clone installed with --ignore-scripts)
  const r = bin(['help']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

describe('compiled CLI (bin/qonnx-studio.cjs)', () => {
  it('package.json names the launcher as the bin and npm run cli runs it; the launcher is executable', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin['qonnx-studio']).toBe('bin/qonnx-studio.cjs');
    expect(pkg.scripts.cli).toBe('node bin/qonnx-studio.cjs');
    expect(pkg.scripts.prepare).toContain('scripts/build-cli.mjs');
    expect(fs.readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(BIN).mode & 0o111).not.toBe(0);
  });

  it('cost on TFC: the same JSON, notes on stderr and exit code as in-process, with a cold and then a warm code cache', async () => {
    const want = await inProcess(['cost', TFC]);
    expect(want.code).toBe(0);
    expect(JSON.parse(want.stdout).total_cost.op_mac_BIPOLAR_BIPOLAR).toBeGreaterThan(0);
    const dist = path.join(ROOT, 'dist-cli');
    for (const f of fs.readdirSync(dist)) if (f.endsWith('-cost.v8cache')) fs.rmSync(path.join(dist, f), { force: true });
    const cold = bin(['cost', TFC]);
    expect(fs.readdirSync(dist).some((f) => f.endsWith('-cost.v8cache'))).toBe(true);
    const warm = bin(['cost', TFC]);
    const noCache = bin(['cost', TFC], { env: { QONNX_STUDIO_NO_CODE_CACHE: '1' } });
    for (const r of [cold, warm, noCache]) expect(r).toEqual(want);
  });

  it('cost --cost-breakdown on a 305-node FINN-Plus model and info --json on TFC equal in-process', async () => {
    for (const args of [['cost', FINNPLUS, '--cost-breakdown'], ['info', TFC, '--json']]) {
      const want = await inProcess(args);
      expect(want.code).toBe(0);
      expect(bin(args)).toEqual(want);
    }
  });

  it('exec (onnxruntime loaded on demand from node_modules) writes the bytes the in-process run writes, equal to Brevitas\' output', async () => {
    // the graph input's name comes from the model itself
    const inputName: string = JSON.parse((await inProcess(['info', FP8, '--json'])).stdout).inputs[0].name;
    const withName = (out: string) => ['exec', FP8, '--input', `${inputName}=${path.join(MODELS, 'qonnx_act_weight_fp8.input.npy')}`, '--out', out];
    const want = await inProcess(withName(path.join(tmp, 'in-process')));
    expect(want.code, want.stderr).toBe(0);
    const got = bin(withName(path.join(tmp, 'bin')));
    expect(got.code, got.stderr).toBe(0);
    const files = (dir: string) => fs.readdirSync(dir).sort();
    expect(files(path.join(tmp, 'bin'))).toEqual(files(path.join(tmp, 'in-process')));
    for (const f of files(path.join(tmp, 'bin'))) expect(fs.readFileSync(path.join(tmp, 'bin', f)).equals(fs.readFileSync(path.join(tmp, 'in-process', f)))).toBe(true);
    const omitTimes = (s: string) => ({ ...JSON.parse(s), prepare_ms: 0, run_ms: 0, outputs: [] });
    expect(omitTimes(got.stdout)).toEqual(omitTimes(want.stdout));
    const out = npyF32(path.join(tmp, 'bin', files(path.join(tmp, 'bin'))[0]));
    const ref = npyF32(path.join(MODELS, 'qonnx_act_weight_fp8.output.npy'));
    expect(out.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref[i])));
  });

  it('errors: exit codes and messages as in-process (unknown command 2, missing file 1); with QONNX_STUDIO_DEBUG a source-mapped stack', async () => {
    for (const args of [['nosuch'], ['cost', path.join(tmp, 'missing.onnx')], ['cost']]) {
      const want = await inProcess(args);
      expect(want.code).not.toBe(0);
      expect(bin(args)).toEqual(want);
    }
    // QONNX_STUDIO_DEBUG=1: the same message, and a stack trace that names the TypeScript sources (source map)
    const bad = path.join(tmp, 'bad.npy');
    fs.writeFileSync(bad, 'not an array');
    const inputName: string = JSON.parse((await inProcess(['info', FP8, '--json'])).stdout).inputs[0].name;
    const args = ['exec', FP8, '--input', `${inputName}=${bad}`, '--out', path.join(tmp, 'debug')];
    const debug = bin(args, { env: { QONNX_STUDIO_DEBUG: '1' } });
    const want = await inProcess(args);
    expect(debug.code).toBe(want.code);
    expect(debug.stderr.startsWith(want.stderr.split('\n')[0])).toBe(true);
    expect(debug.stderr).toMatch(/src\/core\/io\/npyRead\.ts:\d+:\d+/);
  });

  it('a missing build is built, and a build older than a source is rebuilt from the new source before the command runs', () => {
    // a copy of the sources the bundle is made of, so that editing one disturbs no other test
    const copy = path.join(tmp, 'checkout');
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist-cli/manifest.json'), 'utf8')) as { inputs: string[] };
    const sources = manifest.inputs.filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));
    expect(sources).toContain('src/cli/main.ts');
    expect(sources).toContain('src/core/analysis/inferenceCost.ts');
    for (const f of [...sources, 'bin/qonnx-studio.cjs', 'package.json']) {
      fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(copy, f));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const copyBin = path.join(copy, 'bin/qonnx-studio.cjs');

    const want = bin(['cost', TFC]);
    const first = bin(['cost', TFC], { bin: copyBin });
    expect(first.stderr).toContain('qonnx-studio: the CLI is not built yet; rebuilding it');
    expect(first.stdout).toBe(want.stdout);
    expect(fs.existsSync(path.join(copy, 'dist-cli/qonnx-studio.cjs'))).toBe(true);
    const second = bin(['cost', TFC], { bin: copyBin });
    expect(second).toEqual(want);

    // `git pull` brings a changed source: its mtime is newer than the build
    const mainTs = path.join(copy, 'src/cli/main.ts');
    const line = 'External-data files are looked up relative to the model file.';
    expect(fs.readFileSync(mainTs, 'utf8')).toContain(line);
    fs.writeFileSync(mainTs, fs.readFileSync(mainTs, 'utf8').replace(line, 'Changed after the build.'));
    const future = new Date(Date.now() + 2000);
    fs.utimesSync(mainTs, future, future);
    const third = bin(['help'], { bin: copyBin });
    expect(third.stderr).toContain('qonnx-studio: src/cli/main.ts changed since the last build; rebuilding it');
    expect(third.stdout).toContain('Changed after the build.');
    expect(third.stdout).not.toContain(line);
    expect(bin(['help'], { bin: copyBin }).stderr).toBe('');

    // a source that cannot be built: a clear message and how to rebuild, exit 1
    fs.writeFileSync(mainTs, 'export const = ;\n');
    fs.utimesSync(mainTs, new Date(Date.now() + 4000), new Date(Date.now() + 4000));
    const broken = bin(['help'], { bin: copyBin });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('error: could not build the CLI');
    expect(broken.stderr).toContain('npm run build:cli');
    // as npm's `prepare` the same failure warns but lets `npm ci` finish
    const prepare = spawnSync(process.execPath, [path.join(copy, 'scripts/build-cli.mjs'), '--prepare'], { encoding: 'utf8', timeout: 120_000 });
    expect(prepare.status).toBe(0);
    expect(prepare.stderr).toContain('warning: the CLI was not built');
    expect(spawnSync(process.execPath, [path.join(copy, 'scripts/build-cli.mjs')], { encoding: 'utf8', timeout: 120_000 }).status).toBe(1);
  }, 180_000);
});
