/**
 * The app in a small window (1024x700) and its floating parts: every top-bar control stays on screen and
 * clickable (the bar wraps instead of clipping its last buttons), the Export menu closes as a menu does,
 * the restored-session notice floats over the work area instead of pushing the graph down, and the
 * precision explorer keeps its sensitivity map readable beside the sidebar, and a notice moves out of the
 * way of the search box.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectModelOpen } from './helpers';

const ESPCN = 'qonnx_espcn_subpixel_quant.onnx';

/** Every button and select of the top bar lies inside the window and is the element found at its centre. */
async function topBarReachable(page: Page, width: number) {
  const controls = page.locator('header.topbar').locator('button, select');
  const n = await controls.count();
  expect(n).toBeGreaterThan(10);
  for (let i = 0; i < n; i++) {
    const c = controls.nth(i);
    const box = (await c.boundingBox())!;
    expect(box.x, (await c.textContent()) ?? '').toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, (await c.textContent()) ?? '').toBeLessThanOrEqual(width);
    const hit = await c.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return !!at && (at === el || el.contains(at));
    });
    expect(hit, `${await c.textContent()} is covered or clipped`).toBe(true);
  }
}

test('at 1024x700 the top bar, the Export menu, the session notice and the explorer fit', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto('/');
  await page.getByTestId(`sample-${ESPCN}`).click();
  await expectModelOpen(page, ESPCN, 20);
  // the partial-cost chip makes the bar longest
  await expect(page.getByTestId('cost-partial-chip')).toBeVisible();
  await topBarReachable(page, 1024);
  await expect(page.getByTestId('explore-button')).toBeVisible();
  await expect(page.getByTestId('overlay-select')).toBeVisible();

  // Export menu: Escape closes it, so does a press elsewhere
  await page.getByTestId('export-menu').click();
  await expect(page.getByTestId('cmd-export-onnx')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('cmd-export-onnx')).toHaveCount(0);
  await page.getByTestId('export-menu').click();
  await expect(page.getByTestId('cmd-export-onnx')).toBeVisible();
  await page.getByTestId('search-button').click();
  await expect(page.getByTestId('cmd-export-onnx')).toHaveCount(0);
  await page.keyboard.press('Escape');

  // Explore beside the sidebar: the sensitivity map keeps a readable width, its heading clear of the next column
  await page.getByTestId('explore-button').click();
  const map = page.locator('.explore-map-col');
  await expect(map).toBeVisible();
  expect((await map.boundingBox())!.width).toBeGreaterThanOrEqual(200);
  const heading = await map.locator('h4').evaluate((h) => h.scrollWidth <= h.clientWidth + 1);
  expect(heading).toBe(true);
  await page.screenshot({ path: test.info().outputPath('explore-1024.png') });
  await page.getByTestId('explore-close').click();

  // Reload: the restored session's notice floats over the graph, which stays where it was
  await page.evaluate(() => (window as unknown as { __qonnxStudio: { whenSaved(): Promise<void> } }).__qonnxStudio.whenSaved());
  await page.reload();
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText(`Restored your last session: ${ESPCN}, no edits`);
  await expectModelOpen(page, ESPCN, 20);
  const graphTop = (await page.locator('.graph-area').boundingBox())!.y;
  await page.screenshot({ path: test.info().outputPath('notice-1024.png') });
  // the notice leaves the sidebar's tabs uncovered
  const tabs = (await page.locator('.sidebar').boundingBox())!;
  const nb = (await notice.boundingBox())!;
  expect(nb.x + nb.width).toBeLessThanOrEqual(tabs.x);
  // the Export menu opens over the notice
  await page.getByTestId('export-menu').click();
  const item = page.getByTestId('cmd-export-onnx');
  expect(await item.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!at && (at === el || el.contains(at));
  })).toBe(true);
  await page.keyboard.press('Escape');
  await expect(item).toHaveCount(0);
  await notice.locator('button[title="Dismiss"]').click();
  await expect(notice).toHaveCount(0);
  expect((await page.locator('.graph-area').boundingBox())!.y).toBe(graphTop);
  await topBarReachable(page, 1024);

  // a long notice (the shortcuts) starts at its first line and scrolls inside, within the window
  await page.keyboard.press('?');
  const text = page.getByTestId('notice').locator('.notice-text');
  await expect(text).toContainText('Ctrl+O');
  const nb2 = (await page.getByTestId('notice').boundingBox())!;
  const tb = (await text.boundingBox())!;
  expect(tb.y).toBeGreaterThanOrEqual(nb2.y);
  expect(nb2.y + nb2.height).toBeLessThanOrEqual(700);
  expect(await text.evaluate((el) => el.scrollTop)).toBe(0);
});

test('at 1400x900 the top bar holds a model in one row', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('sample-zoo_TFC_2W2A.onnx').click();
  await expectModelOpen(page, 'zoo_TFC_2W2A.onnx', 31);
  await topBarReachable(page, 1400);
  const open = (await page.getByTestId('open').boundingBox())!;
  const help = (await page.locator('header.topbar button.icon').last().boundingBox())!;
  expect(Math.abs(help.y - open.y)).toBeLessThan(2);
});

test('the overview map shrinks in a short graph area and still moves the view where it is clicked', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto('/');
  await page.getByTestId(`sample-${ESPCN}`).click();
  await expectModelOpen(page, ESPCN, 20);
  const minimap = page.getByTestId('minimap');
  const full = (await minimap.boundingBox())!;
  // the cost panel takes the lower part of the work area: the map keeps to about a third of what is left
  await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  const area = (await page.locator('.graph-area').boundingBox())!;
  await expect.poll(async () => (await minimap.boundingBox())!.height).toBeLessThan(full.height);
  const small = (await minimap.boundingBox())!;
  expect(small.height).toBeLessThanOrEqual(area.height / 3 + 1);
  expect(small.width / small.height).toBeCloseTo(full.width / full.height, 1);
  await page.screenshot({ path: test.info().outputPath('minimap-1024.png') });

  // a click near the map's top shows the input, near its bottom the output: clicks land where the map shows them
  const ioVisible = async (label: string) =>
    page.evaluate(([label, a]) => {
      const card = [...document.querySelectorAll('.react-flow__node')].find((n) => n.textContent?.toLowerCase().startsWith(label));
      if (!card) return false;
      const r = card.getBoundingClientRect();
      return r.bottom > a.y && r.top < a.y + a.height && r.right > a.x && r.left < a.x + a.width;
    }, [label, area] as const);
  await page.mouse.click(small.x + small.width / 2, small.y + small.height - 3);
  await expect.poll(() => ioVisible('output')).toBe(true);
  expect(await ioVisible('input')).toBe(false);
  await page.mouse.click(small.x + small.width / 2, small.y + 3);
  await expect.poll(() => ioVisible('input')).toBe(true);
  expect(await ioVisible('output')).toBe(false);
});

for (const [width, height] of [[1024, 700], [1400, 900]] as const) {
  test(`at ${width}x${height} a notice moves out of the way of the search box, and back when it closes`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await page.goto('/?url=samples/zoo_TFC_2W2A.onnx');
    await expectModelOpen(page, 'zoo_TFC_2W2A.onnx', 31);
    // a real notice: a dropped file that is not a model
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['not a model'], 'notes.txt'));
      document.querySelector('.app')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const notice = page.getByTestId('notice');
    await expect(notice).toContainText('notes.txt');
    const topBefore = (await notice.boundingBox())!.y;
    await page.getByTestId('search-button').click();
    const input = page.getByRole('search').locator('input');
    await expect(input).toBeFocused();
    await page.keyboard.type('MatMul');
    const s = (await page.getByRole('search').boundingBox())!;
    const n = (await notice.boundingBox())!;
    const overlap = s.x < n.x + n.width && n.x < s.x + s.width && s.y < n.y + n.height && n.y < s.y + s.height;
    expect(overlap, `notice ${JSON.stringify(n)} covers the search box ${JSON.stringify(s)}`).toBe(false);
    // the search box and its hits take clicks, the notice is still on screen and can be dismissed
    const hit = await input.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return document.elementFromPoint(r.left + 10, r.top + r.height / 2) === el;
    });
    expect(hit).toBe(true);
    expect(n.y + n.height).toBeLessThanOrEqual(height);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('search')).toHaveCount(0);
    await expect.poll(async () => (await notice.boundingBox())!.y).toBe(topBefore);
  });
}
