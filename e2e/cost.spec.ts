/**
 * The cost panel on zoo_TFC_2W2A: the reference's golden totals (published by qonnx), the sparsity
 * toggle, row <-> graph selection, JSON/CSV downloads, the overlay legend and the what-if line.
 */
import { expect, test, type Page } from '@playwright/test';
import { downloadBytes, openTfc, selectBySearch } from './helpers';

test.beforeEach(async ({ page }) => {
  await openTfc(page);
});

async function openCostPanel(page: Page, how: 'key' | 'button') {
  if (how === 'key') await page.keyboard.press('k');
  else await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  await expect(page.getByTestId('cost-totals')).toBeVisible();
}

const row = (page: Page, name: string) => page.locator(`[data-testid="cost-row"][data-node="${name}"]`);

test('K opens the panel with the golden totals; unticking discount sparsity gives the dense ones', async ({ page }) => {
  await openCostPanel(page, 'key');
  // sparse golden values: 22355 MACs, 89420 BOPs, 44710 weight bits, 6464 output bits
  await expect(page.getByTestId('total-bops')).toHaveText('89,420');
  await expect(page.getByTestId('total-macs')).toHaveText('22,355');
  await expect(page.getByTestId('total-mem-w')).toHaveText('44,710');
  await expect(page.getByTestId('total-mem-o')).toHaveText('6,464');
  await expect(page.getByTestId('cost-row')).toHaveCount(4);
  expect(await page.getByTestId('cost-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-node')))).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
  // nothing unsupported in TFC_2W2A
  await expect(page.getByTestId('cost-partial')).toHaveCount(0);

  const toggle = page.getByTestId('discount-sparsity');
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  // dense golden values: 59008 MACs, 236032 BOPs, 118016 weight bits
  await expect(page.getByTestId('total-bops')).toHaveText('236,032');
  await expect(page.getByTestId('total-macs')).toHaveText('59,008');
  await expect(page.getByTestId('total-mem-w')).toHaveText('118,016');
  await expect(page.getByTestId('total-mem-o')).toHaveText('6,464');
  await toggle.check();
  await expect(page.getByTestId('total-bops')).toHaveText('89,420');

  // K again closes it (once the checkbox, an input, no longer has the focus: keys typed into inputs are not commands)
  await toggle.blur();
  await page.keyboard.press('k');
  await expect(page.getByTestId('cost-panel')).toHaveCount(0);
});

test('clicking a cost row selects its node; selecting a node in the graph highlights its row', async ({ page }) => {
  await openCostPanel(page, 'button');
  // MatMul_1 in the reference's naming is the file's second MatMul, MatMul_32
  await row(page, 'MatMul_1').click();
  await expect(page.getByTestId('node-panel').locator('.op-title')).toHaveText('MatMul');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_32');
  await expect(row(page, 'MatMul_1')).toHaveClass(/is-selected/);
  await expect(page.locator('[data-testid="cost-row"].is-selected')).toHaveCount(1);
  await expect(page.locator('[data-testid="graph-node"].is-selected')).toContainText('MatMul_32');

  // the other way round: the last MatMul (MatMul_56 in the file) is MatMul_3
  await selectBySearch(page, 'MatMul_56');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
  await expect(row(page, 'MatMul_3')).toHaveClass(/is-selected/);
  await expect(row(page, 'MatMul_1')).not.toHaveClass(/is-selected/);
  await expect(page.locator('[data-testid="cost-row"].is-selected')).toHaveCount(1);

  // a node that is not costed highlights no row
  await selectBySearch(page, 'BatchNormalization_21');
  await expect(page.getByTestId('node-name')).toHaveText('BatchNormalization_21');
  await expect(page.locator('[data-testid="cost-row"].is-selected')).toHaveCount(0);
});

test('JSON and CSV downloads', async ({ page }) => {
  await openCostPanel(page, 'button');
  const [dj] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cost-json').click()]);
  expect(dj.suggestedFilename()).toBe('zoo_TFC_2W2A.cost.json');
  const text = (await downloadBytes(dj)).toString('utf8');
  const doc = JSON.parse(text);
  expect(doc.total_cost.total_bops).toBe(89420);
  expect(doc.total_cost.total_macs).toBe(22355);
  expect(doc.total_cost.unsupported).toBe('set()');
  expect(doc.total_cost.discount_sparsity).toBe(true);
  expect(Object.keys(doc.node_cost)).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
  // written as the reference writes it: floats, sorted keys, indent 2
  expect(text).toContain('\n    "total_bops": 89420.0,\n');
  expect(Object.keys(doc)).toEqual(['node_cost', 'optype_cost', 'total_cost']);

  const [dc] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cost-csv').click()]);
  expect(dc.suggestedFilename()).toBe('zoo_TFC_2W2A.cost.csv');
  const lines = (await downloadBytes(dc)).toString('utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(5);
  expect(lines[0].startsWith('node,op_type,input_datatype,weight_datatype,output_datatype,macs,bops')).toBe(true);
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
  const bopsCol = lines[0].split(',').indexOf('bops');
  expect(lines.slice(1).reduce((s, l) => s + Number(l.split(',')[bopsCol]), 0)).toBe(89420);
});

test('the BOPs overlay shows its legend, scaled to the heaviest layer', async ({ page }) => {
  await openCostPanel(page, 'button');
  await expect(page.getByTestId('overlay-legend')).toHaveCount(0);
  await page.getByTestId('overlay-select').selectOption('bops');
  const legend = page.getByTestId('overlay-legend');
  await expect(legend).toBeVisible();
  await expect(legend).toContainText('BOPs');
  // MatMul_0: 15720 nonzero 2-bit weights x 2-bit inputs = 62,880 BOPs, the largest layer
  await expect(legend).toContainText('62,880');
  await page.getByTestId('overlay-select').selectOption('none');
  await expect(page.getByTestId('overlay-legend')).toHaveCount(0);
});

test('what-if: every Quant at 4 bits', async ({ page }) => {
  await openCostPanel(page, 'button');
  const bits = page.getByTestId('whatif-bits');
  await expect(bits).toHaveValue('4');
  // The weight quantizers have scale 1, so q = round(clamp(w, -qmax, qmax)) is zero exactly when
  // |w| <= 0.5, at 2 bits as at 4: the density does not change and the 22355 nonzero MACs become
  // 4 x 4 bit ones: 16 * 22355 = 357,680 BOPs (+300 %).
  await expect(page.getByTestId('whatif-bops')).toHaveText('357,680');
  await expect(page.getByTestId('cost-whatif')).toContainText('+300.0 %');
  // 2 bits is the model as it is
  await bits.fill('2');
  await expect(page.getByTestId('whatif-bops')).toHaveText('89,420');
  // 1 bit makes the quantizers sign functions: no zeros left, 59008 MACs of 1 x 1 bit
  await bits.fill('1');
  await expect(page.getByTestId('whatif-bops')).toHaveText('59,008');
});
