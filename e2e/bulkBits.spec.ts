/**
 * Bulk bit widths that skip what cannot change, and bit-width cells that refuse a value with the reason.
 *
 * The Brevitas-shaped model (src/core/testing/quantModels.ts) has two Gemm layers: Quant_w1 (weights,
 * 8 bits), Quant_b1 (the bias of Gemm_1, bit width computed by an Add), Quant_w2 (weights, bit width
 * computed by a Cast), and the activation quantizers Quant_in and Quant_a1 (8 bits).
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeModel } from '../src/core/onnx/codec';
import { brevitasGemm } from '../src/core/testing/quantModels';
import { expectModelOpen, openTfc, pickFiles } from './helpers';

const quantRow = (page: Page, name: string) => page.locator(`[data-testid="quant-row"][data-name="${name}"]`);
const bitsOf = (page: Page, name: string) => quantRow(page, name).getByTestId('bits-cell');

async function openQuantPanel(page: Page, rows: number) {
  await page.getByTestId('quant-panel-button').click();
  await expect(page.getByTestId('quant-panel')).toBeVisible();
  await expect(page.getByTestId('quant-row')).toHaveCount(rows);
}

async function openBrevitas(page: Page) {
  await page.goto('/');
  await pickFiles(page, [{ name: 'brevitas_gemm.onnx', bytes: encodeModel(brevitasGemm()) }]);
  await expectModelOpen(page, 'brevitas_gemm.onnx', 11);
  await openQuantPanel(page, 5);
}

test('bulk weights -> 4 with a computed width: one changes, the other is listed with the reason, one undo step', async ({ page }) => {
  await openBrevitas(page);
  // the kinds: the bias quantizer is not a weight
  for (const [name, kind] of [['Quant_in', 'activation'], ['Quant_w1', 'weight'], ['Quant_b1', 'bias'], ['Quant_a1', 'activation'], ['Quant_w2', 'weight']]) {
    await expect(quantRow(page, name).locator('td').nth(2)).toHaveText(kind);
  }
  const history = page.getByTestId('history').locator('li');
  await expect(history).toHaveCount(1);

  await expect(page.getByTestId('bulk-target')).toHaveValue('weights');
  await page.getByTestId('bulk-bits').fill('4');
  await expect(page.getByTestId('bulk-apply')).toHaveText('Apply to 1');
  await expect(page.getByTestId('bulk-skip-count')).toHaveText("1 can't change");
  await page.getByTestId('bulk-apply').click();

  const report = page.getByTestId('bulk-report');
  await expect(report).toContainText('Weight quantizers → 4 bits (1 skipped): 1 changed, 1 skipped:');
  await expect(page.getByTestId('bulk-skipped').locator('li')).toHaveText(['Quant_w2: its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant']);
  await expect(bitsOf(page, 'Quant_w1')).toHaveValue('4');
  for (const n of ['Quant_in', 'Quant_a1']) await expect(bitsOf(page, n)).toHaveValue('8');
  await expect(history).toHaveCount(2);
  await expect(history.nth(1)).toHaveText('Weight quantizers → 4 bits (1 skipped)');
  await page.getByTestId('quant-panel').screenshot({ path: test.info().outputPath('bulk-report.png') });

  // "all" to 3: three change, the computed bias and weight widths are skipped; still one step
  await page.getByTestId('bulk-target').selectOption('all');
  await page.getByTestId('bulk-bits').fill('3');
  await expect(page.getByTestId('bulk-apply')).toHaveText('Apply to 3');
  await page.getByTestId('bulk-apply').click();
  await expect(page.getByTestId('bulk-skipped').locator('li')).toHaveText([
    'Quant_b1: its bit width is computed by the graph (by Add Add_b1_bw), not a constant',
    'Quant_w2: its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant',
  ]);
  for (const n of ['Quant_in', 'Quant_w1', 'Quant_a1']) await expect(bitsOf(page, n)).toHaveValue('3');
  await expect(history).toHaveCount(3);

  // one undo takes back the whole "all" action, the next one the weights action
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Control+z');
  for (const n of ['Quant_in', 'Quant_a1']) await expect(bitsOf(page, n)).toHaveValue('8');
  await expect(bitsOf(page, 'Quant_w1')).toHaveValue('4');
  await expect(report).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(bitsOf(page, 'Quant_w1')).toHaveValue('8');
  await expect(history.nth(0)).toHaveAttribute('class', 'is-current');
});

test('a bits cell refuses 0, 33, 2.5 and a computed width: the cell goes back and the reason shows next to it', async ({ page }) => {
  await openBrevitas(page);
  const cell = bitsOf(page, 'Quant_w1');
  const error = quantRow(page, 'Quant_w1').getByTestId('bits-cell-error');
  for (const [typed, why] of [['0', '0 bits is outside 1..32'], ['33', '33 bits is outside 1..32'], ['2.5', '2.5 is not a whole number of bits'], ['-1', '-1 bits is outside 1..32']]) {
    await cell.fill(typed);
    await cell.press('Enter');
    await expect(cell).toHaveValue('8');
    await expect(error).toHaveText(why);
  }
  await expect(page.getByTestId('history').locator('li')).toHaveCount(1);
  await page.getByTestId('quant-panel').screenshot({ path: test.info().outputPath('cell-error.png') });
  // a valid value clears the message and applies
  await cell.fill('5');
  await cell.press('Enter');
  await expect(error).toHaveCount(0);
  await expect(cell).toHaveValue('5');
  await expect(page.getByTestId('history').locator('li')).toHaveCount(2);

  // the bias quantizer's width is computed by the graph: a typed value is refused after the pause too
  const bias = bitsOf(page, 'Quant_b1');
  await expect(bias).toHaveValue('');
  await bias.pressSequentially('6');
  await expect(quantRow(page, 'Quant_b1').getByTestId('bits-cell-error')).toHaveText('its bit width is computed by the graph (by Add Add_b1_bw), not a constant');
  await expect(bias).toHaveValue('');
  await expect(page.getByTestId('history').locator('li')).toHaveCount(2);
});

for (const width of [1400, 1100]) test(`TFC, window ${width} px wide: the panel header stays on one line after an edit (the close button neither wraps nor leaves)`, async ({ page }) => {
  await page.setViewportSize({ width, height: 900 });
  await openTfc(page);
  await openQuantPanel(page, 8);
  await page.getByTestId('bulk-bits').fill('4');
  await page.getByTestId('bulk-apply').click();
  await expect(page.getByTestId('quant-bops')).toContainText('(was ');
  const head = page.getByTestId('quant-panel').locator('.quant-head');
  const close = page.getByTestId('quant-panel-close');
  const title = head.locator('strong');
  const [hb, cb, tb] = [await head.boundingBox(), await close.boundingBox(), await title.boundingBox()];
  // the close button sits on the title's line, inside the header, at its right end
  expect(Math.abs(cb!.y + cb!.height / 2 - (tb!.y + tb!.height / 2))).toBeLessThan(4);
  expect(cb!.x + cb!.width).toBeLessThanOrEqual(hb!.x + hb!.width + 1);
  expect(cb!.x).toBeGreaterThan(hb!.x + hb!.width - 60);
  expect(hb!.height).toBeLessThan(48);
  await head.screenshot({ path: test.info().outputPath('quant-head.png') });
  await close.click();
  await expect(page.getByTestId('quant-panel')).toHaveCount(0);
});
