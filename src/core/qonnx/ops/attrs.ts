/**
 * Reading a custom op's attributes: defaults applied, kinds and allowed values checked. Every error
 * names the op, the attribute and the offending value, e.g.
 * `Quant: attribute 'rounding_mode' must be one of ROUND, ..., got 'BANKERS'`.
 */
import type { AttrKind, AttrSpec, AttrValue } from '../opTypes.js';

export class AttrError extends Error {
  constructor(
    readonly opType: string,
    readonly attr: string,
    message: string,
  ) {
    super(`${opType}: ${message}`);
    this.name = 'AttrError';
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

const KIND_TEXT: Record<AttrKind, string> = {
  int: 'an integer',
  float: 'a number',
  string: 'a string',
  ints: 'a list of integers',
  floats: 'a list of numbers',
  strings: 'a list of strings',
};

/** Coerce a raw value to the attribute's kind, or return undefined when it does not fit. */
function coerce(kind: AttrKind, v: AttrValue): AttrValue | undefined {
  switch (kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'float':
      return typeof v === 'number' ? v : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'ints': {
      // A single integer where a list is expected is accepted as a one-element list.
      const a = typeof v === 'number' ? [v] : v;
      return Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isInteger(x)) ? (a as number[]) : undefined;
    }
    case 'floats': {
      const a = typeof v === 'number' ? [v] : v;
      return Array.isArray(a) && a.every((x) => typeof x === 'number') ? (a as number[]) : undefined;
    }
    case 'strings': {
      const a = typeof v === 'string' ? [v] : v;
      return Array.isArray(a) && a.every((x) => typeof x === 'string') ? (a as string[]) : undefined;
    }
  }
}

/** The attribute values of one node after defaults and validation, with typed accessors. */
export class OpAttrs {
  constructor(
    readonly opType: string,
    private readonly values: Readonly<Record<string, AttrValue | undefined>>,
  ) {}

  private get(name: string): AttrValue {
    const v = this.values[name];
    if (v === undefined) throw new AttrError(this.opType, name, `attribute '${name}' is not set and has no default`);
    return v;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  int(name: string): number {
    return this.get(name) as number;
  }

  float(name: string): number {
    return this.get(name) as number;
  }

  /** an int attribute read as a flag (any nonzero value is true, as in Python) */
  flag(name: string): boolean {
    return (this.get(name) as number) !== 0;
  }

  str(name: string): string {
    return this.get(name) as string;
  }

  ints(name: string): number[] {
    return this.get(name) as number[];
  }

  floats(name: string): number[] {
    return this.get(name) as number[];
  }

  strings(name: string): string[] {
    return this.get(name) as string[];
  }

  /** all values, defaults included (for display) */
  all(): Record<string, AttrValue> {
    const out: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(this.values)) if (v !== undefined) out[k] = v;
    return out;
  }
}

/**
 * Apply defaults and validate. Attributes the op does not declare are ignored (real files carry
 * extra ones); see `unknownAttributes` to list them.
 */
export function resolveAttrs(opType: string, specs: readonly AttrSpec[], raw: Record<string, AttrValue> | undefined): OpAttrs {
  const out: Record<string, AttrValue | undefined> = {};
  for (const spec of specs) {
    const given = raw?.[spec.name];
    if (given === undefined) {
      if (spec.default === undefined && spec.required)
        throw new AttrError(opType, spec.name, missingText(spec));
      out[spec.name] = spec.default;
      continue;
    }
    let v = coerce(spec.kind, given);
    if (v === undefined)
      throw new AttrError(opType, spec.name, `attribute '${spec.name}' must be ${KIND_TEXT[spec.kind]}, got ${show(given)}`);
    if (spec.allowed && spec.allowed.length > 0) {
      const check = (x: number | string): number | string => {
        const hit = spec.allowed!.find((a) =>
          typeof a === 'string' && typeof x === 'string' ? a.toUpperCase() === x.toUpperCase() : a === x,
        );
        if (hit === undefined)
          throw new AttrError(opType, spec.name, `attribute '${spec.name}' must be one of ${spec.allowed!.join(', ')}, got ${show(x)}`);
        return hit;
      };
      if (Array.isArray(v)) v = (v as (number | string)[]).map(check) as AttrValue;
      else v = check(v);
    }
    out[spec.name] = v;
  }
  return new OpAttrs(opType, out);
}

/** The words for a required attribute that is absent: its name and what to set (kind and meaning). */
export function missingText(spec: AttrSpec): string {
  return `required attribute '${spec.name}' is missing: set ${spec.name} to ${KIND_TEXT[spec.kind]} (${spec.doc.replace(/\.$/, '')})`;
}

/**
 * Attributes a node lacks, by how much that matters: `required` ones stop a run (with the words of
 * `missingText`), `descriptive` ones (declared with `ifMissing`) do not: the op runs without them.
 */
export function missingAttributes(specs: readonly AttrSpec[], raw: Record<string, AttrValue> | undefined): { required: AttrSpec[]; descriptive: AttrSpec[] } {
  const absent = specs.filter((s) => raw?.[s.name] === undefined && s.default === undefined);
  return { required: absent.filter((s) => s.required), descriptive: absent.filter((s) => !s.required && s.ifMissing) };
}

/** Names of attributes present on the node that the op does not declare. */
export function unknownAttributes(specs: readonly AttrSpec[], raw: Record<string, AttrValue> | undefined): string[] {
  const known = new Set(specs.map((s) => s.name));
  return Object.keys(raw ?? {}).filter((k) => !known.has(k));
}

/** Throw an op-named error about a bad attribute value found during further checks. */
export function badAttr(opType: string, name: string, value: unknown, why: string): never {
  throw new AttrError(opType, name, `attribute '${name}' ${why}, got ${show(value)}`);
}
