/**
 * No edit is lost: the session (opened files and edit history) is kept in IndexedDB as the user works
 * and comes back after a reload or a tab closed without unload handlers; undo goes back to the file as
 * opened; tabs keep their own sessions; "Start fresh" forgets it; storage failures only cost a notice.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { makeExternalDataModel } from '../src/core/testing/synth';
import { decodeModel } from '../src/core/onnx/codec';
import { downloadBytes, expectModelOpen, exportVia, modelBytes, openTfc, pickFiles, selectBySearch, TFC, TFC_NODES } from './helpers';

const ESPCN = 'qonnx_espcn_subpixel_quant.onnx';
const quantRow = (page: Page, name: string) => page.locator(`[data-testid="quant-row"][data-name="${name}"]`);

/** Every change so far is in IndexedDB (the writes follow each edit by a moment). */
async function saved(page: Page) {
  await page.evaluate(() => (window as unknown as { __qonnxStudio: { whenSaved(): Promise<void> } }).__qonnxStudio.whenSaved());
}

/** The tab's saved session as stored: its id, when its files were written, its steps. */
async function storedSession(page: Page): Promise<{ id: string; createdAt: number; order: number[] } | null> {
  return page.evaluate(async () => {
    const id = sessionStorage.getItem('qonnx-studio:session');
    const db: IDBDatabase = await new Promise((ok, no) => {
      const r = indexedDB.open('qonnx-studio-sessions');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const meta = await new Promise<{ id: string; createdAt: number; order: number[] } | undefined>((ok) => {
      const r = db.transaction('sessions').objectStore('sessions').get(id ?? '');
      r.onsuccess = () => ok(r.result);
    });
    db.close();
    return meta ? { id: meta.id, createdAt: meta.createdAt, order: meta.order } : null;
  });
}

async function historyLabels(page: Page): Promise<string[]> {
  // the sidebar fills in a frame after the graph is drawn
  await expect(page.getByTestId('history').locator('li').first()).toBeVisible();
  return page.getByTestId('history').locator('li').allTextContents();
}

async function cursor(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __qonnxStudio: { useApp: { getState(): { doc: { history: { cursor: number } } } } } }).__qonnxStudio.useApp.getState().doc.history.cursor);
}

/** One bulk bit-width edit in the quantizer table (opened by this call, left open). */
async function bulkBits(page: Page, target: string, bits: number) {
  await page.getByTestId('quant-panel-button').click();
  await page.getByTestId('bulk-target').selectOption(target);
  await page.getByTestId('bulk-bits').fill(String(bits));
  await page.getByTestId('bulk-apply').click();
}

/** Two edits on TFC: every MatMul weight quantizer to 4 bits (quantizer table), then the QONNX cleanup. */
async function editTfc(page: Page) {
  await bulkBits(page, 'op:MatMul', 4);
  await expect(quantRow(page, 'Quant_18').getByTestId('bits-cell')).toHaveValue('4');
  await page.getByTestId('quant-panel-button').click();
  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await dialog.getByTestId('transform-cleanup').click();
  await dialog.getByTestId('transform-preview').click();
  await expect(dialog.getByTestId('diff')).toBeVisible();
  await dialog.getByTestId('transform-apply').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('node-count')).toHaveText('22');
}

async function exportModel(page: Page): Promise<Buffer> {
  return downloadBytes(await exportVia(page, 'export-onnx'));
}

async function newTab(context: BrowserContext): Promise<Page> {
  const p = await context.newPage();
  await p.goto('/');
  return p;
}

test('reload: the model comes back with its edits and history; undo goes back to the file as opened', async ({ page }) => {
  await openTfc(page);
  await editTfc(page);
  const labels = await historyLabels(page);
  expect(labels).toEqual([`Open ${TFC}`, 'Weight quantizers of MatMul → 4 bits', 'QONNX cleanup']);
  const edited = await exportModel(page);
  await saved(page);
  const before = await storedSession(page);
  expect(before?.order.length).toBe(2);

  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  await expect(page.getByTestId('notice-action')).toHaveText('Start fresh');
  // the tab took its own session back as it was (not written again as a new one)
  await saved(page);
  expect(await storedSession(page)).toEqual(before);
  await expect(page.getByTestId('file-name')).toHaveText(TFC);
  await expect(page.getByTestId('node-count')).toHaveText('22');
  expect(await historyLabels(page)).toEqual(labels);
  // the restored version is the edited model, byte for byte
  expect((await exportModel(page)).equals(edited)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('restored.png') });

  // undo twice: the file as opened (exported unchanged), nothing more to undo
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await page.keyboard.press('Control+z');
  await expect.poll(() => cursor(page)).toBe(0);
  await page.getByTestId('quant-panel-button').click();
  await expect(quantRow(page, 'Quant_18').getByTestId('bits-cell')).toHaveValue('2');
  expect((await exportModel(page)).equals(modelBytes(TFC))).toBe(true);
  await expect(page.getByRole('button', { name: '↶' })).toBeDisabled();

  // the cursor is kept too: a reload after the undos shows the file as opened, redo still there
  await saved(page);
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('2 edits (2 undone)');
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await page.getByRole('button', { name: '↷' }).click();
  await page.getByRole('button', { name: '↷' }).click();
  await expect(page.getByTestId('node-count')).toHaveText('22');
  expect((await exportModel(page)).equals(edited)).toBe(true);
});

test('a tab closed without unload handlers: the next tab restores its model and edits', async ({ page, context }) => {
  await openTfc(page);
  await editTfc(page);
  const edited = await exportModel(page);
  await saved(page);
  await page.close({ runBeforeUnload: false });

  const next = await newTab(context);
  await expect(next.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  await expect(next.getByTestId('node-count')).toHaveText('22');
  expect((await exportModel(next)).equals(edited)).toBe(true);
});

test('two tabs keep their own sessions; Start fresh forgets one', async ({ page, context }) => {
  await openTfc(page);
  await editTfc(page);
  await saved(page);

  // a second tab while the first lives: the first one's session is not taken, the start screen shows
  const b = await newTab(context);
  await expect(b.getByTestId('start-screen')).toBeVisible();
  await pickFiles(b, [{ name: ESPCN, bytes: modelBytes(ESPCN) }]);
  await expect(b.getByTestId('file-name')).toHaveText(ESPCN);
  await bulkBits(b, 'all', 5);
  await expect(b.getByTestId('history')).toContainText('→ 5 bits');
  const bLabels = await historyLabels(b);
  const bEdited = await exportModel(b);
  await saved(b);

  // each tab reloads into its own model
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  await expect(page.getByTestId('node-count')).toHaveText('22');
  await b.reload();
  await expect(b.getByTestId('notice')).toContainText(`Restored your last session: ${ESPCN}, 1 edit`);
  expect(await historyLabels(b)).toEqual(bLabels);
  expect((await exportModel(b)).equals(bEdited)).toBe(true);

  // Start fresh in the first tab: start screen, and its reload stays there
  await page.getByTestId('notice-action').click();
  await expect(page.getByTestId('start-screen')).toBeVisible();
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await saved(page);
  await page.reload();
  await expect(page.getByTestId('start-screen')).toBeVisible();
  await page.waitForTimeout(500);
  await expect(page.getByTestId('file-name')).toHaveCount(0);

  // close the second tab abruptly: a new tab gets its session (the first one's was cleared)
  await b.close({ runBeforeUnload: false });
  const c = await newTab(context);
  await expect(c.getByTestId('notice')).toContainText(`Restored your last session: ${ESPCN}, 1 edit`);
  expect(await historyLabels(c)).toEqual(bLabels);
});

test('a duplicated tab gets a copy of the session: its edits do not touch the original tab\'s', async ({ page, context }) => {
  await openTfc(page);
  await editTfc(page);
  await saved(page);
  const aLabels = await historyLabels(page);
  // a duplicated tab starts with a copy of the original's sessionStorage (so, its session id)
  const sid = await page.evaluate(() => sessionStorage.getItem('qonnx-studio:session'));
  expect(sid).toBeTruthy();
  const b = await context.newPage();
  await b.addInitScript((id) => {
    if (!sessionStorage.getItem('qonnx-studio:session')) sessionStorage.setItem('qonnx-studio:session', id);
  }, sid!);
  await b.goto('/');
  await expect(b.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  expect(await historyLabels(b)).toEqual(aLabels);
  expect(await b.evaluate(() => sessionStorage.getItem('qonnx-studio:session'))).not.toBe(sid);
  // the copy goes its own way: undo the cleanup, 3-bit weights instead
  await b.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await b.keyboard.press('Control+z');
  await expect(b.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await bulkBits(b, 'op:MatMul', 3);
  await expect(b.getByTestId('history')).toContainText('→ 3 bits');
  const bLabels = await historyLabels(b);
  expect(bLabels).toEqual([`Open ${TFC}`, 'Weight quantizers of MatMul → 4 bits', 'Weight quantizers of MatMul → 3 bits']);
  await saved(b);

  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  expect(await historyLabels(page)).toEqual(aLabels);
  await expect(page.getByTestId('node-count')).toHaveText('22');
  await b.reload();
  await expect(b.getByTestId('notice')).toContainText('Restored your last session');
  expect(await historyLabels(b)).toEqual(bLabels);
});

test('a model with external data restores with its data file: weights shown and exported unchanged', async ({ page }) => {
  const ext = makeExternalDataModel({ targetWeightBytes: 2e6, blocks: 6, seed: 7, location: 'weights.data' });
  const model = decodeModel(ext.model);
  const nodes = model.graph!.node!.length;
  await page.goto('/');
  await pickFiles(page, [
    { name: 'cnn.onnx', bytes: ext.model },
    { name: ext.dataFileName, bytes: ext.data },
  ]);
  await expect(page.getByTestId('node-count')).toHaveText(String(nodes));
  // an edit: a renaming pass
  await page.getByTestId('transform-button').click();
  const dialog = page.getByTestId('transform-dialog');
  await dialog.getByTestId('transform-give-readable-tensor-names').click();
  await dialog.getByTestId('transform-apply').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('history')).toContainText('Readable tensor names');
  const labels = await historyLabels(page);
  const editedOnnx = await exportModel(page);
  await saved(page);

  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('Restored your last session: cnn.onnx, 1 edit');
  expect(await historyLabels(page)).toEqual(labels);
  await expect(page.getByTestId('problems')).toHaveCount(0);
  const dl = page.waitForEvent('download', { predicate: (d) => d.suggestedFilename() === 'weights.data' });
  expect((await exportModel(page)).equals(editedOnnx)).toBe(true);
  expect((await downloadBytes(await dl)).equals(Buffer.from(ext.data))).toBe(true);
});

test('private mode (IndexedDB refused): one message, editing goes on', async ({ page }) => {
  await page.addInitScript(() => {
    indexedDB.open = () => {
      throw new DOMException('The user denied permission to access the database', 'SecurityError');
    };
  });
  await openTfc(page);
  await expect(page.getByTestId('notice')).toContainText('This session will not be kept');
  await expect(page.getByTestId('notice')).toContainText('denied permission');
  await editTfc(page);
  await expect(page.getByTestId('history')).toContainText('QONNX cleanup');
  await page.reload();
  await expect(page.getByTestId('start-screen')).toBeVisible();
});

test('too little storage: the external data file is left out with a note, the model and edits are kept', async ({ page }) => {
  const ext = makeExternalDataModel({ targetWeightBytes: 2e6, blocks: 6, seed: 7, location: 'weights.data' });
  // the browser grants room for the model and the history, not for the 2 MB data file
  await page.addInitScript((free) => {
    Object.defineProperty(navigator.storage, 'estimate', { value: async () => ({ quota: free + 1000, usage: 1000 }), configurable: true });
  }, 8 * 2 ** 20 + ext.model.byteLength + 100_000);
  await page.goto('/');
  await pickFiles(page, [
    { name: 'cnn.onnx', bytes: ext.model },
    { name: ext.dataFileName, bytes: ext.data },
  ]);
  await expect(page.getByTestId('notice')).toContainText('weights.data');
  await expect(page.getByTestId('notice')).toContainText('too large for the browser storage left for this site');
  await page.screenshot({ path: test.info().outputPath('data-not-kept.png') });
  await saved(page);
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('Restored your last session: cnn.onnx, no edits');
  await expect(page.getByTestId('notice')).toContainText('weights.data');
  // the model is there, and says that its data file is missing
  await expect(page.getByTestId('problems')).toContainText("External data file 'weights.data' was not provided");

  // and when not even the model fits, the session is not kept at all and editing works
  await page.evaluate(() => Object.defineProperty(navigator.storage, 'estimate', { value: async () => ({ quota: 2000, usage: 1000 }) }));
  await pickFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
  await expect(page.getByTestId('notice')).toContainText(`This session will not be kept: ${TFC}`);
  await editTfc(page);
});

test('a sample opened from the start screen (?url=) comes back with its edits on reload; a new tab with the same ?url= opens the file as is', async ({ page, context }) => {
  await page.goto('/');
  await page.getByTestId(`sample-${TFC}`).click();
  await expectModelOpen(page, TFC, TFC_NODES);
  await expect(page).toHaveURL(/\?url=samples\/zoo_TFC_2W2A\.onnx$/);
  await editTfc(page);
  const labels = await historyLabels(page);
  const edited = await exportModel(page);
  // a node whose index the edits changed: a #node= applied to the file as opened would select another one
  const name = await page.evaluate(() => {
    const h = (window as unknown as { __qonnxStudio: { useApp: { getState(): { doc: { history: { versions: { value: { graph: { node: { name: string }[] } } }[]; cursor: number } } } } } }).__qonnxStudio.useApp.getState().doc.history;
    const opened = h.versions[0].value.graph.node.map((n) => n.name);
    const now = h.versions[h.cursor].value.graph.node.map((n) => n.name);
    return now.find((n, i) => n && opened.indexOf(n) !== i)!;
  });
  expect(name).toBeTruthy();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await selectBySearch(page, name);
  await expect(page.getByTestId('node-name')).toHaveText(name);
  await expect(page).toHaveURL(new RegExp(`\\?url=samples/zoo_TFC_2W2A\\.onnx#node=${encodeURIComponent(name)}$`));
  await saved(page);
  const before = await storedSession(page);

  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  // the hash is applied to the restored model; the address still names the sample
  await expect(page.getByTestId('node-name')).toHaveText(name);
  await expect(page).toHaveURL(new RegExp(`\\?url=samples/zoo_TFC_2W2A\\.onnx#node=${encodeURIComponent(name)}$`));
  await page.screenshot({ path: test.info().outputPath('url-restored.png') });
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  expect(await historyLabels(page)).toEqual(labels);
  expect((await exportModel(page)).equals(edited)).toBe(true);
  await saved(page);
  expect(await storedSession(page)).toEqual(before);

  // a second reload too (the restored session keeps the address it came from)
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
  await expect(page.getByTestId('node-name')).toHaveText(name);
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  expect(await historyLabels(page)).toEqual(labels);

  // a new tab following the same link (its own sessionStorage): the sample as it is, no edits
  const other = await context.newPage();
  await other.goto(`/?url=samples/${TFC}`);
  await expectModelOpen(other, TFC, TFC_NODES);
  expect(await historyLabels(other)).toEqual([`Open ${TFC}`]);
  await expect(other.getByTestId('notice')).toHaveCount(0);
  expect((await exportModel(other)).equals(modelBytes(TFC))).toBe(true);
  // and the first tab's session is still its own
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText(`Restored your last session: ${TFC}, 2 edits`);
});

test('a reload with ?url= of another model than the tab\'s session opens that model', async ({ page }) => {
  await openTfc(page);
  await editTfc(page);
  await saved(page);
  // the tab's session is of a local file: an address naming a sample is a link to follow
  await page.goto(`/?url=samples/${ESPCN}`);
  await expect(page.getByTestId('file-name')).toHaveText(ESPCN);
  expect(await historyLabels(page)).toEqual([`Open ${ESPCN}`]);
  await expect(page.getByTestId('notice')).toHaveCount(0);
});
