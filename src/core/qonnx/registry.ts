/**
 * Which custom op a node is: domain aliases, undeclared domains and op versions resolved in one place.
 */
import type { Model, Node } from '../ir/types.js';
import { int64ToNumber } from '../ir/types.js';
import type { CustomOpDef } from './opTypes.js';
import { ALL_OPS } from './ops/index.js';

export const QONNX_DOMAIN = 'qonnx.custom_op.general';
export const CHANNELS_LAST_DOMAIN = 'qonnx.custom_op.channels_last';

/** Domains under which the general QONNX ops appear in real files. */
export const GENERAL_DOMAIN_ALIASES: readonly string[] = [QONNX_DOMAIN, 'onnx.brevitas', 'finn.custom_op.general', 'finn'];

/** The channels-last wrappers of standard ops (domain qonnx.custom_op.channels_last). */
const CHANNELS_LAST_OPS = new Set(['Conv', 'MaxPool', 'BatchNormalization']);

/** Ops that exporters sometimes put in the default domain "" (e.g. Quant). */
const DEFAULT_DOMAIN_CUSTOM = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);

export function isGeneralQonnxDomain(domain: string | null | undefined): boolean {
  return GENERAL_DOMAIN_ALIASES.includes(domain ?? '');
}

export function isFinnHardwareDomain(domain: string | null | undefined): boolean {
  return (domain ?? '').startsWith('finn.custom_op.fpgadataflow');
}

const byName = new Map<string, CustomOpDef[]>();
for (const def of ALL_OPS) {
  for (const n of [def.opType, ...(def.aliases ?? [])]) {
    const list = byName.get(n) ?? [];
    list.push(def);
    list.sort((a, b) => a.sinceVersion - b.sinceVersion);
    byName.set(n, list);
  }
}

/** The opset version the model imports for a domain, or undefined when it is not imported. */
export function opsetVersion(model: Model, domain: string): number | undefined {
  const o = (model.opsetImport ?? []).find((x) => (x.domain ?? '') === domain);
  return o ? int64ToNumber(o.version) : undefined;
}

/**
 * The definition for a node, or undefined when the node is not a (known) QONNX custom op.
 * The version is the highest "since version" not above the model's opset import for the node's
 * domain; a missing import means version 1.
 */
export function resolveCustomOp(node: Node, model?: Model): CustomOpDef | undefined {
  const dom = node.domain ?? '';
  const op = node.opType ?? '';
  const general = isGeneralQonnxDomain(dom) || (dom === '' && DEFAULT_DOMAIN_CUSTOM.has(op)) || dom === CHANNELS_LAST_DOMAIN;
  if (!general) return undefined;
  // Conv, MaxPool and BatchNormalization are custom ops only in the channels-last domain.
  if (CHANNELS_LAST_OPS.has(op) !== (dom === CHANNELS_LAST_DOMAIN)) return undefined;
  const defs = byName.get(op);
  if (!defs) return undefined;
  const v = (dom === '' ? undefined : model && opsetVersion(model, dom)) ?? 1;
  let pick = defs[0];
  for (const d of defs) if (d.sinceVersion <= v) pick = d;
  return pick;
}

export function customOpNames(): string[] {
  return [...byName.keys()].sort();
}
