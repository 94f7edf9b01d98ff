/**
 * Editing zoo_TFC_2W2A in the browser: bit widths from the quantizer table and from the precision form,
 * the live cost before -> after, edited-node markers, export of the edited model (checked with the CLI),
 * undo/redo, re-opening the export; the transform dialog (cleanup, preview, apply, undo), renaming a node,
 * the compare dialog, and the other sidebar edits (input shape, metadata, tensors, attributes, delete).
 *
 * Numbers: TFC has 784*64 + 64*64 + 64*64 + 64*10 = 59,008 MACs, all with 2-bit inputs. Dense (sparsity
 * not discounted) that is 2 x 2 x 59,008 = 236,032 BOPs; with every weight quantizer at 4 bits,
 * 2 x 4 x 59,008 = 472,064.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadBytes, expectModelOpen, exportVia, openTfc, pickFiles, selectBySearch, TFC_NODES } from './helpers';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const MACS = 784 * 64 + 64 * 64 + 64 * 64 + 64 * 10;
const DENSE_2x2 = 2 * 2 * MACS;
const DENSE_2x4 = 2 * 4 * MACS;
const fmt = (n: number) => n.toLocaleString('en-US');
const WEIGHT_QUANTS = ['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54'];
const ACT_QUANTS = ['Quant_13', 'Quant_25', 'Quant_37', 'Quant_49'];
const MATMULS = ['MatMul_20', 'MatMul_32', 'MatMul_44', 'MatMul_56'];

test.beforeEach(async ({ page }) => {
  await openTfc(page);
});

async function openCostPanel(page: Page) {
  await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  await expect(page.getByTestId('cost-totals')).toBeVisible();
}

async function openQuantPanel(page: Page) {
  await page.getByTestId('quant-panel-button').click();
  await expect(page.getByTestId('quant-panel')).toBeVisible();
  await expect(page.getByTestId('quant-row')).toHaveCount(8);
}

const quantRow = (page: Page, name: string) => page.locator(`[data-testid="quant-row"][data-name="${name}"]`);

/** The cost CLI on a file, as a user would run it: the dense total BOPs. */
function cliDenseBops(file: string): number {
  const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'cost', file, '--no-discount-sparsity'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).total_cost.total_bops;
}

/** Move the focus out of any input, so that keys reach the app's shortcuts as a user's would. */
async function blur(page: Page) {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

test('bulk 4-bit weights: cost 236,032 -> 472,064, markers, export checked by the CLI, undo/redo, re-open', async ({ page }) => {
  expect(DENSE_2x2).toBe(236032);
  expect(DENSE_2x4).toBe(472064);
  await openCostPanel(page);
  await page.getByTestId('discount-sparsity').uncheck();
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x2));

  await openQuantPanel(page);
  // the table as opened: eight 2-bit quantizers, four of them weights
  for (const n of [...WEIGHT_QUANTS, ...ACT_QUANTS]) await expect(quantRow(page, n).getByTestId('bits-cell')).toHaveValue('2');
  await expect(page.getByTestId('bulk-target')).toHaveValue('weights');
  await page.getByTestId('bulk-target').selectOption('op:MatMul');
  await page.getByTestId('bulk-bits').fill('4');
  await expect(page.getByTestId('bulk-apply')).toHaveText('Apply to 4');
  await page.getByTestId('bulk-apply').click();
  for (const n of WEIGHT_QUANTS) await expect(quantRow(page, n).getByTestId('bits-cell')).toHaveValue('4');
  for (const n of ACT_QUANTS) await expect(quantRow(page, n).getByTestId('bits-cell')).toHaveValue('2');
  await expect(page.getByTestId('quant-bops')).toHaveText(`BOPs ${fmt(DENSE_2x4)} (was ${fmt(DENSE_2x2)})`);

  // the cost panel shows the new total and the one the model was opened with
  await openCostPanel(page);
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x4));
  await expect(page.getByTestId('was-total_bops')).toContainText(`was ${fmt(DENSE_2x2)}`);
  await expect(page.getByTestId('was-total_bops')).toContainText('+100.0 %');
  await expect(page.getByTestId('history')).toContainText('Weight quantizers of MatMul → 4 bits');

  // each MatMul (its weight quantizer is folded into it) carries the edited marker; other nodes do not
  for (const mm of MATMULS) {
    await selectBySearch(page, mm);
    const card = page.locator('[data-testid="graph-node"]', { hasText: mm });
    await expect(card.getByTestId('edited-marker')).toHaveCount(1);
  }
  await selectBySearch(page, 'BatchNormalization_21');
  await expect(page.locator('[data-testid="graph-node"]', { hasText: 'BatchNormalization_21' }).getByTestId('edited-marker')).toHaveCount(0);

  // export and check the file with the command line: the same number as on screen
  const shown = Number((await page.getByTestId('total-bops').textContent())!.replace(/,/g, ''));
  const d = await exportVia(page, 'export-onnx');
  expect(d.suggestedFilename()).toBe('zoo_TFC_2W2A-edited.onnx');
  const bytes = await downloadBytes(d);
  const dir = mkdtempSync(join(tmpdir(), 'qonnx-edit-e2e-'));
  try {
    const file = join(dir, 'edited.onnx');
    writeFileSync(file, bytes);
    expect(cliDenseBops(file)).toBe(shown);
    expect(shown).toBe(DENSE_2x4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // undo / redo with the keyboard
  await blur(page);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x2));
  await expect(page.getByTestId('was-total_bops')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x4));

  // re-open the exported file with the picker: its quantizer table shows the 4-bit weights
  await pickFiles(page, [{ name: 'zoo_TFC_2W2A-edited.onnx', bytes }]);
  await expectModelOpen(page, 'zoo_TFC_2W2A-edited.onnx', TFC_NODES);
  if (!(await page.getByTestId('quant-panel').isVisible())) await openQuantPanel(page);
  await expect(page.getByTestId('quant-row')).toHaveCount(8);
  for (const n of WEIGHT_QUANTS) await expect(quantRow(page, n).getByTestId('bits-cell')).toHaveValue('4');
  for (const n of ACT_QUANTS) await expect(quantRow(page, n).getByTestId('bits-cell')).toHaveValue('2');
  // a freshly opened file: nothing edited yet
  await expect(page.getByTestId('quant-bops')).toHaveText(/^BOPs [\d,]+$/);
});

test('a bits cell in the table edits one quantizer', async ({ page }) => {
  await openCostPanel(page);
  await page.getByTestId('discount-sparsity').uncheck();
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x2));
  await openQuantPanel(page);
  // activation quantizer of the last layer (64*10 MACs) to 8 bits
  await quantRow(page, 'Quant_49').getByTestId('bits-cell').fill('8');
  await expect(page.getByTestId('quant-bops')).toHaveText(`BOPs ${fmt(DENSE_2x2 + 640 * 2 * (8 - 2))} (was ${fmt(DENSE_2x2)})`);
  await expect(quantRow(page, 'Quant_49')).toHaveClass(/is-changed/);
  await expect(quantRow(page, 'Quant_18')).not.toHaveClass(/is-changed/);
});

test('the precision form of a MatMul edits its weight quantizer', async ({ page }) => {
  await selectBySearch(page, 'MatMul_20');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_20');
  const form = page.getByTestId('precision-form');
  await expect(form).toBeVisible();
  const rows = form.getByTestId('precision-row');
  expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-role')))).toEqual(['weights', 'input', 'output']);
  await expect(rows.nth(0)).toContainText('Quant_18');
  await expect(rows.nth(1)).toContainText('Quant_13');
  await expect(rows.nth(2)).toContainText('Quant_25');
  const bits = rows.nth(0).getByTestId('precision-bits');
  await expect(bits).toHaveValue('2');

  await openCostPanel(page);
  await page.getByTestId('discount-sparsity').uncheck();
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(DENSE_2x2));
  await bits.fill('4');
  await expect(bits).toHaveValue('4');
  // only the first layer's 50,176 MACs become 2 x 4 bits
  const expected = 784 * 64 * 2 * 4 + (64 * 64 + 64 * 64 + 64 * 10) * 2 * 2;
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(expected));
  await expect(page.getByTestId('was-total_bops')).toContainText(`was ${fmt(DENSE_2x2)}`);
  // the weight quantizer itself shows the change; the other two rows are unchanged
  await expect(rows.nth(1).getByTestId('precision-bits')).toHaveValue('2');
  await expect(rows.nth(2).getByTestId('precision-bits')).toHaveValue('2');
  await openQuantPanel(page);
  await expect(quantRow(page, 'Quant_18').getByTestId('bits-cell')).toHaveValue('4');
  await expect(quantRow(page, 'Quant_30').getByTestId('bits-cell')).toHaveValue('2');
});

test('transform dialog: preview and apply cleanup (names become <OpType>_<k>), undo reverts', async ({ page }) => {
  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('transform-cleanup').click();
  await dialog.getByTestId('transform-preview').click();
  await expect(dialog.getByTestId('diff')).toBeVisible();
  // Shape, Gather, Unsqueeze, Concat, four weight Transposes and the constant Pow are folded away
  await expect(dialog.getByTestId('diff-added')).toHaveText('0');
  await expect(dialog.getByTestId('diff-removed')).toHaveText('9');
  await expect(dialog.getByTestId('diff-changed')).toHaveText('22');
  // renamed nodes are paired with what they were: the first weight quantizer was Quant_18
  await expect(dialog.getByTestId('diff')).toContainText('Quant_0: renamed from Quant_18');
  await expect(dialog.getByTestId('diff')).toContainText('MatMul_0: renamed from MatMul_20');
  await expect(dialog.getByTestId('transform-error')).toHaveCount(0);
  await dialog.getByTestId('transform-apply').click();
  await expect(dialog).toHaveCount(0);

  await expect(page.getByTestId('node-count')).toHaveText('22');
  await expect(page.getByTestId('history')).toContainText('QONNX cleanup');
  const names = await page.evaluate(() => {
    const w = window as unknown as { __qonnxStudio: { useApp: { getState(): { doc: { history: { versions: { value: { graph: { node: { name: string; opType: string }[] } } }[]; cursor: number } } } } } };
    const h = w.__qonnxStudio.useApp.getState().doc.history;
    return h.versions[h.cursor].value.graph.node.map((n) => [n.opType, n.name]);
  });
  const count = new Map<string, number>();
  for (const [op, name] of names) {
    const k = count.get(op) ?? 0;
    count.set(op, k + 1);
    expect(name).toBe(`${op}_${k}`);
  }
  await selectBySearch(page, 'MatMul_3');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_3');

  await blur(page);
  await page.keyboard.press('Control+z');
  // cleanup renamed every node and tensor; the selection follows the node by what it computes back
  // to the one it was in the opened version (the last MatMul, MatMul_56), not to whichever had its index
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
  await page.getByTestId('sidebar').getByRole('button', { name: 'Model', exact: true }).click();
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await selectBySearch(page, 'MatMul_56');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_56');
});

test('transform dialog: bad JSON parameters show an error and change nothing', async ({ page }) => {
  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await dialog.getByTestId('transform-fold-constants').click();
  await dialog.locator('textarea').fill('["Quant",');
  await dialog.getByTestId('transform-preview').click();
  await expect(dialog.getByTestId('transform-error')).toContainText('excludeOpTypes: not valid JSON');
  await dialog.getByTestId('transform-apply').click();
  await expect(dialog.getByTestId('transform-error')).toBeVisible();
  await dialog.getByTitle('Close (Esc)').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await expect(page.getByTestId('history')).not.toContainText('Fold constants');
});

test('rename a node with the inline edit; a duplicate name is refused', async ({ page }) => {
  await selectBySearch(page, 'MatMul_20');
  await page.getByTestId('rename-node').click();
  const input = page.getByTestId('rename-node-input');
  await expect(input).toBeFocused();
  await expect(input).toHaveValue('MatMul_20');
  await input.fill('first_layer');
  await input.press('Enter');
  await expect(page.getByTestId('node-name')).toHaveText('first_layer');
  await expect(page.locator('[data-testid="graph-node"]', { hasText: 'first_layer' })).toHaveCount(1);
  // a new name computes the same thing: the edit markers (which pair nodes by what they compute) leave it unmarked
  await expect(page.locator('[data-testid="graph-node"]', { hasText: 'first_layer' }).getByTestId('edited-marker')).toHaveCount(0);

  await page.getByTestId('rename-node').click();
  await page.getByTestId('rename-node-input').fill('MatMul_32');
  await page.getByTestId('rename-node-input').press('Enter');
  await expect(page.getByTestId('notice')).toContainText("Another node is already called 'MatMul_32'");
  await expect(page.getByTestId('node-name')).toHaveText('first_layer');

  await blur(page);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-name')).toHaveText('MatMul_20');
});

test('the compare dialog lists the precision changes after a bit-width edit', async ({ page }) => {
  await openQuantPanel(page);
  await page.getByTestId('bulk-bits').fill('4');
  await page.getByTestId('bulk-apply').click();
  await expect(quantRow(page, 'Quant_18').getByTestId('bits-cell')).toHaveValue('4');
  await page.getByTestId('compare-button').click();
  const dialog = page.getByTestId('compare-dialog');
  await expect(dialog).toBeVisible();
  const diff = dialog.getByTestId('diff');
  await expect(diff).toContainText('4 precision changes');
  for (const q of WEIGHT_QUANTS) await expect(diff).toContainText(`${q}: INT2 narrow → INT4 narrow`);
  for (const q of ACT_QUANTS) await expect(diff).not.toContainText(`${q}:`);
  await expect(dialog.getByTestId('diff-added')).toHaveText('0');
  await expect(dialog.getByTestId('diff-removed')).toHaveText('0');
  await expect(dialog.getByTestId('diff-changed')).toHaveText('4');
  // cost with sparsity discounted (the default): 22,355 nonzero MACs, 2 x 2 -> 2 x 4 bits
  const bopsRow = dialog.getByTestId('compare-cost').locator('tr', { hasText: 'BOPs' });
  await expect(bopsRow).toContainText(fmt(22355 * 4));
  await expect(bopsRow).toContainText(fmt(22355 * 8));
  await expect(bopsRow).toContainText('+100.0 %');
});

test('sidebar edits: input shape, metadata, expose and rename a tensor, attribute, delete node; the export has them', async ({ page }) => {
  const modelTab = () => page.getByTestId('sidebar').getByRole('button', { name: 'Model', exact: true }).click();
  await openCostPanel(page);
  // sparsity discounted (the default): 22,355 nonzero MACs of 2 x 2 bits
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(4 * 22355));

  // input shape: a batch of 4 costs 4 times as much; undo
  await page.getByTestId('input-shape').first().click();
  await expect(page.getByTestId('input-shape-input')).toHaveValue('1, 1, 28, 28');
  await page.getByTestId('input-shape-input').fill('4, 1, 28, 28');
  await page.getByTestId('input-shape-input').press('Enter');
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(4 * 4 * 22355));
  await expect(page.getByTestId('history')).toContainText('Input 0 shape [4, 1, 28, 28]');
  await blur(page);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('total-bops')).toHaveText(fmt(4 * 22355));

  // metadata
  await page.getByTestId('add-metadata').click();
  await page.getByTestId('add-metadata-input').fill('author=qonnx-studio e2e');
  await page.getByTestId('add-metadata-input').press('Enter');
  await expect(page.getByTestId('metadata')).toContainText('author');
  await expect(page.getByTestId('metadata')).toContainText('qonnx-studio e2e');

  // expose MatMul_20's output (46) as a graph output, then rename it everywhere
  await selectBySearch(page, 'MatMul_20');
  await page.getByTestId('node-panel').getByRole('button', { name: '46', exact: true }).click();
  await expect(page.getByTestId('tensor-panel')).toBeVisible();
  await page.getByTestId('expose-output').click();
  await expect(page.getByTestId('expose-output')).toHaveCount(0);
  await page.getByTestId('rename-tensor').click();
  await page.getByTestId('rename-tensor-input').fill('fc1_out');
  await page.getByTestId('rename-tensor-input').press('Enter');
  await expect(page.getByTestId('tensor-panel').locator('h2')).toContainText('fc1_out');

  // an attribute of Quant_13, typed text
  await selectBySearch(page, 'Quant_13');
  await page.getByTestId('attr-rounding_mode').click();
  await expect(page.getByTestId('attr-rounding_mode-input')).toHaveValue('ROUND');
  await page.getByTestId('attr-rounding_mode-input').fill('FLOOR');
  await page.getByTestId('attr-rounding_mode-input').press('Enter');
  await expect(page.getByTestId('attr-rounding_mode')).toContainText('FLOOR');

  // delete BatchNormalization_21 (bridged: Quant_25 reads MatMul_20's output)
  await selectBySearch(page, 'BatchNormalization_21');
  await page.getByTestId('delete-node').click();
  // the deleted node's panel closes (it used to show whichever node took its index)
  await expect(page.getByTestId('node-name')).toHaveCount(0);
  await modelTab();
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES - 1));
  // a node with two computed inputs is refused with the reason
  await selectBySearch(page, 'MatMul_32');
  await page.getByTestId('delete-node').click();
  await expect(page.getByTestId('notice')).toContainText("has 2 data inputs");
  await modelTab();
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES - 1));

  // the exported file, read by the CLI
  const d = await exportVia(page, 'export-onnx');
  const dir = mkdtempSync(join(tmpdir(), 'qonnx-edit-e2e-'));
  try {
    const file = join(dir, 'edited.onnx');
    writeFileSync(file, await downloadBytes(d));
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'info', file, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.node_count).toBe(TFC_NODES - 1);
    expect(info.op_histogram['ai.onnx::BatchNormalization']).toBe(2);
    expect(info.outputs.map((o: { name: string }) => o.name)).toEqual(['90', 'fc1_out']);
    expect(info.inputs[0].shape).toEqual([1, 1, 28, 28]);
    expect(info.metadata).toEqual({ author: 'qonnx-studio e2e' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
