/**
 * QONNX datatypes (the `finn_datatype` annotation vocabulary): BINARY, BIPOLAR, TERNARY, UINT<n>,
 * INT<n>, FIXED<w,i>, SCALEDINT<n>, FLOAT32, FLOAT16 and FLOAT<e,m,bias>. Values are immutable and
 * interned by canonical name, so `a === b` compares types.
 */

export type DataTypeKind = 'binary' | 'bipolar' | 'ternary' | 'uint' | 'int' | 'fixed' | 'scaledint' | 'float32' | 'float16' | 'arbfloat';

export interface DataType {
  readonly kind: DataTypeKind;
  /** canonical name, e.g. "INT4", "FIXED<8,3>", "FLOAT<4,3,7>" */
  readonly name: string;
  readonly bitwidth: number;
  readonly signed: boolean;
  /** true for BINARY, BIPOLAR, TERNARY, UINT, INT */
  readonly isInteger: boolean;
  readonly isFixedPoint: boolean;
  readonly isFloat: boolean;
  readonly min: number;
  readonly max: number;
  /** FIXED: integer bits; FLOAT<>: exponent bits */
  readonly intBits?: number;
  /** FLOAT<>: mantissa bits and bias */
  readonly mantissaBits?: number;
  readonly exponentBias?: number;
  /** FIXED: 2^-(w-i) */
  readonly scaleFactor?: number;
  allowed(v: number): boolean;
}

const cache = new Map<string, DataType>();

function make(t: Omit<DataType, 'allowed'>, allowed: (v: number) => boolean): DataType {
  const hit = cache.get(t.name);
  if (hit) return hit;
  const dt: DataType = Object.freeze({ ...t, allowed });
  cache.set(t.name, dt);
  return dt;
}

const isInt = (v: number) => Number.isInteger(v);

export function intType(bits: number, signed: boolean): DataType {
  if (!Number.isInteger(bits) || bits < 1) throw new Error(`Invalid bit width ${bits}`);
  if (!signed && bits === 1) return BINARY;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const name = `${signed ? 'INT' : 'UINT'}${bits}`;
  return make({ kind: signed ? 'int' : 'uint', name, bitwidth: bits, signed, isInteger: true, isFixedPoint: false, isFloat: false, min, max }, (v) => isInt(v) && v >= min && v <= max);
}

/** Bits and signedness of the ONNX integer element types (INT4 = 22, UINT4 = 21, INT2 = 26, UINT2 = 25). */
const ONNX_INT_ELEMS: Record<number, [number, boolean]> = { 2: [8, false], 3: [8, true], 4: [16, false], 5: [16, true], 6: [32, true], 7: [64, true], 12: [32, false], 13: [64, false], 21: [4, false], 22: [4, true], 25: [2, false], 26: [2, true] };

/** (U)INT<n> of an ONNX integer element type; undefined for any other element type. */
export function onnxIntType(elemType: number): DataType | undefined {
  const e = ONNX_INT_ELEMS[elemType];
  return e ? intType(e[0], e[1]) : undefined;
}

export function fixedType(width: number, intBits: number): DataType {
  if (!(Number.isInteger(width) && Number.isInteger(intBits) && width >= 1 && intBits < width))
    throw new Error(`Invalid FIXED<${width},${intBits}>: need integer bits below the total width`);
  const scale = 2 ** -(width - intBits);
  const imin = -(2 ** (width - 1));
  const imax = 2 ** (width - 1) - 1;
  return make(
    { kind: 'fixed', name: `FIXED<${width},${intBits}>`, bitwidth: width, signed: true, isInteger: false, isFixedPoint: true, isFloat: false, min: imin * scale, max: imax * scale, intBits, scaleFactor: scale },
    (v) => {
      const q = v / scale;
      return isInt(q) && q >= imin && q <= imax;
    },
  );
}

export function scaledIntType(bits: number): DataType {
  if (!Number.isInteger(bits) || bits < 1) throw new Error(`Invalid bit width ${bits}`);
  return make(
    { kind: 'scaledint', name: `SCALEDINT<${bits}>`, bitwidth: bits, signed: true, isInteger: false, isFixedPoint: false, isFloat: false, min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 },
    () => true,
  );
}

/** Arbitrary-precision float: 1 sign bit, e exponent bits, m mantissa bits, exponent bias. */
export function arbFloatType(e: number, m: number, bias?: number): DataType {
  if (!(Number.isInteger(e) && Number.isInteger(m) && e >= 1 && m >= 0)) throw new Error(`Invalid FLOAT<${e},${m}>`);
  const b = bias ?? 2 ** (e - 1) - 1;
  const max = (2 - 2 ** -m) * 2 ** (2 ** e - 1 - b);
  const minNormalExp = 1 - b;
  return make(
    { kind: 'arbfloat', name: `FLOAT<${e},${m},${b}>`, bitwidth: 1 + e + m, signed: true, isInteger: false, isFixedPoint: false, isFloat: true, min: -max, max, intBits: e, mantissaBits: m, exponentBias: b },
    (v) => {
      if (!Number.isFinite(v) || Math.abs(v) > max) return false;
      if (v === 0) return true;
      // representable: v = s * 2^(E) * (mantissa with m fraction bits), subnormals below 2^(1-bias)
      const a = Math.abs(v);
      const exp = Math.max(Math.floor(Math.log2(a)), minNormalExp);
      const q = a / 2 ** (exp - m);
      return isInt(q);
    },
  );
}

export const BINARY: DataType = make({ kind: 'binary', name: 'BINARY', bitwidth: 1, signed: false, isInteger: true, isFixedPoint: false, isFloat: false, min: 0, max: 1 }, (v) => v === 0 || v === 1);
export const BIPOLAR: DataType = make({ kind: 'bipolar', name: 'BIPOLAR', bitwidth: 1, signed: true, isInteger: true, isFixedPoint: false, isFloat: false, min: -1, max: 1 }, (v) => v === -1 || v === 1);
export const TERNARY: DataType = make({ kind: 'ternary', name: 'TERNARY', bitwidth: 2, signed: true, isInteger: true, isFixedPoint: false, isFloat: false, min: -1, max: 1 }, (v) => v === -1 || v === 0 || v === 1);
export const FLOAT32: DataType = make({ kind: 'float32', name: 'FLOAT32', bitwidth: 32, signed: true, isInteger: false, isFixedPoint: false, isFloat: true, min: -3.4028234663852886e38, max: 3.4028234663852886e38 }, (v) => Math.fround(v) === v || Number.isNaN(v));
export const FLOAT16: DataType = make({ kind: 'float16', name: 'FLOAT16', bitwidth: 16, signed: true, isInteger: false, isFixedPoint: false, isFloat: true, min: -65504, max: 65504 }, (v) => Math.abs(v) <= 65504 || !Number.isFinite(v));

/** Parse a datatype name as written in annotations and attributes (case-insensitive, spaces ignored). */
export function parseDataType(text: string): DataType {
  const s = text.trim().toUpperCase().replace(/\s+/g, '');
  // qonnx writes e.g. "DataType.INT4" in some reprs
  const t = s.startsWith('DATATYPE.') ? s.slice(9) : s.replace(/^DATATYPE\[['"]?(.*?)['"]?\]$/, '$1');
  switch (t) {
    case 'BINARY': return BINARY;
    case 'BIPOLAR': return BIPOLAR;
    case 'TERNARY': return TERNARY;
    case 'FLOAT32': return FLOAT32;
    case 'FLOAT16': return FLOAT16;
  }
  let m = /^(U?)INT(\d+)$/.exec(t);
  if (m) return intType(Number(m[2]), m[1] !== 'U');
  m = /^FIXED<(\d+),(-?\d+)>$/.exec(t);
  if (m) return fixedType(Number(m[1]), Number(m[2]));
  m = /^SCALEDINT<(\d+)>$/.exec(t);
  if (m) return scaledIntType(Number(m[1]));
  m = /^FLOAT<(\d+),(\d+)(?:,(-?\d+))?>$/.exec(t);
  if (m) return arbFloatType(Number(m[1]), Number(m[2]), m[3] === undefined ? undefined : Number(m[3]));
  throw new Error(`Unknown QONNX datatype '${text}'`);
}

export function tryParseDataType(text: string | undefined | null): DataType | undefined {
  if (!text) return undefined;
  try {
    return parseDataType(text);
  } catch {
    return undefined;
  }
}

/** Smallest integer type (BINARY, UINT<n> or INT<n>) that holds every integer in [min, max]. */
export function smallestIntTypeFor(min: number, max: number): DataType {
  if (!isInt(min) || !isInt(max)) return FLOAT32;
  if (min >= 0) {
    if (max <= 1) return BINARY;
    return intType(Math.max(1, Math.ceil(Math.log2(max + 1))), false);
  }
  let bits = 1;
  while (-(2 ** (bits - 1)) > min || 2 ** (bits - 1) - 1 < max) bits++;
  return intType(bits, true);
}

/** Smallest datatype for one value, preferring the narrowest that allows it (BIPOLAR for ±1 only when asked). */
export function smallestTypeForValue(v: number): DataType {
  if (!isInt(v)) return FLOAT32;
  return smallestIntTypeFor(Math.min(0, v), Math.max(0, v));
}
