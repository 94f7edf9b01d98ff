/**
 * Shapes and datatypes of every tensor of a model version, computed once per model object and shared
 * by the graph labels, the sidebar, search and the CLI.
 */
import type { Model } from '../ir/types.js';
import type { DataType } from '../qonnx/datatypes.js';
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
