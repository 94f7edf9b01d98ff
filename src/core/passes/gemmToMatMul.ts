/**
 * GemmToMatMul: Y = alpha * A' @ B' + beta * C becomes Transpose (for transA / transB), MatMul, Mul by
 * alpha, Mul of C by beta, and Add, as the reference builds it; the Muls by 1 the reference then
 * removes with RemoveIdentityOps are simply not created. A Gemm without C (allowed since opset 11)
 * gets no Add. The MatMul's output keeps Y's name when nothing follows it. finn_datatype annotations
 * of A and B are carried to their transposes.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { attrMap } from '../analysis/shapeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Node, Tensor, TensorAnnotation } from '../ir/types.js';
import type { TransformDef } from './registry.js';
import { attrInts, f32Const, initializer, makeNode, NameSource, spliceNodes } from './rewrite.js';

export const gemmToMatMul: TransformDef<Record<string, never>> = {
  id: 'gemm-to-matmul',
  title: 'Gemm to MatMul',
  summary: 'Replace each Gemm by MatMul (+ Transpose for transA/transB, Mul for alpha/beta != 1) and an Add of the bias',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const nodes = g.node ?? [];
    const names = new NameSource(g);
    const shapes = analyzeModel(model).shapes.tensors;
    const replacements = new Map<number, Node[]>();
    const inits: Tensor[] = [];
    const anns: TensorAnnotation[] = [];
    nodes.forEach((n, i) => {
      if (n.opType !== 'Gemm' || (n.domain && n.domain !== 'ai.onnx')) return;
      const [a, b, c] = n.input ?? [];
      const y = n.output?.[0];
      if (!a || !b || !y) return;
      const at = attrMap(n);
      const alpha = Number(at.alpha ?? 1);
      const beta = Number(at.beta ?? 1);
      const transA = Number(at.transA ?? 0) !== 0;
      const transB = Number(at.transB ?? 0) !== 0;
      // alpha/beta constants are float32: only for float32 Gemms
      const elem = shapes.get(y)?.elemType || shapes.get(a)?.elemType || 1;
      if ((alpha !== 1 || (c && beta !== 1)) && elem !== 1) return;
      const base = n.name || y;
      const out: Node[] = [];
      const transposed = (t: string, tag: string) => {
        const o = names.fresh(`${base}_${tag}_transposed`);
        out.push(makeNode('Transpose', [t], [o], n.name ? `${n.name}_Transpose${tag}` : '', [attrInts('perm', [1, 0])]));
        const dt = idx.annotation.get(t)?.get('finn_datatype');
        if (dt && dt !== 'FLOAT32') anns.push({ tensorName: o, quantParameterTensorNames: [{ key: 'finn_datatype', value: dt }] });
        return o;
      };
      const a2 = transA ? transposed(a, 'A') : a;
      const b2 = transB ? transposed(b, 'B') : b;
      const needAdd = !!c;
      const needAlpha = alpha !== 1;
      const mm = needAlpha || needAdd ? names.fresh(`${base}_matmul_out`) : y;
      out.push(makeNode('MatMul', [a2, b2], [mm], n.name ? `${n.name}_MatMul` : ''));
      let acc = mm;
      if (needAlpha) {
        const k = names.fresh(`${base}_alpha`);
        inits.push(initializer(k, f32Const([], [alpha])));
        const o = needAdd ? names.fresh(`${base}_scaled_out`) : y;
        out.push(makeNode('Mul', [acc, k], [o], n.name ? `${n.name}_MulAlpha` : ''));
        acc = o;
      }
      if (needAdd) {
        let bias = c;
        if (beta !== 1) {
          const k = names.fresh(`${base}_beta`);
          inits.push(initializer(k, f32Const([], [beta])));
          bias = names.fresh(`${base}_bias_scaled`);
          out.push(makeNode('Mul', [c, k], [bias], n.name ? `${n.name}_MulBeta` : ''));
        }
        out.push(makeNode('Add', [acc, bias], [y], n.name ? `${n.name}_Add` : ''));
      }
      replacements.set(i, out);
    });
    if (!replacements.size) return { model, modified: false };
    return {
      model: {
        ...model,
        graph: {
          ...g,
          node: spliceNodes(nodes, replacements),
          initializer: [...(g.initializer ?? []), ...inits],
          ...(anns.length ? { quantizationAnnotation: [...(g.quantizationAnnotation ?? []), ...anns] } : {}),
        },
      },
      modified: true,
    };
  },
};
