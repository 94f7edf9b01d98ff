/** Shared helpers for the end-to-end specs: model files, opening them the ways a user does, waiting. */
import { expect, type Download, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared real-world models (read-only, outside the repository). */
export const MODELS_DIR = fileURLToPath(new URL('../testdata/models/', import.meta.url));

export function modelBytes(name: string): Buffer {
  return readFileSync(MODELS_DIR + name);
}

export const TFC = 'zoo_TFC_2W2A.onnx';
export const TFC_NODES = 31;

/** A file as the page should see it. */
export interface FileSpec {
  name: string;
  bytes: Uint8Array;
}

/** Drop files on the app root with a real DataTransfer (dragenter, dragover, drop), as a user's drag does. */
export async function dropFiles(page: Page, files: FileSpec[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      dt.items.add(new File([u8], it.name, { type: 'application/octet-stream' }));
    }
    const target = document.querySelector('.app')!;
    for (const type of ['dragenter', 'dragover', 'drop'])
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, payload);
}

/** Open files with the (hidden) file input, as the Open button's picker does. */
export async function pickFiles(page: Page, files: FileSpec[]): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(
    files.map((f) => ({ name: f.name, mimeType: 'application/octet-stream', buffer: Buffer.from(f.bytes) })),
  );
}

/** Wait until a model is open: its file name in the top bar, its node count in the Model panel, graph drawn. */
export async function expectModelOpen(page: Page, fileName: string, nodeCount: number): Promise<void> {
  await expect(page.getByTestId('file-name')).toHaveText(fileName);
  await expect(page.getByTestId('node-count')).toHaveText(nodeCount.toLocaleString('en-US'));
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

/** Open the TFC model from the shared folder by the picker and wait for it. */
export async function openTfc(page: Page): Promise<void> {
  await page.goto('/');
  await pickFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
  await expectModelOpen(page, TFC, TFC_NODES);
}

/** Select the first search hit for `query` (Ctrl+F, type, Enter) and close the search box. */
export async function selectBySearch(page: Page, query: string): Promise<void> {
  await page.keyboard.press('Control+f');
  const input = page.getByTestId('search-input');
  await expect(input).toBeFocused();
  await input.fill(query);
  await input.press('Enter');
  await input.press('Escape');
  await expect(input).toHaveCount(0);
}

export async function downloadBytes(d: Download): Promise<Buffer> {
  return readFileSync(await d.path());
}

/** Run a command from the Export menu and return the download it starts. */
export async function exportVia(page: Page, commandId: string): Promise<Download> {
  await page.getByTestId('export-menu').click();
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`cmd-${commandId}`).click()]);
  return d;
}

/** mulberry32: a small seeded PRNG so "random" inputs reproduce. */
export function seededBytes(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}
