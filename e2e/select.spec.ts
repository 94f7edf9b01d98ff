/** Selecting nodes and tensors: search, clicking cards, tensor links, .npy download, keyboard walk. */
import { expect, test } from '@playwright/test';
import { downloadBytes, openTfc, selectBySearch } from './helpers';

test.beforeEach(async ({ page }) => {
  await openTfc(page);
});

test('search selects a node and the node panel shows op type, name and attributes', async ({ page }) => {
  await selectBySearch(page, 'BatchNormalization');
  const panel = page.getByTestId('node-panel');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.op-title')).toHaveText('BatchNormalization');
  await expect(page.getByTestId('node-name')).toHaveText('BatchNormalization_21');
  const attrs = page.getByTestId('attributes');
  await expect(attrs.locator('tr')).toHaveCount(2);
  await expect(attrs.locator('tr', { hasText: 'epsilon' })).toContainText('float');
  await expect(attrs.locator('tr', { hasText: 'momentum' })).toBeVisible();
  // Its card is highlighted in the graph.
  await expect(page.locator('[data-testid="graph-node"].is-selected')).toContainText('BatchNormalization_21');

  // A Quant node shows its string attribute as text.
  await selectBySearch(page, 'Quant_13');
  await expect(panel.locator('.op-title')).toHaveText('Quant');
  await expect(page.getByTestId('node-name')).toHaveText('Quant_13');
  await expect(page.getByTestId('attributes').locator('tr', { hasText: 'rounding_mode' })).toContainText('"ROUND"');
});

test('clicking a graph node card selects that node', async ({ page }) => {
  const graphBox = (await page.getByTestId('graph').boundingBox())!;
  const cards = page.locator('[data-testid="graph-node"].gnode-op');
  await expect(cards.first()).toBeVisible();
  // Pick an op card that lies entirely inside the visible graph area.
  let clicked: { op: string; name: string } | undefined;
  for (const card of await cards.all()) {
    const b = await card.boundingBox();
    if (!b || b.y < graphBox.y + 10 || b.y + b.height > graphBox.y + graphBox.height - 10) continue;
    if (b.x < graphBox.x || b.x + b.width > graphBox.x + graphBox.width) continue;
    const op = (await card.locator('.gnode-op-name').textContent())!.trim();
    const name = (await card.locator('.gnode-sub').textContent())!.trim();
    if (op === 'Shape') continue; // the first node: make sure it is not a default selection
    await card.click();
    clicked = { op, name };
    break;
  }
  expect(clicked, 'an op card fully inside the graph view').toBeDefined();
  await expect(page.getByTestId('node-panel').locator('.op-title')).toHaveText(clicked!.op);
  await expect(page.getByTestId('node-name')).toHaveText(clicked!.name);
  await expect(page.locator('[data-testid="graph-node"].is-selected')).toContainText(clicked!.name);
});

test('an initializer input link opens the tensor panel with shape, histogram and a .npy download', async ({ page }) => {
  await selectBySearch(page, 'BatchNormalization_21');
  const panel = page.getByTestId('node-panel');
  // The scale input is an initializer ('init' tag); follow its link.
  const row = panel.locator('table.io tr', { has: page.locator('.tag', { hasText: 'init' }) }).filter({ hasText: 'features.3.weight' });
  await expect(row).toHaveCount(1);
  await row.getByRole('button', { name: 'features.3.weight' }).click();

  const tp = page.getByTestId('tensor-panel');
  await expect(tp).toBeVisible();
  await expect(tp.locator('h2')).toHaveText('features.3.weight');
  await expect(page.getByTestId('tensor-shape')).toHaveText('[64]');
  await expect(page.getByTestId('tensor-datatype')).toHaveText(/^FLOAT(32)?$/); // ONNX element type or QONNX datatype
  await expect(page.getByTestId('tensor-stats')).toContainText('64');
  await expect(page.getByTestId('histogram').locator('rect')).not.toHaveCount(0);
  await expect(tp).toContainText('BatchNormalization BatchNormalization_21');

  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-npy').click()]);
  expect(d.suggestedFilename()).toBe('features.3.weight.npy');
  const npy = await downloadBytes(d);
  expect(npy.subarray(0, 6)).toEqual(Buffer.from([0x93, ...Buffer.from('NUMPY')]));
  const headerLen = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLen).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'shape': (64,)");
  expect((10 + headerLen) % 64).toBe(0);
  expect(npy.length).toBe(10 + headerLen + 64 * 4);
  // The values are the ones the panel shows first.
  const first = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLen, npy.byteOffset + 10 + headerLen + 4))[0];
  const shown = (await page.getByTestId('tensor-first-values').textContent())!.split(',')[0].trim();
  expect(Number(shown)).toBeCloseTo(first, 5);
});

test('search: Ctrl+F opens it, count shows hits, Enter steps through them, Escape closes', async ({ page }) => {
  await expect(page.getByTestId('search-input')).toHaveCount(0);
  await page.keyboard.press('Control+f');
  const input = page.getByTestId('search-input');
  await expect(input).toBeFocused();
  await input.pressSequentially('MatMul');
  await expect(page.getByTestId('search-count')).toHaveText('1 / 4');
  await input.press('Enter');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_20');
  await input.press('Enter');
  await expect(page.getByTestId('search-count')).toHaveText('2 / 4');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_32');
  await input.press('Enter');
  await input.press('Enter');
  await expect(page.getByTestId('search-count')).toHaveText('4 / 4');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
  await input.press('Enter'); // wraps around
  await expect(page.getByTestId('search-count')).toHaveText('1 / 4');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_20');
  await input.press('Shift+Enter');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
  await input.fill('no_such_thing_here');
  await expect(page.getByTestId('search-count')).toHaveText('no match');
  await input.press('Escape');
  await expect(input).toHaveCount(0);
  // Escape in the box closes it but keeps the selection.
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
});

test('keyboard: ArrowDown selects a consumer, ArrowUp its producer', async ({ page }) => {
  await selectBySearch(page, 'MatMul_20');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_20');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('node-name')).toHaveText('BatchNormalization_21');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('node-name')).toHaveText('Quant_25');
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('node-name')).toHaveText('BatchNormalization_21');
});
