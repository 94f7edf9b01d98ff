/** Strings from a model are shown as text, never interpreted as HTML. */
import { expect, test } from '@playwright/test';
import { downloadBytes, exportVia, expectModelOpen, pickFiles } from './helpers';
import { hostileStringsModel, XSS_IMG, XSS_SCRIPT } from './models';

test('markup in names, doc strings, metadata and attributes is shown literally and never runs', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto('/');
  await pickFiles(page, [{ name: 'hostile.onnx', bytes: hostileStringsModel() }]);
  await expectModelOpen(page, 'hostile.onnx', 2);

  // Model panel: metadata keys and values, description.
  const mp = page.getByTestId('model-panel');
  await expect(mp).toContainText(XSS_IMG);
  await expect(mp).toContainText(XSS_SCRIPT);

  // The node card shows the name as text.
  await expect(page.getByTestId('graph-node').filter({ hasText: XSS_IMG })).toHaveCount(1);

  // Select the node through search (its name contains "img").
  await page.keyboard.press('Control+f');
  await page.getByTestId('search-input').fill('onerror');
  await expect(page.getByTestId('search-count')).toHaveText('1 / 1');
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('search-input').press('Escape');
  await expect(page.getByTestId('node-name')).toHaveText(XSS_IMG);
  const np = page.getByTestId('node-panel');
  await expect(np).toContainText(XSS_SCRIPT); // doc string and output tensor name
  await expect(page.getByTestId('attributes')).toContainText(JSON.stringify(XSS_IMG));

  // The output tensor's panel, whose title is the script tag.
  await np.getByRole('button', { name: XSS_SCRIPT }).first().click();
  await expect(page.getByTestId('tensor-panel').locator('h2')).toHaveText(XSS_SCRIPT);

  // The SVG export escapes them too.
  const svg = (await downloadBytes(await exportVia(page, 'export-svg'))).toString('utf8');
  expect(svg).not.toContain('<img');
  expect(svg).not.toContain('<script');
  expect(svg).toContain('&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;');

  // Nothing ran, and no element was made from the strings.
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('body script')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
