/**
 * Links: ?url=...#node=, #tensor=, #panel= open the model and select, centre, open; the hash follows
 * clicks without adding history entries; an edited hash applies; a missing name is said; Copy link.
 */
import { expect, test, type Page } from '@playwright/test';
import { decodeModel } from '../src/core/onnx/codec';
import { expectModelOpen, modelBytes, pickFiles } from './helpers';

// A PyTorch export: its node names hold '/' ('/conv1/Conv'), its tensors '::' ('onnx::Conv_41').
const ESPCN = 'qonnx_espcn_nnresize_float.onnx';
const NODES = decodeModel(new Uint8Array(modelBytes(ESPCN))).graph!.node!;
const MODEL_PATH = `links-test/${ESPCN}`;

test.beforeEach(async ({ context }) => {
  // The model worker fetches the model; context.route serves it the testdata file under the app's origin.
  await context.route(`**/${MODEL_PATH}`, (route) =>
    route.fulfill({ status: 200, body: modelBytes(ESPCN), headers: { 'content-type': 'application/octet-stream' } }),
  );
});

/** The model is open and drawn (the node count sits in the Model tab, which a selection replaces). */
async function expectOpen(page: Page, fileName: string): Promise<void> {
  await expect(page.getByTestId('file-name')).toHaveText(fileName);
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

const card = (page: Page, name: string) => page.locator('[data-testid="graph-node"]').filter({ has: page.locator('.gnode-sub', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }) });

/** Distance of a card's centre from the centre of the graph area, in pixels (Infinity when it is not drawn: out of view). */
async function offCentre(page: Page, name: string): Promise<number> {
  if ((await card(page, name).count()) === 0) return Infinity;
  const g = (await page.getByTestId('graph').boundingBox())!;
  const b = (await card(page, name).boundingBox())!;
  return Math.hypot(b.x + b.width / 2 - (g.x + g.width / 2), b.y + b.height / 2 - (g.y + g.height / 2));
}

test('#node= selects the node, centres it, and #panel= opens its panel', async ({ page }) => {
  const last = NODES[NODES.length - 1];
  expect(last.name).toBe('/out/Relu');
  // Without a link, the first view does not put that node in the middle, or even on screen (so centring below means something).
  await page.goto(`/?url=${MODEL_PATH}`);
  await expectModelOpen(page, ESPCN, NODES.length);
  await expect(page.getByTestId('node-panel')).toHaveCount(0);
  expect(await offCentre(page, last.name!)).toBeGreaterThan(100);

  await page.goto(`/?url=${MODEL_PATH}#node=${encodeURIComponent(last.name!)}&panel=cost`);
  await expectOpen(page, ESPCN);
  await expect(page.getByTestId('node-name')).toHaveText(last.name!);
  await expect(page.getByTestId('node-panel').locator('.op-title')).toHaveText(last.opType!);
  await expect(card(page, last.name!)).toHaveClass(/is-selected/);
  await expect.poll(() => offCentre(page, last.name!)).toBeLessThan(30);
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  await expect(page.getByTestId('notice')).toHaveCount(0);
});

test('#tensor= selects a tensor whose name holds "::"; #panel=quantizers and run open those panels', async ({ page }) => {
  await page.goto(`/?url=${MODEL_PATH}#tensor=${encodeURIComponent('onnx::Conv_41')}&panel=quantizers`);
  await expectOpen(page, ESPCN);
  await expect(page.getByTestId('tensor-panel').locator('h2')).toHaveText('onnx::Conv_41');
  await expect(page.getByTestId('quant-panel')).toBeVisible();

  // Editing the hash by hand applies it without reloading.
  await page.evaluate(() => (window.location.hash = '#node=/conv2/Conv&panel=run'));
  await expect(page.getByTestId('node-name')).toHaveText('/conv2/Conv');
  await expect(page.getByTestId('run-panel-button')).toHaveClass(/is-active/);
  await expect(page.getByTestId('quant-panel')).toHaveCount(0);
  // ...and the address bar settles on the encoded form.
  await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#node=%2Fconv2%2FConv&panel=run');
});

test('the hash follows clicks and panels without adding history entries', async ({ page }) => {
  await page.goto(`/?url=${MODEL_PATH}#node=${encodeURIComponent('/conv1/Conv')}`);
  await expectOpen(page, ESPCN);
  await expect(page.getByTestId('node-name')).toHaveText('/conv1/Conv');
  const before = await page.evaluate(() => history.length);

  await card(page, '/relu/Relu').click();
  await expect(page.getByTestId('node-name')).toHaveText('/relu/Relu');
  await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#node=%2Frelu%2FRelu');
  await page.keyboard.press('k');
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#node=%2Frelu%2FRelu&panel=cost');
  await page.keyboard.press('Escape');
  await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#panel=cost');
  // The query that opened the model is untouched, and no click added a history entry.
  expect(await page.evaluate(() => window.location.search)).toBe(`?url=${MODEL_PATH}`);
  expect(await page.evaluate(() => history.length)).toBe(before);
});

test('a name the model does not have is said, and the model opens anyway', async ({ page }) => {
  await page.goto(`/?url=${MODEL_PATH}#node=${encodeURIComponent('/conv9/Conv')}&panel=cost`);
  await expectOpen(page, ESPCN);
  const notice = page.getByTestId('notice');
  await expect(notice).toHaveAttribute('data-code', 'link-not-found');
  await expect(notice).toContainText('No node named "/conv9/Conv" in this model.');
  await expect(page.getByTestId('cost-panel')).toBeVisible();
  await expect(page.getByTestId('node-panel')).toHaveCount(0);

  // The same by editing the hash: the notice says it, the selection stays, the address shows what is shown.
  await card(page, '/conv1/Conv').click();
  await page.evaluate(() => (window.location.hash = '#tensor=nope&panel=cost'));
  await expect(notice).toContainText('No tensor named "nope" in this model.');
  await expect(page.getByTestId('node-name')).toHaveText('/conv1/Conv');
  await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#node=%2Fconv1%2FConv&panel=cost');
});

test('Copy link puts the address of the model, the selection and the panel on the clipboard', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/?url=${MODEL_PATH}`);
  await expectModelOpen(page, ESPCN, NODES.length);
  await card(page, '/conv3/Conv').click();
  await page.getByTestId('quant-panel-button').click();
  await page.getByTestId('copy-link').click();
  const expected = `${baseURL}?url=${MODEL_PATH}#node=%2Fconv3%2FConv&panel=quantizers`;
  await expect(page.getByTestId('notice')).toContainText(`Link copied: ${expected}`);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(expected);

  // The copied link, followed in a fresh page, shows the same thing.
  const other = await context.newPage();
  await other.goto(expected);
  await expectOpen(other, ESPCN);
  await expect(other.getByTestId('node-name')).toHaveText('/conv3/Conv');
  await expect(other.getByTestId('quant-panel')).toBeVisible();
});

test('a model from a local file: the link carries the selection, not the file, and says so', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  // Opened first by ?url=, then replaced by a local file: the ?url= of the first must leave the address.
  await page.goto(`/?url=${MODEL_PATH}`);
  await expectModelOpen(page, ESPCN, NODES.length);
  await pickFiles(page, [{ name: 'local.onnx', bytes: modelBytes(ESPCN) }]);
  await expectModelOpen(page, 'local.onnx', NODES.length);
  await expect(page.getByTestId('copy-link')).toHaveAttribute('title', /local file.*open the same file again/);
  await card(page, '/conv2/Conv').click();
  await page.keyboard.press('l');
  const expected = `${baseURL}#node=%2Fconv2%2FConv`;
  await expect(page.getByTestId('notice')).toContainText('local.onnx was opened from a local file');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(expected);
  expect(page.url()).toBe(expected);

  // Following it and opening the same file lands on the node.
  const other = await context.newPage();
  await other.goto(expected);
  await pickFiles(other, [{ name: 'local.onnx', bytes: modelBytes(ESPCN) }]);
  await expectOpen(other, 'local.onnx');
  await expect(other.getByTestId('node-name')).toHaveText('/conv2/Conv');
});
