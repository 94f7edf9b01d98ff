/**
 * Registers public/sw.js: offline use once loaded, and cross-origin isolation (threads for
 * onnxruntime-web) on hosts that cannot send COOP/COEP headers. Production builds served over
 * http(s) only: the dev server and file:// pages run without it.
 *
 * Isolation needs the page itself to come from the service worker. On the very first visit the
 * page was loaded before the worker existed, so when the worker takes control the page reloads
 * once, but only if no model is open or opening and no message is showing (an open model, or the
 * error of a file that failed to open, is never thrown away; the next visit is isolated anyway) and
 * only once per tab session (no loop when a browser ignores the headers).
 */
import { useApp } from './store.js';

const RELOADED_KEY = 'qonnx-studio:isolation-reload';

function reloadedBefore(): boolean {
  try {
    return sessionStorage.getItem(RELOADED_KEY) !== null;
  } catch {
    return true; // no storage: never risk a loop
  }
}

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  if (location.protocol !== 'https:' && location.protocol !== 'http:') return;
  const startedControlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // An update replacing the worker of an isolated page needs nothing.
    if (startedControlled || self.crossOriginIsolated || reloadedBefore()) return;
    const st = useApp.getState();
    // nor when a message is on screen (a file that failed to open: the reload would erase why)
    if (st.doc || st.loading || st.notice) return;
    try {
      sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
    } catch {
      return;
    }
    location.reload();
  });
  const register = () => {
    // The worker lives next to index.html, so its scope is the app's own folder (e.g. /qonnx-studio/).
    navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { updateViaCache: 'none' }).catch((e: unknown) => {
      console.warn('QONNX Studio: service worker not registered; the app works, but not offline and without threads', e);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

registerServiceWorker();
