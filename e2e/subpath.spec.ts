/**
 * The production build as GitHub Pages serves it: dist/ under a sub-path (/qonnx-studio/) from a plain
 * static server that sends no special headers. Open -> cost -> run -> edit bit widths -> export there,
 * with the service worker (isolation, threads), offline after the first visit, and without it.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listQuantizers } from '../src/core/ir/quantEdit';
import { decodeModel } from '../src/core/onnx/codec';
import { downloadBytes, expectModelOpen, exportVia, modelBytes, pickFiles, TFC, TFC_NODES } from './helpers';
import { startStaticServer, type StaticServer } from './staticServer';

const PREFIX = '/qonnx-studio/';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
let server: StaticServer;

test.beforeAll(async () => {
  server = await startStaticServer(DIST, PREFIX);
});

test.afterAll(async () => {
  await server?.close();
});

/** Every request the static server saw stayed under the sub-path (relative asset URLs). */
function expectAllUnderPrefix() {
  expect(server.requests.filter((p) => !p.startsWith(PREFIX) && p !== PREFIX.slice(0, -1))).toEqual([]);
}

async function waitForIsolation(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => !!navigator.serviceWorker.controller && crossOriginIsolated).catch(() => false), { timeout: 30_000 })
    .toBe(true);
  await expect(page.getByTestId('start-screen')).toBeVisible();
}

async function runOnce(page: Page): Promise<string> {
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-timing')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await expect(page.getByTestId('run-output').first()).toBeVisible();
  return (await page.getByTestId('run-timing').textContent()) ?? '';
}

test.describe('with the service worker', () => {
  test.use({ serviceWorkers: 'allow' });

  test('open, cost, run, edit bit widths and export under /qonnx-studio/', async ({ page }) => {
    await page.goto(server.url);
    // First visit: the worker installs, takes control, and the page reloads once, cross-origin isolated.
    await waitForIsolation(page);
    expect(await page.evaluate(() => navigator.serviceWorker.controller!.scriptURL)).toBe(server.url + 'sw.js');

    // Open a bundled sample.
    await page.getByTestId('sample-zoo_TFC_2W2A.onnx').click();
    await expectModelOpen(page, TFC, TFC_NODES);

    // Cost: the reference's golden total.
    await page.getByTestId('cost-button').click();
    await expect(page.getByTestId('total-bops')).toHaveText('89,420');

    // Run, with onnxruntime threads available (the model worker is isolated too).
    await page.getByTestId('run-panel-button').click();
    const timing = await runOnce(page);
    const workers = await Promise.all(
      page.workers().map((w) => Promise.race([w.evaluate(() => [self.name, self.crossOriginIsolated] as const).catch(() => null), new Promise((ok) => setTimeout(() => ok(null), 2000))])),
    );
    expect(workers).toContainEqual(['model', true]);
    console.log(`subpath, isolated: ${timing}`);

    // Edit: every weight quantizer to 4 bits; the cost follows.
    await page.getByTestId('quant-panel-button').click();
    await expect(page.getByTestId('quant-table')).toBeVisible();
    await page.getByTestId('bulk-target').selectOption('weights');
    await page.getByTestId('bulk-bits').fill('4');
    await page.getByTestId('bulk-apply').click();
    await expect(page.getByTestId('quant-bops')).toContainText('(was 89,420)');
    await expect(page.getByTestId('quant-bops')).not.toContainText('BOPs 89,420 ');

    // Export the edited model and read it back.
    const d = await exportVia(page, 'export-onnx');
    expect(d.suggestedFilename()).toBe('zoo_TFC_2W2A-edited.onnx');
    const edited = decodeModel(new Uint8Array(await downloadBytes(d)));
    const weights = listQuantizers(edited).filter((q) => q.role === 'weight' && q.opType === 'Quant');
    expect(weights.length).toBeGreaterThan(0);
    expect(weights.map((q) => q.bits)).toEqual(weights.map(() => 4));

    // The SVG export works there too.
    const svg = await exportVia(page, 'export-svg');
    expect((await downloadBytes(svg)).toString('utf8').startsWith('<svg')).toBe(true);
    expectAllUnderPrefix();
  });

  test('a model opened before the worker takes over is not reloaded away (isolation waits for the next visit)', async ({ page }) => {
    await page.goto(server.url + '?url=samples/zoo_TFC_2W2A.onnx');
    await expectModelOpen(page, TFC, TFC_NODES);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await expect(page.getByTestId('file-name')).toHaveText(TFC);
    // The next visit is isolated at once, without a reload.
    await page.goto(server.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  test('a file that fails to open before the worker takes over keeps its message (no reload erases it)', async ({ page }) => {
    await page.goto(server.url);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    // picked at once, on the first visit: the worker is still installing
    await pickFiles(page, [{ name: 'notes.onnx', bytes: new TextEncoder().encode('this is not a model at all') }]);
    await expect(page.getByTestId('notice')).toHaveClass(/notice-error/);
    const message = await page.getByTestId('notice').textContent();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expect(page.getByTestId('notice')).toHaveText(message!);
  });

  test('works offline once loaded: the shell, the samples and the .wasm come from the cache', async ({ page, context }) => {
    await page.goto(server.url);
    await waitForIsolation(page);
    // Everything the build holds is in the cache (installation finished before the worker took control).
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const c = await caches.open(keys.find((k) => k.startsWith('qonnx-studio-'))!);
      return (await c.keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached).toContain(PREFIX);
    expect(cached.some((p) => /\/assets\/ort-wasm[^/]*\.wasm$/.test(p))).toBe(true);
    expect(cached).toContain(PREFIX + 'samples/zoo_TFC_2W2A.onnx');

    await context.setOffline(true);
    const before = server.requests.length;
    await page.reload();
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await page.getByTestId('sample-qonnx_espcn_subpixel_quant.onnx').click();
    await expect(page.getByTestId('file-name')).toHaveText('qonnx_espcn_subpixel_quant.onnx');
    await expect(page.getByTestId('graph-node').first()).toBeVisible();
    await page.getByTestId('run-panel-button').click();
    await page.getByTestId('run-compare').uncheck();
    const timing = await runOnce(page);
    console.log(`subpath, offline, isolated (ESPCN): ${timing}`);
    expect(server.requests.length).toBe(before); // nothing reached the server
    await context.setOffline(false);
  });
});

test('without the service worker: plain static hosting, single-threaded, from the folder URL without its slash', async ({ page }) => {
  await page.goto(server.url.slice(0, -1)); // /qonnx-studio -> 301 -> /qonnx-studio/
  await expect(page.getByTestId('start-screen')).toBeVisible();
  expect(page.url()).toBe(server.url);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await pickFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
  await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('total-bops')).toHaveText('89,420');
  await page.getByTestId('run-panel-button').click();
  console.log(`subpath, not isolated: ${await runOnce(page)}`);
  const d = await exportVia(page, 'export-onnx');
  expect((await downloadBytes(d)).equals(modelBytes(TFC))).toBe(true);
  // The bundled samples list is read from the sub-path too.
  const samples = JSON.parse(readFileSync(DIST + 'samples/samples.json', 'utf8')) as unknown[];
  await page.evaluate(() => (window as unknown as { __qonnxStudio: { whenSaved(): Promise<void> } }).__qonnxStudio.whenSaved());
  await page.goto(server.url);
  // the same tab gets its session back (saved under the sub-path's origin); Start fresh shows the samples
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}`);
  await page.getByTestId('notice-action').click();
  await expect(page.locator('[data-testid^="sample-"]')).toHaveCount(samples.length);
  expectAllUnderPrefix();
});
