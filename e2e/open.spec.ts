/** Opening a model: drop, picker, ?url= (same-origin and GitHub page links), start-screen samples. */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/core/onnx/codec';
import { dropFiles, expectModelOpen, modelBytes, pickFiles, TFC, TFC_NODES } from './helpers';

test('open by dropping a file on the app', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('start-screen')).toBeVisible();
  await dropFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
  await expect(page.getByTestId('start-screen')).toHaveCount(0);
  // Node cards of the real model, not placeholders: the first MatMul and a Quant are on screen.
  await expect(page.getByTestId('graph-node').filter({ hasText: 'MatMul_20' })).toHaveCount(1);
  expect(await page.getByTestId('graph-node').count()).toBeGreaterThan(5);
});

test('open with the file picker', async ({ page }) => {
  await page.goto('/');
  const name = 'qonnx_espcn_subpixel_quant.onnx';
  const bytes = modelBytes(name);
  const nodes = decodeModel(new Uint8Array(bytes)).graph!.node!.length;
  expect(nodes).toBeGreaterThan(10);
  await pickFiles(page, [{ name, bytes }]);
  await expectModelOpen(page, name, nodes);
  // Its operators, from two domains (standard Conv, QONNX Quant), are listed in the Model panel.
  await expect(page.getByTestId('model-panel')).toContainText('Conv');
  await expect(page.getByTestId('model-panel')).toContainText('DepthToSpace');
  await expect(page.getByTestId('model-panel')).toContainText('Quant');
});

test('open by ?url= with a same-origin sample path', async ({ page }) => {
  await page.goto('/?url=samples/zoo_TFC_2W2A.onnx');
  await expectModelOpen(page, TFC, TFC_NODES);
});

test('?url= with a GitHub file page is rewritten to raw.githubusercontent.com', async ({ page, context }) => {
  const requested: string[] = [];
  const body = modelBytes(TFC);
  // The model is fetched from the model worker; context.route sees worker requests too.
  await context.route('https://raw.githubusercontent.com/**', (route) => {
    requested.push(route.request().url());
    return route.fulfill({
      status: 200,
      body,
      headers: { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' },
    });
  });
  // Anything else on github.com would be a failure to rewrite: make it visible as a request.
  await context.route('https://github.com/**', (route) => {
    requested.push(route.request().url());
    return route.abort();
  });
  await page.goto('/?url=' + encodeURIComponent('https://github.com/o/r/blob/main/m.onnx'));
  await expectModelOpen(page, 'm.onnx', TFC_NODES);
  expect(requested).toEqual(['https://raw.githubusercontent.com/o/r/main/m.onnx']);
});

const samples = JSON.parse(readFileSync(fileURLToPath(new URL('../public/samples/samples.json', import.meta.url)), 'utf8')) as { file: string }[];

test('every start-screen sample button opens its sample', async ({ page }) => {
  expect(samples.length).toBeGreaterThan(0);
  for (const [i, s] of samples.entries()) {
    const bytes = readFileSync(fileURLToPath(new URL(`../public/samples/${s.file}`, import.meta.url)));
    const nodes = decodeModel(new Uint8Array(bytes)).graph!.node!.length;
    await page.goto('/');
    // the tab's session brings back the sample opened before: start fresh to get the start screen
    if (i > 0) await page.getByTestId('notice-action').click();
    await expect(page.locator('[data-testid^="sample-"]')).toHaveCount(samples.length);
    await page.getByTestId(`sample-${s.file}`).click();
    await expectModelOpen(page, s.file, nodes);
    // stored before the next page load, which restores it
    await page.evaluate(() => (window as unknown as { __qonnxStudio: { whenSaved(): Promise<void> } }).__qonnxStudio.whenSaved());
  }
});
