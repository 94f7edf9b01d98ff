/**
 * JSON written the way Python's json.dump(obj, sort_keys=True, indent=2) writes it: floats in Python's
 * repr (59008.0, 1e-05, 1.5e+16), keys sorted by code point, non-ASCII escaped, ", " / ": " separators.
 */

/** Python's repr() of a float. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0.0';
  // shortest round-trip digits, as both languages use; only the layout differs
  const [mant, expPart] = v.toExponential().split('e');
  const exp = Number(expPart);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${neg ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let s: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    s = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) + '.0' : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return (neg ? '-' : '') + s;
}

function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) {
      if (c > 0xffff) {
        const v = c - 0x10000;
        out += `\\u${(0xd800 + (v >> 10)).toString(16).padStart(4, '0')}\\u${(0xdc00 + (v & 0x3ff)).toString(16).padStart(4, '0')}`;
      } else out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** A value for pyJson: numbers are written as Python floats unless wrapped with `pyInt`. */
export type PyValue = number | string | boolean | null | PyValue[] | { [k: string]: PyValue };

export function pyJson(v: PyValue, indent = 2, level = 0): string {
  const pad = ' '.repeat(indent * (level + 1));
  const end = ' '.repeat(indent * level);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return pyFloat(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => pad + pyJson(x, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(v).sort(byCodePoint);
  if (!keys.length) return '{}';
  return `{\n${keys.map((k) => `${pad}${pyString(k)}: ${pyJson(v[k], indent, level + 1)}`).join(',\n')}\n${end}}`;
}

/**
 * Fix: Python sorts str keys by code point; JS `<` compares UTF-16 code units, which puts characters
 * above U+FFFF (stored as surrogates 0xD800-0xDFFF) before U+E000-U+FFFF. Compare code points instead.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!, y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both hold the same surrogate pair
  }
  return a.length - b.length;
}
