/**
 * Bring what a model declares back in line with what it computes, after an edit or a pass changed the
 * graph: the last step of every edit that can change a shape or an element type (deleting a node,
 * a new input shape, an attribute) and of the tidy-up after every transformation.
 *
 * - a tensor declared twice keeps one declaration (a graph input's or output's own, else the first
 *   value_info entry);
 * - value_info entries that contradict what the ops compute are dropped (value_info is optional: readers
 *   infer it again), as are entries of tensors the graph no longer has;
 * - a graph output or an initializer's graph-input declaration (which a file must keep) takes the element
 *   type and shape the graph now gives it; an output dimension the ops no longer determine becomes unknown.
 *
 * Problems that no declaration can fix (an Add of an INT64 and a FLOAT tensor) are left for the checker
 * (analysis/declaredTypes.ts) to report; edits must not create them.
 */
import type { Dimension, Graph, Model, TypeProto, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { indexGraph } from '../ir/graphIndex.js';
import { checkDeclaredTypes, type DeclarationProblem } from '../analysis/declaredTypes.js';
import type { Pass } from './pass.js';

function withType(v: ValueInfo, elemType: number | undefined, shape: readonly (number | string | null)[] | undefined | 'keep'): ValueInfo {
  const tt = v.type?.tensorType ?? {};
  const dims = (s: readonly (number | string | null)[]): Dimension[] => s.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : typeof d === 'string' ? { dimParam: d } : {}));
  const tensorType: NonNullable<TypeProto['tensorType']> = { ...tt, ...(elemType ? { elemType } : {}) };
  if (shape !== 'keep') {
    if (shape) tensorType.shape = { dim: dims(shape) };
    else delete tensorType.shape;
  }
  return { ...v, type: { ...(v.type ?? {}), tensorType } };
}

/** One round: the model with every fixable problem of `problems` fixed (the same object when none). */
function fixOnce(model: Model, problems: DeclarationProblem[]): Model {
  if (!problems.length) return model;
  const g: Graph = model.graph ?? {};
  const idx = indexGraph(g);
  const dropVi = new Set<string>();
  const retype = new Map<string, { elemType?: number; shape?: readonly (number | string | null)[] | undefined | 'keep' }>();
  const initByName = idx.initializer;
  for (const p of problems) {
    const inValueInfo = idx.valueInfo.has(p.tensor);
    const isIo = idx.output.has(p.tensor) || idx.input.has(p.tensor);
    if (p.kind === 'duplicate-declaration') continue; // handled below for every name at once
    if (p.kind === 'type-binding') continue;
    if (p.kind === 'initializer-type' || p.kind === 'initializer-shape') {
      const t = initByName.get(p.tensor)!;
      if (inValueInfo) dropVi.add(p.tensor);
      if (isIo) retype.set(p.tensor, { elemType: t.dataType ?? undefined, shape: (t.dims ?? []).map((d) => Number(d)) });
    } else if (p.kind === 'inferred-type') {
      if (inValueInfo) dropVi.add(p.tensor);
      if (isIo) retype.set(p.tensor, { ...(retype.get(p.tensor) ?? { shape: 'keep' }), elemType: p.inferredType });
    } else if (p.kind === 'declared-shape') {
      if (inValueInfo) dropVi.add(p.tensor);
      if (isIo) retype.set(p.tensor, { ...(retype.get(p.tensor) ?? {}), shape: p.inferredShape });
    }
  }
  const ioNames = new Set<string>([...idx.input.keys(), ...idx.output.keys()]);
  const live = new Set<string>([...idx.producer.keys(), ...idx.consumers.keys(), ...initByName.keys()]);
  const seen = new Set<string>();
  const valueInfo = (g.valueInfo ?? []).filter((v) => {
    const name = v.name ?? '';
    if (ioNames.has(name) || seen.has(name) || dropVi.has(name) || !live.has(name)) return false;
    seen.add(name);
    return true;
  });
  const dedupe = (list: ValueInfo[] | null | undefined) => {
    const s = new Set<string>();
    return (list ?? []).filter((v) => (s.has(v.name ?? '') ? false : (s.add(v.name ?? ''), true)));
  };
  const inputs = dedupe(g.input), outputs = dedupe(g.output);
  if (!retype.size && valueInfo.length === (g.valueInfo ?? []).length && inputs.length === (g.input ?? []).length && outputs.length === (g.output ?? []).length) return model;
  const fix = (v: ValueInfo) => {
    const r = retype.get(v.name ?? '');
    return r ? withType(v, r.elemType, r.shape ?? undefined) : v;
  };
  return {
    ...model,
    graph: {
      ...g,
      input: inputs.map(fix),
      output: outputs.map(fix),
      valueInfo,
    },
  };
}

/** The model with its declarations in line with its graph (the same object when they already are). */
export function reconcileDeclarations(model: Model): Model {
  let m = model;
  for (let round = 0; round < 3; round++) {
    const problems = checkDeclaredTypes(m).filter((p) => p.kind !== 'type-binding');
    if (!problems.length) break;
    const next = fixOnce(m, problems);
    if (next === m) break;
    m = next;
  }
  return m;
}

export const reconcileDeclarationsPass: Pass = {
  id: 'reconcile-declarations',
  title: 'Declarations in line',
  summary: 'Drop value_info that contradicts the graph; graph outputs take the type and shape the graph gives them',
  run(model) {
    const m = reconcileDeclarations(model);
    return { model: m, modified: m !== model };
  },
};
