/**
 * A QOperator model (qonnx_mnist_conv_float quantized the way onnxruntime's static quantizer writes it:
 * QuantizeLinear, QLinearConv, QLinearMatMul, QLinearAdd, DequantizeLinear) in the app: its graph nodes
 * carry their element types as badges, and the cost panel costs its layers as the float model's
 * (786,560 MACs without the sparsity discount, as qonnx-inference-cost gives for the float model) and marks each as beyond the reference.
 */
import { expect, test } from '@playwright/test';
import { decodeModel, encodeModel } from '../src/core/onnx/codec';
import { prepareFloat, quantizeLikeOrt } from '../src/core/testing/ortQuantized';
import { modelBytes, pickFiles } from './helpers';

test('QOperator layers are costed as their float ops, marked beyond the reference, with bit-width badges', async ({ page }) => {
  const float = prepareFloat(decodeModel(modelBytes('qonnx_mnist_conv_float.onnx')));
  const qop = quantizeLikeOrt(float, new Map(), { format: 'qoperator' });
  await page.goto('/');
  await pickFiles(page, [{ name: 'mnist_qoperator.onnx', bytes: encodeModel(qop) }]);
  await expect(page.getByTestId('file-name')).toHaveText('mnist_qoperator.onnx');
  await expect(page.getByTestId('loading')).toHaveCount(0);
  const convs = page.getByTestId('graph-node').filter({ hasText: 'QLinearConv' });
  await expect(convs).toHaveCount(2);
  await expect(convs.first()).toContainText('UINT8 × INT8 → UINT8');
  await expect(page.getByTestId('graph-node').filter({ hasText: 'QLinearMatMul' })).toContainText('UINT8 × INT8 → UINT8');
  await page.screenshot({ path: 'test-results/qoperator-graph.png' });
  await page.getByTestId('cost-button').click();
  await expect(page.getByTestId('cost-totals')).toBeVisible();
  // a quantized weight equal to its zero point is a zero weight: with sparsity discounted there are fewer MACs
  await expect(page.getByTestId('total-macs')).not.toHaveText('786,560');
  await page.getByTestId('discount-sparsity').uncheck();
  await expect(page.getByTestId('total-macs')).toHaveText('786,560');
  await expect(page.getByTestId('cost-row')).toHaveCount(3);
  await expect(page.getByTestId('cost-beyond-reference')).toHaveCount(3);
  await page.getByTestId('cost-panel').screenshot({ path: 'test-results/cost-qoperator.png' });
  // no Quant node: no "what if every Quant node had N bits" line (it would only say +0.0 %)
  await expect(page.getByTestId('cost-whatif')).toHaveCount(0);
  // the quantizer table says why it is empty and where the quantization is
  await page.getByTestId('quant-panel-button').click();
  await expect(page.getByTestId('quant-empty')).toContainText('No QONNX quantizer');
  await expect(page.getByTestId('quant-empty')).toContainText('QLinearConv');
});
