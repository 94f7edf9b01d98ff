/** The bytes of every external-data initializer, read from the files the user opened with the model. */
import type { Model, Tensor } from '../core/ir/types.js';
import { externalRef } from '../core/onnx/tensorData.js';

/** By location or base name; tensors whose file is missing are left out (the engine names the file). */
export async function readExternalWeights(model: Model, files: Map<string, Blob>): Promise<Map<Tensor, Uint8Array>> {
  const out = new Map<Tensor, Uint8Array>();
  for (const t of model.graph?.initializer ?? []) {
    const ref = externalRef(t);
    if (!ref) continue;
    const f = files.get(ref.location) ?? files.get(ref.location.split('/').pop() ?? '');
    if (!f) continue;
    const end = ref.length !== undefined ? ref.offset + ref.length : f.size;
    out.set(t, new Uint8Array(await f.slice(ref.offset, end).arrayBuffer()));
  }
  return out;
}
