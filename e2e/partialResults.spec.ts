/**
 * Partial results say so: a model with layers the cost cannot count says "partial: N of M layers not
 * costed" in the toolbar and the cost panel and lists them; "compare with float" on a model without
 * quantizers says there is nothing to compare instead of running the same model twice.
 */
import { expect, test, type Page } from '@playwright/test';
import { decodeModel } from '../src/core/onnx/codec';
import { expectModelOpen, modelBytes, openTfc, pickFiles } from './helpers';

const DIR = 'test-results/screenshots';

async function open(page: Page, name: string) {
  await page.goto('/');
  const bytes = modelBytes(name);
  await pickFiles(page, [{ name, bytes }]);
  await expectModelOpen(page, name, decodeModel(new Uint8Array(bytes)).graph!.node!.length);
}

test('a FINN hardware graph: the toolbar and the cost panel say partial, and list the layers', async ({ page }) => {
  const name = 'finn_tfc_w1a1_after_conv_to_hls.onnx';
  await open(page, name);
  // qonnx-inference-cost lists MultiThreshold and StreamingFCLayer_Batch as unsupported for this file:
  // each node of those types is a layer left out, named by the file or by its position
  const file = decodeModel(new Uint8Array(modelBytes(name))).graph!.node!;
  const left = file.flatMap((n, k) => (n.opType === 'MultiThreshold' || n.opType === 'StreamingFCLayer_Batch' ? [n.name ? n.name : `node #${k} (${n.opType})`] : []));
  expect(left.length).toBe(5);
  const summary = `partial: ${left.length} of ${left.length} layers not costed`;
  await expect(page.getByTestId('cost-partial-chip')).toHaveText(summary);

  await page.keyboard.press('k');
  await expect(page.getByTestId('cost-totals')).toBeVisible();
  await expect(page.getByTestId('cost-partial-summary')).toHaveText(summary);
  const items = page.getByTestId('cost-partial-list').locator('li');
  await expect(items).toHaveCount(left.length);
  for (const [k, who] of left.entries()) await expect(items.nth(k)).toHaveText(new RegExp(`^${who.replace(/[()#]/g, '\\$&')}: qonnx-inference-cost has no cost model for`));
  await page.screenshot({ path: `${DIR}/cost-partial-finn.png` });

  // a listed layer opens its node
  await items.nth(1).getByRole('button').click();
  await expect(page.getByTestId('node-panel').locator('.op-title')).toHaveText('StreamingFCLayer_Batch');
});

test('a complete cost is not called partial', async ({ page }) => {
  await openTfc(page);
  await page.keyboard.press('k');
  await expect(page.getByTestId('total-bops')).toHaveText('89,420');
  await expect(page.getByTestId('cost-partial')).toHaveCount(0);
  await expect(page.getByTestId('cost-partial-chip')).toHaveCount(0);
});

test('compare with float on a float model: nothing to compare, the model runs once', async ({ page }) => {
  await open(page, 'qonnx_mnist_conv_float.onnx');
  await page.getByTestId('run-panel-button').click();
  await expect(page.getByTestId('run-compare')).toBeChecked();
  await expect(page.getByTestId('run-no-twin')).toContainText('Nothing to compare with float');
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-timing')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('run-button')).toBeEnabled();
  await expect(page.getByTestId('run-timing')).not.toContainText('float twin');
  await expect(page.getByTestId('error-table')).toHaveCount(0);
  await expect(page.getByTestId('run-no-twin')).toBeVisible();
});

test('compare with float on a quantized model still runs the float twin', async ({ page }) => {
  await openTfc(page);
  await page.getByTestId('run-panel-button').click();
  await expect(page.getByTestId('run-no-twin')).toHaveCount(0);
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-timing')).toContainText('float twin', { timeout: 30_000 });
  await expect(page.getByTestId('error-table')).toBeVisible();
});
