/**
 * Shapes and datatypes of every tensor of a model version, computed once per model object and shared
 * by the graph labels, the sidebar, search and the CLI.
 */
import type { Model } from '../ir/types.js';
import { tryParseDataType, type DataType } from '../qonnx/datatypes.js';
import { inferDatatypes, type DatatypeResult } from './datatypeInference.js';
import { inferShapes, type ShapeInferenceResult } from './shapeInference.js';
import { fromJsonSlices, toJsonSlices } from '../io/jsonSlices.js';
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
  const tensors = new Map(yield* fromJsonSlices<[string, InferredRow]>(s.shapes, 'Receiving shapes'));
  const shapes: ShapeInferenceResult = { tensors, conflicts: s.conflicts, unknownOps: s.unknownOps };
  const types = new Map<string, DataType>();
  for (let k = 0; k < s.types.length; k++) {
    for (const [t, name] of yield* fromJsonSlices<[string, string]>([s.types[k]], 'Receiving datatypes')) {
      const dt = tryParseDataType(name);
      if (dt) types.set(t, dt);
    }
  }
  const datatypes: DatatypeResult = { types, annotated: new Set(s.annotated), passes: s.passes };
  const a: ModelAnalysis = { shapes, datatypes, datatypeOf: (t) => types.get(t) };
  cache.set(model, a);
  return a;
}

/** primeAnalysisTask at once. */
export function primeAnalysis(model: Model, s: SerializedAnalysis): ModelAnalysis {
  return runSync(primeAnalysisTask(model, s));
}
