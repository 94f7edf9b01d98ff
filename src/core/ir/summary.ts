/** Model-level facts for the sidebar and `cli info`. */
import { elementCount, tensorShape } from '../onnx/tensorData.js';
import { indexGraph } from './graphIndex.js';
import { datatypeLabel, tensorInfo, type Dim } from './tensorInfo.js';
import type { Model, Node } from './types.js';
import { int64ToNumber } from './types.js';

export interface IoSummary {
  name: string;
  shape: Dim[] | null;
  datatype: string;
}

export interface ModelSummary {
  ir_version: number;
  producer: string;
  producer_version: string;
  domain: string;
  model_version: number;
  opsets: Record<string, number>;
  node_count: number;
  /** "domain::OpType" (default domain written as ai.onnx) -> count */
  op_histogram: Record<string, number>;
  inputs: IoSummary[];
  outputs: IoSummary[];
  initializer_count: number;
  parameter_count: number;
  metadata: Record<string, string>;
}

export function qualifiedOp(n: Node): string {
  const d = n.domain || 'ai.onnx';
  return `${d}::${n.opType ?? ''}`;
}

export function summarizeModel(model: Model): ModelSummary {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = int64ToNumber(o.version);
  const op_histogram: Record<string, number> = {};
  for (const n of g.node ?? []) {
    const k = qualifiedOp(n);
    op_histogram[k] = (op_histogram[k] ?? 0) + 1;
  }
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const io = (name: string): IoSummary => {
    const info = tensorInfo(idx, name);
    // QONNX names: the annotation when there is one, FLOAT32 for float tensors, else the ONNX type
    if (!info.finnDatatype && info.elemType === 1) info.datatype = 'FLOAT32';
    return { name, shape: info.shape, datatype: datatypeLabel(info) };
  };
  let parameter_count = 0;
  for (const t of g.initializer ?? []) parameter_count += elementCount(tensorShape(t));
  const metadata: Record<string, string> = {};
  for (const kv of model.metadataProps ?? []) if (kv.key != null) metadata[kv.key] = kv.value ?? '';
  return {
    ir_version: int64ToNumber(model.irVersion),
    producer: model.producerName ?? '',
    producer_version: model.producerVersion ?? '',
    domain: model.domain ?? '',
    model_version: int64ToNumber(model.modelVersion),
    opsets,
    node_count: g.node?.length ?? 0,
    op_histogram,
    // Inputs that are also initializers are parameters with defaults, not real inputs.
    inputs: (g.input ?? []).filter((i) => !inits.has(i.name ?? '')).map((i) => io(i.name ?? '')),
    outputs: (g.output ?? []).map((o) => io(o.name ?? '')),
    initializer_count: g.initializer?.length ?? 0,
    parameter_count,
    metadata,
  };
}
