/**
 * quantization_annotation entries: `finn_datatype` (a datatype name), `tensor_layout` and
 * `tensor_sparsity` (Python literals written by the reference with str(), e.g. "['N', 'C', 'H', 'W']"
 * or "{'dw': {'kernel_shape': [3, 3]}}"). Literals are parsed by a small grammar, never evaluated.
 */
import type { Model, TensorAnnotation } from '../ir/types.js';

export type PyLiteral = null | boolean | number | string | PyLiteral[] | { [k: string]: PyLiteral };

export class PyLiteralError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PyLiteralError';
  }
}

/** Parse a Python literal: None, True/False, numbers, strings, lists, tuples and dicts (string or number keys). */
export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new PyLiteralError(`${what} at character ${i} of ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text)}`);
  };
  const ws = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  let depth = 0;
  const value = (): PyLiteral => {
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '[' || c === '(') return seq(c === '[' ? ']' : ')');
    if (c === '{') return dict();
    if (c === "'" || c === '"') return str();
    if (/[-+0-9.]/.test(c)) return number();
    for (const [word, v] of [['None', null], ['True', true], ['False', false]] as const) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return v;
      }
    }
    return fail(`unexpected '${c}'`);
  };
  const enter = () => {
    if (++depth > 64) fail('nesting too deep');
  };
  const seq = (close: string): PyLiteral[] => {
    enter();
    i++;
    const out: PyLiteral[] = [];
    ws();
    while (text[i] !== close) {
      out.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
    i++;
    depth--;
    return out;
  };
  const dict = (): { [k: string]: PyLiteral } => {
    enter();
    i++;
    const out: { [k: string]: PyLiteral } = Object.create(null);
    ws();
    while (text[i] !== '}') {
      const k = value();
      if (typeof k !== 'string' && typeof k !== 'number') fail('dictionary keys must be strings or numbers');
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      out[String(k)] = value();
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== '}') fail("expected ',' or '}'");
    }
    i++;
    depth--;
    return out;
  };
  const str = (): string => {
    const q = text[i++];
    let s = '';
    while (i < n && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[++i];
        s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
        i++;
      } else s += text[i++];
    }
    if (i >= n) fail('unterminated string');
    i++;
    return s;
  };
  const number = (): number => {
    const m = /^[-+]?(\d+\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?|inf|nan)/i.exec(text.slice(i));
    if (!m) return fail('bad number');
    i += m[0].length;
    const v = Number(m[0].replace(/inf/i, 'Infinity').replace(/nan/i, 'NaN'));
    return v;
  };
  const v = value();
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

/** Write a value as the reference's str() would: single-quoted strings, ", " separators. */
export function formatPyLiteral(v: PyLiteral): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(formatPyLiteral).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `'${k}': ${formatPyLiteral(x)}`).join(', ')}}`;
}

export function getAnnotation(model: Model, tensor: string, key: string): string | undefined {
  for (const a of model.graph?.quantizationAnnotation ?? [])
    if (a.tensorName === tensor) for (const kv of a.quantParameterTensorNames ?? []) if (kv.key === key) return kv.value ?? '';
  return undefined;
}

/** Set (or with value undefined, remove) one annotation entry; other entries and tensors are untouched. */
export function setAnnotation(model: Model, tensor: string, key: string, value: string | undefined): Model {
  const g = model.graph ?? {};
  const anns: TensorAnnotation[] = [...(g.quantizationAnnotation ?? [])];
  const at = anns.findIndex((a) => a.tensorName === tensor);
  const entries = at >= 0 ? [...(anns[at].quantParameterTensorNames ?? [])] : [];
  const k = entries.findIndex((e) => e.key === key);
  if (value === undefined) {
    if (k < 0) return model;
    entries.splice(k, 1);
  } else if (k >= 0) entries[k] = { ...entries[k], value };
  else entries.push({ key, value });
  if (at >= 0) anns[at] = { ...anns[at], quantParameterTensorNames: entries };
  else anns.push({ tensorName: tensor, quantParameterTensorNames: entries });
  return { ...model, graph: { ...g, quantizationAnnotation: anns } };
}

/** tensor_layout as a list of axis names, e.g. ['N', 'C', 'H', 'W'], or undefined. */
export function tensorLayout(model: Model, tensor: string): string[] | undefined {
  const s = getAnnotation(model, tensor, 'tensor_layout');
  if (!s) return undefined;
  try {
    const v = parsePyLiteral(s);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function tensorSparsity(model: Model, tensor: string): PyLiteral | undefined {
  const s = getAnnotation(model, tensor, 'tensor_sparsity');
  if (!s) return undefined;
  try {
    return parsePyLiteral(s);
  } catch {
    return undefined;
  }
}
