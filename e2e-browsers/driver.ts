/**
 * The small browser interface the cross-engine steps are written against. Two implementations:
 * Firefox through puppeteer-core (WebDriver BiDi) and WebKitGTK through selenium-webdriver
 * (WebKitWebDriver + MiniBrowser). Everything else (waiting, reading text, downloads, page errors:
 * see pageHooks.ts) is built here on `evaluate`, so both engines run exactly the same checks.
 */

export interface BrowserDriver {
  /** 'Firefox 153.8.0esr', 'WebKitGTK MiniBrowser 2.50.6' */
  readonly name: string;
  goto(url: string): Promise<void>;
  /**
   * Run `fn` (the source of a function, e.g. `(a, b) => a + b`) in the page with JSON arguments;
   * returns its JSON result (a returned promise is awaited).
   */
  evaluate<T>(fn: string, ...args: unknown[]): Promise<T>;
  /** A real pointer click in the middle of the first element matching `css`. */
  click(css: string): Promise<void>;
  /** Replace the text of the input `css` by typing `text` with the keyboard. */
  fill(css: string, text: string): Promise<void>;
  /** Key presses to the focused element: a key ('Enter', 'Escape'), a chord ('Control+z') or plain text. */
  press(keys: string): Promise<void>;
  /** Give files (absolute paths) to the file input `css`, as the picker does. */
  upload(css: string, paths: string[]): Promise<void>;
  /** Press the primary button at the middle of `css`, move by (dx, dy) in steps, release. */
  drag(css: string, dx: number, dy: number): Promise<void>;
  screenshot(path: string): Promise<void>;
  /**
   * Open a new tab, close the current one without running its beforeunload handlers, make the new tab
   * current and load `url` in it. A killed browser or a crashed tab runs no handler at all; neither
   * engine's automation closes a tab that way: both still fire visibilitychange, pagehide and unload on
   * the closed page (see the drivers). The app listens to none of them.
   */
  replaceTab(url: string): Promise<void>;
  close(): Promise<void>;
}

export const tid = (id: string) => `[data-testid="${id}"]`;

/**
 * Page function: scrolls `css` into view and returns null when a pointer at its middle reaches it, else
 * why not (hidden, clipped or covered, and by what). Both drivers check it before a click, so a control
 * the user cannot reach fails the step even where the automation would click it anyway.
 */
export const HIT_TEST = `(css) => {
  const e = document.querySelector(css);
  if (!e) return 'no element ' + css;
  e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return css + ' is not visible (empty box)';
  const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  if (at && (at === e || e.contains(at))) return null;
  const who = at ? at.tagName.toLowerCase() + (at.className && typeof at.className === 'string' ? '.' + at.className.trim().split(/\\s+/).join('.') : '') + (at.dataset && at.dataset.testid ? '[data-testid=' + at.dataset.testid + ']' : '') : 'nothing (outside the window)';
  return css + ' cannot be clicked: at its middle the page shows ' + who;
}`;

export class StepFailure extends Error {}

/** Poll `fn` in the page until it returns a truthy value; fails with `what` and the last value seen. */
export async function waitFor<T>(d: BrowserDriver, what: string, fn: string, args: unknown[] = [], timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await d.evaluate<T>(fn, ...args);
      lastError = undefined;
      if (last) return last as T;
    } catch (e) {
      // a navigation (the service worker's one reload) can interrupt a poll: try again
      lastError = e;
    }
    if (Date.now() > end) {
      const seen = lastError ? `error ${String((lastError as Error).message ?? lastError).split('\n')[0]}` : JSON.stringify(last);
      throw new StepFailure(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wait until the element `css` exists and its textContent (trimmed) satisfies `expected`; returns the text. */
export async function waitForText(d: BrowserDriver, css: string, expected: string | RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    try {
      last = await d.evaluate<string | null>(`(css) => document.querySelector(css)?.textContent?.trim() ?? null`, css);
    } catch {
      last = null;
    }
    if (last !== null && (typeof expected === 'string' ? last === expected : expected.test(last))) return last;
    if (Date.now() > end) throw new StepFailure(`${css}: expected text ${expected instanceof RegExp ? expected : JSON.stringify(expected)}, found ${last === null ? 'no such element' : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForCount(d: BrowserDriver, css: string, count: number | ((n: number) => boolean), timeoutMs = 20_000): Promise<number> {
  const ok = typeof count === 'number' ? (n: number) => n === count : count;
  const end = Date.now() + timeoutMs;
  let n = -1;
  for (;;) {
    try {
      n = await d.evaluate<number>(`(css) => document.querySelectorAll(css).length`, css);
    } catch {
      n = -1;
    }
    if (ok(n)) return n;
    if (Date.now() > end) throw new StepFailure(`${css}: expected ${typeof count === 'number' ? count : 'another number of'} element(s), found ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function textOf(d: BrowserDriver, css: string): Promise<string | null> {
  return d.evaluate<string | null>(`(css) => document.querySelector(css)?.textContent?.trim() ?? null`, css);
}
