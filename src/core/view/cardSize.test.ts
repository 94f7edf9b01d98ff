/**
 * Card sizes: rows are never cut. A row wider than the widest card wraps onto lines that together hold
 * the whole text, and the card's height counts every line, so the layout (which places cards by these
 * sizes) leaves room for them. Checked on the real model whose weight rows were cut before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/codec.js';
import { TEST_MODELS } from '../testing/paths.js';
import { HEAD_H, MAX_W, ROW_H, wrapText } from './cardSize.js';
import { buildViewGraph } from './viewGraph.js';

describe('wrapText', () => {
  it('keeps every character, breaks after spaces or commas, and never exceeds the width', () => {
    const text = 'Quant INT8 · narrow [Quantquant_weight_dim_0,Quantquant_weight_dim_1,Quantquant_weight_dim_2] SCALEDINT<8>';
    const lines = wrapText(text, 40);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(lines.join(' ').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
    // a shorter line rather than an identifier cut in two
    expect(lines).toEqual(['Quant INT8 · narrow', '[Quantquant_weight_dim_0,', 'Quantquant_weight_dim_1,', 'Quantquant_weight_dim_2] SCALEDINT<8>']);
    expect(wrapText('short', 40)).toEqual(['short']);
    // no break point: a hard cut
    expect(wrapText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });
});

describe('cards of qonnx_espcn_subpixel_quant (weight rows of 144 characters)', () => {
  const m = decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, 'qonnx_espcn_subpixel_quant.onnx'))));
  const vg = buildViewGraph(m, { showConstants: false });

  it('every row is whole: its lines hold its text, ending in the datatype', () => {
    const conv = vg.nodes.filter((n) => n.title === 'Conv');
    expect(conv.length).toBe(4);
    for (const n of conv) {
      const w = n.rows.find((r) => r.slot === 'W')!;
      expect(w.text).toMatch(/ SCALEDINT<\d+>$/);
      expect(w.lines!.length).toBeGreaterThan(1);
      expect(w.lines!.join(' ').replace(/ /g, '')).toBe(w.text.replace(/ /g, ''));
      expect(n.width).toBeLessThanOrEqual(MAX_W);
    }
  });

  it('the card is as tall as its lines (head, 16 px per line, 4 px below the rows)', () => {
    for (const n of vg.nodes) {
      if (n.kind !== 'op') continue;
      const lines = n.rows.reduce((s, r) => s + (r.lines?.length ?? 1), 0);
      expect(n.height).toBe((n.subtitle ? HEAD_H : HEAD_H - 16) + lines * ROW_H + (n.rows.length ? 4 : 0));
    }
  });

  it('grouped layers size their cards the same way', () => {
    const g = buildViewGraph(m, { showConstants: false, groupLayers: true });
    const grouped = g.nodes.filter((n) => n.members && n.members.length > 1);
    expect(grouped.length).toBeGreaterThan(0);
    for (const n of grouped) {
      const lines = n.rows.reduce((s, r) => s + (r.lines?.length ?? 1), 0);
      expect(n.height).toBe((n.subtitle ? HEAD_H : HEAD_H - 16) + lines * ROW_H + 4);
      expect(n.rows.every((r) => r.lines && r.lines.join(' ').replace(/ /g, '') === r.text.replace(/ /g, ''))).toBe(true);
    }
  });
});
