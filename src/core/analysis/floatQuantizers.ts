/**
 * Quantizers that qonnx counts as FLOAT32 although they quantize to a few bits.
 *
 * The reference gives a quantizer's output an integer datatype only when its parameters have the
 * exact form its rule expects (QONNX.md; the rules in qonnx/ops/quant.ts and bipolarQuant.ts):
 * - BipolarQuant is BIPOLAR only with scale 1; a scaled one (values ±scale) is FLOAT32.
 * - Quant reads the bit width with `bitwidth.ndim == 0`: a bit width stored as a 1-element array
 *   fails that check, and a zero point other than 0 fails another; either way the output is FLOAT32.
 * The cost then counts 32 bits for such a tensor (1,024 BOPs per FLOAT32 × FLOAT32 MAC), while the
 * quantizer's badge shows the bits it really has. The note says why the two differ, and the bits are
 * what the paper-BOPs column uses.
 */
import type { GraphIndex } from '../ir/graphIndex.js';
import type { Node } from '../ir/types.js';
import { tensorShape, tensorValues, toNumbers } from '../onnx/tensorData.js';
import { BINARY, BIPOLAR, intType, scaledIntType } from '../qonnx/datatypes.js';

export interface FloatQuantizerNote {
  /** the bit width the quantizer really produces (what its badge shows) */
  bits: number;
  /**
   * the datatype the reference would give it with a scalar bit width / scale 1 (BIPOLAR, INT4, UINT2,
   * SCALEDINT<4> when scaled): what `cost --effective-bits` counts it as
   */
  datatype?: string;
  /** one sentence: why qonnx counts it as FLOAT32 */
  reason: string;
}

function constValues(idx: GraphIndex, name: string | undefined): { shape: number[]; values: Float64Array } | undefined {
  const t = name ? idx.initializer.get(name) : undefined;
  if (!t) return undefined;
  try {
    return { shape: tensorShape(t), values: toNumbers(tensorValues(t)) };
  } catch {
    return undefined; // external or unreadable: no claim either way
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5))));

/** Why the reference counts this quantizer's output as FLOAT32 although it has `bits` bits; undefined when it does not. */
export function floatQuantizerNote(idx: GraphIndex, n: Node): FloatQuantizerNote | undefined {
  const op = n.opType ?? '';
  const ins = n.input ?? [];
  if (op === 'BipolarQuant') {
    const scale = constValues(idx, ins[1]);
    if (scale && scale.values.length > 0 && scale.values.every((v) => v === 1)) return undefined;
    const what = !scale
      ? 'its scale is computed, not a constant 1'
      : scale.values.length === 1
        ? `its scale is ${fmt(scale.values[0])}, not 1`
        : `its scale is per channel (${scale.values.length} values), not 1`;
    return { bits: 1, datatype: BIPOLAR.name, reason: `qonnx counts this BipolarQuant as FLOAT32, not BIPOLAR: ${what} (BIPOLAR needs scale 1). Its values are ±scale: 1 bit.` };
  }
  if (op === 'Quant' || op === 'IntQuant') {
    const bw = constValues(idx, ins[3]);
    if (!bw || bw.values.length !== 1) return undefined;
    const bits = bw.values[0];
    if (!Number.isInteger(bits) || bits < 1) return undefined;
    // as quantDatatype (allow scaled-int, as the cost infers): scale 1 gives an integer type, else SCALEDINT
    const signedAttr = (n.attribute ?? []).find((a) => a.name === 'signed');
    const signed = signedAttr?.i === undefined ? true : Number(signedAttr.i) !== 0;
    const sc = constValues(idx, ins[1]);
    const datatype = sc && sc.values.length > 0 && sc.values.every((v) => v === 1) ? (bits === 1 ? (signed ? BIPOLAR : BINARY).name : intType(bits, signed).name) : scaledIntType(bits).name;
    if (bw.shape.length > 0) {
      return {
        bits,
        datatype,
        reason: `qonnx counts this Quant as FLOAT32: its bit width is stored as a 1-element array (shape [${bw.shape.join(',')}]) instead of a scalar, and qonnx takes the datatype only from a scalar bit width. It quantizes to ${bits} bits.`,
      };
    }
    const zp = constValues(idx, ins[2]);
    if (zp && zp.values.some((v) => v !== 0)) {
      return { bits, datatype, reason: `qonnx counts this Quant as FLOAT32: its zero point is not 0, and qonnx gives an integer datatype only with zero point 0. It quantizes to ${bits} bits.` };
    }
  }
  return undefined;
}

/** Ops whose datatype is their first input's (QONNX.md, datatype inference), so a quantizer's bits reach through them. */
const PASS_THROUGH = new Set(['Reshape', 'Transpose', 'Flatten', 'Slice', 'Gather', 'Identity', 'Expand', 'MaxPool', 'GlobalMaxPool', 'Squeeze', 'Unsqueeze', 'Tile', 'Pad', 'Concat', 'Clip']);

/** The FLOAT32-counted quantizer that tensor `t` comes from (through shape-only ops), with its node index. */
export function floatQuantizerOf(idx: GraphIndex, t: string | undefined): (FloatQuantizerNote & { node: number }) | undefined {
  let cur = t;
  for (let guard = 0; cur && guard < 32; guard++) {
    const p = idx.producer.get(cur);
    if (p === undefined) return undefined;
    const n = idx.nodes[p];
    const note = floatQuantizerNote(idx, n);
    if (note) return { ...note, node: p };
    if (!PASS_THROUGH.has(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx')) return undefined;
    cur = n.input?.[0];
  }
  return undefined;
}
