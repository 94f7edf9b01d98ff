/**
 * Full-page screenshots of real models for a person to look at (test-results/screenshots/, gitignored).
 * The assertions check what a screenshot cannot prove alone: cards readable, canvas not blank.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectModelOpen, modelBytes, pickFiles, selectBySearch, TFC, TFC_NODES } from './helpers';

const DIR = 'test-results/screenshots';

/** Fraction of canvas pixels that are not the background colour (edges and boxes drawn). */
async function inkOnCanvas(page: Page): Promise<number> {
  return page.getByTestId('graph-canvas').evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
    return ink / (d.length / 4);
  });
}

/** Wait until the viewport stops moving (focus animations take ~200 ms). */
async function settle(page: Page) {
  let last = '';
  await expect
    .poll(async () => {
      const z = await page.getByTestId('graph').getAttribute('data-zoom');
      const t = await page.locator('.react-flow__viewport').getAttribute('style');
      const same = `${z}${t}` === last;
      last = `${z}${t}`;
      return same;
    }, { intervals: [100] })
    .toBe(true);
}

test('screenshots: TFC 2W2A', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
  await settle(page);
  // Readable: DOM cards at zoom >= 0.45 with their op name in full.
  expect(Number(await page.getByTestId('graph').getAttribute('data-zoom'))).toBeGreaterThanOrEqual(0.45);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-detailed', '1');
  await expect.poll(() => inkOnCanvas(page)).toBeGreaterThan(0.001);
  await page.screenshot({ path: `${DIR}/tfc-2w2a.png`, fullPage: true });

  await selectBySearch(page, 'BatchNormalization_21');
  await settle(page);
  await page.screenshot({ path: `${DIR}/tfc-2w2a-selected.png`, fullPage: true });

  await page.getByTestId('fit').click();
  await settle(page);
  await page.screenshot({ path: `${DIR}/tfc-2w2a-fit.png`, fullPage: true });
});

test('screenshots: MetaFi step_qonnx_to_finn (305 nodes)', async ({ page }) => {
  const name = 'finnplus_metafi_step_qonnx_to_finn.onnx';
  await page.goto('/');
  await pickFiles(page, [{ name, bytes: modelBytes(name) }]);
  await expectModelOpen(page, name, 305);
  await settle(page);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-detailed', '1');
  await expect.poll(() => inkOnCanvas(page)).toBeGreaterThan(0.001);
  await page.screenshot({ path: `${DIR}/metafi.png`, fullPage: true });

  // The whole graph: zoomed out, nodes drawn on the canvas.
  await page.getByTestId('fit').click();
  await settle(page);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-detailed', '0');
  await expect(page.getByTestId('graph-node')).toHaveCount(0);
  await expect.poll(() => inkOnCanvas(page)).toBeGreaterThan(0.001);
  await page.screenshot({ path: `${DIR}/metafi-fit.png`, fullPage: true });
});
