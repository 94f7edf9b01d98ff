/**
 * LowerConvsToMatMul: each 2-D Conv becomes
 *   Transpose (NCHW -> NHWC) -> Im2Col (qonnx.custom_op.general) -> MatMul -> Transpose (NHWC -> NCHW)
 * as the reference does (qonnx/transformation/lower_convs_to_matmul.py). Biases are first moved into
 * an Add after the Conv (ExtractBiasFromConv). The MatMul weight is the Conv weight W [OC, IC/g, KH,
 * KW] rearranged to [KH*KW*IC, OC] in the patch order of Im2Col (ky, kx, c); when the weight comes
 * from a Quant on an initializer, the initializer is rearranged and the Quant's per-output-channel
 * parameters ([OC,1,1,1]) become [1, OC]. A pointwise Conv (1x1, stride 1, no padding) needs no
 * Im2Col.
 *
 * Depthwise Convs (group = IC = OC) get the reference's treatment: the weight is expanded to a dense
 * [OC, IC, KH, KW] with zeros off the diagonal, Im2Col is marked depthwise=1 and the weight carries a
 * tensor_sparsity annotation {'dw': {'kernel_shape': [KH, KW]}}. Other grouped Convs (the reference
 * mishandles them) are expanded the same way into a block-diagonal dense weight, not marked depthwise.
 *
 * Fixes and limits: auto_pad SAME_* padding is computed with the ONNX formula (the reference's helper
 * is right only for stride 1); a Conv whose weight is not a (quantized) initializer, that is not
 * 2-D, whose output spatial size is unknown, or whose height or width is a size-1 axis with a kernel
 * or padding along it (Im2Col reads such an axis as a dummy) is left alone and listed in `notes`; a
 * grouped Conv with a quantized weight is only expanded when the zero point is 0 (the off-diagonal
 * zeros must stay zeros).
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import type { Model, Node } from '../ir/types.js';
import { explicitPads } from '../qonnx/ops/channelsLastLayout.js';
import { QONNX_DOMAIN, resolveCustomOp } from '../qonnx/registry.js';
import { extractBiasFromConv } from './extractBiasFromConv.js';
import { attrInt, attrInts, attrsOf, attrString, dropUnused, GraphDraft, isStandard, node, numericTensor, readNumbers, transposeData, WRITABLE_TYPES } from './graphDraft.js';
import type { TransformDef } from './registry.js';

/** W [OC, ICg, KH, KW] (group g) -> dense [OC, IC, KH, KW] with zeros outside each group's block. */
function denseWeight(w: Float64Array, oc: number, icg: number, kh: number, kw: number, group: number): Float64Array {
  if (group === 1) return w;
  const ic = icg * group;
  const out = new Float64Array(oc * ic * kh * kw);
  const perGroup = oc / group;
  const k = kh * kw;
  for (let o = 0; o < oc; o++) {
    const g = Math.floor(o / perGroup);
    for (let c = 0; c < icg; c++) for (let j = 0; j < k; j++) out[(o * ic + g * icg + c) * k + j] = w[(o * icg + c) * k + j];
  }
  return out;
}

/** [OC, IC, KH, KW] -> [KH*KW*IC, OC] (rows ordered ky, kx, c as Im2Col's patches). */
function toMatMulLayout(shape: number[], data: Float64Array): { shape: number[]; data: Float64Array } {
  const [oc, ic, kh, kw] = shape;
  const t = transposeData(shape, data, [0, 2, 3, 1]); // [OC, KH, KW, IC]
  return transposeData([oc, kh * kw * ic], t.data, [1, 0]);
}

export const lowerConvsToMatMul: TransformDef<Record<string, never>> = {
  id: 'lower-convs-to-matmul',
  title: 'Lower Convs to MatMul',
  summary: 'Replace each 2-D Conv by Transpose -> Im2Col -> MatMul -> Transpose (biases become an Add), as FINN expects before mapping to hardware',
  params: [],
  lossy: false,
  run(model) {
    const notes: string[] = [];
    const withBias = extractBiasFromConv.run(model, {});
    const m: Model = withBias.modified ? withBias.model : model;
    const shapes = analyzeModel(m).shapes.tensors;
    const d = new GraphDraft(m);
    const replace = new Map<Node, Node[]>();
    const quantEdits = new Map<Node, Node>();
    for (const n of d.nodes) {
      if (n.opType !== 'Conv' || !isStandard(n)) continue;
      const label = `Conv '${n.name || n.output?.[0]}'`;
      const skip = (why: string) => notes.push(`${label} left unchanged: ${why}`);
      const [x, wIn] = n.input ?? [];
      const y = n.output?.[0] ?? '';
      if ((n.input ?? []).length > 2 && n.input![2]) {
        skip('its bias is not an initializer, so it cannot be moved into an Add');
        continue;
      }
      const xs = shapes.get(x)?.shape, ys = shapes.get(y)?.shape;
      if (!xs || xs.length !== 4) {
        skip(xs ? `it is not a 2-D convolution (input rank ${xs.length})` : 'its input shape is unknown');
        continue;
      }
      if (![1, 2, 3].every((k) => typeof xs[k] === 'number') || !ys || ![1, 2, 3].every((k) => typeof ys[k] === 'number')) {
        skip('its input or output size is unknown');
        continue;
      }
      const [, ic, h, w] = xs as number[];
      const oc = ys[1] as number;
      // the weight: an initializer, or a Quant of an initializer read only here
      let quant: Node | undefined;
      let wName = wIn;
      if (!d.isInitializer(wName)) {
        const qi = d.producer(wName);
        const q = qi >= 0 ? d.nodes[qi] : undefined;
        if (!q || resolveCustomOp(q, m)?.opType !== 'Quant' || !d.isInitializer(q.input?.[0]) || !(q.input ?? []).slice(1).every((p) => d.isInitializer(p))) {
          skip('its weight is not an initializer or a Quant of one');
          continue;
        }
        if (d.consumers(wName).length !== 1 || d.isGraphOutput(wName)) {
          skip('its quantized weight is also read elsewhere');
          continue;
        }
        quant = q;
        wName = q.input![0];
      }
      const wt = readNumbers(d.initializer(wName));
      if (!wt || wt.shape.length !== 4 || !WRITABLE_TYPES.has(wt.dataType)) {
        skip('its weight cannot be read');
        continue;
      }
      const a = attrsOf(n);
      const group = Number(a.group ?? 1);
      const [wOc, icg, kh, kw] = wt.shape;
      const k = (a.kernel_shape as number[] | undefined) ?? [kh, kw];
      const s = (a.strides as number[] | undefined) ?? [1, 1];
      const dl = (a.dilations as number[] | undefined) ?? [1, 1];
      const autoPad = String(a.auto_pad ?? 'NOTSET').toUpperCase();
      const pads = autoPad === 'NOTSET' ? ((a.pads as number[] | undefined) ?? [0, 0, 0, 0]) : explicitPads([h, w], k, s, dl, [0, 0, 0, 0], autoPad);
      if (wOc !== oc || icg * group !== ic) {
        skip(`its weight [${wt.shape.join(', ')}] does not match ${ic} input / ${oc} output channels with group ${group}`);
        continue;
      }
      if ((h === 1 && (kh !== 1 || pads[0] + pads[2] !== 0)) || (w === 1 && (kw !== 1 || pads[1] + pads[3] !== 0))) {
        skip('a size-1 spatial axis has a kernel or padding along it, which Im2Col cannot express');
        continue;
      }
      const qParams = quant ? (quant.input ?? []).slice(1).map((p) => readNumbers(d.initializer(p))) : [];
      if (qParams.some((p) => !p || !WRITABLE_TYPES.has(p.dataType) || p.shape.length > 4)) {
        skip('its weight quantizer parameters cannot be read');
        continue;
      }
      if (group > 1 && quant) {
        const zp = qParams[1]!;
        if (zp.data.some((v) => v !== 0)) {
          skip('it is grouped and its weight quantizer has a nonzero zero point (the added zeros would not stay zero)');
          continue;
        }
        if (qParams.some((p) => p!.shape.length === 4 && p!.shape[1] !== 1)) {
          skip('it is grouped and its weight quantizer has per-input-channel parameters');
          continue;
        }
      }
      const depthwise = group > 1 && group === ic && oc === ic;
      const base = n.name || y;
      // the MatMul weight
      const dense = denseWeight(wt.data, oc, icg, kh, kw, group);
      const mmW = toMatMulLayout([oc, ic, kh, kw], dense);
      const newW = d.fresh(`${wName}_matmul`);
      d.setInitializer(numericTensor(newW, wt.dataType, mmW.shape, mmW.data));
      if (depthwise) d.setAnnotation(newW, 'tensor_sparsity', `{'dw': {'kernel_shape': [${kh}, ${kw}]}}`);
      let matmulWeight = newW;
      if (quant) {
        const inputs = [newW];
        (quant.input ?? []).slice(1).forEach((p, j) => {
          const v = qParams[j]!;
          if (v.data.length === 1) {
            inputs.push(p);
            return;
          }
          const padded = [...new Array(4 - v.shape.length).fill(1), ...v.shape];
          const t = transposeData(padded, v.data, [0, 2, 3, 1]);
          const rows = padded[1] * padded[2] * padded[3];
          const mat = transposeData([padded[0], rows], t.data, [1, 0]);
          const name = d.fresh(`${p}_matmul`);
          d.setInitializer(numericTensor(name, v.dataType, mat.shape, mat.data));
          inputs.push(name);
        });
        quantEdits.set(quant, { ...quant, input: inputs });
        d.dropValueInfo(wIn);
        matmulWeight = wIn;
      }
      // the nodes
      const xT = d.fresh(`${base}_nhwc_in`);
      const mmOut = d.fresh(`${base}_nhwc_out`);
      const copyDt = (from: string, to: string) => {
        const dt = d.annotation(from, 'finn_datatype');
        if (dt !== undefined) d.setAnnotation(to, 'finn_datatype', dt);
      };
      copyDt(x, xT);
      copyDt(y, mmOut);
      const nodes: Node[] = [node('Transpose', [x], [xT], d.fresh(`${base}_to_nhwc`), [attrInts('perm', [0, 2, 3, 1])])];
      const needIm2Col = pads.some((p) => p !== 0) || kh !== 1 || kw !== 1 || s[0] !== 1 || s[1] !== 1;
      let mmIn = xT;
      if (needIm2Col) {
        mmIn = d.fresh(`${base}_im2col`);
        copyDt(x, mmIn);
        nodes.push(
          node(
            'Im2Col',
            [xT],
            [mmIn],
            d.fresh(`${base}_Im2Col`),
            [
              attrInts('stride', s),
              attrInts('kernel_size', [kh, kw]),
              attrInts('pad_amount', pads),
              attrString('input_shape', `(1,${h},${w},${ic})`),
              attrInt('depthwise', depthwise ? 1 : 0),
              attrInts('dilations', dl),
            ],
            QONNX_DOMAIN,
          ),
        );
      }
      nodes.push(node('MatMul', [mmIn, matmulWeight], [mmOut], d.fresh(`${base}_MatMul`)));
      nodes.push(node('Transpose', [mmOut], [y], d.fresh(`${base}_to_nchw`), [attrInts('perm', [0, 3, 1, 2])]));
      replace.set(n, nodes);
    }
    if (replace.size === 0) {
      // the bias extraction alone is not this pass's result: report no change
      return notes.length ? { model, modified: false, notes } : { model, modified: false };
    }
    d.nodes = d.nodes.flatMap((n) => replace.get(n) ?? [quantEdits.get(n) ?? n]);
    d.requireOpset(QONNX_DOMAIN, 1);
    const out = dropUnused(d.build());
    return notes.length ? { model: out, modified: true, notes } : { model: out, modified: true };
  },
};
