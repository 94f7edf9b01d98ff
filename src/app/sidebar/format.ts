/** Text formatting of model values for the sidebar. Everything returns plain strings (never HTML). */
import type { Attribute } from '../../core/ir/types.js';
import { int64ToNumber } from '../../core/ir/types.js';
import { elementTypeName } from '../../core/onnx/elementTypes.js';
import { tensorShape } from '../../core/onnx/tensorData.js';

export const ATTR_TYPE_NAMES: Record<number, string> = {
  0: 'undefined', 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings',
  9: 'tensors', 10: 'graphs', 11: 'sparse tensor', 12: 'sparse tensors', 13: 'type', 14: 'types',
};

const dec = new TextDecoder();

/** Attribute type, inferred from the populated field when `type` is missing (old files). */
export function attrType(a: Attribute): number {
  if (a.type) return a.type;
  if (a.floats?.length) return 6;
  if (a.ints?.length) return 7;
  if (a.strings?.length) return 8;
  if (a.t) return 4;
  if (a.g) return 5;
  if (a.s?.length) return 3;
  if (a.i != null) return 2;
  if (a.f != null) return 1;
  return 0;
}

/** Shortest decimal that reads back as the same float32 (models store float32: 0.9, not 0.89999998). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  const f = Math.fround(v);
  const exact = f === v;
  for (let p = 1; p <= 17; p++) {
    const t = Number(v.toPrecision(p));
    // float32 values: the shortest exact form; computed float64 values (means, errors): 6 digits
    if (exact ? Math.fround(t) === f : p >= 6) {
      const a = Math.abs(t);
      return a !== 0 && (a < 1e-4 || a >= 1e7) ? t.toExponential() : String(t);
    }
  }
  return String(v);
}

export function attrValueText(a: Attribute): string {
  switch (attrType(a)) {
    case 1: return formatNumber(a.f ?? 0);
    case 2: return String(int64ToNumber(a.i));
    case 3: return JSON.stringify(dec.decode(a.s ?? new Uint8Array()));
    case 4: return a.t ? `tensor ${elementTypeName(a.t.dataType)} [${tensorShape(a.t).join(', ')}]` : 'tensor';
    case 5: return `graph '${a.g?.name ?? ''}' (${a.g?.node?.length ?? 0} nodes)`;
    case 6: return `[${(a.floats ?? []).map(formatNumber).join(', ')}]`;
    case 7: return `[${(a.ints ?? []).map((v) => int64ToNumber(v)).join(', ')}]`;
    case 8: return `[${(a.strings ?? []).map((s) => JSON.stringify(dec.decode(s))).join(', ')}]`;
    case 9: return `${a.tensors?.length ?? 0} tensors`;
    case 10: return `${a.graphs?.length ?? 0} graphs`;
    default: return a.refAttrName ? `→ ${a.refAttrName}` : '';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
