/**
 * Running models in the browser: the run panel on TFC (random input, top-5, timing, error table,
 * the last-run section of a tensor with histogram and saturation, .npy download, error overlay),
 * ESPCN on an uploaded image (output drawn as an image), and cancelling.
 */
import { expect, test, type Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';
import { decodeModel, encodeModel } from '../src/core/onnx/codec';
import { int64From } from '../src/core/ir/types';
import { downloadBytes, expectModelOpen, modelBytes, openTfc, pickFiles, selectBySearch } from './helpers';

const ESPCN = 'qonnx_espcn_subpixel_quant.onnx';
const METAFI = 'finnplus_metafi_step_qonnx_to_finn.onnx';

/** A PNG (8-bit RGB) written here: signature, IHDR, one zlib IDAT of filter-0 rows, IEND. */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + 3 * width)] = 0;
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (1 + 3 * width) + 1 + 3 * x);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Parse a .npy v1 float32 file (header checks included). */
function parseNpy(b: Buffer): { shape: number[]; data: Float32Array } {
  expect([...b.subarray(0, 6)]).toEqual([0x93, ...Buffer.from('NUMPY')]);
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect((10 + hlen) % 64).toBe(0);
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = b.subarray(10 + hlen);
  expect(body.length).toBe(4 * shape.reduce((a, c) => a * c, 1));
  return { shape, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)) };
}

async function openModel(page: Page, name: string, nodes: number): Promise<void> {
  await page.goto('/');
  await pickFiles(page, [{ name, bytes: modelBytes(name) }]);
  await expectModelOpen(page, name, nodes);
}

test('TFC: run on random input, outputs with top-5, timing, error table, a Quant output\'s values, .npy, error overlay', async ({ page }) => {
  test.setTimeout(90_000);
  await openTfc(page);
  // R opens the run panel
  await page.locator('body').press('r');
  const panel = page.getByTestId('run-panel');
  await expect(panel).toBeVisible();
  await page.getByTestId('run-seed').fill('3');
  await expect(page.getByTestId('run-compare')).toBeChecked();
  await expect(page.getByTestId('input-source')).toHaveValue('random');
  await page.getByTestId('run-button').click();

  const out = page.getByTestId('run-output');
  await expect(out).toHaveCount(1);
  await expect(out).toContainText('90');
  await expect(out).toContainText('[1, 10]');
  const top = page.getByTestId('topk').locator('tr');
  await expect(top).toHaveCount(5);
  // sorted by value, classes 0..9
  const vals = (await top.locator('td.num').allTextContents()).map(Number);
  expect(vals).toEqual([...vals].sort((a, b) => b - a));
  for (const t of await top.locator('td:nth-child(2)').allTextContents()) expect(t).toMatch(/^class [0-9]$/);
  // TFC's 4 activation quantizers run inside the one onnxruntime session (rewritten into standard ops)
  await expect(page.getByTestId('run-timing')).toHaveText(/Quantized run \d+(\.\d)? ms \(1 onnxruntime session, 4 QONNX ops as standard ops, 0 QONNX kernel steps\) · float twin \d+(\.\d)? ms/);

  // the error table: tensors of the quantized run against the float twin, lowest SQNR first
  const rows = page.getByTestId('error-row');
  await expect(page.getByTestId('error-table')).toBeVisible();
  expect(await rows.count()).toBeGreaterThan(10);
  const sqnrs = (await rows.locator('td:nth-child(3)').allTextContents()).map((t) => parseFloat(t));
  expect(sqnrs.every((v) => Number.isFinite(v))).toBe(true);
  expect(sqnrs).toEqual([...sqnrs].sort((a, b) => a - b));
  const names = await rows.locator('td:first-child').allTextContents();
  for (const t of ['51', '63', '75', '90']) expect(names).toContain(t);

  // a Quant output (2-bit signed narrow activation after Quant_25) from its error row
  await rows.filter({ has: page.locator('td:first-child', { hasText: /^51$/ }) }).click();
  const tp = page.getByTestId('tensor-panel');
  await expect(tp.locator('h2')).toHaveText(/^51\b/);
  const section = page.getByTestId('run-tensor');
  await expect(section).toBeVisible();
  await expect(page.getByTestId('run-histogram').locator('rect')).not.toHaveCount(0);
  const sat = page.getByTestId('run-saturation');
  await expect(sat).toHaveText(/^[\d,]+ at min \(-1\), [\d,]+ at max \(1\) — [\d.]+ %$/);
  await expect(page.getByTestId('run-sqnr')).toHaveText(/^-?\d+\.\d\d dB SQNR, max \|error\| /);

  // its values as .npy: shape [1, 64]; the counts at -1 and +1 (negative / positive values: the
  // integers are -1, 0, 1) are the saturation figures; min / max as shown
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-download-npy').click()]);
  expect(d.suggestedFilename()).toBe('51.run.npy');
  const npy = parseNpy(await downloadBytes(d));
  expect(npy.shape).toEqual([1, 64]);
  const neg = npy.data.filter((v) => v < 0).length, pos = npy.data.filter((v) => v > 0).length;
  expect(neg + pos).toBeGreaterThan(0);
  const [atMin, atMax] = (await sat.textContent())!.match(/[\d,]+(?= at m)/g)!.map((s) => Number(s.replace(/,/g, '')));
  expect([atMin, atMax]).toEqual([neg, pos]);
  const levels = new Set(Array.from(npy.data));
  expect(levels.size).toBeLessThanOrEqual(3);
  const [mn, mx] = (await page.getByTestId('run-minmax').textContent())!.split('/').map((s) => Number(s.trim()));
  expect(mn).toBeCloseTo(Math.min(...npy.data), 4);
  expect(mx).toBeCloseTo(Math.max(...npy.data), 4);

  // an intermediate tensor reached from the graph: MatMul_32's input link is the same tensor
  await selectBySearch(page, 'MatMul_32');
  await page.getByTestId('node-panel').getByRole('button', { name: '51', exact: true }).first().click();
  await expect(tp.locator('h2')).toHaveText(/^51\b/);
  await expect(page.getByTestId('run-saturation')).toHaveText((await sat.textContent())!);

  // the quantization error overlay colours the graph and shows its legend
  await page.getByTestId('overlay-select').selectOption('error');
  const legend = page.getByTestId('overlay-legend');
  await expect(legend).toBeVisible();
  await expect(legend).toContainText('SQNR');
  await expect(legend).toContainText('0 dB');
});

test('ESPCN: an uploaded image as input, the output drawn as an image', async ({ page }) => {
  test.setTimeout(120_000);
  await openModel(page, ESPCN, 20);
  await page.getByTestId('run-panel-button').click();
  await expect(page.getByTestId('run-panel')).toBeVisible();
  await page.getByTestId('run-compare').uncheck();
  await page.getByTestId('input-source').selectOption('image');
  await expect(page.getByTestId('image-scaling')).toHaveValue('unit');
  // a 96x64 gradient: red rises left to right, green top to bottom, blue constant
  const image = png(96, 64, (x, y) => [Math.round((255 * x) / 95), Math.round((255 * y) / 63), 90]);
  await page.getByTestId('input-file').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: image });
  await page.getByTestId('run-button').click();
  const canvas = page.getByTestId('output-image');
  await expect(canvas).toBeVisible({ timeout: 60_000 });
  const px = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const meanRed = (x0: number, x1: number) => {
      let s = 0, n = 0;
      for (let y = 0; y < c.height; y++) for (let x = x0; x < x1; x++, n++) s += d[4 * (y * c.width + x)];
      return s / n;
    };
    const distinct = new Set<number>();
    for (let i = 0; i < d.length; i += 4) distinct.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { w: c.width, h: c.height, distinct: distinct.size, left: meanRed(0, c.width / 4), right: meanRed((3 * c.width) / 4, c.width) };
  });
  // 128x128 input upscaled 2x by the sub-pixel layer
  expect(px.w).toBe(256);
  expect(px.h).toBe(256);
  expect(px.distinct).toBeGreaterThan(100);
  // the super-resolved picture keeps the gradient: red is brighter on the right
  expect(px.right).toBeGreaterThan(px.left + 50);
  await expect(page.getByTestId('run-timing')).toContainText('1 onnxruntime session, 4 QONNX ops as standard ops, 0 QONNX kernel steps');
});

/**
 * MetaFi (slow enough to cancel: about 2 s per run) with an 8-bit Quant on its input. Its own
 * quantizers are MultiThreshold nodes, which the float twin keeps, so without a Quant the twin would be
 * the model itself and the app runs no twin at all.
 */
function metafiWithInputQuant(): Uint8Array {
  const m = decodeModel(new Uint8Array(modelBytes(METAFI)));
  const g = m.graph!;
  const f32 = (name: string, v: number) => ({ name, dims: [], dataType: 1, floatData: [v] });
  const node = (g.node ?? []).map((n) => ({ ...n, input: (n.input ?? []).map((t) => (t === 'global_in' ? 'global_in_q' : t)) }));
  const quant = {
    opType: 'Quant',
    domain: 'qonnx.custom_op.general',
    name: 'input_quant',
    input: ['global_in', 'iq_scale', 'iq_zeropt', 'iq_bits'],
    output: ['global_in_q'],
    attribute: [
      { name: 'signed', type: 2, i: int64From(1) },
      { name: 'narrow', type: 2, i: int64From(0) },
      { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('ROUND') },
    ],
  };
  const opsets = (m.opsetImport ?? []).some((o) => o.domain === 'qonnx.custom_op.general') ? m.opsetImport : [...(m.opsetImport ?? []), { domain: 'qonnx.custom_op.general', version: int64From(1) }];
  return encodeModel({ ...m, opsetImport: opsets, graph: { ...g, node: [quant, ...node], initializer: [...(g.initializer ?? []), f32('iq_scale', 1 / 16), f32('iq_zeropt', 0), f32('iq_bits', 8)] } });
}

test('cancelling stops the run, in the quantized run and in the float twin', async ({ page }) => {
  test.setTimeout(120_000);
  const name = 'metafi_input_quant.onnx';
  await page.goto('/');
  await pickFiles(page, [{ name, bytes: metafiWithInputQuant() }]);
  await expectModelOpen(page, name, 306);
  await page.getByTestId('run-panel-button').click();
  const progress = page.getByTestId('run-progress');
  const results = page.getByTestId('run-results');

  // cancel during the quantized run
  await page.getByTestId('run-button').click();
  await page.getByTestId('run-cancel').click();
  await expect(results).toContainText('Cancelled.');
  await expect(page.getByTestId('run-button')).toBeEnabled();

  // cancel while the float twin runs: the quantized results stay, the comparison stops
  await page.getByTestId('run-button').click();
  await expect(progress).toContainText('float twin', { timeout: 60_000 });
  await page.getByTestId('run-cancel').click();
  await expect(results).toContainText('Cancelled.');
  await expect(page.getByTestId('run-output')).toHaveCount(1);
  await expect(page.getByTestId('error-table')).toHaveCount(0);

  // and a full run afterwards works
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('error-table')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('run-timing')).toContainText('float twin');
});
