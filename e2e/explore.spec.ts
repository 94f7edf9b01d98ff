/**
 * The precision explorer in the browser: a sweep on a pool of workers gives the numbers the CLI's
 * `sweep` gives for the same inputs; a front configuration applies as one undoable edit, changes the
 * quantizers and the cost, and exports; Esc stops a sweep at once and terminates its workers.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/core/onnx/codec';
import { listQuantizers } from '../src/core/ir/quantEdit';
import { fmtCellDb, fmtDb, fmtPct } from '../src/app/explore/exploreFormat';
import { downloadBytes, expectModelOpen, exportVia, MODELS_DIR, modelBytes, openTfc, pickFiles, TFC } from './helpers';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CALIB = REPO + 'testdata/calibration/';

interface CliSweep {
  baseline: { bops: number; sqnr_db: number | string; agreement?: number; accuracy?: number };
  sensitivity: { quantizer: string; bits: number; bops: number; sqnr_db: number | string }[];
  pareto: { bops: number; sqnr_db: number | string; bits: Record<string, number> }[];
}

function cliSweep(model: string, args: string[]): CliSweep {
  const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'sweep', MODELS_DIR + model, ...args], { cwd: REPO, encoding: 'utf8', timeout: 170_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const db = (v: number | string) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));
const fmtInt = (v: number) => v.toLocaleString('en-US');

async function blur(page: Page) {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

async function startRandom(page: Page, n: number) {
  await page.getByTestId('explore-button').click();
  await expect(page.getByTestId('explore-panel')).toBeVisible();
  await page.getByTestId('explore-n').fill(String(n));
  await page.getByTestId('explore-seed').fill('0');
  await page.getByTestId('explore-start').click();
}

test('a TFC sweep shows what the CLI computes; a front point applies as one undoable edit and exports', async ({ page }) => {
  test.setTimeout(240_000);
  const cli = cliSweep(TFC, ['--random', '4', '--seed', '0']);
  await openTfc(page);
  await startRandom(page, 4);
  await expect(page.getByTestId('explore-done')).toBeVisible({ timeout: 120_000 });

  // the baseline, every heatmap cell and the front agree with the CLI's numbers
  await expect(page.getByTestId('explore-baseline-bops')).toHaveText(fmtInt(cli.baseline.bops));
  await expect(page.getByTestId('explore-baseline-sqnr')).toHaveText(fmtDb(db(cli.baseline.sqnr_db)));
  await expect(page.getByTestId('explore-cell')).toHaveCount(cli.sensitivity.length);
  for (const e of cli.sensitivity) {
    const cell = page.locator(`[data-testid="explore-row"][data-name="${e.quantizer}"] [data-testid="explore-cell"][data-width="${e.bits}"]`);
    await expect(cell).toHaveText(fmtCellDb(db(e.sqnr_db)));
  }
  await expect(page.getByTestId('explore-front-line')).toBeVisible();
  expect(await page.getByTestId('explore-plot').getAttribute('data-front-bops')).toBe(cli.pareto.map((p) => p.bops).join(','));

  // hover the front point with the most BOPs: its widths and numbers
  const target = cli.pareto[cli.pareto.length - 1];
  const changes = Object.entries(target.bits);
  expect(changes.length).toBeGreaterThan(0);
  const dot = page.getByTestId('explore-front-point').last();
  const box = (await dot.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tip = page.getByTestId('explore-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(fmtInt(target.bops));
  await expect(tip).toContainText(fmtDb(db(target.sqnr_db)));
  const opened = new Map(listQuantizers(decodeModel(modelBytes(TFC), { fileName: TFC })).map((q) => [q.name, q.bits]));
  await expect(page.getByTestId('explore-tooltip-widths').locator('li')).toHaveText(changes.map(([q, b]) => `${q}: ${opened.get(q)} → ${b}`));

  // click: one edit, the widths and the cost follow
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const label = `Explore: apply ${changes.length} width${changes.length === 1 ? '' : 's'}`;
  await expect(page.getByTestId('explore-applied')).toContainText(`Applied ${changes.length} width`);
  await expect(page.getByTestId('history').locator('li')).toHaveText(['Open zoo_TFC_2W2A.onnx', label].map((t) => new RegExp(t)));
  await page.getByTestId('quant-panel-button').click();
  const bitsOf = (q: string) => page.locator(`[data-testid="quant-row"][data-name="${q}"] [data-testid="bits-cell"]`);
  for (const [q, b] of changes) await expect(bitsOf(q)).toHaveValue(String(b));
  await expect(page.getByTestId('quant-bops')).toHaveText(`BOPs ${fmtInt(target.bops)} (was ${fmtInt(cli.baseline.bops)})`);

  // undo restores the opened widths and cost
  await blur(page);
  await page.keyboard.press('Control+z');
  for (const [q] of changes) await expect(bitsOf(q)).toHaveValue(String(opened.get(q)));
  await expect(page.getByTestId('quant-bops')).toHaveText(`BOPs ${fmtInt(cli.baseline.bops)}`);

  // redo and export: the downloaded file decodes with the new widths
  await page.keyboard.press('Control+Shift+z');
  for (const [q, b] of changes) await expect(bitsOf(q)).toHaveValue(String(b));
  const file = await downloadBytes(await exportVia(page, 'export-onnx'));
  const exported = new Map(listQuantizers(decodeModel(new Uint8Array(file), { fileName: 'x.onnx' })).map((q) => [q.name, q.bits]));
  for (const [q, b] of opened) expect(exported.get(q)).toBe(target.bits[q] ?? b);
});

test('a .npz batch with labels: the same numbers as sweep --input with --labels, accuracy on its axis', async ({ page }) => {
  test.setTimeout(180_000);
  const cli = cliSweep(TFC, ['--input', `0=${CALIB}tfc_6samples.npy`, '--labels', `${CALIB}tfc_6labels.npy`]);
  await openTfc(page);
  await page.getByTestId('explore-button').click();
  await page.getByTestId('explore-source').selectOption('arrays');
  await page.getByTestId('explore-arrays-file').setInputFiles(CALIB + 'tfc_6samples.npz');
  await page.getByTestId('explore-labels').setInputFiles(CALIB + 'tfc_6labels.npy');
  await page.getByTestId('explore-start').click();
  await expect(page.getByTestId('explore-done')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('explore-summary')).toContainText('6 samples');
  await expect(page.getByTestId('explore-baseline-bops')).toHaveText(fmtInt(cli.baseline.bops));
  await expect(page.getByTestId('explore-baseline-sqnr')).toHaveText(fmtDb(db(cli.baseline.sqnr_db)));
  expect(cli.baseline.accuracy).toBeDefined();
  await expect(page.getByTestId('explore-baseline')).toContainText(`accuracy ${fmtPct(cli.baseline.accuracy)}`);
  for (const e of cli.sensitivity)
    await expect(page.locator(`[data-testid="explore-row"][data-name="${e.quantizer}"] [data-testid="explore-cell"][data-width="${e.bits}"]`)).toHaveText(fmtCellDb(db(e.sqnr_db)));
  await expect(page.getByTestId('explore-y-accuracy')).toBeEnabled();
  await page.getByTestId('explore-y-accuracy').click();
  await expect(page.locator('.xplot-axis').last()).toHaveText('accuracy (%)');
});

test('Esc stops a sweep at once: its workers end, a message says so, the model is unchanged', async ({ page }) => {
  test.setTimeout(180_000);
  const ESPCN = 'qonnx_espcn_subpixel_quant.onnx';
  await page.goto('/');
  await pickFiles(page, [{ name: ESPCN, bytes: modelBytes(ESPCN) }]);
  await expectModelOpen(page, ESPCN, 20);
  const idle = page.workers().length;
  await startRandom(page, 4);
  // partial results: some cells filled while the sweep goes on
  await expect(page.getByTestId('explore-cell').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('explore-progress')).toBeVisible();
  expect(page.workers().length).toBeGreaterThanOrEqual(idle + 2); // the coordinator and at least one runner
  await blur(page);
  const t0 = Date.now();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('explore-cancelled')).toBeVisible();
  expect(Date.now() - t0).toBeLessThan(1000);
  await expect(page.getByTestId('explore-cancelled')).toContainText('the model is unchanged');
  await expect.poll(() => page.workers().length).toBe(idle);
  await expect(page.getByTestId('history').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('explore-progress')).toHaveCount(0);
});

test('says why it cannot explore: no quantizer takes part (FloatQuant), FINN hardware ops', async ({ page }) => {
  await page.goto('/');
  const FP8 = 'qonnx_act_weight_fp8.onnx';
  await pickFiles(page, [{ name: FP8, bytes: modelBytes(FP8) }]);
  await expectModelOpen(page, FP8, 3);
  await blur(page);
  await page.keyboard.press('e');
  const none = page.getByTestId('explore-none');
  await expect(none).toContainText('No quantizer can take part');
  await expect(none.locator('li')).not.toHaveCount(0);
  for (const li of await none.locator('li').all()) await expect(li).toContainText('FloatQuant widths are not explored');
  await expect(page.getByTestId('explore-start')).toBeDisabled();

  const HW = 'finn_cybsec_PE_SIMD.onnx';
  await pickFiles(page, [{ name: HW, bytes: modelBytes(HW) }]);
  await expectModelOpen(page, HW, 4);
  await expect(page.getByTestId('explore-panel')).toBeVisible(); // stays open for the next model
  await expect(page.getByTestId('explore-cannot-run')).toContainText('FINN hardware ops');
  await expect(page.getByTestId('explore-start')).toBeDisabled();
});
