/**
 * QCDQToQuant: the inverse of QuantToQCDQ. Each QuantizeLinear -> [Clip] -> DequantizeLinear chain
 * becomes one Quant node (domain qonnx.custom_op.general, rounding_mode ROUND) whose bit width, signed
 * and narrow reproduce the integer range the chain allows:
 *   - signed from the quantized element type (int8/int16/int4 signed, uint8/uint16/uint4 unsigned);
 *   - without Clip, the element type's full range (8, 16 or 4 bits, narrow 0);
 *   - with Clip [lo, hi], the (bits, narrow) whose Quant range is exactly [lo, hi].
 * A DequantizeLinear on an integer initializer (weights stored quantized) becomes a Quant on the
 * dequantized float values, with the element type's bit width (the reference does the same).
 * Per-axis scales and zero points are reshaped to broadcast along their axis ([C] on axis 0 of a 4-d
 * tensor becomes [C,1,1,1]); an all-zero zero point becomes the scalar 0.
 *
 * Left alone (and reported in `notes`): chains whose scale or zero point is not an initializer, whose
 * QuantizeLinear and DequantizeLinear disagree on scale or zero point, whose intermediate tensors are
 * read elsewhere, blocked quantization, and Clip ranges that no Quant range equals.
 *
 * Deviations from the reference (qonnx/transformation/qcdq_to_qonnx.py), all fixes: the reference
 * derives the bit width as ceil(log2(hi - lo + 1)) and narrow as lo == -hi, so an unsigned narrow
 * range [0, 2^b - 2] came back as non-narrow, and a range like [0, 10] silently widened; here both
 * must match a Quant range exactly. The per-axis default axis 1 of opset 13 is honoured when the
 * attribute is absent; the chain is not fused when its intermediate tensors have other readers.
 * With a nonzero zero point, QuantizeLinear rounds x/scale before adding it while Quant rounds after,
 * so exact ties can differ by one step for odd zero points (noted when it happens).
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Node } from '../ir/types.js';
import { maxInt, minInt } from '../qonnx/ops/quant.js';
import { QONNX_DOMAIN } from '../qonnx/registry.js';
import { attrInt, attrsOf, attrString, f32Tensor, GraphDraft, dropUnused, INT16_T, INT8_T, isStandard, node, readF32, readNumbers, UINT16_T, UINT8_T } from './graphDraft.js';
import type { TransformDef } from './registry.js';

const UINT4_T = 21, INT4_T = 22;
/** element type -> [bits, signed] */
const ELEM: Record<number, [number, boolean]> = { [UINT8_T]: [8, false], [INT8_T]: [8, true], [UINT16_T]: [16, false], [INT16_T]: [16, true], [UINT4_T]: [4, false], [INT4_T]: [4, true] };

/** The Quant (bits, narrow) whose integer range is exactly [lo, hi], if any. */
export function quantRangeFor(signed: boolean, lo: number, hi: number, maxBits: number): { bits: number; narrow: boolean } | undefined {
  for (let bits = 1; bits <= maxBits; bits++)
    for (const narrow of [false, true]) {
      // a signed 1-bit Quant is bipolar (no zero), an unsigned narrow 1-bit one holds only 0
      if (bits === 1 && (signed || narrow)) continue;
      if (minInt(signed, narrow, bits) === lo && maxInt(signed, narrow, bits) === hi) return { bits, narrow };
    }
  return undefined;
}

const f32 = Math.fround;

export const qcdqToQuant: TransformDef = {
  id: 'qcdq-to-quant',
  title: 'QCDQ to Quant',
  summary: 'Fuse each QuantizeLinear -> [Clip] -> DequantizeLinear chain (and DequantizeLinear on integer weights) into one Quant node with the matching bit width, signed and narrow',
  params: [],
  lossy: false,
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const d = new GraphDraft(model);
    const shapes = analyzeModel(model).shapes;
    const notes: string[] = [];
    const remove = new Set<Node>();
    const replace = new Map<Node, Node>();
    const singleUse = (t: string) => (idx.consumers.get(t)?.length ?? 0) === 1 && !idx.output.has(t);
    for (const dq of idx.nodes) {
      if (dq.opType !== 'DequantizeLinear' || !isStandard(dq)) continue;
      const out = dq.output?.[0] ?? '';
      const label = `DequantizeLinear '${dq.name || out}'`;
      const [dqIn, dqScale, dqZp] = dq.input ?? [];
      const a = attrsOf(dq);
      if (a.block_size !== undefined && a.block_size !== 0) {
        notes.push(`${label} left unchanged: blocked quantization has no Quant equivalent`);
        continue;
      }
      const scale = readF32(d.initializer(dqScale));
      const zpNums = dqZp ? readNumbers(d.initializer(dqZp)) : undefined;
      if (!scale || (dqZp && !zpNums)) {
        notes.push(`${label} left unchanged: its scale and zero point must be initializers`);
        continue;
      }
      const zp = zpNums ? Float32Array.from(zpNums.data) : new Float32Array(scale.data.length);
      // the chain: QuantizeLinear -> [Clip] -> DequantizeLinear, or an integer initializer
      const pIdx = idx.producer.get(dqIn);
      const prod = pIdx !== undefined ? idx.nodes[pIdx] : undefined;
      let clip: Node | undefined;
      let q: Node | undefined;
      if (prod?.opType === 'Clip' && isStandard(prod)) {
        clip = prod;
        const qi = idx.producer.get(clip.input?.[0] ?? '');
        q = qi !== undefined ? idx.nodes[qi] : undefined;
      } else q = prod;
      const dqInit = readNumbers(d.initializer(dqIn));
      if (!dqInit && (!q || q.opType !== 'QuantizeLinear' || !isStandard(q))) continue;
      const xRank = shapes.tensors.get(dqIn)?.shape?.length ?? dqInit?.shape.length;
      // per-axis parameters broadcast along `axis`
      let pShape: number[] = [];
      let axis = 0;
      if (scale.data.length > 1) {
        if (xRank === undefined) {
          notes.push(`${label} left unchanged: the rank of its input is unknown`);
          continue;
        }
        axis = (a.axis as number | undefined) ?? 1;
        if (axis < 0) axis += xRank;
        pShape = new Array(xRank).fill(1);
        pShape[axis] = scale.data.length;
      }
      let elemType: number;
      let lo: number | undefined, hi: number | undefined;
      let qInput: string;
      if (dqInit) {
        elemType = dqInit.dataType;
        if (!ELEM[elemType]) {
          notes.push(`${label} left unchanged: its input type ${elemType} is not an integer type`);
          continue;
        }
        // the float weights the Quant will read: (q - zp) * scale, in float32
        const inner = pShape.length ? dqInit.shape.slice(axis + 1).reduce((s, v) => s * v, 1) : 1;
        const c = scale.data.length;
        const w = new Float32Array(dqInit.data.length);
        for (let i = 0; i < w.length; i++) {
          const k = c > 1 ? Math.floor(i / inner) % c : 0;
          w[i] = f32(f32(dqInit.data[i] - zp[k]) * scale.data[k]);
        }
        qInput = d.fresh(`${dqIn}_float`);
        d.setInitializer(f32Tensor(qInput, { shape: dqInit.shape, data: w }));
      } else {
        const [x, qScale, qZp] = q!.input ?? [];
        const qs = readF32(d.initializer(qScale));
        const qz = qZp ? readNumbers(d.initializer(qZp)) : undefined;
        if (!qs || (qZp && !qz)) {
          notes.push(`${label} left unchanged: the scale and zero point of QuantizeLinear '${q!.name}' must be initializers`);
          continue;
        }
        const sameScale = qScale === dqScale || (qs.data.length === scale.data.length && qs.data.every((v, i) => v === scale.data[i]));
        const qzv = qz ? qz.data : new Float64Array(qs.data.length);
        const sameZp = qZp === dqZp || (qzv.length === zp.length && qzv.every((v, i) => v === zp[i]));
        const qAxis = (attrsOf(q!).axis as number | undefined) ?? 1;
        const dqAxis = (a.axis as number | undefined) ?? 1;
        if (!sameScale || !sameZp || (scale.data.length > 1 && (qAxis < 0 ? qAxis + xRank! : qAxis) !== (dqAxis < 0 ? dqAxis + xRank! : dqAxis))) {
          notes.push(`${label} left unchanged: QuantizeLinear '${q!.name}' uses another scale, zero point or axis`);
          continue;
        }
        if (!singleUse(q!.output?.[0] ?? '') || (clip && !singleUse(clip.output?.[0] ?? ''))) {
          notes.push(`${label} left unchanged: the quantized integers are also read elsewhere`);
          continue;
        }
        elemType = qz?.dataType ?? (Number(attrsOf(q!).output_dtype ?? 0) || UINT8_T);
        if (!ELEM[elemType]) {
          notes.push(`${label} left unchanged: element type ${elemType} is not an integer type`);
          continue;
        }
        if (clip) {
          const ca = attrsOf(clip);
          const cmin = clip.input?.[1] ? readNumbers(d.initializer(clip.input[1])) : undefined;
          const cmax = clip.input?.[2] ? readNumbers(d.initializer(clip.input[2])) : undefined;
          if ((clip.input?.[1] && !cmin) || (clip.input?.[2] && !cmax)) {
            notes.push(`${label} left unchanged: the bounds of Clip '${clip.name}' are not initializers`);
            continue;
          }
          lo = cmin ? cmin.data[0] : (ca.min as number | undefined);
          hi = cmax ? cmax.data[0] : (ca.max as number | undefined);
        }
        qInput = x;
      }
      const [typeBits, signed] = ELEM[elemType];
      const tLo = signed ? -(2 ** (typeBits - 1)) : 0, tHi = signed ? 2 ** (typeBits - 1) - 1 : 2 ** typeBits - 1;
      const rLo = Math.max(tLo, lo ?? tLo), rHi = Math.min(tHi, hi ?? tHi);
      const range = quantRangeFor(signed, rLo, rHi, typeBits);
      if (!range) {
        notes.push(`${label} left unchanged: the integer range [${rLo}, ${rHi}] is not the range of any ${signed ? 'signed' : 'unsigned'} Quant bit width`);
        continue;
      }
      if (zp.some((v) => v !== 0 && Math.abs(v) % 2 === 1)) notes.push(`${label}: its zero point is odd, so values exactly halfway between two steps may round one step apart in the Quant`);
      const base = `Quant_${qInput}`;
      const sName = d.fresh(`${base}_scale`);
      d.setInitializer(f32Tensor(sName, { shape: pShape, data: scale.data }));
      const zName = d.fresh(`${base}_zeropt`);
      const zeroAll = zp.every((v) => v === 0);
      d.setInitializer(f32Tensor(zName, zeroAll ? { shape: [], data: Float32Array.of(0) } : { shape: pShape, data: zp }));
      const bName = d.fresh(`${base}_bitwidth`);
      d.setInitializer(f32Tensor(bName, { shape: [], data: Float32Array.of(range.bits) }));
      const quant = node('Quant', [qInput, sName, zName, bName], [out], d.fresh(base), [attrInt('narrow', range.narrow ? 1 : 0), attrString('rounding_mode', 'ROUND'), attrInt('signed', signed ? 1 : 0)], QONNX_DOMAIN);
      replace.set(dq, quant);
      if (q && !dqInit) remove.add(q);
      if (clip && !dqInit) remove.add(clip);
      for (const t of [q?.output?.[0], clip?.output?.[0]]) if (t && !dqInit) d.dropValueInfo(t);
    }
    if (replace.size === 0) return notes.length ? { model, modified: false, notes } : { model, modified: false };
    d.nodes = d.nodes.filter((n) => !remove.has(n)).map((n) => replace.get(n) ?? n);
    d.requireOpset(QONNX_DOMAIN, 1);
    const out = dropUnused(d.build());
    return notes.length ? { model: out, modified: true, notes } : { model: out, modified: true };
  },
};
