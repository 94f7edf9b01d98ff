/**
 * Opening is split between the model worker and the page (the page decodes its own copy beside the
 * worker): a file opened while another is still opening wins, and the first never shows up later nor
 * reports an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encodeModel } from '../src/core/onnx/codec';
import { makeHugeGraph } from '../src/core/testing/synth';
import { MODELS_DIR, pickFiles } from './helpers';

test.describe.configure({ timeout: 120_000 });

test('a model opened while a 20,000-node one is still opening is the one shown, and stays', async ({ page }) => {
  const huge = encodeModel(makeHugeGraph({ nodes: 20000 }));
  const tfc = new Uint8Array(readFileSync(join(MODELS_DIR, 'zoo_TFC_2W2A.onnx')));
  await page.goto('/');
  await pickFiles(page, [{ name: 'huge.onnx', bytes: huge }]);
  await expect(page.getByTestId('loading')).toBeVisible();
  await pickFiles(page, [{ name: 'tfc.onnx', bytes: tfc }]);
  await expect(page.getByTestId('file-name')).toHaveText('tfc.onnx', { timeout: 60_000 });
  await expect(page.getByTestId('node-count')).toHaveText('31');
  // the first open's worker result arrives later: it is dropped, without an error
  await page.waitForTimeout(6000);
  await expect(page.getByTestId('file-name')).toHaveText('tfc.onnx');
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await expect(page.getByTestId('graph-canvas')).toBeVisible();
});
