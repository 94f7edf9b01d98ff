/**
 * The cost panel on a channels-last model (qonnx_mnist_conv_float through the project's
 * convert-to-channels-last pass): its Convs are costed (the same MACs as the channels-first model) and
 * each is marked as a layer qonnx-inference-cost cannot cost.
 */
import { expect, test } from '@playwright/test';
import { decodeModel, encodeModel } from '../src/core/onnx/codec';
import { convertToChannelsLast } from '../src/core/passes/convertToChannelsLast';
import { modelBytes, pickFiles } from './helpers';

test('channels-last Convs are costed and marked as beyond the reference', async ({ page }) => {
  const twin = convertToChannelsLast.run(decodeModel(modelBytes('qonnx_mnist_conv_float.onnx')), {}).model;
  await page.goto('/');
  await pickFiles(page, [{ name: 'mnist_nhwc.onnx', bytes: encodeModel(twin) }]);
  await expect(page.getByTestId('file-name')).toHaveText('mnist_nhwc.onnx');
  await expect(page.getByTestId('loading')).toHaveCount(0);
  await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-totals')).toBeVisible();
  // 156,800 + 627,200 + 2,560 MACs: the channels-first model's (qonnx-inference-cost on the original)
  await expect(page.getByTestId('total-macs')).toHaveText('786,560');
  await expect(page.getByTestId('cost-row')).toHaveCount(3);
  await expect(page.getByTestId('cost-beyond-reference')).toHaveCount(2);
  await page.getByTestId('cost-panel').screenshot({ path: 'test-results/cost-channels-last.png' });
});
