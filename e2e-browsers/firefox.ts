/** Firefox (Debian's firefox-esr) driven headless by puppeteer-core over WebDriver BiDi. No geckodriver. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type KeyInput, type Page } from 'puppeteer-core';
import { HIT_TEST, StepFailure, type BrowserDriver } from './driver.js';

/** Where Firefox is looked for: $FIREFOX_PATH, then Debian's firefox-esr, then a system firefox. */
export const FIREFOX_PATHS = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'].filter((p): p is string => !!p);

/** The first of FIREFOX_PATHS that runs (`--version` answers), with its version; null when none does. */
export function findFirefox(): { path: string; version: string } | null {
  for (const path of FIREFOX_PATHS) {
    if (!existsSync(path)) continue;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }).trim().replace(/^Mozilla /, '');
      return { path, version };
    } catch {
      /* a wrapper left behind without its browser: try the next */
    }
  }
  return null;
}

function keyName(k: string): KeyInput {
  return (k.length === 1 ? k : k[0].toUpperCase() + k.slice(1)) as KeyInput;
}

class FirefoxDriver implements BrowserDriver {
  constructor(
    readonly name: string,
    private readonly browser: Browser,
    private page: Page,
  ) {}

  async goto(url: string) {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  async evaluate<T>(fn: string, ...args: unknown[]): Promise<T> {
    return (await this.page.evaluate(`(${fn})(...${JSON.stringify(args)})`)) as T;
  }

  private async element(css: string) {
    const el = await this.page.$(css);
    if (!el) throw new Error(`no element ${css}`);
    return el;
  }

  async click(css: string) {
    const blocked = await this.evaluate<string | null>(HIT_TEST, css);
    if (blocked) throw new StepFailure(blocked);
    await (await this.element(css)).click();
  }

  async fill(css: string, text: string) {
    const el = await this.element(css);
    await el.click();
    await el.evaluate((e) => (e as HTMLInputElement).select());
    await this.page.keyboard.type(text);
  }

  async press(keys: string) {
    const parts = keys.split('+');
    if (parts.length > 1 && parts.every((p) => p.length > 0)) {
      const mods = parts.slice(0, -1).map(keyName);
      for (const m of mods) await this.page.keyboard.down(m);
      await this.page.keyboard.press(keyName(parts[parts.length - 1]));
      for (const m of mods.reverse()) await this.page.keyboard.up(m);
    } else if (keys.length > 1 && /^[A-Z][a-zA-Z]+$/.test(keys)) await this.page.keyboard.press(keys as KeyInput);
    else await this.page.keyboard.type(keys);
  }

  async upload(css: string, paths: string[]) {
    const el = await this.page.$(css);
    if (!el) throw new Error(`no element ${css}`);
    await (el as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(...paths);
  }

  async drag(css: string, dx: number, dy: number) {
    const box = await (await this.element(css)).boundingBox();
    if (!box) throw new Error(`${css} is not visible`);
    const x = box.x + box.width / 2, y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + dx, y + dy, { steps: 8 });
    await this.page.mouse.up();
  }

  async screenshot(path: string) {
    await this.page.screenshot({ path: path as `${string}.png` });
  }

  async replaceTab(url: string) {
    // The new tab first: Firefox over BiDi does not close a window's last tab.
    const next = await this.browser.newPage();
    await next.setViewport({ width: 1400, height: 900 });
    // puppeteer sends BiDi browsingContext.close with promptUnload: false. Firefox ESR 153 then removes
    // the tab without beforeunload (no event, no prompt) but still unloads the document: visibilitychange
    // (hidden), pagehide and unload listeners do run on the closed page (checked with listeners that
    // write to localStorage, read back from the new tab). The app registers none of these, so the step
    // still shows that the session restores from what was stored by whenSaved(), not from a goodbye.
    await this.page.close({ runBeforeUnload: false });
    this.page = next;
    await next.bringToFront();
    await next.goto(url, { waitUntil: 'load' });
  }

  async close() {
    await this.browser.close();
  }
}

export async function launchFirefox(executablePath: string, version: string, profileDir: string): Promise<BrowserDriver> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    userDataDir: profileDir,
    defaultViewport: { width: 1400, height: 900 },
    extraPrefsFirefox: {
      // no first-run pages, update checks or telemetry from the browser itself
      'browser.shell.checkDefaultBrowser': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'app.update.enabled': false,
    },
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  await page.setViewport({ width: 1400, height: 900 });
  return new FirefoxDriver(version, browser, page);
}
