/**
 * Edge labels: edges of different tensors that leave a node from the same point (DynamicQuantizeLinear's
 * y, y_scale and y_zero_point in a model quantized the way onnxruntime's quantize_dynamic writes it) get
 * one label line each, so their boxes do not overlap; edges of one tensor to several consumers share a line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../core/onnx/codec.js';
import { prepareFloat, quantizeLikeOrt } from '../../core/testing/ortQuantized.js';
import { TEST_MODELS } from '../../core/testing/paths.js';
import { buildViewGraph } from '../../core/view/viewGraph.js';
import type { LayoutState } from '../store.js';
import { buildSpatialIndex, edgeLabelBox } from './drawGraph.js';

describe('edge label lines', () => {
  it('stacks the labels of the tensors leaving one point, and keeps one line per tensor', () => {
    const float = prepareFloat(decodeModel(new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, 'qonnx_mnist_conv_float.onnx')))));
    const vg = buildViewGraph(quantizeLikeOrt(float, new Map(), { format: 'integer' }), { showConstants: false });
    // every edge leaves its source from one port (the bottom centre), as the layout routes them
    const pos = new Map(vg.nodes.map((n, i) => [n.id, { x: 0, y: 200 * i }]));
    const routes = new Map(vg.edges.map((e) => {
      const p = pos.get(e.source)!, q = pos.get(e.target)!;
      return [e.id, Float64Array.from([p.x + 100, p.y + 40, q.x + 100, q.y])];
    }));
    const l = { key: 'k', vg, pos, routes, width: 400, height: 200 * vg.nodes.length, ms: 0 } as LayoutState;
    const s = buildSpatialIndex(l);
    const dql = vg.nodes.find((n) => n.title === 'DynamicQuantizeLinear' || n.subtitle.includes('DynamicQuantizeLinear'))!;
    const out = vg.edges.map((e, k) => ({ e, k })).filter(({ e }) => e.source === dql.id && e.label);
    const tensors = [...new Set(out.map(({ e }) => e.tensor))];
    expect(tensors.length).toBeGreaterThanOrEqual(2);
    const lineOf = new Map<string, number>();
    for (const { e, k } of out) {
      if (lineOf.has(e.tensor)) expect(s.labelLine[k]).toBe(lineOf.get(e.tensor));
      lineOf.set(e.tensor, s.labelLine[k]);
    }
    expect(new Set(lineOf.values()).size).toBe(tensors.length);
    const boxes = tensors.map((t) => {
      const { e, k } = out.find((o) => o.e.tensor === t)!;
      return edgeLabelBox(routes.get(e.id)!, 8 * e.label.length, s.labelLine[k]);
    });
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        expect(a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
      }
  });
});
