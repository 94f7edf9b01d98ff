/** Models whose weights live in separate .data files: opened together, read lazily, exported again. */
import { expect, test } from '@playwright/test';
import { makeExternalDataModel } from '../src/core/testing/synth';
import { decodeModel } from '../src/core/onnx/codec';
import { downloadBytes, exportVia, pickFiles } from './helpers';

const ext = makeExternalDataModel({ targetWeightBytes: 2e6, blocks: 6, seed: 7, location: 'weights.data' });
const model = decodeModel(ext.model);
const nodeCount = model.graph!.node!.length;
const external = model.graph!.initializer!.filter((t) => t.dataLocation === 1);

test('a model opened with its data file shows external weights, read from the data file on demand', async ({ page }) => {
  expect(external.length).toBeGreaterThan(3);
  await page.goto('/');
  await pickFiles(page, [
    { name: 'cnn.onnx', bytes: ext.model },
    { name: ext.dataFileName, bytes: ext.data },
  ]);
  await expect(page.getByTestId('node-count')).toHaveText(String(nodeCount));
  await expect(page.getByTestId('problems')).toHaveCount(0);
  // open one external weight: its statistics come from the bytes at its offset in the data file
  const w = external[0];
  await page.keyboard.press('Control+f');
  await page.keyboard.type(w.name!);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('tensor-panel')).toContainText('weights.data');
  await expect(page.getByTestId('tensor-stats')).toBeVisible();
  // the first values shown equal the float32 values at that offset of the data file
  const off = Number(w.externalData!.find((e) => e.key === 'offset')!.value);
  const first = new Float32Array(ext.data.buffer.slice(off, off + 16));
  const shown = (await page.getByTestId('tensor-first-values').textContent())!.split(',').slice(0, 4).map((s) => Number(s.trim()));
  for (let i = 0; i < 4; i++) expect(Math.abs(shown[i] - first[i])).toBeLessThanOrEqual(Math.abs(first[i]) * 1e-6 + 1e-12);
  // export writes the model and its data file again, unchanged
  const dl = page.waitForEvent('download', { predicate: (d) => d.suggestedFilename() === 'weights.data' });
  const onnx = await downloadBytes(await exportVia(page, 'export-onnx'));
  const data = await downloadBytes(await dl);
  expect(Buffer.from(onnx).equals(Buffer.from(ext.model))).toBe(true);
  expect(Buffer.from(data).equals(Buffer.from(ext.data))).toBe(true);
});

test('without its data file the graph still opens and the missing file is named', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: 'cnn.onnx', bytes: ext.model }]);
  await expect(page.getByTestId('node-count')).toHaveText(String(nodeCount));
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('problems')).toContainText("External data file 'weights.data' was not provided");
  // a tensor in it says where its data is and that it is missing, instead of failing
  await page.keyboard.press('Control+f');
  await page.keyboard.type(external[0].name!);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('tensor-panel')).toContainText("lives in the external file 'weights.data', which was not provided");
});

test('a model with external data runs in the browser with the weights read from its data file', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [
    { name: 'cnn.onnx', bytes: ext.model },
    { name: ext.dataFileName, bytes: ext.data },
  ]);
  await expect(page.getByTestId('node-count')).toHaveText(String(nodeCount));
  await page.getByTestId('run-panel-button').click();
  await page.getByTestId('run-compare').uncheck();
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-output').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
});
