/**
 * Page load, before any file: mount React Flow once in a hidden, detached root and draw a label on a
 * canvas, so the first model's graph view runs code that is already compiled (React Flow's store,
 * pan-zoom, the canvas text path) instead of paying for it between "opened" and "drawn".
 * Touches no app state; the root is removed at once.
 */
import { ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { createRoot } from 'react-dom/client';
import { LABEL_FONT } from './drawGraph.js';

export async function warmUpGraphView(): Promise<void> {
  const ctx = document.createElement('canvas').getContext('2d');
  if (ctx) {
    ctx.font = LABEL_FONT;
    ctx.fillText(`1×64 INT4 ${ctx.measureText('warm').width}`, 0, 10);
  }
  const host = document.createElement('div');
  host.setAttribute('aria-hidden', 'true');
  host.style.cssText = 'position:fixed;left:-10000px;top:0;width:400px;height:300px;overflow:hidden;pointer-events:none';
  document.body.appendChild(host);
  const root = createRoot(host);
  try {
    root.render(
      <ReactFlowProvider>
        <ReactFlow nodes={[]} edges={[]} minZoom={0.0002} maxZoom={3} proOptions={{ hideAttribution: true }} deleteKeyCode={null} selectionKeyCode={null} multiSelectionKeyCode={null} />
      </ReactFlowProvider>,
    );
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  } finally {
    root.unmount();
    host.remove();
  }
}
