/**
 * `npm run test:browsers`: the user's main path (steps.ts) on the production build in Firefox
 * (firefox-esr, puppeteer-core over WebDriver BiDi, headless) and WebKitGTK (WebKitWebDriver +
 * MiniBrowser via selenium-webdriver, under xvfb-run). The Chromium suite is Playwright's (e2e/).
 *
 * An engine that is not installed is skipped with a message saying so, and the run still passes,
 * unless REQUIRE_BROWSERS=1 (set by .ci/run and the GitHub workflow), where a missing engine fails.
 * Builds dist/ first when it is missing. Exit code 1 when any step fails in any engine.
 *
 *   npm run test:browsers [-- --only firefox|webkit]
 * Screenshots of failed steps go to test-results/browsers/ (of every step with BROWSER_SHOTS=1).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHugeGraph } from '../bench/synthFiles.js';
import { costCommand } from '../src/cli/commands/cost.js';
import { decodeModel } from '../src/core/onnx/codec.js';
import { makeExternalDataModel } from '../src/core/testing/synth.js';
import { startStaticServer } from '../e2e/staticServer.js';
import { StepFailure, type BrowserDriver } from './driver.js';
import { FIREFOX_PATHS, findFirefox, launchFirefox } from './firefox.js';
import { HOOKS_FILE, HOOKS_SOURCE, withHooks } from './pageHooks.js';
import { STEPS, type Fixtures, type State } from './steps.js';
import { launchWebKit, webkitMissing } from './webkit.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(REPO, 'dist');
const SHOTS = join(REPO, 'test-results', 'browsers');
const REQUIRE = process.env.REQUIRE_BROWSERS === '1';

interface Engine {
  id: 'firefox' | 'webkit';
  title: string;
  /** why it cannot run here, or null */
  missing(): string | null;
  launch(scratch: string): Promise<BrowserDriver>;
}

const ENGINES: Engine[] = [
  {
    id: 'firefox',
    title: 'Firefox',
    missing: () => (findFirefox() ? null : `no ${FIREFOX_PATHS.join(' or ')}; apt-get install firefox-esr`),
    launch: (scratch) => {
      const ff = findFirefox()!;
      return launchFirefox(ff.path, ff.version, mkdtempSync(join(scratch, 'firefox-profile-')));
    },
  },
  { id: 'webkit', title: 'WebKit', missing: webkitMissing, launch: () => launchWebKit() },
];

function cliCost(path: string): Record<string, number> {
  let out = '';
  const code = costCommand.run([path], { out: (t) => (out += t), err: () => {} });
  if (code !== 0) throw new Error(`cost ${path} exited ${code}`);
  const totals = (JSON.parse(out) as { total_cost: Record<string, number> }).total_cost;
  return totals;
}

function buildIfMissing(): void {
  if (existsSync(join(DIST, 'index.html'))) {
    const age = (Date.now() - statSync(join(DIST, 'index.html')).mtimeMs) / 60_000;
    console.log(`using the production build in dist/ (built ${age < 1 ? 'just now' : `${age.toFixed(0)} min ago`})`);
    return;
  }
  console.log('dist/ is missing: building it (vite build)');
  const r = spawnSync('npx', ['vite', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('vite build failed');
}

function makeFixtures(scratch: string, appUrl: string): Fixtures {
  const samples = JSON.parse(readFileSync(join(DIST, 'samples', 'samples.json'), 'utf8')) as { file: string }[];
  const sampleFile = 'zoo_TFC_2W2A.onnx';
  if (!samples.some((s) => s.file === sampleFile)) throw new Error(`${sampleFile} is no longer a bundled sample: pick another in steps`);
  const samplePath = join(DIST, 'samples', sampleFile);

  const ext = makeExternalDataModel({ targetWeightBytes: 2e6, blocks: 6, seed: 7, location: 'weights.data' });
  const extModel = decodeModel(ext.model);
  const w = extModel.graph!.initializer!.find((t) => t.dataLocation === 1)!;
  const off = Number(w.externalData!.find((e) => e.key === 'offset')!.value);
  const firstValues = [...new Float32Array(ext.data.buffer.slice(ext.data.byteOffset + off, ext.data.byteOffset + off + 16))];
  const extDir = mkdtempSync(join(scratch, 'external-'));
  writeFileSync(join(extDir, 'cnn.onnx'), ext.model);
  writeFileSync(join(extDir, ext.dataFileName), ext.data);

  const huge = ensureHugeGraph({ nodes: 20000 });
  return {
    appUrl,
    sampleCount: samples.length,
    sample: { file: sampleFile, path: samplePath, nodes: decodeModel(new Uint8Array(readFileSync(samplePath))).graph!.node!.length },
    external: { modelPath: join(extDir, 'cnn.onnx'), dataPath: join(extDir, ext.dataFileName), fileName: 'cnn.onnx', nodes: extModel.graph!.node!.length, firstWeight: { name: w.name!, values: firstValues } },
    huge: { path: huge.path, fileName: huge.path.split('/').pop()!, nodes: 20000 },
    outDir: mkdtempSync(join(scratch, 'downloads-')),
    cliCost,
  };
}

function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, fail) => (timer = setTimeout(() => fail(new StepFailure(`${what} took over ${seconds} s`)), seconds * 1000))),]).finally(() => clearTimeout(timer));
}

/** The page's errors since the last call (taken out of the page's list, which a reload starts afresh). */
const pageErrors = (d: BrowserDriver) => d.evaluate<string[]>(`() => window.__testErrors ? window.__testErrors.splice(0) : ['the page hooks are not loaded']`);

/** Run every step in one engine; returns the number of failed steps. */
async function runEngine(engine: Engine, fixtures: Fixtures, scratch: string): Promise<number> {
  const t0 = performance.now();
  let d: BrowserDriver;
  try {
    d = await withTimeout(engine.launch(scratch), 60, `starting ${engine.title}`);
  } catch (e) {
    console.log(`  ✗ ${engine.title} did not start: ${(e as Error).message}`);
    return 1;
  }
  console.log(`\n${d.name}`);
  const state: State = {};
  let failed = 0;
  try {
    for (const [i, step] of STEPS.entries()) {
      if (step.todo) {
        console.log(`  - TODO ${step.name}`);
        continue;
      }
      if (step.only && !step.only.engines.includes(engine.id)) {
        console.log(`  - not in ${engine.title}: ${step.name} (${step.only.elsewhere})`);
        continue;
      }
      if (failed) {
        console.log(`  - not run (after a failure): ${step.name}`);
        continue;
      }
      const t = performance.now();
      try {
        await withTimeout(step.run(d, fixtures, state), step.timeoutS ?? 60, step.name);
        const fresh = await pageErrors(d);
        if (fresh.length) throw new StepFailure(`the page reported ${fresh.length} error(s):\n      ${fresh.join('\n      ')}`);
        console.log(`  ✓ ${step.name} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
        if (process.env.BROWSER_SHOTS === '1') {
          mkdirSync(SHOTS, { recursive: true });
          await d.screenshot(join(SHOTS, `${engine.id}-${String(i + 1).padStart(2, '0')}-passed.png`));
        }
      } catch (e) {
        failed++;
        const msg = e instanceof StepFailure ? e.message : String((e as Error)?.stack ?? e);
        console.log(`  ✗ ${step.name} (${((performance.now() - t) / 1000).toFixed(1)} s)\n      ${msg.split('\n').join('\n      ')}`);
        try {
          const errs = await pageErrors(d);
          if (errs.length) console.log(`      page errors: ${errs.join(' | ')}`);
          mkdirSync(SHOTS, { recursive: true });
          const shot = join(SHOTS, `${engine.id}-${String(i + 1).padStart(2, '0')}.png`);
          await withTimeout(d.screenshot(shot), 20, 'the screenshot');
          console.log(`      screenshot: ${shot}`);
        } catch {
          /* the page may be gone */
        }
      }
    }
  } finally {
    await withTimeout(d.close(), 20, `closing ${engine.title}`).catch((e) => console.log(`  (closing ${engine.title}: ${(e as Error).message})`));
  }
  console.log(`  ${engine.title}: ${failed ? `${failed} step(s) failed` : 'all steps passed'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return failed;
}

async function main(): Promise<number> {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  const engines = ENGINES.filter((e) => !only || e.id === only);
  if (!engines.length) throw new Error(`--only: unknown engine '${only}' (firefox, webkit)`);
  let failures = 0;
  const present: Engine[] = [];
  for (const e of engines) {
    const missing = e.missing();
    if (!missing) present.push(e);
    else if (REQUIRE) {
      console.log(`✗ ${e.title} is required (REQUIRE_BROWSERS=1) but not installed here (${missing})`);
      failures++;
    } else console.log(`skipped ${e.title}: not installed here (${missing}); its tests did not run`);
  }
  if (!present.length) return failures ? 1 : 0;

  buildIfMissing();
  const scratch = mkdtempSync(join(tmpdir(), 'qonnx-browsers-'));
  const server = await startStaticServer(DIST, '/qonnx-studio/', { overrides: { 'index.html': withHooks, [HOOKS_FILE]: HOOKS_SOURCE } });
  try {
    const fixtures = makeFixtures(scratch, server.url);
    for (const e of present) failures += await runEngine(e, fixtures, scratch);
  } finally {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const skipped = engines.length - present.length;
  console.log(`\n${failures ? `FAILED: ${failures} failure(s)` : 'passed'} (${present.map((e) => e.title).join(', ')}${skipped && !REQUIRE ? `; skipped ${engines.filter((e) => !present.includes(e)).map((e) => e.title).join(', ')}` : ''})`);
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
