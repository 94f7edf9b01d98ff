/**
 * The user's main path, written once against BrowserDriver and run in every engine: open a bundled
 * sample, cost panel totals, run with compare-with-float, a bulk bit-width edit and its cost, export
 * .onnx (bytes read back and costed here), undo, reopen the export, search, a model with external
 * data, the 20,000-node graph opening and panning. Expected numbers come from the CLI's `cost` on
 * the same files (the code the reference-equality tests check), never from the page itself.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeModel } from '../src/core/onnx/codec.js';
import { StepFailure, textOf, tid, waitFor, waitForCount, waitForText, type BrowserDriver } from './driver.js';

export interface Fixtures {
  /** the app's URL (the production build, served like GitHub Pages under a sub-path) */
  appUrl: string;
  /** bundled sample opened from the start screen, and its file on disk (dist/samples/) */
  sample: { file: string; path: string; nodes: number };
  /** a model with its weights in a separate data file */
  external: { modelPath: string; dataPath: string; fileName: string; nodes: number; firstWeight: { name: string; values: number[] } };
  /** the synthetic 20,000-node model */
  huge: { path: string; fileName: string; nodes: number };
  sampleCount: number;
  /** scratch folder for downloads read back from the page */
  outDir: string;
  /** `cost FILE` of the CLI: total_cost */
  cliCost(path: string): Record<string, number>;
}

export interface Step {
  name: string;
  /** seconds this step may take before it is failed */
  timeoutS?: number;
  /** a step still to be written: reported as TODO, neither passed nor failed */
  todo?: boolean;
  /** engines this step runs in (all when absent), and why it does not run in the others */
  only?: { engines: string[]; elsewhere: string };
  run(d: BrowserDriver, f: Fixtures, state: State): Promise<void>;
}

export interface State {
  sampleTotals?: Record<string, number>;
  editedTotals?: Record<string, number>;
  exportedPath?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

const TOTALS: [string, string][] = [
  ['total-macs', 'total_macs'],
  ['total-bops', 'total_bops'],
  ['total-mem-w', 'total_mem_w_bits'],
  ['total-mem-o', 'total_mem_o_bits'],
];

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new StepFailure(message);
}

/** The cost panel's four totals equal `want` (from the CLI). */
async function expectTotals(d: BrowserDriver, want: Record<string, number>, what: string): Promise<void> {
  await waitForCount(d, tid('cost-totals'), 1, 60_000);
  for (const [id, key] of TOTALS) {
    try {
      await waitForText(d, tid(id), fmt(want[key]), 10_000);
    } catch (e) {
      throw new StepFailure(`${what}: ${key} in the panel differs from the CLI's ${fmt(want[key])}: ${(e as Error).message}`);
    }
  }
}

async function expectModelOpen(d: BrowserDriver, fileName: string, nodes: number, timeoutMs = 30_000): Promise<void> {
  await waitForText(d, tid('file-name'), fileName, timeoutMs);
  await waitForText(d, tid('node-count'), fmt(nodes), timeoutMs);
  await waitForCount(d, tid('graph-node'), (n) => n > 0, timeoutMs);
  await waitForCount(d, tid('loading'), 0, timeoutMs);
}

/** Keys go to the page, not to an input that kept the focus. */
async function blur(d: BrowserDriver): Promise<void> {
  await d.evaluate(`() => document.activeElement && document.activeElement !== document.body && document.activeElement.blur()`);
}

/** Wait for the next file the page saves; returns its name and bytes. */
async function nextDownload(d: BrowserDriver, index: number, timeoutMs = 20_000): Promise<{ name: string; bytes: Buffer }> {
  const got = await waitFor<{ name: string; b64: string }>(d, `download #${index + 1}`, `(i) => { const x = window.__testDownloads && window.__testDownloads[i]; return x && x.b64 !== null ? x : null; }`, [index], timeoutMs);
  return { name: got.name, bytes: Buffer.from(got.b64, 'base64') };
}

const downloadsSoFar = (d: BrowserDriver) => d.evaluate<number>(`() => (window.__testDownloads || []).length`);

async function ensureCostPanel(d: BrowserDriver): Promise<void> {
  if ((await d.evaluate<number>(`(css) => document.querySelectorAll(css).length`, tid('cost-panel'))) === 0) await d.click(tid('cost-button'));
}

async function readTotals(d: BrowserDriver): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [id, key] of TOTALS) out[key] = Number(((await textOf(d, tid(id))) ?? 'NaN').replace(/,/g, ''));
  return out;
}

const historyLabels = (d: BrowserDriver) => d.evaluate<string[]>(`(css) => [...document.querySelectorAll(css)].map((li) => li.textContent)`, `${tid('history')} li`);

/**
 * A fresh page (reloaded or a new tab) came back with the saved session: the notice, the model, the
 * same history entries with the last one (the edit) current, and its cost (`want`, from the CLI).
 */
async function expectRestored(d: BrowserDriver, fileName: string, nodes: number, history: string[], want: Record<string, number>, what: string): Promise<void> {
  await waitForText(d, tid('notice'), new RegExp(`^Restored your last session: ${fileName.replace(/\./g, '\\.')}, 1 edit`), 30_000);
  await waitForText(d, tid('notice-action'), 'Start fresh');
  await expectModelOpen(d, fileName, nodes);
  const after = await historyLabels(d);
  expect(JSON.stringify(after) === JSON.stringify(history), `history after ${what} ${JSON.stringify(after)}, before ${JSON.stringify(history)}`);
  await waitFor(d, 'the edit to be the current version', `(css) => document.querySelector(css)?.className === 'is-current'`, [`${tid('history')} li:last-child`]);
  await ensureCostPanel(d);
  await expectTotals(d, want, `the session restored after ${what}`);
}

export const STEPS: Step[] = [
  {
    name: 'the start screen loads (and the service worker settles)',
    async run(d, f) {
      await d.goto(f.appUrl);
      await waitForCount(d, '[data-testid^="sample-"]', f.sampleCount, 30_000);
      // On a first visit the service worker takes control and the page reloads itself once to become
      // cross-origin isolated; wait for that before clicking anything.
      // Settled: isolated, or (where the worker gives no isolation) controlled after that one reload.
      await waitFor(
        d,
        'the service worker to control the page (after its one reload)',
        `() => !('serviceWorker' in navigator) || self.crossOriginIsolated || (navigator.serviceWorker.controller !== null && performance.getEntriesByType('navigation')[0]?.type === 'reload')`,
        [],
        30_000,
      );
      await waitForCount(d, '[data-testid^="sample-"]', f.sampleCount, 30_000);
      await waitFor(d, 'the page hooks', `() => Array.isArray(window.__testErrors)`);
    },
  },
  {
    name: 'a bundled sample opens from the start screen',
    async run(d, f) {
      await d.click(tid(`sample-${f.sample.file}`));
      await expectModelOpen(d, f.sample.file, f.sample.nodes);
    },
  },
  {
    name: 'cost panel totals equal the CLI cost of the same file',
    async run(d, f, s) {
      s.sampleTotals = f.cliCost(f.sample.path);
      await d.click(tid('cost-button'));
      await expectTotals(d, s.sampleTotals, f.sample.file);
    },
  },
  {
    name: 'run with compare-with-float: outputs and the error table',
    timeoutS: 90,
    async run(d) {
      await d.click(tid('run-panel-button'));
      await waitForCount(d, tid('run-panel'), 1);
      expect(await d.evaluate<boolean>(`(css) => document.querySelector(css).checked`, tid('run-compare')), 'compare with float is not ticked by default');
      await d.click(tid('run-button'));
      await waitForCount(d, `${tid('run-output')}, ${tid('run-error')}`, (n) => n > 0, 80_000);
      const err = await textOf(d, tid('run-error'));
      expect(err === null, `the run failed: ${err}`);
      await waitForText(d, tid('run-output'), /\[1, 10\]/);
      const rows = await waitForCount(d, tid('error-row'), (n) => n > 10, 30_000);
      const sqnr = await d.evaluate<string[]>(`(css) => [...document.querySelectorAll(css)].map((r) => r.querySelector('td:nth-child(3)').textContent)`, tid('error-row'));
      const bad = sqnr.filter((t) => !Number.isFinite(parseFloat(t)));
      expect(bad.length === 0, `${bad.length} of ${rows} error rows have no SQNR: ${bad.slice(0, 3).join(', ')}`);
    },
  },
  {
    name: 'bulk bit-width edit (weights -> 4 bits) updates the cost to the CLI cost of the export',
    async run(d, _f, s) {
      await d.click(tid('quant-panel-button'));
      await waitForCount(d, tid('quant-row'), (n) => n > 0);
      expect((await d.evaluate<string>(`(css) => document.querySelector(css).value`, tid('bulk-target'))) === 'weights', 'the bulk target is not "weights"');
      await d.fill(tid('bulk-bits'), '4');
      await waitForText(d, tid('bulk-apply'), /^Apply to [1-9]\d*$/);
      await d.click(tid('bulk-apply'));
      await waitForCount(d, `${tid('history')} li`, 2);
      await waitForText(d, tid('quant-bops'), /\(was /);
      // the cost panel shares the bottom dock with the quantizer table
      await ensureCostPanel(d);
      await waitFor(d, 'the total BOPs to change', `(css, was) => { const t = document.querySelector(css)?.textContent; return t && t !== was; }`, [tid('total-bops'), fmt(s.sampleTotals!.total_bops)], 30_000);
      s.editedTotals = await readTotals(d);
    },
  },
  {
    name: 'export .onnx: the downloaded bytes are the edited model (CLI cost equals the panel)',
    async run(d, f, s) {
      await blur(d);
      const before = await downloadsSoFar(d);
      await d.click(tid('export-menu'));
      await d.click(tid('cmd-export-onnx'));
      const dl = await nextDownload(d, before);
      const stem = f.sample.file.replace(/\.onnx$/, '');
      expect(dl.name.startsWith(stem) && dl.name.endsWith('.onnx'), `the download is named ${dl.name}, expected ${stem}….onnx`);
      const model = decodeModel(new Uint8Array(dl.bytes));
      expect(model.graph?.node?.length === f.sample.nodes, `the exported model has ${model.graph?.node?.length} nodes, expected ${f.sample.nodes}`);
      s.exportedPath = join(f.outDir, dl.name);
      writeFileSync(s.exportedPath, dl.bytes);
      const cli = f.cliCost(s.exportedPath);
      for (const [, key] of TOTALS) expect(cli[key] === s.editedTotals![key], `${key}: the panel showed ${fmt(s.editedTotals![key])} after the edit, the CLI costs the exported file at ${fmt(cli[key])}`);
      expect(cli.total_bops !== s.sampleTotals!.total_bops, 'the exported file costs as much as the original: the edit is not in it');
    },
  },
  {
    name: 'undo takes the edit back (to the file as opened) and the cost returns',
    async run(d, _f, s) {
      await blur(d);
      await d.press('Control+z');
      await waitFor(d, 'the first history entry to be current', `(css) => document.querySelector(css)?.className === 'is-current'`, [`${tid('history')} li:first-child`]);
      await expectTotals(d, s.sampleTotals!, 'after undo');
    },
  },
  {
    name: 'the exported file reopens with the edited cost',
    async run(d, f, s) {
      await d.upload(tid('file-input'), [s.exportedPath!]);
      await expectModelOpen(d, basename(s.exportedPath!), f.sample.nodes);
      await ensureCostPanel(d);
      await expectTotals(d, s.editedTotals!, 'the reopened export');
    },
  },
  {
    name: 'reload restores the model with its edits and undo history (saved session)',
    async run(d, f, s) {
      // The open model is the exported file, picked from disk (4-bit weights). One more edit: weights
      // back to 2 bits, which costs as the original sample (the CLI's totals of that file).
      const fileName = basename(s.exportedPath!);
      await d.click(tid('quant-panel-button'));
      await waitForCount(d, tid('quant-row'), (n) => n > 0);
      await d.fill(tid('bulk-bits'), '2');
      await waitForText(d, tid('bulk-apply'), /^Apply to [1-9]\d*$/);
      await d.click(tid('bulk-apply'));
      await waitForCount(d, `${tid('history')} li`, 2);
      await ensureCostPanel(d);
      await expectTotals(d, s.sampleTotals!, 'weights back to 2 bits');
      const before = await historyLabels(d);

      // every change is in IndexedDB (the writes follow an edit by a moment); then reload the tab
      await d.evaluate(`() => window.__qonnxStudio.whenSaved().then(() => true)`);
      await d.evaluate(`() => { window.__beforeReload = true; setTimeout(() => location.reload(), 0); return true; }`);
      await waitFor(d, 'the page to reload', `() => window.__beforeReload === undefined && document.readyState === 'complete'`, [], 30_000);
      await expectRestored(d, fileName, f.sample.nodes, before, s.sampleTotals!, 'the reload');

      // undo goes back to the file as opened: the 4-bit export, its cost
      await blur(d);
      await d.press('Control+z');
      await waitFor(d, 'the file as opened to be current', `(css) => document.querySelector(css)?.className === 'is-current'`, [`${tid('history')} li:first-child`]);
      await expectTotals(d, s.editedTotals!, 'undo after the restore');
      const n = await downloadsSoFar(d);
      await d.click(tid('export-menu'));
      await d.click(tid('cmd-export-onnx'));
      const dl = await nextDownload(d, n);
      expect(dl.bytes.equals(readFileSync(s.exportedPath!)), `after the restore and undo the model exports ${dl.bytes.length} bytes that differ from the file as opened (${readFileSync(s.exportedPath!).length} bytes)`);
    },
  },
  {
    name: 'a tab closed without unload handlers comes back in a new tab',
    async run(d, f, s) {
      // The previous step left the file as opened current: redo makes the 2-bit edit current again.
      const fileName = basename(s.exportedPath!);
      await blur(d);
      await d.press('Control+Shift+z');
      await waitFor(d, 'the edit to be current again', `(css) => document.querySelector(css)?.className === 'is-current'`, [`${tid('history')} li:last-child`]);
      await ensureCostPanel(d);
      await expectTotals(d, s.sampleTotals!, 'redo');
      const before = await historyLabels(d);
      await d.evaluate(`() => window.__qonnxStudio.whenSaved().then(() => true)`);
      // the closed page's errors would go with it: collect them now
      const errors = await d.evaluate<string[]>(`() => window.__testErrors.splice(0)`);
      expect(errors.length === 0, `the page reported ${errors.length} error(s) before its tab was closed:\n      ${errors.join('\n      ')}`);
      await d.replaceTab(f.appUrl);
      await waitFor(d, 'the page hooks in the new tab', `() => Array.isArray(window.__testErrors)`);
      await expectRestored(d, fileName, f.sample.nodes, before, s.sampleTotals!, 'the tab was closed');
      const n = await downloadsSoFar(d);
      await blur(d);
      await d.click(tid('export-menu'));
      await d.click(tid('cmd-export-onnx'));
      const dl = await nextDownload(d, n);
      writeFileSync(join(f.outDir, 'closed-tab-' + dl.name), dl.bytes);
      const cli = f.cliCost(join(f.outDir, 'closed-tab-' + dl.name));
      for (const [, key] of TOTALS) expect(cli[key] === s.sampleTotals![key], `${key}: the model restored in the new tab exports a file the CLI costs at ${fmt(cli[key])}, the edited model costs ${fmt(s.sampleTotals![key])}`);
    },
  },
  {
    name: 'search (Ctrl+F) selects a node',
    async run(d) {
      await blur(d);
      await d.press('Control+f');
      await waitFor(d, 'the search box to have the focus', `(css) => document.activeElement === document.querySelector(css)`, [tid('search-input')]);
      await d.press('MatMul_32');
      await d.press('Enter');
      await d.press('Escape');
      await waitForCount(d, tid('search-input'), 0);
      await waitForText(d, tid('node-name'), 'MatMul_32');
      await waitForCount(d, `${tid('graph-node')}.is-selected`, 1);
    },
  },
  {
    name: 'a model with external data opens with its data file; cost and weight values as the CLI reads them',
    async run(d, f) {
      await d.upload(tid('file-input'), [f.external.modelPath, f.external.dataPath]);
      await expectModelOpen(d, f.external.fileName, f.external.nodes);
      await waitForCount(d, tid('problems'), 0);
      await ensureCostPanel(d);
      await expectTotals(d, f.cliCost(f.external.modelPath), f.external.fileName);
      await blur(d);
      await d.press('Control+f');
      await waitFor(d, 'the search box to have the focus', `(css) => document.activeElement === document.querySelector(css)`, [tid('search-input')]);
      await d.press(f.external.firstWeight.name);
      await d.press('Enter');
      await d.press('Escape');
      await waitForText(d, tid('tensor-panel'), /weights\.data/);
      const shown = (await waitForText(d, tid('tensor-first-values'), /\d/)).split(',').slice(0, 4).map((t) => Number(t.trim()));
      f.external.firstWeight.values.forEach((v, i) => expect(Math.abs(shown[i] - v) <= Math.abs(v) * 1e-6 + 1e-12, `value ${i} of ${f.external.firstWeight.name}: the page shows ${shown[i]}, the data file holds ${v}`));
    },
  },
  {
    name: 'the 20,000-node graph opens and pans',
    timeoutS: 150,
    async run(d, f) {
      await d.upload(tid('file-input'), [f.huge.path]);
      await waitForText(d, tid('file-name'), f.huge.fileName, 120_000);
      await waitForText(d, tid('node-count'), fmt(f.huge.nodes));
      await waitForCount(d, tid('loading'), 0, 120_000);
      // at this size the overview is drawn on the canvas only (no node boxes in the DOM): wait until the
      // canvas has painted the store's current layout, as the benchmark does
      await waitFor(d, 'the graph canvas to paint the 20,000-node layout', `() => { const l = window.__qonnxStudio?.useApp.getState().layout; return !!l && window.__qonnxFrame?.key === l.key && l.vg.nodes.length > 1000; }`, [], 120_000);
      const transform = () => d.evaluate<string>(`() => document.querySelector('.react-flow__viewport').style.transform`);
      const parse = (t: string) => {
        const m = /translate\(([-\d.e]+)px,\s*([-\d.e]+)px\)/.exec(t);
        if (!m) throw new StepFailure(`cannot read the viewport transform ${JSON.stringify(t)}`);
        return [Number(m[1]), Number(m[2])];
      };
      const [x0, y0] = parse(await transform());
      await d.drag('.react-flow__pane', -240, -160);
      const [x1, y1] = parse(
        await waitFor<string>(d, 'the graph to pan', `(x0, y0) => { const t = document.querySelector('.react-flow__viewport').style.transform; const m = /translate\\(([-\\d.e]+)px,\\s*([-\\d.e]+)px\\)/.exec(t); return m && (Math.abs(Number(m[1]) - x0) > 50 || Math.abs(Number(m[2]) - y0) > 50) ? t : null; }`, [x0, y0], 10_000),
      );
      expect(Math.abs(x1 - x0 + 240) < 40 && Math.abs(y1 - y0 + 160) < 40, `dragging by (-240, -160) moved the view by (${(x1 - x0).toFixed(0)}, ${(y1 - y0).toFixed(0)})`);
    },
  },
];
