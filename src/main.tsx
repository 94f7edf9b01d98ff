import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/base.css';
import './app/styles.css';
import { App } from './app/App.js';
import { useApp } from './app/store.js';
import { openFiles, pageGraphState, warmUpPage } from './app/open.js';
import { warmUpGraphView } from './app/graph/warmUpView.js';
import { useExplore } from './app/explore/exploreStore.js';
import { modelWorker } from './app/workerClient.js';
import './app/serviceWorker.js'; // offline use and cross-origin isolation (production builds only)
import { startSessions, whenSaved } from './app/session/sessionSync.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Test and benchmark hook: the stores (the app's, the explorer's), and the same open path a drop uses.
(window as unknown as { __qonnxStudio?: unknown }).__qonnxStudio = { useApp, useExplore, openFiles, whenSaved, pageGraphState };

// The session is kept in IndexedDB as the user works; the last one comes back unless the address asks for
// another model (?url= of a model this tab's session did not come from).
void startSessions({ url: new URLSearchParams(window.location.search).get('url') });

// Start the model worker while the start screen shows (it warms up its open path on a tiny model), so
// the first open does not wait for it; and load number formatting data, whose first use is slow.
// `__qonnxStudio.ready` (tests, benchmarks) resolves once the worker is warm.
(window as unknown as { __qonnxStudio: { ready?: Promise<void> } }).__qonnxStudio.ready = new Promise<void>((resolve) =>
  setTimeout(() => {
    void modelWorker()
      .ready()
      .then((w) => (w ? warmUpPage(w) : undefined))
      .then(() => warmUpGraphView())
      .catch(() => undefined)
      .then(resolve);
    (1234.5).toLocaleString('en-US');
  }, 0),
);
