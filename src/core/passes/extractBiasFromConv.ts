/**
 * ExtractBiasFromConv: a Conv or ConvTranspose with a bias initializer loses its bias, and an Add
 * after it adds the bias reshaped to [1, C, 1, ...] (the output's rank), as the reference does. The
 * Add writes the original output tensor, so names downstream (and graph outputs) stay. The bias keeps
 * its name and bytes (only its dims change) unless another node reads it too, in which case the Add
 * gets a reshaped copy. A bias that is not an initializer is left in place.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Node, Tensor } from '../ir/types.js';
import { tensorShape } from '../onnx/tensorData.js';
import type { TransformDef } from './registry.js';
import { makeNode, NameSource, spliceNodes, useCount, withDims } from './rewrite.js';

export const extractBiasFromConv: TransformDef<Record<string, never>> = {
  id: 'extract-bias-from-conv',
  title: 'Extract Conv bias',
  summary: 'Move the bias of Conv / ConvTranspose into a separate Add node after it',
  params: [],
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const nodes = g.node ?? [];
    const names = new NameSource(g);
    const shapes = analyzeModel(model).shapes.tensors;
    const replacements = new Map<number, Node[]>();
    const reshaped = new Map<string, Tensor>();
    const added: Tensor[] = [];
    const dropVi = new Set<string>();
    nodes.forEach((n, i) => {
      if ((n.opType !== 'Conv' && n.opType !== 'ConvTranspose') || (n.domain && n.domain !== 'ai.onnx')) return;
      const ins = n.input ?? [];
      const bias = ins[2];
      const y = n.output?.[0];
      if (!bias || !y) return;
      const bt = idx.initializer.get(bias);
      if (!bt || reshaped.has(bias)) return;
      const bshape = tensorShape(bt);
      if (bshape.length !== 1) return;
      const w = ins[1] ? idx.initializer.get(ins[1]) : undefined;
      const rank = shapes.get(y)?.shape?.length ?? (w ? tensorShape(w).length : shapes.get(ins[0])?.shape?.length);
      if (!rank || rank < 2) return;
      const dims = [1, bshape[0], ...new Array(rank - 2).fill(1)];
      let addBias = bias;
      if (useCount(idx, bias) === 1) {
        reshaped.set(bias, withDims(bt, dims));
        dropVi.add(bias);
      } else {
        addBias = names.fresh(`${bias}_reshaped`);
        added.push(withDims(bt, dims, addBias));
      }
      const convOut = names.fresh(`${n.name || y}_conv_out`);
      replacements.set(i, [
        { ...n, input: ins.slice(0, 2), output: [convOut, ...(n.output ?? []).slice(1)] },
        makeNode('Add', [convOut, addBias], [y], n.name ? `${n.name}_BiasAdd` : ''),
      ]);
    });
    if (!replacements.size) return { model, modified: false };
    return {
      model: {
        ...model,
        graph: {
          ...g,
          node: spliceNodes(nodes, replacements),
          initializer: [...(g.initializer ?? []).map((t) => reshaped.get(t.name ?? '') ?? t), ...added],
          valueInfo: g.valueInfo?.filter((v) => !dropVi.has(v.name ?? '')),
        },
      },
      modified: true,
    };
  },
};
