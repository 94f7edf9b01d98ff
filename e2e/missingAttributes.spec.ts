/**
 * A FINN MultiThreshold without out_dtype and without a name (finn_build_dataflow_model with both
 * stripped): Problems warns, naming the node by index and op type, and the model runs.
 */
import { expect, test } from '@playwright/test';
import { decodeModel, encodeModel } from '../src/core/onnx/codec';
import { modelBytes, pickFiles } from './helpers';

test('Problems warns about out_dtype missing and the model still runs', async ({ page }) => {
  const m = decodeModel(modelBytes('finn_build_dataflow_model.onnx'));
  const g = m.graph!;
  const node = (g.node ?? []).map((n) => (n.opType === 'MultiThreshold' ? { ...n, name: '', attribute: (n.attribute ?? []).filter((a) => a.name !== 'out_dtype') } : n));
  const first = node.findIndex((n) => n.opType === 'MultiThreshold');
  await page.goto('/');
  await pickFiles(page, [{ name: 'no_out_dtype.onnx', bytes: encodeModel({ ...m, graph: { ...g, node } }) }]);
  await expect(page.getByTestId('file-name')).toHaveText('no_out_dtype.onnx');
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText(`Node #${first} (MultiThreshold): out_dtype missing: output datatype unknown`);
  await expect(problems.locator('li')).toHaveCount(4);
  await problems.screenshot({ path: 'test-results/problems-out-dtype.png' });
  await page.keyboard.press('r');
  await expect(page.getByTestId('run-panel')).toBeVisible();
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-output').first()).toBeVisible({ timeout: 30000 });
  await expect(page.getByTestId('run-panel')).not.toContainText('failed');
});
