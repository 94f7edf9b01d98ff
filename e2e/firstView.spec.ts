/**
 * Readable by default: models open at a zoom where edge labels show, with their inputs in view;
 * weight rows are shown whole at 1:1; clicking an edge's label selects its tensor.
 */
import { expect, test, type Page } from '@playwright/test';
import { decodeModel } from '../src/core/onnx/codec';
import { expectModelOpen, modelBytes, pickFiles, selectBySearch, TFC, TFC_NODES } from './helpers';

const DIR = 'test-results/screenshots';
/** drawGraph.ts LABEL_ZOOM: edge labels are drawn from this zoom up */
const LABEL_ZOOM = 0.55;

async function open(page: Page, name: string, nodes?: number) {
  await page.goto('/');
  const bytes = modelBytes(name);
  await pickFiles(page, [{ name, bytes }]);
  await expectModelOpen(page, name, nodes ?? decodeModel(new Uint8Array(bytes)).graph!.node!.length);
}

const zoomOf = async (page: Page) => Number(await page.getByTestId('graph').getAttribute('data-zoom'));

/** Wait until the viewport stops moving (animations take ~200 ms). */
async function settle(page: Page) {
  let last = '';
  await expect
    .poll(async () => {
      const now = `${await page.getByTestId('graph').getAttribute('data-zoom')}${await page.locator('.react-flow__viewport').getAttribute('style')}`;
      const same = now === last;
      last = now;
      return same;
    }, { intervals: [150] })
    .toBe(true);
}

/** The input card lies entirely inside the graph area. */
async function expectInputsInView(page: Page) {
  const area = (await page.getByTestId('graph').boundingBox())!;
  const inputs = page.locator('[data-testid="graph-node"].gnode-input');
  expect(await inputs.count()).toBeGreaterThan(0);
  for (const card of await inputs.all()) {
    const b = (await card.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(area.x);
    expect(b.y).toBeGreaterThanOrEqual(area.y);
    expect(b.x + b.width).toBeLessThanOrEqual(area.x + area.width);
    expect(b.y + b.height).toBeLessThanOrEqual(area.y + area.height);
  }
}

test('TFC opens at a zoom where edge labels show, its input at the top in view; ⤢ fits it all', async ({ page }) => {
  await open(page, TFC, TFC_NODES);
  await settle(page);
  const z = await zoomOf(page);
  expect(z).toBeGreaterThanOrEqual(LABEL_ZOOM);
  await expectInputsInView(page);
  // the input is near the top (the user scrolls down), centred horizontally
  const area = (await page.getByTestId('graph').boundingBox())!;
  const input = (await page.locator('[data-testid="graph-node"].gnode-input').boundingBox())!;
  expect(input.y - area.y).toBeLessThan(80);
  expect(Math.abs(input.x + input.width / 2 - (area.x + area.width / 2))).toBeLessThan(40);
  await page.screenshot({ path: `${DIR}/tfc-2w2a-open.png` });
  // fit-all is one click away and shows the whole (taller than the screen) graph at a smaller zoom
  await page.getByTestId('fit').click();
  await settle(page);
  expect(await zoomOf(page)).toBeLessThan(z);
});

test('mnist-conv (13 boxes, fitted at 0.6 before) opens readable with its input in view', async ({ page }) => {
  await open(page, 'qonnx_mnist_conv_float.onnx');
  await settle(page);
  expect(await zoomOf(page)).toBeGreaterThanOrEqual(LABEL_ZOOM);
  await expectInputsInView(page);
});

test('clicking an edge label selects its tensor; the empty space beside it does not', async ({ page }) => {
  await open(page, TFC, TFC_NODES);
  await settle(page);
  const z = await zoomOf(page);
  expect(z).toBeGreaterThanOrEqual(LABEL_ZOOM);
  // Reshape_5 -> Mul_7 is one straight vertical edge; its label "[1,784] FLOAT32" hangs from the
  // route's start (the card's bottom centre) at +6, +14 (flow units), to the right of the line.
  const card = (await page.locator('[data-testid="graph-node"]', { hasText: 'Reshape_5' }).boundingBox())!;
  const x0 = card.x + card.width / 2, y0 = card.y + card.height;
  // 50 units into the label: far from the line (the line hit tolerance is 6 screen px)
  await page.mouse.click(x0 + (6 + 50) * z, y0 + 14 * z);
  const tp = page.getByTestId('tensor-panel');
  await expect(tp).toBeVisible();
  await expect(tp).toContainText('Reshape Reshape_5');
  await expect(page.getByTestId('tensor-shape')).toHaveText('[1,784]');
  // the same distance from the line, below the label: nothing there, the selection is cleared
  await page.mouse.click(x0 + (6 + 50) * z, y0 + 40 * z);
  await expect(tp).toHaveCount(0);
});

test('a weight row longer than the widest card is shown whole at 1:1, inside its card', async ({ page }) => {
  await open(page, 'qonnx_espcn_subpixel_quant.onnx');
  await selectBySearch(page, 'Conv_5');
  await page.getByRole('button', { name: '1:1' }).click();
  await settle(page);
  const card = page.locator('[data-testid="graph-node"]', { hasText: 'Conv_5' });
  const row = card.getByTestId('folded-row').filter({ hasText: 'Quant INT8' });
  await expect(row).toHaveCount(1);
  // the whole text, ending in the datatype, across several lines (the old card cut it with "…")
  const lines = row.locator('.gnode-line');
  expect(await lines.count()).toBeGreaterThan(1);
  expect((await lines.allTextContents()).join(' ')).toMatch(/SCALEDINT<8>$/);
  // no line is clipped, and the rows end inside the card (the layout reserved their height)
  for (const l of await lines.all()) {
    const { sw, cw } = await l.evaluate((e) => ({ sw: e.scrollWidth, cw: e.clientWidth }));
    expect(sw).toBeLessThanOrEqual(cw + 1);
  }
  const cb = (await card.boundingBox())!;
  const rows = (await card.locator('.gnode-rows').boundingBox())!;
  expect(rows.y + rows.height).toBeLessThanOrEqual(cb.y + cb.height + 1);
  await card.screenshot({ path: `${DIR}/espcn-conv-card-1to1.png` });
});
