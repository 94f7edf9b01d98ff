/**
 * Node cards (DOM, React Flow) sit on the edges the canvas draws, in the production build and under the
 * Vite dev server that `npm start` runs (React's StrictMode mounts everything twice there, which once
 * left React Flow's view at (0, 0) while the canvas drew at the first view: cards 350 px off their edges).
 *
 * Each incoming edge's end point is mapped to the screen with the transform the canvas drew with, and
 * must fall inside its target card's box; the canvas must have painted the arrowhead there.
 */
import { expect, test, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { expectModelOpen, TFC, TFC_NODES } from './helpers';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Alignment {
  /** incoming edges whose target card is in the DOM */
  checked: number;
  /** edges whose end point is off their card, or with no arrowhead painted there */
  misses: string[];
  /** screen x of the graph's middle minus the graph area's middle */
  centreOffset: number;
}

/** Compare the canvas' edge end points with the node cards' boxes (see the header). */
function alignment(page: Page): Promise<Alignment> {
  return page.evaluate(() => {
    type Layout = { width: number; vg: { edges: { id: string; target: string }[] }; routes: Map<string, Float64Array> };
    const w = window as unknown as { __qonnxStudio: { useApp: { getState(): { layout: Layout | null } } } };
    const layout = w.__qonnxStudio.useApp.getState().layout;
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="graph-canvas"]');
    const ctx = canvas?.getContext('2d');
    if (!layout || !canvas || !ctx) return { checked: 0, misses: ['no layout or canvas'], centreOffset: NaN };
    const t = ctx.getTransform(); // flow units -> canvas bitmap pixels, as last drawn
    const cr = canvas.getBoundingClientRect();
    const sx = canvas.width / cr.width, sy = canvas.height / cr.height;
    const bitmap = (x: number, y: number) => ({ x: t.a * x + t.c * y + t.e, y: t.b * x + t.d * y + t.f });
    const screen = (x: number, y: number) => {
      const b = bitmap(x, y);
      return { x: cr.left + b.x / sx, y: cr.top + b.y / sy };
    };
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    /** some ink in a 5x5 bitmap window around (x, y) */
    const inked = (x: number, y: number) => {
      for (let j = Math.round(y) - 2; j <= Math.round(y) + 2; j++)
        for (let i = Math.round(x) - 2; i <= Math.round(x) + 2; i++)
          if (i >= 0 && j >= 0 && i < canvas.width && j < canvas.height && pixels[4 * (j * canvas.width + i) + 3] > 0) return true;
      return false;
    };
    const misses: string[] = [];
    let checked = 0;
    for (const e of layout.vg.edges) {
      const card = document.querySelector(`[data-node-id="${CSS.escape(e.target)}"]`);
      const r = layout.routes.get(e.id);
      if (!card || !r || r.length < 4) continue;
      // React Flow also renders cards just outside the view, where the canvas paints nothing: check the
      // cards whose top edge is on screen (by the card's position, so a shifted canvas still fails).
      const b = card.getBoundingClientRect();
      const top = { x: (b.left + b.right) / 2, y: b.top };
      if (top.x < cr.left + 8 || top.x > cr.right - 8 || top.y < cr.top + 8 || top.y > cr.bottom - 8) continue;
      checked++;
      const ex = r[r.length - 2], ey = r[r.length - 1];
      const p = screen(ex, ey);
      const tol = 1.5;
      const on = p.x >= b.left - tol && p.x <= b.right + tol && p.y >= b.top - tol && p.y <= b.bottom + tol;
      const arrow = bitmap(ex, ey - 4); // inside the arrowhead (7 flow units tall, tip at the end point)
      if (!on || !inked(arrow.x, arrow.y))
        misses.push(`${e.id}: end (${p.x.toFixed(1)}, ${p.y.toFixed(1)}) card [${b.left.toFixed(1)}, ${b.top.toFixed(1)}, ${b.right.toFixed(1)}, ${b.bottom.toFixed(1)}]${on ? ' no arrowhead' : ''}`);
    }
    const area = document.querySelector('[data-testid="graph"]')!.getBoundingClientRect();
    return { checked, misses, centreOffset: screen(layout.width / 2, 0).x - (area.left + area.width / 2) };
  });
}

async function expectCardsOnEdges(page: Page): Promise<void> {
  // polled: the canvas redraws on the animation frame after a viewport change
  await expect.poll(() => alignment(page).then((a) => (a.checked >= 5 ? a.misses : [`only ${a.checked} edges checked`]))).toEqual([]);
}

async function openSampleAndCheck(page: Page, base: string): Promise<void> {
  await page.goto(base);
  await page.getByTestId(`sample-${TFC}`).click();
  await expectModelOpen(page, TFC, TFC_NODES);
  await expectCardsOnEdges(page);
  // The first view of this tall graph centres it horizontally.
  expect(Math.abs((await alignment(page)).centreOffset)).toBeLessThan(2);
  // Dragging the pane (from its empty left side) moves cards and canvas together.
  const area = (await page.getByTestId('graph').boundingBox())!;
  await page.mouse.move(area.x + 120, area.y + 300);
  await page.mouse.down();
  await page.mouse.move(area.x + 60, area.y + 150, { steps: 6 });
  await page.mouse.up();
  await expect.poll(async () => Math.round((await alignment(page)).centreOffset)).toBeLessThan(-50);
  await expectCardsOnEdges(page);
}

test('production build: node cards sit on their edges', async ({ page, baseURL }) => {
  await openSampleAndCheck(page, baseURL!);
});

test.describe('dev server (npm start)', () => {
  let server: ViteDevServer | undefined;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    // The repository's vite.config.ts, as `vite --host 127.0.0.1` runs it, on a free port; no file
    // watching, so edits elsewhere in the checkout cannot reload the page under the test.
    server = await createServer({ root: ROOT, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: true, watch: null } });
    await server.listen();
  });

  test.afterAll(async () => {
    await server?.close();
  });

  test('node cards sit on their edges', async ({ page }) => {
    test.setTimeout(120_000); // the first request bundles the dependencies
    const url = server!.resolvedUrls!.local[0];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await openSampleAndCheck(page, url);
  });
});
