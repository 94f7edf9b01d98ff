/**
 * Shapes and datatypes of every tensor of a model version, computed once per model object and shared
 * by the graph labels, the sidebar, search and the CLI.
 */
import type { Model } from '../ir/types.js';
import { tryParseDataType, type DataType } from '../qonnx/datatypes.js';
import { inferDatatypes, type DatatypeResult } from './datatypeInference.js';
import { inferShapes, type ShapeInferenceResult } from './shapeInference.js';
import { eachJsonSlice, toJsonSlices } from '../io/jsonSlices.js';
import { runSync, type Task } from '../task.js';

export interface ModelAnalysis {
  shapes: ShapeInferenceResult;
  /** datatypes with scaled-int allowed (the more informative view for hardware design) */
  datatypes: DatatypeResult;
  datatypeOf(tensor: string): DataType | undefined;
}

const cache = new WeakMap<Model, ModelAnalysis>();

export function analyzeModel(model: Model): ModelAnalysis {
  const hit = cache.get(model);
  if (hit) return hit;
  let shapes: ShapeInferenceResult;
  try {
    shapes = inferShapes(model);
  } catch {
    shapes = { tensors: new Map(), conflicts: [], unknownOps: [] };
  }
  let datatypes: DatatypeResult;
  try {
    datatypes = inferDatatypes(model, { allowScaledInt: true });
  } catch {
    datatypes = { types: new Map(), annotated: new Set(), passes: 0 };
  }
  const a: ModelAnalysis = { shapes, datatypes, datatypeOf: (t) => datatypes.types.get(t) };
  cache.set(model, a);
  return a;
}

/**
 * Plain-data form of an analysis, cheap to post between threads (datatypes by name). The per-tensor
 * lists are JSON slices (core/io/jsonSlices.ts): a 20,000-node model has 40,000 tensors, which the page
 * takes in a few milliseconds at a time instead of one long structured-clone deserialisation.
 */
export interface SerializedAnalysis {
  /** JSON slices of [tensor, InferredTensor] */
  shapes: string[];
  conflicts: ShapeInferenceResult['conflicts'];
  unknownOps: number[];
  /** JSON slices of [tensor, datatype name] */
  types: string[];
  annotated: string[];
  passes: number;
}
type InferredRow = ShapeInferenceResult['tensors'] extends Map<string, infer V> ? V : never;

export function serializeAnalysis(a: ModelAnalysis): SerializedAnalysis {
  return {
    shapes: toJsonSlices([...a.shapes.tensors]),
    conflicts: a.shapes.conflicts,
    unknownOps: a.shapes.unknownOps,
    types: toJsonSlices([...a.datatypes.types].map(([k, v]) => [k, v.name])),
    annotated: [...a.datatypes.annotated],
    passes: a.datatypes.passes,
  };
}

/** Install an analysis computed elsewhere (the worker) for this model object, a slice at a time. */
export function* primeAnalysisTask(model: Model, s: SerializedAnalysis): Task<ModelAnalysis> {
  // entry by entry as each slice is parsed: a Map built from all 40,000 rows at the end was one long task
  const tensors = new Map<string, InferredRow>();
  yield* eachJsonSlice<[string, InferredRow]>(s.shapes, ([t, row]) => tensors.set(t, row), 'Receiving shapes');
  const shapes: ShapeInferenceResult = { tensors, conflicts: s.conflicts, unknownOps: s.unknownOps };
  const types = new Map<string, DataType>();
  // a model has a handful of distinct datatypes over thousands of tensors: each name is parsed once
  const parsed = new Map<string, DataType | undefined>();
  const parse = (name: string) => {
    if (!parsed.has(name)) parsed.set(name, tryParseDataType(name));
    return parsed.get(name);
  };
  yield* eachJsonSlice<[string, string]>(
    s.types,
    ([t, name]) => {
      const dt = parse(name);
      if (dt) types.set(t, dt);
    },
    'Receiving datatypes',
  );
  const datatypes: DatatypeResult = { types, annotated: new Set(s.annotated), passes: s.passes };
  const a: ModelAnalysis = { shapes, datatypes, datatypeOf: (t) => types.get(t) };
  cache.set(model, a);
  return a;
}

/** primeAnalysisTask at once. */
export function primeAnalysis(model: Model, s: SerializedAnalysis): ModelAnalysis {
  return runSync(primeAnalysisTask(model, s));
}
