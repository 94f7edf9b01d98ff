/**
 * Calibration samples for the precision explorer: arrays whose first axis is the sample (a .npy per
 * graph input, as `sweep --input` and the Explore dialog take them), or N seeded random inputs within
 * each input's datatype range (as Run's random input).
 */
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { allocate, randomInput } from '../exec/inputs.js';
import type { RuntimeTensor } from '../exec/runtimeTensor.js';
import type { NpyArray } from '../io/npyRead.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model } from '../ir/types.js';

export interface GraphInputSpec {
  name: string;
  /** the input's shape, symbolic dimensions taken as 1 */
  shape: number[];
  elemType: number;
}

/** The graph inputs that need a value (not initializers), with their shapes. */
export function graphInputSpecs(model: Model): GraphInputSpec[] {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const a = analyzeModel(model);
  return (g.input ?? [])
    .filter((i) => i.name && !idx.initializer.has(i.name))
    .map((i) => ({
      name: i.name!,
      shape: (a.shapes.tensors.get(i.name!)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1)),
      elemType: i.type?.tensorType?.elemType || 1,
    }));
}

/** `n` samples of seeded random values (sample s uses seed + s), within each input's datatype range. */
export function randomSamples(model: Model, n: number, seed = 0): Map<string, RuntimeTensor>[] {
  const a = analyzeModel(model);
  const specs = graphInputSpecs(model);
  return Array.from({ length: n }, (_, s) => new Map(specs.map((i) => [i.name, randomInput(i.shape, i.elemType, a.datatypeOf(i.name), seed + s)] as const)));
}

/**
 * Samples from one array per graph input, the samples along the first axis: an array of
 * N x (the input's element count) values gives N samples (an array of exactly one input's size is one sample).
 */
export function samplesFromArrays(model: Model, arrays: ReadonlyMap<string, NpyArray>): Map<string, RuntimeTensor>[] {
  const specs = graphInputSpecs(model);
  for (const k of arrays.keys()) if (!specs.some((s) => s.name === k)) throw new Error(`the model has no graph input '${k}' (inputs: ${specs.map((s) => s.name).join(', ')})`);
  let count: number | undefined;
  const per = specs.map((spec) => {
    const a = arrays.get(spec.name);
    if (!a) throw new Error(`no calibration array for graph input '${spec.name}'`);
    const size = spec.shape.reduce((x, y) => x * y, 1);
    const n = a.data.length / size;
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`the array for '${spec.name}' has shape (${a.shape.join(', ')}) = ${a.data.length} values, not a whole number of samples of [${spec.shape.join(', ')}] = ${size}`);
    if (count !== undefined && n !== count) throw new Error(`the arrays hold different numbers of samples (${count} and ${n} for '${spec.name}')`);
    count = n;
    return { spec, a, size };
  });
  return Array.from({ length: count ?? 0 }, (_, s) =>
    new Map(
      per.map(({ spec, a, size }) => {
        const data = allocate(spec.elemType, size);
        for (let i = 0; i < size; i++) {
          const v = Number(a.data[s * size + i]);
          if (data instanceof BigInt64Array) data[i] = BigInt(Math.trunc(v));
          else (data as Float32Array)[i] = v;
        }
        return [spec.name, { dataType: spec.elemType, shape: spec.shape, data }] as const;
      }),
    ),
  );
}
