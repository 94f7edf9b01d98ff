/**
 * QuantToQCDQ: each Quant becomes QuantizeLinear -> [Clip] -> DequantizeLinear, standard ONNX ops that
 * any runtime executes, when it can be expressed exactly that way:
 *   - scale, zero point and bit width are initializers; the zero point is 0;
 *   - the bit width is one integer in 2..8;
 *   - the scale has at most one axis longer than 1 (per-tensor, or per-channel on that axis);
 *   - rounding_mode is ROUND (half to even, as QuantizeLinear rounds).
 * Quant clamps before rounding and QuantizeLinear rounds before saturating; with integer bounds the
 * two orders give the same integer, so the outputs are identical. A Clip is added whenever the Quant
 * range is narrower than the int8/uint8 range (bit width below 8, or narrow).
 *
 * Output structure (as the reference, qonnx/transformation/qonnx_to_qcdq.py): the squeezed scale and a
 * zero point of type int8 (signed) or uint8 (unsigned) feed both QuantizeLinear and DequantizeLinear;
 * with a per-channel scale both carry `axis`; Clip bounds are int8/uint8 scalars; the DequantizeLinear
 * output keeps the Quant's output name. Weight quantizers stay QuantizeLinear on the float weight, as
 * in the reference. With `quantizeWeights`, a Quant whose input is an initializer is instead
 * evaluated here: its integers are stored as an int8/uint8 initializer read by DequantizeLinear alone
 * (the form onnxruntime's own quantization tools write).
 *
 * The default-domain opset is raised to 13 (per-channel QuantizeLinear and int8 Clip need it; the
 * reference forces 13 too), rewriting the nodes whose signature changed (see opsetUpgrade.ts). Quant
 * nodes that do not qualify are left alone and each is reported in `notes`.
 *
 * Deviations from the reference, all fixes: an unsigned narrow 8-bit Quant gets its Clip (to 254);
 * the per-channel axis is counted in the input's axes (numpy broadcasting aligns a [C,1,1] scale to
 * axis 1 of an NCHW input; the reference takes the index within the scale's own shape); opset 10
 * without Clips is only kept when no per-channel scale needs 13.
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Node } from '../ir/types.js';
import { resolveAttrs } from '../qonnx/ops/attrs.js';
import { maxInt, minInt, QUANT_ATTRS } from '../qonnx/ops/quant.js';
import { resolveCustomOp } from '../qonnx/registry.js';
import { roundHalfEven } from '../qonnx/rounding.js';
import { attrInt, attrsOf, f32Tensor, GraphDraft, dropUnused, INT8_T, node, numericTensor, readF32, UINT8_T, valueInfo } from './graphDraft.js';
import { upgradeDefaultOpset } from './opsetUpgrade.js';
import type { TransformDef } from './registry.js';

export interface QuantToQcdqParams {
  quantizeWeights?: boolean;
}

const f32 = Math.fround;

interface Plan {
  signed: boolean;
  narrow: boolean;
  bits: number;
  /** squeezed scale: [] or [C] */
  scale: Float32Array;
  /** axis of x the per-channel scale runs along */
  axis: number | undefined;
}

/** Why a Quant cannot become QCDQ, or how it becomes QCDQ. */
function plan(n: Node, g: GraphDraft, xRank: number | undefined): Plan | string {
  const ins = n.input ?? [];
  if (ins.length < 4 || !ins[1] || !ins[2] || !ins[3]) return 'it has fewer than 4 inputs';
  const scaleT = readF32(g.initializer(ins[1]));
  const zeroT = readF32(g.initializer(ins[2]));
  const bitsT = readF32(g.initializer(ins[3]));
  if (!scaleT || !zeroT || !bitsT) return 'its scale, zero point and bit width must all be initializers';
  let a;
  try {
    a = resolveAttrs('Quant', QUANT_ATTRS, attrsOf(n));
  } catch (e) {
    return (e as Error).message;
  }
  const rm = a.str('rounding_mode').toUpperCase();
  if (rm !== 'ROUND') return `its rounding mode is ${rm}, not ROUND`;
  if (bitsT.data.length !== 1) return 'its bit width is not a single value';
  const bits = bitsT.data[0];
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) return `its bit width ${bits} is outside 2..8`;
  if (zeroT.data.some((v) => v !== 0)) return 'its zero point is not 0';
  if (!scaleT.data.every((v) => Number.isFinite(v) && v !== 0)) return 'its scale holds zero or non-finite values';
  const long = scaleT.shape.map((d, k) => (d > 1 ? k : -1)).filter((k) => k >= 0);
  if (long.length > 1) return `its scale of shape [${scaleT.shape.join(', ')}] is neither per-tensor nor per-channel`;
  const maxParamRank = Math.max(scaleT.shape.length, zeroT.shape.length, bitsT.shape.length);
  if (maxParamRank > 0 && xRank === undefined) return 'the rank of its input is unknown';
  if (xRank !== undefined && maxParamRank > xRank) return 'its parameters have more axes than its input, so its output shape is not the input\'s';
  let axis: number | undefined;
  if (long.length === 1) axis = xRank! - scaleT.shape.length + long[0];
  return { signed: a.flag('signed'), narrow: a.flag('narrow'), bits, scale: scaleT.data, axis };
}

export const quantToQcdq: TransformDef<QuantToQcdqParams> = {
  id: 'quant-to-qcdq',
  title: 'Quant to QCDQ',
  summary:
    'Replace each Quant (2..8 bits, zero point 0, per-tensor or per-channel scale, ROUND) by QuantizeLinear -> Clip -> DequantizeLinear, standard ops any ONNX runtime executes; raises the opset to 13',
  params: [
    {
      name: 'quantizeWeights',
      kind: 'boolean',
      default: false,
      doc: 'Store quantized weights as int8/uint8 initializers read by DequantizeLinear alone (the reference keeps QuantizeLinear on the float weights)',
    },
  ],
  lossy: false,
  run(model, params) {
    const d = new GraphDraft(model);
    const idx = indexGraph(model.graph ?? {});
    const shapes = analyzeModel(model).shapes;
    const notes: string[] = [];
    const replacements = new Map<Node, Node[]>();
    let needOpset = 0;
    for (const n of idx.nodes) {
      const def = resolveCustomOp(n, model);
      if (def?.opType !== 'Quant') continue;
      const x = n.input?.[0] ?? '';
      const out = n.output?.[0] ?? '';
      const label = `Quant '${n.name || out}'`;
      const xShape = shapes.tensors.get(x)?.shape ?? null;
      const p = plan(n, d, xShape?.length);
      if (typeof p === 'string') {
        notes.push(`${label} left unchanged: ${p}`);
        continue;
      }
      const base = n.name || out;
      const elem = p.signed ? INT8_T : UINT8_T;
      const lo = minInt(p.signed, p.narrow, p.bits), hi = maxInt(p.signed, p.narrow, p.bits);
      const needClip = lo > (p.signed ? -128 : 0) || hi < (p.signed ? 127 : 255);
      const perAxis = p.axis !== undefined;
      const cShape = perAxis ? [p.scale.length] : [];
      const scaleName = d.fresh(`${base}_scale`);
      d.setInitializer(f32Tensor(scaleName, { shape: cShape, data: perAxis ? p.scale : Float32Array.of(p.scale[0]) }));
      const zpName = d.fresh(`${base}_zero_point`);
      d.setInitializer(numericTensor(zpName, elem, cShape, new Array(perAxis ? p.scale.length : 1).fill(0)));
      const axisAttr = perAxis ? [attrInt('axis', p.axis!)] : [];
      const xInit = readF32(d.initializer(x));
      let nodes: Node[];
      if (params.quantizeWeights && xInit) {
        // the integers Quant computes: clamp(x / s) then round half to even, in float32
        const q = new Float32Array(xInit.data.length);
        const inner = perAxis ? xInit.shape.slice(p.axis! + 1).reduce((s, v) => s * v, 1) : 1;
        const c = perAxis ? xInit.shape[p.axis!] : 1;
        for (let i = 0; i < q.length; i++) {
          const s = perAxis ? p.scale[Math.floor(i / inner) % c] : p.scale[0];
          let y = f32(xInit.data[i] / s);
          if (y > hi) y = hi;
          if (y < lo) y = lo;
          q[i] = roundHalfEven(y);
        }
        const qName = d.fresh(`${x}_${p.signed ? 'int' : 'uint'}${p.bits}`);
        d.setInitializer(numericTensor(qName, elem, xInit.shape, q));
        d.setAnnotation(qName, 'finn_datatype', `${p.signed ? 'INT' : 'UINT'}${p.bits}`);
        nodes = [node('DequantizeLinear', [qName, scaleName, zpName], [out], d.fresh(`${base}_DequantizeLinear`), axisAttr)];
        if (perAxis) needOpset = Math.max(needOpset, 13);
        else needOpset = Math.max(needOpset, 10);
      } else {
        const qOut = d.fresh(`${base}_quantized`);
        nodes = [node('QuantizeLinear', [x, scaleName, zpName], [qOut], d.fresh(`${base}_QuantizeLinear`), axisAttr)];
        d.setValueInfo(valueInfo(qOut, elem, xShape));
        let last = qOut;
        if (needClip) {
          const minName = d.fresh(`${base}_clip_min`);
          const maxName = d.fresh(`${base}_clip_max`);
          d.setInitializer(numericTensor(minName, elem, [], [lo]));
          d.setInitializer(numericTensor(maxName, elem, [], [hi]));
          const clipOut = d.fresh(`${base}_clipped`);
          nodes.push(node('Clip', [qOut, minName, maxName], [clipOut], d.fresh(`${base}_Clip`)));
          d.setValueInfo(valueInfo(clipOut, elem, xShape));
          last = clipOut;
        }
        nodes.push(node('DequantizeLinear', [last, scaleName, zpName], [out], d.fresh(`${base}_DequantizeLinear`), axisAttr));
        needOpset = Math.max(needOpset, needClip || perAxis ? 13 : 10);
      }
      replacements.set(n, nodes);
    }
    if (replacements.size === 0) return notes.length ? { model, modified: false, notes } : { model, modified: false };
    d.nodes = d.nodes.flatMap((n) => replacements.get(n) ?? [n]);
    const problems = upgradeDefaultOpset(d, needOpset, shapes);
    if (problems.length)
      return { model, modified: false, notes: [...notes, ...problems.map((p) => `No Quant converted: the new nodes need opset ${needOpset}, but ${p}`)] };
    const out = dropUnused(d.build());
    return notes.length ? { model: out, modified: true, notes } : { model: out, modified: true };
  },
};
