/** Overview of the whole graph with the visible region; click or drag to move there. */
import { useEffect, useRef } from 'react';
import type { LayoutState } from '../store.js';
import type { Viewport } from './drawGraph.js';
import { CATEGORY_COLOR } from './palette.js';

const W = 160;
const H = 200;

export function Minimap({ layout, viewport, size, onMove }: { layout: LayoutState; viewport: Viewport; size: { w: number; h: number }; onMove: (x: number, y: number) => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const scale = Math.min(W / Math.max(1, layout.width), H / Math.max(1, layout.height));
  const ox = (W - layout.width * scale) / 2;
  const oy = (H - layout.height * scale) / 2;

  // Node boxes: drawn once per layout into an offscreen bitmap.
  const base = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const c = document.createElement('canvas');
    const dpr = window.devicePixelRatio || 1;
    c.width = W * dpr;
    c.height = H * dpr;
    const ctx = c.getContext('2d')!;
    ctx.scale(dpr, dpr);
    for (const n of layout.vg.nodes) {
      const p = layout.pos.get(n.id)!;
      ctx.fillStyle = CATEGORY_COLOR[n.category];
      ctx.fillRect(ox + p.x * scale, oy + p.y * scale, Math.max(1, n.width * scale), Math.max(1, n.height * scale));
    }
    base.current = c;
  }, [layout, scale, ox, oy]);

  useEffect(() => {
    const c = ref.current;
    if (!c || !base.current) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = W * dpr;
    c.height = H * dpr;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(base.current, 0, 0);
    ctx.scale(dpr, dpr);
    const vx = -viewport.x / viewport.zoom, vy = -viewport.y / viewport.zoom;
    ctx.strokeStyle = '#f59e0b';
    ctx.lineWidth = 1.5;
    // the visible region, clipped to the minimap so that all four sides stay visible
    const x0 = Math.max(1, ox + vx * scale), y0 = Math.max(1, oy + vy * scale);
    const x1 = Math.min(W - 1, ox + (vx + size.w / viewport.zoom) * scale), y1 = Math.min(H - 1, oy + (vy + size.h / viewport.zoom) * scale);
    ctx.strokeRect(x0, y0, Math.max(3, x1 - x0), Math.max(3, y1 - y0));
  }, [viewport, size, layout, scale, ox, oy]);

  // shown smaller in a small graph area (a short pane under an open panel, a narrow window), so that it
  // never takes more than about a third of the area's height or a quarter of its width
  const shown = Math.max(0.5, Math.min(1, size.h / (3 * H), size.w / (4 * W)));
  const move = (ev: React.PointerEvent) => {
    const r = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    onMove(((ev.clientX - r.left) / shown - ox) / scale, ((ev.clientY - r.top) / shown - oy) / scale);
  };
  return (
    <canvas
      ref={ref}
      className="minimap"
      data-testid="minimap"
      style={{ width: W * shown, height: H * shown }}
      title="Overview: click or drag to move"
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        move(e);
      }}
      onPointerMove={(e) => e.buttons && move(e)}
    />
  );
}
