/** Export: the .onnx download of an unedited model is the original file, byte for byte; SVG and PNG. */
import { expect, test } from '@playwright/test';
import { downloadBytes, exportVia, expectModelOpen, modelBytes, openTfc, pickFiles, TFC, TFC_NODES } from './helpers';

test.beforeEach(async ({ page }) => {
  await openTfc(page);
});

test('exported .onnx of an unedited model is byte-identical and re-opens', async ({ page }) => {
  const d = await exportVia(page, 'export-onnx');
  expect(d.suggestedFilename()).toBe(TFC);
  const out = await downloadBytes(d);
  const original = modelBytes(TFC);
  expect(out.length).toBe(original.length);
  expect(out.equals(original)).toBe(true);

  await pickFiles(page, [{ name: 'roundtrip.onnx', bytes: out }]);
  await expectModelOpen(page, 'roundtrip.onnx', TFC_NODES);
});

test('export graph as SVG: a standalone SVG with every op name as text', async ({ page }) => {
  const d = await exportVia(page, 'export-svg');
  expect(d.suggestedFilename()).toBe('zoo_TFC_2W2A.svg');
  const svg = (await downloadBytes(d)).toString('utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  for (const op of ['MatMul', 'BatchNormalization', 'Quant', 'Reshape', 'Gather', 'Add']) expect(svg).toContain(`>${op}<`);
  for (const name of ['MatMul_20', 'BatchNormalization_45', 'Add_62']) expect(svg).toContain(`>${name}<`);
  // One op card (rect with rx="6") per op node on screen; weight quantizers are folded into their consumer.
  const opNodes = await page.evaluate(() => {
    const w = window as unknown as { __qonnxStudio: { useApp: { getState(): { layout: { vg: { nodes: { kind: string }[] } } } } } };
    return w.__qonnxStudio.useApp.getState().layout.vg.nodes.filter((n) => n.kind === 'op').length;
  });
  expect(opNodes).toBeGreaterThan(15);
  expect(svg.match(/<rect [^>]*rx="6"/g)?.length).toBe(opNodes);
});

test('export graph as PNG: a real PNG of non-trivial size', async ({ page }) => {
  const d = await exportVia(page, 'export-png');
  expect(d.suggestedFilename()).toBe('zoo_TFC_2W2A.png');
  const png = await downloadBytes(d);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect(width).toBeGreaterThan(200);
  expect(height).toBeGreaterThan(1000); // 31 nodes stacked vertically
  expect(png.length).toBeGreaterThan(20_000);
  // no error notice from the export
  await expect(page.getByTestId('notice')).toHaveCount(0);
});
