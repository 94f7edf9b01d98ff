/** Small tidy-up passes: unused tensors, static graph inputs, unique node names, readable tensor names,
 * unique parameter tensors, datatype annotations. */
import { inferDatatypes } from '../analysis/datatypeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { TensorAnnotation } from '../ir/types.js';
import type { Pass } from './pass.js';
import { renameTensors } from './renameTensor.js';

export const removeUnusedTensors: Pass = {
  id: 'remove-unused-tensors',
  title: 'Remove unused tensors',
  summary: 'Drop initializers, value_info and annotations that no node or graph output uses',
  run(model) {
    const g = model.graph ?? {};
    const used = new Set<string>();
    for (const n of g.node ?? []) {
      for (const t of n.input ?? []) used.add(t);
      for (const t of n.output ?? []) used.add(t);
    }
    for (const o of g.output ?? []) used.add(o.name ?? '');
    const inits = (g.initializer ?? []).filter((t) => used.has(t.name ?? ''));
    const vis = (g.valueInfo ?? []).filter((v) => used.has(v.name ?? ''));
    // Fix: annotations of tensors that no longer exist go too, as in the reference; a stale
    // finn_datatype would otherwise attach itself to a later tensor that reuses the name.
    const anns = (g.quantizationAnnotation ?? []).filter((a) => used.has(a.tensorName ?? ''));
    const modified = inits.length !== (g.initializer?.length ?? 0) || vis.length !== (g.valueInfo?.length ?? 0) || anns.length !== (g.quantizationAnnotation?.length ?? 0);
    return modified ? { model: { ...model, graph: { ...g, initializer: inits, valueInfo: vis, ...(g.quantizationAnnotation ? { quantizationAnnotation: anns } : {}) } }, modified } : { model, modified: false };
  },
};

export const removeStaticGraphInputs: Pass = {
  id: 'remove-static-graph-inputs',
  title: 'Remove static graph inputs',
  summary: 'Drop graph inputs that are initializers (older exporters list every weight as an input)',
  run(model) {
    const g = model.graph ?? {};
    const inits = new Set((g.initializer ?? []).map((t) => t.name));
    const inputs = (g.input ?? []).filter((i) => !inits.has(i.name));
    return inputs.length !== (g.input?.length ?? 0) ? { model: { ...model, graph: { ...g, input: inputs } }, modified: true } : { model, modified: false };
  },
};

export const giveUniqueNodeNames: Pass = {
  id: 'give-unique-node-names',
  title: 'Unique node names',
  summary: 'Name every node <OpType>_<k>, counting per op type in graph order',
  run(model) {
    const g = model.graph ?? {};
    const count = new Map<string, number>();
    let modified = false;
    const node = (g.node ?? []).map((n) => {
      const op = n.opType ?? '';
      const k = count.get(op) ?? 0;
      count.set(op, k + 1);
      const name = `${op}_${k}`;
      if (n.name === name) return n;
      modified = true;
      return { ...n, name };
    });
    return modified ? { model: { ...model, graph: { ...g, node } }, modified } : { model, modified: false };
  },
};

export const giveReadableTensorNames: Pass = {
  id: 'give-readable-tensor-names',
  title: 'Readable tensor names',
  summary: 'Name tensors after their node: <node>_out<i>, <node>_param<j>, global_in, global_out',
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    // Fix: names and precedence as in the reference (GiveReadableTensorNames): per node in graph
    // order its outputs become <node>_out<i> and its initializer inputs <node>_param<j>, where j
    // counts initializer inputs only (BatchNormalization's scale is _param0, not _param1); a tensor
    // named twice (an initializer read by two nodes) keeps the last name; then graph inputs become
    // global_in, global_in_1, ... and graph outputs global_out, global_out_1, ...
    const renames = new Map<string, string>();
    const propose = (from: string, to: string) => {
      if (from) renames.set(from, to);
    };
    for (const n of idx.nodes) {
      (n.output ?? []).forEach((t, k) => propose(t, `${n.name}_out${k}`));
      let j = 0;
      for (const t of n.input ?? []) if (idx.initializer.has(t)) propose(t, `${n.name}_param${j++}`);
    }
    const outs = g.output ?? [];
    const ins = (g.input ?? []).filter((i) => !idx.initializer.has(i.name ?? ''));
    ins.forEach((i, k) => propose(i.name ?? '', k === 0 ? 'global_in' : `global_in_${k}`));
    outs.forEach((o, k) => propose(o.name ?? '', k === 0 ? 'global_out' : `global_out_${k}`));
    // (Graph inputs that are initializers are not counted: they keep their _param name. The reference
    // meets none, since RemoveStaticGraphInputs runs first.)
    const target = new Set<string>();
    for (const [from, to] of [...renames]) {
      // duplicate node names would give two tensors one name: keep the first, leave the other alone
      if (from === to || target.has(to)) renames.delete(from);
      target.add(to);
    }
    // a proposed name that is already some other tensor's current name would collide
    const existing = new Set<string>();
    for (const n of idx.nodes) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) existing.add(t);
    for (const [from, to] of [...renames]) if (existing.has(to) && !renames.has(to)) renames.delete(from);
    return renames.size ? { model: renameTensors(model, renames), modified: true } : { model, modified: false };
  },
};

export const giveUniqueParameterTensors: Pass = {
  id: 'give-unique-parameter-tensors',
  title: 'Unique parameter tensors',
  summary: 'Give each use of a shared initializer its own copy, so that folding or editing one use leaves the others alone',
  run(model) {
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const seen = new Set<string>();
    const names = new Set<string>([...idx.initializer.keys(), ...idx.producer.keys()]);
    let counter = 0;
    const fresh = (base: string) => {
      let n: string;
      do n = `${base}_${counter++}`;
      while (names.has(n));
      names.add(n);
      return n;
    };
    const newInits = [...(g.initializer ?? [])];
    const newAnns = [...(g.quantizationAnnotation ?? [])];
    let modified = false;
    const node = (g.node ?? []).map((n) => {
      let changed = false;
      const input = (n.input ?? []).map((t) => {
        if (!idx.initializer.has(t)) return t;
        if (!seen.has(t)) {
          seen.add(t);
          return t;
        }
        const copy = fresh(t);
        newInits.push({ ...idx.initializer.get(t)!, name: copy });
        // Fix: the copy keeps the original's finn_datatype, as the reference does
        // (set_tensor_datatype(new, get_tensor_datatype(old))); without it a shared INT4 weight
        // became FLOAT32 for every use but the first, and so did that layer's cost keys.
        const dt = idx.annotation.get(t)?.get('finn_datatype');
        if (dt !== undefined) newAnns.push({ tensorName: copy, quantParameterTensorNames: [{ key: 'finn_datatype', value: dt }] });
        changed = true;
        return copy;
      });
      if (!changed) return n;
      modified = true;
      return { ...n, input };
    });
    return modified ? { model: { ...model, graph: { ...g, node, initializer: newInits, quantizationAnnotation: newAnns } }, modified } : { model, modified: false };
  },
};

export interface AnnotateDatatypesParams {
  allowScaledInt?: boolean;
}

/** InferDataTypes as a transformation: writes each node output's datatype as a finn_datatype annotation. */
export const annotateDatatypes: Pass<AnnotateDatatypesParams> = {
  id: 'infer-datatypes',
  title: 'Infer datatypes',
  summary: 'Derive the QONNX datatype of every node output and store it as a finn_datatype annotation',
  run(model, params) {
    const g = model.graph ?? {};
    const r = inferDatatypes(model, { allowScaledInt: params.allowScaledInt ?? false });
    const outputs: string[] = [];
    for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) outputs.push(o);
    const anns = [...(g.quantizationAnnotation ?? [])];
    const at = new Map<string, number>();
    anns.forEach((a, i) => a.tensorName && at.set(a.tensorName, i));
    let modified = false;
    for (const t of outputs) {
      const dt = r.types.get(t);
      if (!dt) continue;
      const i = at.get(t);
      const existing = i !== undefined ? anns[i] : undefined;
      const entries = existing?.quantParameterTensorNames ?? [];
      const cur = entries.find((e) => e.key === 'finn_datatype');
      if (cur?.value === dt.name) continue;
      const next: TensorAnnotation = {
        ...(existing ?? { tensorName: t }),
        quantParameterTensorNames: cur ? entries.map((e) => (e.key === 'finn_datatype' ? { ...e, value: dt.name } : e)) : [...entries, { key: 'finn_datatype', value: dt.name }],
      };
      if (i !== undefined) anns[i] = next;
      else {
        at.set(t, anns.length);
        anns.push(next);
      }
      modified = true;
    }
    return modified ? { model: { ...model, graph: { ...g, quantizationAnnotation: anns } }, modified } : { model, modified: false };
  },
};
