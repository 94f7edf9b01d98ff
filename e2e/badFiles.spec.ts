/**
 * Every kind of bad file gets a specific message, and a model that was already open stays open.
 * Models with structural problems (dangling input, cycle) open and list their problems.
 */
import { expect, test, type Page } from '@playwright/test';
import { dropFiles, expectModelOpen, modelBytes, openTfc, pickFiles, seededBytes, TFC, TFC_NODES } from './helpers';
import { cycleModel, danglingInputModel } from './models';

interface BadCase {
  title: string;
  name: string;
  bytes: () => Uint8Array;
  code: string | string[];
  words: (string | RegExp)[];
}

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

const CASES: BadCase[] = [
  { title: 'empty file', name: 'empty.onnx', bytes: () => new Uint8Array(0), code: 'empty-file', words: ['empty', '0 bytes'] },
  {
    title: 'random bytes (seeded)',
    name: 'random.onnx',
    bytes: () => seededBytes(1234, 4096),
    code: ['corrupt', 'truncated', 'not-onnx', 'wrong-format'],
    words: [/damaged|truncated|not a valid protobuf|not an ONNX model/],
  },
  {
    title: 'truncated model (first half)',
    name: 'half.onnx',
    bytes: () => {
      const b = modelBytes(TFC);
      return b.subarray(0, Math.floor(b.length / 2));
    },
    code: 'truncated',
    words: ['truncated', (Math.floor(modelBytes(TFC).length / 2)).toLocaleString('en-US')],
  },
  {
    title: 'ZIP archive named .onnx',
    name: 'checkpoint.onnx',
    bytes: () => new Uint8Array([...ascii('PK\x03\x04'), 20, 0, 0, 0, 8, 0, ...seededBytes(7, 200)]),
    code: 'wrong-format',
    words: ['ZIP', 'PyTorch'],
  },
  { title: 'JSON named .onnx', name: 'config.onnx', bytes: () => ascii('{"model": "resnet", "layers": [1, 2, 3]}\n'), code: 'wrong-format', words: ['JSON'] },
  {
    title: 'PNG named .onnx',
    name: 'picture.onnx',
    bytes: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, ...ascii('IHDR'), ...seededBytes(3, 60)]),
    code: 'wrong-format',
    words: ['PNG'],
  },
  {
    title: 'protobuf that is not ONNX (field 50 varint)',
    name: 'other.onnx',
    bytes: () => new Uint8Array([0x90, 0x03, 0x01]),
    code: 'not-onnx',
    words: ['not an ONNX model'],
  },
];

async function expectNotice(page: Page, c: Pick<BadCase, 'name' | 'code' | 'words'>) {
  const notice = page.getByTestId('notice');
  await expect(notice).toBeVisible();
  await expect(notice).toHaveAttribute('role', 'alert');
  const codes = Array.isArray(c.code) ? c.code : [c.code];
  expect(codes).toContain(await notice.getAttribute('data-code'));
  await expect(notice).toContainText(c.name);
  for (const w of c.words) await expect(notice).toContainText(w);
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

async function dismissNotice(page: Page) {
  await page.getByTestId('notice').getByTitle('Dismiss').click();
  await expect(page.getByTestId('notice')).toHaveCount(0);
}

/** The TFC model is still the open model, with its graph and panel. */
async function expectTfcStillOpen(page: Page) {
  await expect(page.getByTestId('file-name')).toHaveText(TFC);
  await expect(page.getByTestId('node-count')).toHaveText(String(TFC_NODES));
  await expect(page.getByTestId('graph-node').filter({ hasText: 'MatMul_20' })).toHaveCount(1);
}

test('every bad file shows a specific message and leaves the open model open', async ({ page }) => {
  await openTfc(page);
  for (const c of CASES) {
    await test.step(c.title, async () => {
      await pickFiles(page, [{ name: c.name, bytes: c.bytes() }]);
      await expectNotice(page, c);
      await expectTfcStillOpen(page);
      await dismissNotice(page);
    });
  }
});

test('bad files dropped on the start screen show the message and keep the start screen', async ({ page }) => {
  await page.goto('/');
  for (const c of [CASES[0], CASES[2], CASES[6]]) {
    await dropFiles(page, [{ name: c.name, bytes: c.bytes() }]);
    await expectNotice(page, c);
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await expect(page.getByTestId('file-name')).toHaveCount(0);
    await dismissNotice(page);
  }
});

test('a file over 2 GiB is refused before it is read', async ({ page }) => {
  await openTfc(page);
  // A 3 GiB File made of references to one 1 MiB blob: no 3 GiB buffer exists anywhere. It goes through
  // the real drop path (DataTransfer -> drop event), and the worker sees its real size.
  const size = await page.evaluate(() => {
    let b = new Blob([new Uint8Array(1 << 20)]);
    for (let i = 0; i < 10; i++) b = new Blob([b, b]); // 1 GiB
    const file = new File([b, b, b], 'huge.onnx');
    const dt = new DataTransfer();
    dt.items.add(file);
    const target = document.querySelector('.app')!;
    for (const type of ['dragenter', 'dragover', 'drop'])
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    return file.size;
  });
  expect(size).toBe(3 * 2 ** 30);
  await expectNotice(page, { name: 'huge.onnx', code: 'too-large', words: ['2 GiB', '3.00 GiB', 'external data'] });
  await expectTfcStillOpen(page);
});

test('a model with a dangling input opens and its Problems list names the node and the tensor', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: 'dangling.onnx', bytes: danglingInputModel() }]);
  await expectModelOpen(page, 'dangling.onnx', 2);
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('add_b');
  await expect(problems).toContainText("'ghost_tensor'");
  await expect(problems.locator('li')).toHaveCount(1);
  // The problem links to the node.
  await problems.getByRole('button').first().click();
  await expect(page.getByTestId('node-name')).toHaveText('add_b');
});

test('a model with a cycle opens and its Problems list reports the cycle and its nodes', async ({ page }) => {
  await page.goto('/');
  await pickFiles(page, [{ name: 'cycle.onnx', bytes: cycleModel() }]);
  await expectModelOpen(page, 'cycle.onnx', 4);
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('cycle');
  await expect(problems).toContainText('loop_add');
  await expect(problems).toContainText('loop_relu');
  await expect(problems).not.toContainText("'entry'");
  // Every node is drawn, including the ones on the cycle.
  for (const n of ['entry', 'loop_add', 'loop_relu', 'exit']) await expect(page.getByTestId('graph-node').filter({ hasText: n })).toHaveCount(1);
});

test('the cycle message counts only the nodes on the cycle', async ({ page }) => {
  // 'exit' is downstream of the cycle but not on it, and must not be counted or named.
  await page.goto('/');
  await pickFiles(page, [{ name: 'cycle.onnx', bytes: cycleModel() }]);
  await expectModelOpen(page, 'cycle.onnx', 4);
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('2 node(s)', { timeout: 2000 });
  await expect(problems).not.toContainText("'exit'", { timeout: 2000 });
});
