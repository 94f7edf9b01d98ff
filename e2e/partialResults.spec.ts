/**
 * Partial results say so: a model with layers the cost cannot count says "partial: N of M layers not
 * costed" in the toolbar, the cost panel and next to that side's totals in the Compare dialog, and lists
 * them; "compare with float" on a model without
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

/** "partial: N of M layers not costed" for a FINN file: the nodes of the op types qonnx-inference-cost lists as unsupported for it. */
function finnPartial(name: string, unsupported: string[], costed: string[]): string {
  const ops = decodeModel(new Uint8Array(modelBytes(name))).graph!.node!.map((n) => n.opType!);
  const left = ops.filter((o) => unsupported.includes(o)).length;
  return `partial: ${left} of ${left + ops.filter((o) => costed.includes(o)).length} layers not costed`;
}
const FINN_BUILD = 'finn_build_dataflow_model.onnx';
// qonnx-inference-cost: unsupported {'MultiThreshold', 'Squeeze', 'TopK', 'Unsqueeze'}; the MatMuls are costed
const FINN_BUILD_PARTIAL = finnPartial(FINN_BUILD, ['MultiThreshold', 'Squeeze', 'TopK', 'Unsqueeze'], ['MatMul']);

test('the compare dialog says which side is partial, next to its totals', async ({ page }) => {
  expect(FINN_BUILD_PARTIAL).toBe('partial: 11 of 15 layers not costed');
  await open(page, FINN_BUILD);
  await expect(page.getByTestId('cost-partial-chip')).toHaveText(FINN_BUILD_PARTIAL);
  await page.getByTestId('compare-button').click();
  const dialog = page.getByTestId('compare-dialog');
  const table = dialog.getByTestId('compare-cost');
  // the opened version and the current one: both partial, each says so in its column
  await expect(table.getByTestId('compare-partial-before')).toHaveText(FINN_BUILD_PARTIAL);
  await expect(table.getByTestId('compare-partial-after')).toHaveText(FINN_BUILD_PARTIAL);
  await expect(table.getByTestId('compare-partial-before')).toHaveAttribute('title', /MultiThreshold_0: .*\n.*Unsqueeze_0: /);
  // every total is marked, never bare
  const bops = table.locator('tr', { hasText: 'BOPs' }).locator('td');
  await expect(bops.nth(0)).toHaveText('59,008*');
  await expect(bops.nth(1)).toHaveText('59,008*');
  await expect(dialog.getByTestId('compare-partial-caveat')).toContainText('compares the costed layers only');
  await dialog.screenshot({ path: `${DIR}/compare-partial-both.png` });
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});

test('the compare dialog: a complete current version against a partial FINN file', async ({ page }) => {
  await openTfc(page);
  await page.getByTestId('compare-button').click();
  const dialog = page.getByTestId('compare-dialog');
  const table = dialog.getByTestId('compare-cost');
  await expect(table.locator('tr', { hasText: 'BOPs' }).locator('td').nth(1)).toHaveText('89,420');
  // complete on both sides: no note, no mark
  await expect(table.getByTestId('compare-partial-before')).toHaveCount(0);
  await expect(table.getByTestId('compare-partial-after')).toHaveCount(0);
  await expect(dialog.getByTestId('compare-partial-caveat')).toHaveCount(0);
  await expect(table.locator('tr', { hasText: 'BOPs' }).locator('td').nth(0)).toHaveText('89,420');

  await dialog.getByTestId('compare-file').setInputFiles({ name: FINN_BUILD, mimeType: 'application/octet-stream', buffer: modelBytes(FINN_BUILD) });
  await expect(table.locator('thead')).toContainText(FINN_BUILD);
  await expect(table.getByTestId('compare-partial-before')).toHaveText(FINN_BUILD_PARTIAL);
  await expect(table.getByTestId('compare-partial-after')).toHaveCount(0);
  const bops = table.locator('tr', { hasText: 'BOPs' }).locator('td');
  await expect(bops.nth(0)).toHaveText('59,008*');
  await expect(bops.nth(1)).toHaveText('89,420');
  await expect(dialog.getByTestId('compare-partial-caveat')).toBeVisible();
  await dialog.screenshot({ path: `${DIR}/compare-partial-other-file.png` });
});
