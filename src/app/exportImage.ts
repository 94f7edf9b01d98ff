/** The laid-out graph as a standalone SVG (vector, every label as text) and as a PNG rendered from it. */
import type { LayoutState } from './store.js';
import { CATEGORY_COLOR } from './graph/palette.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function graphToSvg(l: LayoutState): string {
  const pad = 20;
  const out: string[] = [];
  const W = Math.ceil(l.width + 2 * pad + 120);
  const H = Math.ceil(l.height + 2 * pad);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<g transform="translate(${pad},${pad})">`);
  out.push('<g fill="none" stroke="#94a3b8" stroke-width="1.2">');
  for (const e of l.vg.edges) {
    const r = l.routes.get(e.id);
    if (!r || r.length < 4) continue;
    let d = `M${r[0].toFixed(1)},${r[1].toFixed(1)}`;
    if (r.length === 4) {
      const my = (r[1] + r[3]) / 2;
      d += ` C${r[0].toFixed(1)},${my.toFixed(1)} ${r[2].toFixed(1)},${my.toFixed(1)} ${r[2].toFixed(1)},${r[3].toFixed(1)}`;
    } else for (let i = 2; i < r.length; i += 2) d += ` L${r[i].toFixed(1)},${r[i + 1].toFixed(1)}`;
    out.push(`<path d="${d}"/>`);
  }
  out.push('</g><g font-family="ui-monospace, Menlo, monospace" font-size="10" fill="#334155">');
  for (const e of l.vg.edges) {
    const r = l.routes.get(e.id);
    if (!r || r.length < 4) continue;
    const ex = r[r.length - 2], ey = r[r.length - 1];
    out.push(`<path d="M${ex},${ey} l-4,-7 h8 z" fill="#94a3b8"/>`);
    out.push(`<text x="${(r[0] + 6).toFixed(1)}" y="${(r[1] + 17).toFixed(1)}">${esc(e.label)}</text>`);
  }
  out.push('</g>');
  for (const n of l.vg.nodes) {
    const p = l.pos.get(n.id)!;
    const color = CATEGORY_COLOR[n.category];
    out.push(`<g transform="translate(${p.x.toFixed(1)},${p.y.toFixed(1)})">`);
    if (n.kind === 'op') {
      out.push(`<rect width="${n.width}" height="${n.height}" rx="6" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<path d="M0,6 a6,6 0 0 1 6,-6 h${n.width - 12} a6,6 0 0 1 6,6 v16 h-${n.width} z" fill="${color}"/>`);
      out.push(`<text x="8" y="16" font-size="13" font-weight="600" fill="#fff">${esc(n.title)}</text>`);
      if (n.badge) out.push(`<text x="${n.width - 8}" y="16" font-size="10" text-anchor="end" fill="#fff">${esc(n.badge)}</text>`);
      if (n.subtitle) out.push(`<text x="8" y="35" font-size="10" fill="#475569">${esc(n.subtitle)}</text>`);
      const rowsTop = n.subtitle ? 54 : 38;
      // wrapped rows take one line each, as on the card (cardSize.ts)
      let line = 0;
      for (const r of n.rows) {
        (r.lines ?? [r.text]).forEach((t, k) => {
          const slot = k === 0 ? `<tspan font-weight="600">${esc(r.slot)}</tspan> ` : `<tspan font-weight="600" fill-opacity="0">${esc(r.slot)}</tspan> `;
          out.push(`<text x="8" y="${rowsTop + line++ * 16}" font-size="10" fill="#1e293b">${slot}${esc(t)}</text>`);
        });
      }
    } else {
      out.push(`<rect width="${n.width}" height="${n.height}" rx="${n.height / 2}" fill="#f1f5f9" stroke="#334155"/>`);
      out.push(`<text x="${n.width / 2}" y="17" font-size="12" font-weight="600" text-anchor="middle" fill="#0f172a">${esc(n.title)}</text>`);
      out.push(`<text x="${n.width / 2}" y="31" font-size="10" text-anchor="middle" fill="#475569">${esc(n.subtitle)}</text>`);
    }
    out.push('</g>');
  }
  out.push('</g></svg>');
  return out.join('\n');
}

/** PNG of the SVG; large graphs are scaled down to stay within the browser's canvas limits. */
export async function graphToPng(l: LayoutState, scale = 2): Promise<Blob> {
  const svg = graphToSvg(l);
  const m = /width="(\d+)" height="(\d+)"/.exec(svg)!;
  const w = Number(m[1]), h = Number(m[2]);
  const maxSide = 16_000;
  const s = Math.min(scale, maxSide / w, maxSide / h, Math.sqrt(200e6 / (w * h)));
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(w * s));
    c.height = Math.max(1, Math.round(h * s));
    const ctx = c.getContext('2d')!;
    ctx.scale(s, s);
    ctx.drawImage(img, 0, 0);
    return await new Promise<Blob>((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('The browser could not make a PNG of this size'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
