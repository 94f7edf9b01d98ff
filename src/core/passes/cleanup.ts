/**
 * qonnx-cleanup (the reference's cleanup_model): QONNX op domains fixed, shapes inferred into
 * value_info, unique parameter tensors, constants folded (quantizers kept), Transposes folded into
 * quantized weights, unused tensors and static inputs removed, nodes named <OpType>_<k> and tensors
 * named after them. Each step runs to a fixpoint followed by the tidy-up (runTransform), as the
 * reference's ModelWrapper.transform does, so the node order (and hence the names) match the reference.
 *
 * Parameters as in the reference:
 * - override_inpsize: an integer sets the batch size (ChangeBatchSize); a list sets the batch size to
 *   its first entry and the first graph input's whole shape to the list.
 * - extract_conv_bias: afterwards move Conv biases into Add nodes, then infer shapes and rename again.
 * - preserve_qnt_ops: keep Quant, BipolarQuant, QuantizeLinear and DequantizeLinear unfolded (default);
 *   false folds weight quantizers into their quantized values.
 */
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, OpsetId } from '../ir/types.js';
import { int64From, int64ToNumber } from '../ir/types.js';
import { GENERAL_DOMAIN_ALIASES, opsetVersion, QONNX_DOMAIN } from '../qonnx/registry.js';
import { changeBatchSize } from './changeBatchSize.js';
import { giveReadableTensorNames, giveUniqueNodeNames, giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from './cleanupPasses.js';
import { extractBiasFromConv } from './extractBiasFromConv.js';
import { foldConstants } from './foldConstants.js';
import { foldTransposeIntoQuantInit } from './foldTransposeIntoQuantInit.js';
import { inferShapesPass, valueInfoOf } from './inferShapesPass.js';
import type { Pass, PassResult } from './pass.js';
import { relabel, runSync, type Task } from '../task.js';
import type { TransformDef } from './registry.js';
import { runTransformTask } from './tidy.js';

export interface CleanupParams {
  override_inpsize?: number | number[] | null;
  extract_conv_bias?: boolean;
  preserve_qnt_ops?: boolean;
}

const DOMAIN_FIXED_OPS = new Set(['Quant', 'Trunc', 'BipolarQuant']);

/**
 * Quant, Trunc and BipolarQuant in an alias domain (onnx.brevitas, finn, ...) or the default domain
 * move to qonnx.custom_op.general. An opset import for that domain is added when missing, at the
 * highest version the old domains were imported with, so that versioned ops (Trunc v2) keep their
 * version.
 */
export const setQonnxDomains: Pass = {
  id: 'set-qonnx-domains',
  title: 'Set QONNX domains',
  summary: 'Put Quant, Trunc and BipolarQuant nodes in the qonnx.custom_op.general domain',
  run(model) {
    const g = model.graph ?? {};
    let version = 0;
    let modified = false;
    const node = (g.node ?? []).map((n) => {
      const dom = n.domain ?? '';
      if (!DOMAIN_FIXED_OPS.has(n.opType ?? '') || dom === QONNX_DOMAIN || !(dom === '' || GENERAL_DOMAIN_ALIASES.includes(dom))) return n;
      modified = true;
      if (dom) version = Math.max(version, opsetVersion(model, dom) ?? 1);
      else version = Math.max(version, 1);
      return { ...n, domain: QONNX_DOMAIN };
    });
    if (!modified) return { model, modified: false };
    let opsetImport = model.opsetImport ?? [];
    if (opsetVersion(model, QONNX_DOMAIN) === undefined) opsetImport = [...opsetImport, { domain: QONNX_DOMAIN, version: int64From(version) } as OpsetId];
    return { model: { ...model, opsetImport, graph: { ...g, node } }, modified: true };
  },
};

/** The first graph input's shape set to `shape` (ModelWrapper.set_tensor_shape). */
function setInputShape(model: Model, shape: number[]): Model {
  const g = model.graph ?? {};
  const idx = indexGraph(g);
  const first = (g.input ?? []).find((i) => !idx.initializer.has(i.name ?? ''));
  if (!first?.name) return model;
  const elem = first.type?.tensorType?.elemType || 1;
  const vi = valueInfoOf(first.name, elem, shape);
  const cur = first.type?.tensorType?.shape?.dim?.map((d) => int64ToNumber(d.dimValue));
  if (cur && cur.length === shape.length && cur.every((d, k) => d === shape[k]) && first.type?.tensorType?.shape?.dim?.every((d) => !d.dimParam)) return model;
  return { ...model, graph: { ...g, input: (g.input ?? []).map((i) => (i === first ? { ...first, type: vi.type } : i)) } };
}

export const cleanup: TransformDef<CleanupParams> = {
  id: 'cleanup',
  title: 'QONNX cleanup',
  summary: 'qonnx-cleanup: fix QONNX domains, infer shapes, fold constants (quantizers kept), fold weight Transposes, remove unused tensors, unique node names and readable tensor names',
  params: [
    { name: 'override_inpsize', kind: 'json', doc: 'Integer: new batch size. List (e.g. [1,3,224,224]): new shape of the first input (its first entry is the batch size). Omit to keep.' },
    { name: 'extract_conv_bias', kind: 'boolean', default: false, doc: 'Move Conv/ConvTranspose biases into separate Add nodes' },
    { name: 'preserve_qnt_ops', kind: 'boolean', default: true, doc: 'Keep Quant, BipolarQuant, QuantizeLinear and DequantizeLinear nodes (false folds weight quantizers)' },
  ],
  run: (model, params) => runSync(cleanupTask(model, params)),
  task: cleanupTask,
};

/** The cleanup steps, each a transformation of its own: progress names the step running. */
function* cleanupTask(model: Model, params: CleanupParams): Task<PassResult> {
  const size = params.override_inpsize;
  if (size != null && !(Number.isInteger(size) && (size as number) > 0) && !(Array.isArray(size) && size.length > 0 && size.every((d) => Number.isInteger(d) && d > 0)))
    throw new Error(`cleanup: override_inpsize must be a positive integer or a list of positive integers, got ${JSON.stringify(size)}`);
  let m = setQonnxDomains.run(model, {}).model;
  function* step<P>(p: Pass<P>, params: P): Task<void> {
    yield { label: `Cleanup: ${p.title.toLowerCase()}`, done: 0, total: 0 };
    m = (yield* relabel(runTransformTask(p, m, params), (x) => `Cleanup: ${x.label.charAt(0).toLowerCase()}${x.label.slice(1)}`)).model;
  }
  if (size != null) {
    const batch = Array.isArray(size) ? size[0] : size;
    yield* step(changeBatchSize, { batch });
    if (Array.isArray(size)) m = setInputShape(m, size);
  }
  const exclude = params.preserve_qnt_ops === false ? [] : ['Quant', 'BipolarQuant', 'QuantizeLinear', 'DequantizeLinear'];
  yield* step(inferShapesPass, {});
  yield* step(giveUniqueParameterTensors, {});
  yield* step(foldConstants, { excludeOpTypes: exclude });
  yield* step(foldTransposeIntoQuantInit, {});
  yield* step(removeUnusedTensors, {});
  yield* step(removeStaticGraphInputs, {});
  yield* step(giveUniqueNodeNames, {});
  yield* step(giveReadableTensorNames, {});
  if (params.extract_conv_bias) {
    yield* step(extractBiasFromConv, {});
    yield* step(inferShapesPass, {});
    yield* step(giveUniqueNodeNames, {});
    yield* step(giveReadableTensorNames, {});
  }
  return { model: m, modified: m !== model };
}
