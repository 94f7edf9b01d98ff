/**
 * WebKitGTK (Safari's engine) through selenium-webdriver: Debian's WebKitWebDriver drives the
 * MiniBrowser of libwebkit2gtk-4.1 in automation mode, on an Xvfb display from xvfb-run when there is
 * no display. Notes on this driver: getText() of some elements returns "" (text is read with
 * textContent through evaluate); there is no console API (errors come from the page hooks); a file
 * input takes paths with sendKeys, several separated by newlines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Builder, By, Key, type WebDriver } from 'selenium-webdriver';
import { HIT_TEST, StepFailure, type BrowserDriver } from './driver.js';

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
/** $MINIBROWSER_PATH, then where libwebkit2gtk-4.1-0 puts it (Debian, Ubuntu), then other layouts. */
export const MINIBROWSER_PATHS = [
  process.env.MINIBROWSER_PATH,
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/libexec/webkit2gtk-4.1/MiniBrowser',
].filter((p): p is string => !!p);
export const XVFB_RUN = '/usr/bin/xvfb-run';

const KEYS: Record<string, string> = { Enter: Key.ENTER, Escape: Key.ESCAPE, Tab: Key.TAB, Backspace: Key.BACK_SPACE, Control: Key.CONTROL, Shift: Key.SHIFT, Alt: Key.ALT, Meta: Key.META };

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

async function waitForServer(url: string, proc: ChildProcess, log: () => string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`WebKitWebDriver exited (${proc.exitCode}): ${log()}`);
    try {
      const r = await fetch(url + '/status');
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) throw new Error(`WebKitWebDriver did not answer on ${url}: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class WebKitDriver implements BrowserDriver {
  constructor(
    readonly name: string,
    private readonly driver: WebDriver,
    private readonly server: ChildProcess,
  ) {}

  async goto(url: string) {
    await this.driver.get(url);
  }

  async evaluate<T>(fn: string, ...args: unknown[]): Promise<T> {
    // executeAsyncScript so a returned promise is awaited; JSON keeps the result plain
    const r = await this.driver.executeAsyncScript<string>(
      `const done = arguments[arguments.length - 1];
       Promise.resolve().then(() => (${fn})(...JSON.parse(arguments[0])))
         .then((v) => done(JSON.stringify({ v: v === undefined ? null : v })), (e) => done(JSON.stringify({ e: String(e && e.stack || e) })));`,
      JSON.stringify(args),
    );
    const o = JSON.parse(r) as { v?: T; e?: string };
    if (o.e !== undefined) throw new Error(o.e);
    return o.v as T;
  }

  async click(css: string) {
    const blocked = await this.evaluate<string | null>(HIT_TEST, css);
    if (blocked) throw new StepFailure(blocked);
    const el = await this.driver.findElement(By.css(css));
    await this.driver.actions().move({ origin: el }).press().release().perform();
  }

  async fill(css: string, text: string) {
    const el = await this.driver.findElement(By.css(css));
    await this.click(css);
    await this.driver.executeScript('arguments[0].select()', el);
    await this.driver.actions().sendKeys(text).perform();
  }

  async press(keys: string) {
    const parts = keys.split('+');
    const a = this.driver.actions();
    if (parts.length > 1 && parts.every((p) => p.length > 0)) {
      const mods = parts.slice(0, -1).map((m) => KEYS[m] ?? m);
      for (const m of mods) a.keyDown(m);
      a.sendKeys(KEYS[parts[parts.length - 1]] ?? parts[parts.length - 1]);
      for (const m of mods.reverse()) a.keyUp(m);
    } else a.sendKeys(KEYS[keys] ?? keys);
    await a.perform();
  }

  async upload(css: string, paths: string[]) {
    await this.driver.findElement(By.css(css)).sendKeys(paths.join('\n'));
  }

  async drag(css: string, dx: number, dy: number) {
    const el = await this.driver.findElement(By.css(css));
    const a = this.driver.actions().move({ origin: el }).press();
    for (let i = 1; i <= 8; i++) a.move({ origin: el, x: Math.round((dx * i) / 8), y: Math.round((dy * i) / 8), duration: 16 });
    await a.release().perform();
  }

  async screenshot(path: string) {
    writeFileSync(path, Buffer.from(await this.driver.takeScreenshot(), 'base64'));
  }

  async replaceTab(url: string) {
    const old = await this.driver.getWindowHandle();
    await this.driver.switchTo().newWindow('tab');
    const next = await this.driver.getWindowHandle();
    // WebDriver's Close Window: WebKitGTK 2.50 fires no beforeunload, but it unloads the page normally,
    // so visibilitychange (hidden), pagehide and unload listeners do run (checked as in firefox.ts). The
    // app registers none of them.
    await this.driver.switchTo().window(old);
    await this.driver.close();
    await this.driver.switchTo().window(next);
    await this.driver.get(url);
  }

  async close() {
    try {
      await this.driver.quit();
    } finally {
      if (this.server.pid && this.server.exitCode === null) {
        try {
          process.kill(-this.server.pid, 'SIGTERM'); // the process group: xvfb-run, Xvfb and the driver
        } catch {
          /* already gone */
        }
      }
    }
  }
}

export function webkitMissing(): string | null {
  if (!existsSync(WEBKIT_DRIVER)) return `no ${WEBKIT_DRIVER}; apt-get install webkit2gtk-driver`;
  if (!MINIBROWSER_PATHS.some((p) => existsSync(p))) return `no MiniBrowser at ${MINIBROWSER_PATHS.join(' or ')}; apt-get install libwebkit2gtk-4.1-0`;
  if (!process.env.DISPLAY && !existsSync(XVFB_RUN)) return `no display and no ${XVFB_RUN}; apt-get install xvfb`;
  return null;
}

export async function launchWebKit(): Promise<BrowserDriver> {
  const binary = MINIBROWSER_PATHS.find((p) => existsSync(p))!;
  const port = await freePort();
  const cmd = process.env.DISPLAY ? [WEBKIT_DRIVER, `--port=${port}`] : [XVFB_RUN, '-a', '-s', '-screen 0 1400x900x24', WEBKIT_DRIVER, `--port=${port}`];
  let log = '';
  const server = spawn(cmd[0], cmd.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (b) => (log += b));
  server.stderr!.on('data', (b) => (log += b));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForServer(url, server, () => log.slice(-2000));
    const driver = await new Builder()
      .usingServer(url)
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } })
      .build();
    await driver.manage().window().setRect({ width: 1400, height: 900 });
    await driver.manage().setTimeouts({ script: 60_000 });
    const caps = await driver.getCapabilities();
    return new WebKitDriver(`WebKitGTK MiniBrowser ${caps.get('browserVersion') ?? ''}`.trim(), driver, server);
  } catch (e) {
    if (server.pid) process.kill(-server.pid, 'SIGTERM');
    throw e;
  }
}
