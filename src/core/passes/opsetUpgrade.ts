/**
 * Raising a model's default-domain opset (the reference's QuantToQCDQ forces opset 13, and the new
 * nodes it writes need it), rewriting the nodes whose signature changed on the way so that they
 * compute what they computed before: attributes that became inputs (Squeeze/Unsqueeze axes,
 * ReduceSum axes, Split split, Pad pads/value, Clip min/max, Slice starts/ends/axes, TopK k),
 * removed ops (Upsample -> Resize, Scatter -> ScatterElements), dropped legacy attributes
 * (consumed_inputs, is_test, spatial, broadcast). Where the meaning would change and no rewrite is
 * known (Softmax over a non-last axis, legacy broadcast with an axis, linear Upsample), the upgrade
 * reports a problem and the caller leaves the model alone.
 */
import type { Node } from '../ir/types.js';
import type { ShapeInferenceResult } from '../analysis/shapeInference.js';
import { attrInt, attrString, attrsOf, FLOAT_T, GraphDraft, int64Tensor, isStandard, numericTensor, withAttr } from './graphDraft.js';

/** The lowest IR version that may carry a given default-domain opset. */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

const REDUCE_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
const LEGACY_BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less', 'Gemm', 'PRelu']);

/**
 * Rewrite the draft's default-domain nodes from the model's opset to `target` and import `target`.
 * Returns the problems found; when there are any, the draft is half-rewritten and must be dropped.
 */
export function upgradeDefaultOpset(d: GraphDraft, target: number, shapes?: ShapeInferenceResult): string[] {
  const from = d.opsetVersion('');
  if (from === undefined) {
    // no import: standard ops are read as the latest opset; declare the one the caller needs
    d.requireOpset('', target);
    d.requireIrVersion(irVersionForOpset(target));
    return [];
  }
  if (from >= target) return [];
  const crosses = (v: number) => from < v && target >= v;
  const problems: string[] = [];
  const label = (n: Node) => `${n.opType} '${n.name || n.output?.[0] || '?'}'`;
  const rankOf = (t: string | undefined) => (t ? shapes?.tensors.get(t)?.shape?.length : undefined);

  for (let i = 0; i < d.nodes.length; i++) {
    let n = d.nodes[i];
    if (!isStandard(n)) continue;
    const a = attrsOf(n);
    const op = n.opType ?? '';
    const ins = [...(n.input ?? [])];
    /** move an ints attribute into input slot k as an int64 initializer */
    const attrToInput = (attr: string, slot: number) => {
      const v = a[attr];
      if (v === undefined) return;
      const name = d.fresh(`${n.name || op}_${attr}`);
      d.setInitializer(int64Tensor(name, Array.isArray(v) ? (v as number[]) : [v as number]));
      while (ins.length < slot) ins.push('');
      ins[slot] = name;
      n = withAttr(n, attr, undefined);
    };
    const floatToInput = (attr: string, slot: number) => {
      const v = a[attr];
      if (v === undefined) return;
      const name = d.fresh(`${n.name || op}_${attr}`);
      d.setInitializer(numericTensor(name, FLOAT_T, [], [v as number]));
      while (ins.length < slot) ins.push('');
      ins[slot] = name;
      n = withAttr(n, attr, undefined);
    };
    if (from < 6 && a.consumed_inputs !== undefined) n = withAttr(n, 'consumed_inputs', undefined);
    if (from < 7 && LEGACY_BROADCAST.has(op)) {
      if (a.axis !== undefined && op !== 'Gemm') problems.push(`${label(n)} uses legacy broadcasting with an axis, which opset ${target} does not have`);
      n = withAttr(n, 'broadcast', undefined);
    }
    switch (op) {
      case 'Squeeze':
      case 'Unsqueeze':
        if (crosses(13)) attrToInput('axes', 1);
        break;
      case 'ReduceSum':
        if (crosses(13)) attrToInput('axes', 1);
        break;
      case 'Split':
        if (crosses(13)) attrToInput('split', 1);
        if (crosses(18) && !ins[1]) n = withAttr(n, 'num_outputs', attrInt('num_outputs', (n.output ?? []).length));
        break;
      case 'Pad':
        if (crosses(11)) {
          if (a.paddings !== undefined && a.pads === undefined) {
            a.pads = a.paddings;
            n = withAttr(n, 'paddings', undefined);
          }
          attrToInput('pads', 1);
          floatToInput('value', 2);
        }
        break;
      case 'Clip':
        if (crosses(11)) {
          floatToInput('min', 1);
          floatToInput('max', 2);
        }
        break;
      case 'Slice':
        if (crosses(10)) {
          attrToInput('starts', 1);
          attrToInput('ends', 2);
          attrToInput('axes', 3);
        }
        break;
      case 'TopK':
        if (crosses(10)) attrToInput('k', 1);
        break;
      case 'Reshape':
        if (from < 5 && target >= 5) attrToInput('shape', 1);
        break;
      case 'Dropout':
        if (crosses(12) || from < 7) {
          // inference: Dropout is an identity; the ratio is only read in training mode
          n = withAttr(withAttr(n, 'ratio', undefined), 'is_test', undefined);
          ins.splice(1);
        }
        break;
      case 'BatchNormalization':
        if (from < 9) {
          if (a.spatial !== undefined && a.spatial === 0) problems.push(`${label(n)} has spatial=0, which opset 9 and later do not support`);
          n = withAttr(withAttr(n, 'spatial', undefined), 'is_test', undefined);
        }
        if (crosses(14) && (n.output ?? []).filter(Boolean).length > 1) problems.push(`${label(n)} has training outputs, which opset 14 only allows in training mode`);
        break;
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax':
        if (crosses(13)) {
          const rank = rankOf(ins[0]);
          const axis0 = (a.axis as number | undefined) ?? 1;
          if (rank === undefined) problems.push(`${label(n)}: its input rank is unknown, so the opset ${target} meaning of 'axis' cannot be checked`);
          else {
            const axis = axis0 < 0 ? axis0 + rank : axis0;
            const trailing = shapes?.tensors.get(ins[0])?.shape?.slice(axis + 1) ?? [];
            if (axis !== rank - 1 && !trailing.every((x) => x === 1))
              problems.push(`${label(n)} normalizes over axes ${axis}..${rank - 1} (opset < 13), which opset ${target} cannot express in one node`);
            n = withAttr(n, 'axis', attrInt('axis', axis));
          }
        }
        break;
      case 'Upsample':
        if (crosses(10)) {
          const mode = String(a.mode ?? 'nearest').toLowerCase();
          if (mode !== 'nearest') problems.push(`${label(n)} uses mode '${mode}'; only nearest Upsample is rewritten as Resize`);
          let scales = ins[1];
          if (!scales && Array.isArray(a.scales)) {
            scales = d.fresh(`${n.name || op}_scales`);
            d.setInitializer(numericTensor(scales, FLOAT_T, [(a.scales as number[]).length], a.scales as number[]));
          }
          const attrs = [attrString('mode', 'nearest')];
          if (target >= 11) attrs.push(attrString('coordinate_transformation_mode', 'asymmetric'), attrString('nearest_mode', 'floor'));
          n = { ...n, opType: 'Resize', attribute: attrs };
          ins.splice(0, ins.length, ...(target >= 11 ? [ins[0], '', scales ?? ''] : [ins[0], scales ?? '']));
        }
        break;
      case 'Resize':
        if (from === 10 && target >= 11) {
          const mode = String(a.mode ?? 'nearest').toLowerCase();
          if (mode !== 'nearest') problems.push(`${label(n)} (opset 10) uses mode '${mode}'; only nearest Resize is rewritten for opset ${target}`);
          n = withAttr(withAttr(n, 'coordinate_transformation_mode', attrString('coordinate_transformation_mode', 'asymmetric')), 'nearest_mode', attrString('nearest_mode', 'floor'));
          ins.splice(1, 0, '');
        }
        break;
      case 'Scatter':
        if (crosses(11)) n = { ...n, opType: 'ScatterElements' };
        break;
      case 'Cast':
        if (from < 6 && typeof a.to === 'string') problems.push(`${label(n)} names its target type as a string (opset < 6)`);
        break;
      case 'Concat':
        if (from < 4 && a.axis === undefined) n = withAttr(n, 'axis', attrInt('axis', 1));
        break;
      default:
        if (REDUCE_18.has(op) && crosses(18)) attrToInput('axes', 1);
    }
    if (ins.length !== (n.input ?? []).length || ins.some((t, k) => t !== n.input?.[k])) n = { ...n, input: ins };
    if (n !== d.nodes[i]) d.nodes[i] = n;
  }
  d.requireOpset('', target);
  d.requireIrVersion(irVersionForOpset(target));
  return problems;
}
