/**
 * ExtractQuantScaleZeroPt: a Quant whose scale (initializer) is not all ones, or whose zero point
 * (initializer) is not all zeros, becomes
 *
 *   x -> Div(scale) -> Add(zeropt) -> Quant(scale 1, zeropt 0) -> Sub(zeropt) -> Mul(scale) -> y
 *
 * (only the parts that are needed), in the reference's order. This is exact: Quant computes
 * x/scale + zeropt, clamps and rounds, then (q - zeropt) * scale, each step in float32, and the new
 * nodes do the same steps in the same order. The last node writes the Quant's original output, so
 * names downstream stay. Unlike the reference, identity ops elsewhere in the graph are not removed as
 * a side effect; the Div and Mul share the scale tensor (the tidy-up gives each its own copy).
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Node, Tensor } from '../ir/types.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import type { TransformDef } from './registry.js';
import { constValue, f32Const, initializer, makeNode, NameSource, spliceNodes } from './rewrite.js';

export const extractQuantScaleZeroPt: TransformDef<Record<string, never>> = {
  id: 'extract-quant-scale-zeropt',
  title: 'Extract Quant scale and zero point',
  summary: 'Move non-trivial Quant scales and zero points into Div/Add before and Sub/Mul after a Quant with scale 1 and zero point 0',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const nodes = g.node ?? [];
    const names = new NameSource(g);
    const replacements = new Map<number, Node[]>();
    const inits: Tensor[] = [];
    nodes.forEach((n, i) => {
      if ((n.opType !== 'Quant' && n.opType !== 'IntQuant') || !resolveCustomOp(n, model)) return;
      const [x, scale, zeropt, bitwidth] = n.input ?? [];
      const y = n.output?.[0];
      if (!x || !scale || !zeropt || !bitwidth || !y) return;
      const s = constValue(idx, scale);
      const z = constValue(idx, zeropt);
      const doScale = !!s && s.data.some((v) => v !== 1);
      const doZero = !!z && z.data.some((v) => v !== 0);
      if (!doScale && !doZero) return;
      // the Div/Add/Sub/Mul read the parameters next to float32 data: they must be float32 too
      if ((doScale && s!.dataType !== 1) || (doZero && z!.dataType !== 1)) return;
      const base = n.name || y;
      const out: Node[] = [];
      let cur = x;
      let qScale = scale;
      let qZero = zeropt;
      if (doScale) {
        const o = names.fresh(`${base}_scaled_in`);
        out.push(makeNode('Div', [cur, scale], [o], n.name ? `${n.name}_DivScale` : ''));
        cur = o;
        qScale = names.fresh(`${base}_unit_scale`);
        inits.push(initializer(qScale, f32Const([], [1])));
      }
      if (doZero) {
        const o = names.fresh(`${base}_shifted_in`);
        out.push(makeNode('Add', [cur, zeropt], [o], n.name ? `${n.name}_AddZeroPt` : ''));
        cur = o;
        qZero = names.fresh(`${base}_zero_zeropt`);
        inits.push(initializer(qZero, f32Const([], [0])));
      }
      const q = names.fresh(`${base}_int_out`);
      out.push({ ...n, input: [cur, qScale, qZero, bitwidth], output: [q] });
      cur = q;
      if (doZero) {
        const o = doScale ? names.fresh(`${base}_unshifted_out`) : y;
        out.push(makeNode('Sub', [cur, zeropt], [o], n.name ? `${n.name}_SubZeroPt` : ''));
        cur = o;
      }
      if (doScale) out.push(makeNode('Mul', [cur, scale], [y], n.name ? `${n.name}_MulScale` : ''));
      replacements.set(i, out);
    });
    if (!replacements.size) return { model, modified: false };
    return {
      model: { ...model, graph: { ...g, node: spliceNodes(nodes, replacements), initializer: [...(g.initializer ?? []), ...inits] } },
      modified: true,
    };
  },
};
