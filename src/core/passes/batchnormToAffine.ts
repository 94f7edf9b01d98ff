/**
 * BatchNormToAffine: an inference BatchNormalization becomes Mul(A) then Add(B) with
 * A = scale / sqrt(var + epsilon) and B = bias - A * mean, computed in float32 step by step as the
 * reference does with numpy float32 arrays. A and B are shaped [1, C, 1, ...] to the data's rank so
 * that they broadcast over the channel axis.
 *
 * As in the reference, an Unsqueeze feeding the BatchNormalization and a Squeeze reading it (the
 * BatchNorm1d export pattern) are absorbed: Mul and Add then work on the un-unsqueezed tensor. That is
 * done only when it is provably the same computation (the Unsqueeze/Squeeze axes agree, are all
 * spatial, and nobody else reads the tensors in between).
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { attrMap } from '../analysis/shapeInference.js';
import type { ConstTensor } from '../exec/constTensor.js';
import { indexGraph, type GraphIndex } from '../ir/graphIndex.js';
import type { Node, Tensor } from '../ir/types.js';
import type { TransformDef } from './registry.js';
import { constValue, f32Const, initializer, makeNode, NameSource, useCount } from './rewrite.js';

const f = Math.fround;

/** The axes of an Unsqueeze/Squeeze (attribute before opset 13, input after), normalised to `rank`. */
function axesOf(idx: GraphIndex, n: Node, rank: number): number[] | undefined {
  const a = attrMap(n).axes;
  let axes: number[] | undefined = Array.isArray(a) ? (a as number[]) : undefined;
  if (!axes && n.input?.[1]) axes = Array.from(constValue(idx, n.input[1])?.data ?? []);
  if (!axes?.length) return undefined;
  return axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q);
}

export const batchnormToAffine: TransformDef<Record<string, never>> = {
  id: 'batchnorm-to-affine',
  title: 'BatchNorm to Mul + Add',
  summary: 'Replace each inference BatchNormalization by a Mul and an Add with folded per-channel constants',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const nodes = g.node ?? [];
    const names = new NameSource(g);
    const shapes = analyzeModel(model).shapes.tensors;
    const replace = new Map<number, Node[]>();
    const drop = new Set<number>();
    const inits: Tensor[] = [];
    nodes.forEach((n, i) => {
      if (n.opType !== 'BatchNormalization' || (n.domain && n.domain !== 'ai.onnx')) return;
      const ins = n.input ?? [];
      const outs = n.output ?? [];
      if (!ins[0] || !outs[0]) return;
      if (outs.slice(1).some((o) => o && useCount(idx, o) > 0)) return; // training-mode outputs in use
      if (Number(attrMap(n).training_mode ?? 0) !== 0) return;
      const p = [1, 2, 3, 4].map((k) => constValue(idx, ins[k]));
      if (p.some((v) => !v || v.dataType !== 1)) return;
      const [scale, bias, mean, variance] = p as ConstTensor[];
      const c = scale.data.length;
      if ([bias, mean, variance].some((v) => v.data.length !== c)) return;
      const eps = f(Number(attrMap(n).epsilon ?? 1e-5));
      const A = new Float64Array(c);
      const B = new Float64Array(c);
      for (let k = 0; k < c; k++) {
        A[k] = f(scale.data[k] / f(Math.sqrt(f(eps + variance.data[k]))));
        B[k] = f(bias.data[k] - f(A[k] * mean.data[k]));
      }
      let input = ins[0];
      let output = outs[0];
      let dataShape = shapes.get(input)?.shape;
      // absorb Unsqueeze -> BN -> Squeeze
      const pi = idx.producer.get(input);
      const consumers = idx.consumers.get(output) ?? [];
      const prod = pi !== undefined ? nodes[pi] : undefined;
      const cons = consumers.length === 1 && !idx.output.has(output) ? nodes[consumers[0]] : undefined;
      let absorbed: [number, number] | undefined;
      if (prod?.opType === 'Unsqueeze' && cons?.opType === 'Squeeze' && useCount(idx, input) === 1 && !drop.has(pi!) && prod.input?.[0]) {
        const inner = shapes.get(prod.input[0])?.shape;
        const outer = dataShape;
        if (inner && outer && inner.length >= 2) {
          const ua = axesOf(idx, prod, outer.length);
          const sa = axesOf(idx, cons, outer.length);
          if (ua && sa && ua.every((x) => x >= 2) && ua.length === sa.length && ua.every((x, k) => x === sa[k]) && cons.output?.[0]) {
            absorbed = [pi!, consumers[0]];
            input = prod.input[0];
            output = cons.output[0];
            dataShape = inner;
          }
        }
      }
      if (!dataShape || dataShape.length < 2) return;
      const target = [1, c, ...new Array(dataShape.length - 2).fill(1)];
      const base = n.name || outs[0];
      const aName = names.fresh(`${base}_mul_param`);
      const bName = names.fresh(`${base}_add_param`);
      const mid = names.fresh(`${base}_mul_out`);
      inits.push(initializer(aName, f32Const(target, A)), initializer(bName, f32Const(target, B)));
      replace.set(i, [
        makeNode('Mul', [input, aName], [mid], n.name ? `${n.name}_Mul` : ''),
        makeNode('Add', [mid, bName], [output], n.name ? `${n.name}_Add` : ''),
      ]);
      if (absorbed) for (const k of absorbed) drop.add(k);
    });
    if (!replace.size) return { model, modified: false };
    const node = nodes.flatMap((n, i) => (drop.has(i) ? [] : replace.get(i) ?? [n]));
    return { model: { ...model, graph: { ...g, node, initializer: [...(g.initializer ?? []), ...inits] } }, modified: true };
  },
};
