/**
 * Test instrumentation served as a classic script in front of the app's own module (the runner's
 * server adds the <script> tag to index.html; the CSP allows it, it comes from the same site).
 * WebKitWebDriver has no console API and no init-script command, so this is how both engines report
 * page errors the same way:
 * - window.__testErrors: console.error calls, uncaught errors and unhandled rejections, as text;
 * - window.__testDownloads: every file the app saves through a blob: link, with its name and bytes
 *   (base64), read from the Blob itself; the browser's own download is not started, so no engine
 *   shows a save dialog.
 */
export const HOOKS_FILE = '__browser-test-hooks.js';

export const HOOKS_SOURCE = `(() => {
  const errors = (window.__testErrors = []);
  const downloads = (window.__testDownloads = []);
  const text = (v) => {
    if (v instanceof Error) return v.name + ': ' + v.message;
    if (typeof v === 'string') return v;
    try { return JSON.stringify(v); } catch { return String(v); }
  };
  const origError = console.error.bind(console);
  console.error = (...args) => {
    errors.push('console.error: ' + args.map(text).join(' '));
    origError(...args);
  };
  window.addEventListener('error', (e) => errors.push('uncaught: ' + (e.error ? text(e.error) : e.message) + (e.filename ? ' at ' + e.filename + ':' + e.lineno : '')));
  window.addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + text(e.reason)));
  const blobs = new Map();
  const origCreate = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj) => {
    const url = origCreate(obj);
    if (obj instanceof Blob) blobs.set(url, obj);
    return url;
  };
  const origClick = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    const blob = this.download && blobs.get(this.href);
    if (!blob) return origClick.call(this);
    const entry = { name: this.download, size: blob.size, b64: null };
    downloads.push(entry);
    blob.arrayBuffer().then((buf) => {
      const u8 = new Uint8Array(buf);
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      entry.b64 = btoa(s);
    });
  };
})();
`;

/** index.html with the hooks loaded first. */
export function withHooks(indexHtml: string): string {
  if (!indexHtml.includes('<head>')) throw new Error('index.html has no <head>');
  return indexHtml.replace('<head>', `<head><script src="./${HOOKS_FILE}"></script>`);
}
