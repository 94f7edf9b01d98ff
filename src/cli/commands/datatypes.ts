/** `datatypes MODEL [--allow-scaledint]` and `shapes MODEL`: per-tensor results of the inference passes. */
import { inferDatatypes } from '../../core/analysis/datatypeInference.js';
import { inferShapes } from '../../core/analysis/shapeInference.js';
import type { Model } from '../../core/ir/types.js';
import { parseArgs, type CliCommand, type CliIO } from '../command.js';
import { readModelFile } from '../nodeFiles.js';

/** Every tensor of the top-level graph: inputs, initializers, then node outputs in node order. */
export function allTensorNames(model: Model): string[] {
  const g = model.graph ?? {};
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (t: string | null | undefined) => {
    if (t && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const i of g.input ?? []) add(i.name);
  for (const t of g.initializer ?? []) add(t.name);
  for (const n of g.node ?? []) for (const o of n.output ?? []) add(o);
  for (const o of g.output ?? []) add(o.name);
  return out;
}

/**
 * A JSON object whose keys keep the given order. (A JS object would move integer-like tensor names,
 * such as "0" or "96" from PyTorch exports, to the front.)
 */
export function orderedJson(entries: [string, unknown][]): string {
  if (!entries.length) return '{}\n';
  return `{\n${entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
}

export const datatypesCommand: CliCommand = {
  name: 'datatypes',
  usage: 'datatypes MODEL [--allow-scaledint]',
  summary: 'QONNX datatype of every tensor after shape and datatype inference, as JSON',
  details: 'Follows the reference InferDataTypes rules. Without --allow-scaledint, SCALEDINT results become FLOAT32, as in the reference default.',
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { flags: ['--allow-scaledint'], positional: { min: 1, max: 1, names: ['MODEL'] } });
    const { model } = readModelFile(a.positional[0]);
    const r = inferDatatypes(model, { allowScaledInt: a.flags.has('--allow-scaledint') });
    io.out(orderedJson(allTensorNames(model).map((t) => [t, r.types.get(t)?.name ?? 'FLOAT32'])));
    return 0;
  },
};

export const shapesCommand: CliCommand = {
  name: 'shapes',
  usage: 'shapes MODEL',
  summary: 'Shape of every tensor after shape inference, as JSON (null where unknown)',
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { positional: { min: 1, max: 1, names: ['MODEL'] } });
    const { model } = readModelFile(a.positional[0]);
    const r = inferShapes(model);
    io.out(orderedJson(allTensorNames(model).map((t) => [t, r.tensors.get(t)?.shape ?? null])));
    return 0;
  },
};
