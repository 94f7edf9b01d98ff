/**
 * STUB — NOT CALLED YET. Browser timings via Playwright, for when the app (src/app) exists.
 *
 * Intended shape: build the app (vite build), serve dist/, launch Chromium (/usr/bin/chromium or
 * Playwright's), and for each BenchCase drop the file onto the page and time, from the page's own
 * performance marks: file read -> parse done (worker) -> layout done -> first canvas frame with all
 * nodes visible; plus the JS heap from performance.memory. run.ts would call it when `--browser` is
 * given, or by default when /usr/bin/chromium exists, and print a second table beside the Node one.
 */
import type { BenchCase } from './cases.js';

export interface BrowserTimings {
  caseId: string;
  /** ms from drop to parsed model */
  parseMs: number;
  /** ms from drop to laid-out graph */
  layoutMs: number;
  /** ms from drop to first frame showing the graph */
  firstFrameMs: number;
  heapBytes?: number;
}

export const BROWSER_SUITE_READY = false;

/** Not implemented: the app it drives is being built concurrently. */
export async function runBrowserSuite(cases: BenchCase[], runs: number): Promise<BrowserTimings[]> {
  void cases;
  void runs;
  throw new Error('bench/browser.ts: the browser suite is not implemented yet (it needs the app in src/app)');
}
