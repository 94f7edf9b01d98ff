/**
 * Security: the Content Security Policy is present and enforced, the app works under it, and the app
 * sends no network request except those the user asked for. (Markup in model strings shown as text:
 * xss.spec.ts.)
 *
 * The tests of the second group let the service worker run (playwright.config.ts blocks it
 * elsewhere): its precache requests and the cross-origin-isolated page it produces are checked too.
 */
import { expect, test, type BrowserContext, type Page, type Request } from '@playwright/test';
import { dropFiles, expectModelOpen, exportVia, modelBytes, pickFiles, TFC, TFC_NODES } from './helpers';

/** Every request the page, its workers and the service worker make, as full URLs. */
function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r: Request) => urls.push(r.url()));
  return urls;
}

/** Requests that leave the app's own origin (blob: URLs of this origin and data: URLs stay on the machine). */
function foreign(urls: string[], origin: string): string[] {
  return urls.filter((u) => {
    if (u.startsWith('data:')) return false;
    const inner = u.startsWith('blob:') ? u.slice(5) : u;
    try {
      return new URL(inner).origin !== origin;
    } catch {
      return true;
    }
  });
}

/** Abort every http(s) request to another origin (routes registered later are asked first). */
async function blockForeign(context: BrowserContext, origin: string): Promise<void> {
  await context.route(/^https?:\/\//, (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
}

/** CSP violations reported in the page (securitypolicyviolation events), collected from the first script on. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

/** Wait until the service worker controls the page and the page is cross-origin isolated (it reloads once for that). */
async function waitForIsolation(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => !!navigator.serviceWorker.controller && crossOriginIsolated).catch(() => false), { timeout: 30_000 })
    .toBe(true);
  await expect(page.getByTestId('start-screen')).toBeVisible();
}

test('the CSP meta is present with the expected directives', async ({ page }) => {
  await page.goto('/');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toBeTruthy();
  const directives = new Map(
    csp!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([k, ...v]) => [k, v]),
  );
  expect(directives.get('default-src')).toEqual(["'self'"]);
  expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(directives.get('object-src')).toEqual(["'none'"]);
  expect(directives.get('base-uri')).toEqual(["'self'"]);
  expect(directives.get('connect-src')).toEqual(["'self'", 'https:']);
  expect(directives.get('worker-src')).toEqual(["'self'"]);
  // No 'unsafe-eval' and no 'unsafe-inline' for scripts anywhere.
  expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
  expect(csp).not.toContain("'unsafe-eval'");
});

test('the CSP is enforced: injected inline scripts and handlers, string timers and foreign scripts do not run', async ({ page }) => {
  const violations = await watchCsp(page);
  await page.goto('/');
  await expect(page.getByTestId('start-screen')).toBeVisible();
  const result = await page.evaluate(async () => {
    const w = window as unknown as { __inline?: number; __remote?: number };
    // What an HTML injection would try: an inline script element, an inline handler, eval, a foreign script.
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__inline = 2');
    img.src = 'data:,not-an-image';
    document.body.appendChild(img);
    // Code from strings (eval, new Function, string timers) needs 'unsafe-eval'. Playwright's own
    // evaluate bypasses the CSP, so the check uses a string timer, which the page itself runs.
    setTimeout('window.__inline = 3' as unknown as () => void, 0);
    const remote = document.createElement('script');
    remote.src = 'https://example.com/evil.js';
    const loaded = await new Promise<string>((ok) => {
      remote.onload = () => ok('loaded');
      remote.onerror = () => ok('blocked');
      document.body.appendChild(remote);
    });
    await new Promise((r) => setTimeout(r, 200));
    return { inline: w.__inline, loaded };
  });
  expect(result).toEqual({ inline: undefined, loaded: 'blocked' });
  const v = await violations();
  expect(v.filter((x) => x.startsWith('script-src')).length).toBeGreaterThanOrEqual(3);
});

test.describe('with the service worker', () => {
  test.use({ serviceWorkers: 'allow' });

  test('no request leaves the app: idle, samples, drop, picker, cost, run, export (with the service worker)', async ({ page, context, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const urls = recordRequests(context);
    const violations = await watchCsp(page);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Anything that tries to leave is also stopped, so that a leak cannot succeed even once.
    await blockForeign(context, origin);

    // Start screen, idle: the service worker installs (precaches the build) and the page reloads once, isolated.
    await page.goto('/');
    await waitForIsolation(page);
    await page.waitForTimeout(1500);
    const idle = urls.length;
    expect(idle).toBeGreaterThan(3);

    // A sample.
    await page.getByTestId('sample-zoo_TFC_2W2A.onnx').click();
    await expectModelOpen(page, TFC, TFC_NODES);

    // A file by drop, then by the picker.
    await dropFiles(page, [{ name: 'dropped.onnx', bytes: modelBytes(TFC) }]);
    await expectModelOpen(page, 'dropped.onnx', TFC_NODES);
    await pickFiles(page, [{ name: TFC, bytes: modelBytes(TFC) }]);
    await expectModelOpen(page, TFC, TFC_NODES);

    // Cost panel, with its downloads.
    await page.getByTestId('cost-button').click();
    await expect(page.getByTestId('total-bops')).toHaveText('89,420');
    await Promise.all([page.waitForEvent('download'), page.getByTestId('cost-json').click()]);

    // Run panel -> Run (onnxruntime-web: its .wasm comes from the app itself).
    await page.getByTestId('run-panel-button').click();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-timing')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('run-error')).toHaveCount(0);

    // Export: model, SVG, PNG.
    for (const id of ['export-onnx', 'export-svg', 'export-png']) await exportVia(page, id);

    await page.waitForTimeout(500);
    expect(foreign(urls, origin)).toEqual([]);
    // The .wasm is loaded from the app's own assets.
    expect(urls.some((u) => /\/assets\/ort-wasm[^/]*\.wasm$/.test(u) && u.startsWith(origin))).toBe(true);
    expect(await violations()).toEqual([]);
    expect(dialogs).toEqual([]);
    // Threads: the model worker is cross-origin isolated too.
    // (onnxruntime's own thread workers are busy in WebAssembly and never answer: give each a moment only.)
    const isolated = await Promise.all(
      page.workers().map((w) => Promise.race([w.evaluate(() => [self.name, self.crossOriginIsolated] as const).catch(() => null), new Promise((ok) => setTimeout(() => ok(null), 2000))])),
    );
    expect(isolated).toContainEqual(['model', true]);
  });

  test('?url= to another origin issues exactly that request, and works under COEP (isolated page)', async ({ page, context, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const target = 'https://models.example.org/zoo/TFC_2W2A.onnx';
    const body = modelBytes(TFC);
    const urls = recordRequests(context);
    const violations = await watchCsp(page);
    await blockForeign(context, origin);
    // The server allows CORS but sends no Cross-Origin-Resource-Policy header (like most servers).
    // (Registered after blockForeign, so it is asked first.)
    await context.route('https://models.example.org/**', (route) =>
      route.fulfill({ status: 200, body, headers: { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' } }),
    );

    // First visit: the service worker installs and the page becomes isolated.
    await page.goto('/');
    await waitForIsolation(page);

    await page.goto('/?url=' + encodeURIComponent(target));
    await expectModelOpen(page, 'TFC_2W2A.onnx', TFC_NODES);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(foreign(urls, origin)).toEqual([target]);
    expect(await violations()).toEqual([]);
  });


  test('the model worker gets the CSP from the service worker: a plain-http ?url= is refused', async ({ page, context, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const urls = recordRequests(context);
    await blockForeign(context, origin);
    await page.goto('/');
    await waitForIsolation(page);
    // (A <meta> CSP does not reach workers; without the service worker the worker has no policy.)
    await page.goto('/?url=' + encodeURIComponent('http://models.example.org/m.onnx'));
    await expect(page.getByTestId('notice')).toContainText('Could not download http://models.example.org/m.onnx');
    expect(foreign(urls, origin)).toEqual([]);
  });
});

test('without the service worker (first visit, or blocked), the app still works under the CSP', async ({ page, context, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const urls = recordRequests(context);
  const violations = await watchCsp(page);
  await page.goto('/');
  await page.getByTestId('sample-zoo_TFC_2W2A.onnx').click();
  await expectModelOpen(page, TFC, TFC_NODES);
  await page.getByTestId('run-panel-button').click();
  await page.getByTestId('run-button').click();
  await expect(page.getByTestId('run-timing')).toBeVisible({ timeout: 60_000 });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  expect(foreign(urls, origin)).toEqual([]);
  expect(await violations()).toEqual([]);
});
