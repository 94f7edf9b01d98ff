/**
 * Shapes and datatypes of every tensor of a model version, computed once per model object and shared
 * by the graph labels, the sidebar, search and the CLI.
 */
import type { Model } from '../ir/types.js';
import { tryParseDataType, type DataType } from '../qonnx/datatypes.js';
import { inferDatatypes, type DatatypeResult } from './datatypeInference.js';
import { inferShapes, type ShapeInferenceResult } from './shapeInference.js';

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

/** Plain-data form of an analysis, cheap to post between threads (datatypes by name). */
export interface SerializedAnalysis {
  shapes: [string, InferredShapeRow][];
  conflicts: ShapeInferenceResult['conflicts'];
  unknownOps: number[];
  types: [string, string][];
  annotated: string[];
  passes: number;
}
type InferredShapeRow = { shape: ShapeInferenceResult['tensors'] extends Map<string, infer V> ? V : never };

export function serializeAnalysis(a: ModelAnalysis): SerializedAnalysis {
  return {
    shapes: [...a.shapes.tensors].map(([k, v]) => [k, { shape: v }]),
    conflicts: a.shapes.conflicts,
    unknownOps: a.shapes.unknownOps,
    types: [...a.datatypes.types].map(([k, v]) => [k, v.name]),
    annotated: [...a.datatypes.annotated],
    passes: a.datatypes.passes,
  };
}

/** Install an analysis computed elsewhere (the worker) for this model object. */
export function primeAnalysis(model: Model, s: SerializedAnalysis): ModelAnalysis {
  const shapes: ShapeInferenceResult = { tensors: new Map(s.shapes.map(([k, v]) => [k, v.shape])), conflicts: s.conflicts, unknownOps: s.unknownOps };
  const types = new Map<string, DataType>();
  for (const [k, name] of s.types) {
    const dt = tryParseDataType(name);
    if (dt) types.set(k, dt);
  }
  const datatypes: DatatypeResult = { types, annotated: new Set(s.annotated), passes: s.passes };
  const a: ModelAnalysis = { shapes, datatypes, datatypeOf: (t) => types.get(t) };
  cache.set(model, a);
  return a;
}
