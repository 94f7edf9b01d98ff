/**
 * Decoding once: the worker decodes the opened file and sends everything the first picture and the
 * model panel show; the page decodes its own editable copy of the graph only when something reads
 * it (selecting a node, an edit), or, for a large model, in idle time after the first picture.
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeModel } from '../src/core/onnx/codec';
import { makeHugeGraph } from '../src/core/testing/synth';
import { dropFiles, expectModelOpen, modelBytes, TFC, TFC_NODES } from './helpers';

type GraphState = { fileName: string; decoded: boolean; idle: boolean } | null;
const pageGraph = (page: Page) => page.evaluate(() => (window as unknown as { __qonnxStudio: { pageGraphState(): GraphState } }).__qonnxStudio.pageGraphState());

test('a small model: the page shows it, its cost and its saved session without decoding the graph; a click on a node decodes it', async ({ page }) => {
  await page.goto('/');
  await dropFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
  // the model panel's quantizer counts come from the worker: TFC_2W2A has 2-bit weights and activations
  await expect(page.getByTestId('quantizers')).toContainText('Quant');
  // the cost panel, its four MatMul layers costed in the worker
  if (!(await page.getByTestId('cost-panel').isVisible())) await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-row')).toHaveCount(4);
  await page.evaluate(() => (window as unknown as { __qonnxStudio: { whenSaved(): Promise<void> } }).__qonnxStudio.whenSaved());
  await page.waitForTimeout(500); // idle time: nothing may decode the graph in it either
  expect(await pageGraph(page)).toEqual({ fileName: TFC, decoded: false, idle: false });

  // a click on a cost row selects its node: the node panel reads the graph
  await page.getByTestId('cost-row').first().click();
  await expect(page.getByTestId('node-panel').locator('.op-title')).toHaveText('MatMul');
  expect(await pageGraph(page)).toEqual({ fileName: TFC, decoded: true, idle: false });
});

test('a large model: the page decodes its graph in idle time after the first picture, so the first click does not wait for it', async ({ page }) => {
  const bytes = Buffer.from(encodeModel(makeHugeGraph({ nodes: 2500 })));
  await page.goto('/');
  await dropFiles(page, [{ name: 'big.onnx', bytes }]);
  await expect(page.getByTestId('file-name')).toHaveText('big.onnx');
  await expect(page.getByTestId('loading')).toHaveCount(0);
  await expect.poll(() => pageGraph(page), { timeout: 20_000 }).toEqual({ fileName: 'big.onnx', decoded: true, idle: true });
});
