/*
 * QONNX Studio service worker (registered by src/app/serviceWorker.ts in production builds only).
 *
 * 1. Offline once loaded: on install it stores the whole build (app shell, scripts, styles, the
 *    onnxruntime .wasm, the samples) in a cache named after the build, and then serves those files
 *    cache-first. A new build changes this file (the version and file list below are written into it
 *    by vite.config.ts), so the browser installs the new worker, which fills a new cache and deletes
 *    the old one when it takes over.
 * 2. Cross-origin isolation: static hosts such as GitHub Pages cannot send COOP/COEP headers. This
 *    worker adds them to every response it serves from the app's own folder, so the page is
 *    crossOriginIsolated and onnxruntime-web may use threads (SharedArrayBuffer).
 *
 * Requests to other origins (a model opened with ?url=) and outside the app's folder are never
 * touched: no respondWith, so the browser fetches them exactly as without this worker.
 */
const VERSION = '__QONNX_STUDIO_BUILD__';
const FILES = ['__QONNX_STUDIO_FILES__'];
const CACHE_PREFIX = 'qonnx-studio-';
const CACHE = CACHE_PREFIX + VERSION;
const SCOPE = self.registration.scope;
const SHELL = new URL('./', SCOPE).href;

/**
 * COEP require-corp rather than credentialless: the two differ only for cross-origin no-cors loads
 * (images, scripts), which the app never makes (its CSP allows none); a ?url= download is a CORS
 * fetch, which works under both (measured in Chromium with a server that sends no CORP header).
 * require-corp is also understood by Safari, which does not know credentialless.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The page's CSP (index.html) is a <meta> element, which does not reach workers: a dedicated worker's
 * policy comes from its script's response headers. The model worker (and onnxruntime's thread
 * workers, which run the same script) get the same policy here.
 */
const WORKER_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self' https:; object-src 'none'; base-uri 'self'";

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // cache: 'reload' skips the HTTP cache, so a file of an older build never lands in this build's cache.
      cache.addAll([SHELL, ...FILES.map((f) => new URL(f, SCOPE).href)].map((url) => new Request(url, { cache: 'reload' }))),
    ),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
      // Take over the page that registered this worker: it reloads once to become isolated.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || !req.url.startsWith(SCOPE)) return;
  event.respondWith(serve(req));
});

/** The cache key of a request: the app shell for navigations to the app, else the URL without query. */
function cacheKey(req) {
  const url = new URL(req.url);
  url.hash = '';
  if (req.mode === 'navigate' && (url.href.split('?')[0] === SHELL || url.pathname.endsWith('/index.html'))) return SHELL;
  url.search = '';
  return url.href;
}

async function serve(req) {
  let res = await caches.match(cacheKey(req), { cacheName: CACHE });
  if (!res) {
    try {
      res = await fetch(req);
    } catch {
      return new Response(`Offline, and ${req.url} is not part of the app's cache`, { status: 504, headers: { 'Content-Type': 'text/plain' } });
    }
  }
  return withHeaders(res, req.destination === 'worker' || req.destination === 'sharedworker');
}

/** The same response with the cross-origin isolation headers (and the CSP for worker scripts). */
function withHeaders(res, isWorker) {
  if (res.type !== 'basic' && res.type !== 'default') return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  if (isWorker) headers.set('Content-Security-Policy', WORKER_CSP);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
