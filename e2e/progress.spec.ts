/**
 * Long tasks on a 20,000-node model: opening, the inference cost and a transformation each show what
 * they are doing and can be cancelled, after which the app is as before and the task can be run again.
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeModel } from '../src/core/onnx/codec';
import { makeHugeGraph } from '../src/core/testing/synth';
import { pickFiles } from './helpers';

const NODES = 20000;
const FILE = 'huge-20000.onnx';
let bytes: Uint8Array;

test.beforeAll(() => {
  bytes = encodeModel(makeHugeGraph({ nodes: NODES }));
});

async function openHuge(page: Page): Promise<void> {
  await pickFiles(page, [{ name: FILE, bytes }]);
  await expect(page.getByTestId('file-name')).toHaveText(FILE, { timeout: 60_000 });
  await expect(page.getByTestId('node-count')).toHaveText(NODES.toLocaleString('en-US'));
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

test.describe.configure({ timeout: 180_000 });

test('opening can be cancelled: the start screen comes back at once, and the same file opens afterwards', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: FILE, bytes }]);
  await expect(page.getByTestId('loading')).toBeVisible();
  await page.getByTestId('loading-cancel').click();
  await expect(page.getByTestId('loading')).toHaveCount(0);
  await expect(page.getByTestId('start-screen')).toBeVisible();
  // the worker stopped at its next stage: no model turns up later, and no error is shown
  await page.waitForTimeout(3000);
  await expect(page.getByTestId('file-name')).toHaveCount(0);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await openHuge(page);
});

test('the cost shows its progress and can be cancelled, then computed again', async ({ page }) => {
  await page.goto('/');
  await openHuge(page);
  await page.getByTestId('cost-button').click();
  const progress = page.getByTestId('cost-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toContainText('Computing the cost');
  await progress.getByTestId('cost-progress-cancel').click();
  await expect(page.getByTestId('cost-cancelled')).toBeVisible();
  await expect(page.getByTestId('cost-totals')).toHaveCount(0);
  await page.getByTestId('cost-retry').click();
  await expect(page.getByTestId('cost-totals')).toBeVisible({ timeout: 60_000 });
  expect(Number((await page.getByTestId('total-macs').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
});

test('a transformation shows its progress and can be cancelled; the model is unchanged', async ({ page }) => {
  await page.goto('/');
  await openHuge(page);
  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await dialog.getByTestId('transform-cleanup').click();
  await dialog.getByTestId('transform-preview').click();
  const progress = dialog.getByTestId('transform-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toContainText('QONNX cleanup: Cleanup:');
  await progress.getByTestId('transform-progress-cancel').click();
  await expect(dialog.getByTestId('transform-error')).toHaveText('Cancelled.');
  await expect(dialog.getByTestId('diff')).toHaveCount(0);
  await expect(page.getByTestId('node-count')).toHaveText(NODES.toLocaleString('en-US'));
});

test('a new layout of the 20,000-node graph (grouping off) says it is being computed while the old one stays', async ({ page }) => {
  await page.goto('/');
  await openHuge(page);
  await page.getByTestId('graph').click({ position: { x: 400, y: 300 } });
  await page.keyboard.press('g');
  const busy = page.getByTestId('layout-busy');
  await expect(busy).toBeVisible();
  await expect(busy).toContainText(/Laying out [\d,]+ boxes/);
  await expect(busy).toHaveCount(0, { timeout: 60_000 });
});
