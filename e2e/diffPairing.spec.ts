/**
 * The transformation preview and the compare view after a QONNX cleanup of qonnx_espcn_subpixel_quant,
 * whose renaming gives the input quantizer of the second block (Quant_11, UINT4) the name Quant_4 that
 * an INT8 weight quantizer had: nodes are paired by what they compute, so the preview reports the
 * rename and no precision change, and a later bit-width edit of Quant_4 is one change, from UINT4.
 * The edit markers (quantizer table and graph) pair the same way: none after the cleanup, and the edit
 * marks Quant_4 alone (not the quantizer that had its index in the opened file).
 */
import { expect, test } from '@playwright/test';
import { expectModelOpen, modelBytes, pickFiles } from './helpers';

const ESPCN = 'qonnx_espcn_subpixel_quant.onnx';

test('cleanup renames quantizers onto names of other precisions: the preview and the compare view pair them by content', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: ESPCN, bytes: modelBytes(ESPCN) }]);
  await expectModelOpen(page, ESPCN, 20);

  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await dialog.getByTestId('transform-cleanup').click();
  await dialog.getByTestId('transform-preview').click();
  const diff = dialog.getByTestId('diff');
  await expect(diff).toBeVisible();
  await expect(dialog.getByTestId('diff-changed')).toHaveText('20');
  await expect(diff).toContainText('Quant_4: renamed from Quant_11');
  await expect(diff).toContainText('Quant_0: renamed from Quant_4');
  await expect(diff).not.toContainText('precision changes');
  await page.screenshot({ path: test.info().outputPath('transform-preview.png') });
  await dialog.getByTestId('transform-apply').click();
  await expect(dialog).toHaveCount(0);

  // renamed and sorted, nothing edited: no marker in the graph nor in the table
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('edited-marker')).toHaveCount(0);

  // the cleaned Quant_4 (was Quant_11, UINT4) set to 3 bits
  await page.getByTestId('quant-panel-button').click();
  await expect(page.getByTestId('quant-row')).toHaveCount(8);
  await expect(page.getByTestId('quant-edited')).toHaveCount(0);
  const bits = page.locator('[data-testid="quant-row"][data-name="Quant_4"]').getByTestId('bits-cell');
  await expect(bits).toHaveValue('4');
  await bits.fill('3');
  await bits.press('Enter');
  await expect(bits).toHaveValue('3');
  // exactly that quantizer is marked, with what it was
  const marked = page.getByTestId('quant-edited');
  await expect(marked).toHaveCount(1);
  await expect(page.locator('[data-testid="quant-row"][data-name="Quant_4"]').getByTestId('quant-edited')).toHaveCount(1);
  await expect(marked).toHaveAttribute('title', /was UINT4.*\(named Quant_11 then\)/);
  await page.getByTestId('quant-table').screenshot({ path: test.info().outputPath('quant-table.png') });
  // and the graph marks one node: the card that shows Quant_4
  await page.locator('[data-testid="quant-row"][data-name="Quant_4"] td').first().click();
  await expect(page.getByTestId('edited-marker')).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('graph-marker.png') });

  await page.getByTestId('compare-button').click();
  const compare = page.getByTestId('compare-dialog');
  const cdiff = compare.getByTestId('diff');
  await expect(cdiff).toContainText('1 precision changes');
  await expect(cdiff).toContainText('Quant_4 (was Quant_11): UINT4 → UINT3');
  await page.screenshot({ path: test.info().outputPath('compare.png') });
});
