/**
 * Every transformation the app and the CLI offer, in one list. Each declares its parameters, from
 * which the UI form, the CLI flags (`--pass id:{json}`) and the tests are generated.
 */
import type { Task } from '../task.js';
import type { Model } from '../ir/types.js';
import type { PassResult } from './pass.js';
import { TRANSFORM_LIST } from './transformList.js';

export type ParamKind = 'boolean' | 'integer' | 'number' | 'string' | 'json';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  default?: unknown;
  required?: boolean;
  doc: string;
}

export interface TransformDef<P = Record<string, unknown>> {
  /** kebab-case id used by the CLI, e.g. "fold-constants" */
  id: string;
  title: string;
  /** one or two sentences for the UI */
  summary: string;
  params: readonly ParamSpec[];
  /** changes what the model computes (pruning, batch size); otherwise outputs must stay the same */
  lossy?: boolean;
  run(model: Model, params: P): PassResult;
  /** the same computation yielding progress (long transformations; see src/core/task.ts) */
  task?(model: Model, params: P): Task<PassResult>;
}

export function transforms(): readonly TransformDef[] {
  return TRANSFORM_LIST as readonly TransformDef[];
}

export function findTransform(id: string): TransformDef | undefined {
  return TRANSFORM_LIST.find((t) => t.id === id || t.id === id.toLowerCase().replace(/_/g, '-')) as TransformDef | undefined;
}

/** Apply defaults and check types; throws an Error naming the transform and the parameter. */
export function resolveParams(t: TransformDef, given: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) if (!t.params.some((p) => p.name === k)) throw new Error(`${t.id}: unknown parameter '${k}' (known: ${t.params.map((p) => p.name).join(', ') || 'none'})`);
  for (const p of t.params) {
    let v = given[p.name];
    if (v === undefined) {
      if (p.required) throw new Error(`${t.id}: parameter '${p.name}' is required (${p.doc})`);
      v = p.default;
    }
    if (v !== undefined) {
      const ok =
        p.kind === 'boolean' ? typeof v === 'boolean' :
        p.kind === 'integer' ? Number.isInteger(v) :
        p.kind === 'number' ? typeof v === 'number' && Number.isFinite(v) :
        p.kind === 'string' ? typeof v === 'string' : true;
      if (!ok) throw new Error(`${t.id}: parameter '${p.name}' must be ${p.kind}, got ${JSON.stringify(v)}`);
    }
    out[p.name] = v;
  }
  return out;
}
