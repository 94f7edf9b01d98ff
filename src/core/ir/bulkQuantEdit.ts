/**
 * Bit widths for a group of quantizers at once, shared by the quantizer table's bulk action and
 * `cli transform --set-bits SELECTOR=BITS`. The action applies to every selected quantizer that can
 * take the width and lists the others with the reason, instead of refusing the whole group.
 *
 * Selectors: `weights`, `biases`, `activations` (the kinds of quantizerRoles.ts), `all`,
 * `op:<OpType>` (the weight quantizers of that op type's layers, e.g. op:Conv), or a plain name: a
 * quantizer, a tensor it produces or reads, or a layer (its weight quantizer), as findQuantizer resolves it.
 */
import { indexGraph } from './graphIndex.js';
import { findQuantizer, listQuantizers, quantizerInfo, setQuantizer, type QuantizerInfo } from './quantEdit.js';
import type { QuantizerRole } from './quantizerRoles.js';
import type { Model } from './types.js';
import { maxInt, minInt } from '../qonnx/ops/quant.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';

export type QuantSelector =
  | { kind: 'role'; role: QuantizerRole }
  | { kind: 'all' }
  | { kind: 'op'; opType: string }
  | { kind: 'name'; name: string };

const ROLE_WORDS: Record<string, QuantizerRole> = { weights: 'weight', biases: 'bias', activations: 'activation' };

export const MIN_BITS = 1;
export const MAX_BITS = 32;

/** Help text for the CLI and tooltips: what each selector selects. */
export const SELECTOR_HELP = [
  'weights       every weight quantizer (its output reaches input 1 of a Conv, ConvTranspose, MatMul or Gemm, directly or through Transpose/Reshape/Flatten)',
  'biases        every bias quantizer (input 2 of a Conv, ConvTranspose or Gemm, or an Add after such a layer)',
  'activations   every other quantizer',
  'all           every quantizer',
  'op:<OpType>   the weight quantizers of the layers of that op type, e.g. op:Conv (not their input or bias quantizers)',
  'NAME          one quantizer: its node name, a tensor it produces or reads, or a layer name (the layer\'s weight quantizer)',
];

/** The selector a text names; a word that is not a keyword or `op:...` is a name. */
export function parseSelector(text: string): QuantSelector {
  const t = text.trim();
  if (t in ROLE_WORDS) return { kind: 'role', role: ROLE_WORDS[t] };
  if (t === 'all') return { kind: 'all' };
  if (t.startsWith('op:') && t.length > 3) return { kind: 'op', opType: t.slice(3) };
  return { kind: 'name', name: t };
}

export function selectorText(s: QuantSelector): string {
  if (s.kind === 'role') return Object.keys(ROLE_WORDS).find((k) => ROLE_WORDS[k] === s.role)!;
  if (s.kind === 'all') return 'all';
  if (s.kind === 'op') return `op:${s.opType}`;
  return s.name;
}

/** A title for the history list: "Weight quantizers of Conv → 4 bits". */
export function selectorTitle(s: QuantSelector): string {
  if (s.kind === 'role') return `${s.role[0].toUpperCase()}${s.role.slice(1)} quantizers`;
  if (s.kind === 'all') return 'All quantizers';
  if (s.kind === 'op') return `Weight quantizers of ${s.opType}`;
  return s.name;
}

/** Op types of the layers that have a weight quantizer, sorted: the `op:` selectors that select something. */
export function weightLayerOpTypes(model: Model, quantizers = listQuantizers(model)): string[] {
  const nodes = model.graph?.node ?? [];
  return [...new Set(quantizers.filter((q) => q.role === 'weight' && q.layer !== undefined).map((q) => nodes[q.layer!].opType ?? ''))].filter(Boolean).sort();
}

/**
 * The quantizers a selector selects, in graph order. Throws when `op:X` or a name selects nothing
 * (a typo should not pass for an empty group); `weights` etc. may be empty.
 */
export function selectQuantizers(model: Model, s: QuantSelector, quantizers = listQuantizers(model)): QuantizerInfo[] {
  const nodes = model.graph?.node ?? [];
  if (s.kind === 'all') return quantizers;
  if (s.kind === 'role') return quantizers.filter((q) => q.role === s.role);
  if (s.kind === 'op') {
    const out = quantizers.filter((q) => q.role === 'weight' && q.layer !== undefined && nodes[q.layer].opType === s.opType);
    if (!out.length) {
      const known = weightLayerOpTypes(model, quantizers);
      throw new Error(`op:${s.opType}: no ${s.opType} layer has a weight quantizer (${known.length ? `layers with one: ${known.map((o) => `op:${o}`).join(', ')}` : 'the model has no weight quantizers'})`);
    }
    return out;
  }
  const q = findQuantizer(model, s.name);
  if (q === undefined) throw new Error(`'${s.name}' is not a quantizer, a tensor of one, or a layer with a weight quantizer`);
  return [quantizerInfo(model, q)];
}

function scalarInit(model: Model, t: string | undefined): number[] | undefined {
  const init = t ? indexGraph(model.graph ?? {}).initializer.get(t) : undefined;
  if (!init) return undefined;
  try {
    return Array.from(toNumbers(tensorValues(init)));
  } catch {
    return undefined;
  }
}

/** Which node (or graph input) makes the bit width of quantizer `q`, when it is not a constant initializer. */
export function bitsComputedBy(model: Model, q: QuantizerInfo): string | undefined {
  const n = model.graph?.node?.[q.nodeIndex];
  const ins = n?.input ?? [];
  const k = q.opType === 'Quant' || q.opType === 'IntQuant' ? 3 : q.opType === 'Trunc' ? (ins.length >= 6 ? 5 : 4) : undefined;
  const bw = k === undefined ? undefined : ins[k];
  const idx = indexGraph(model.graph ?? {});
  if (!bw || idx.initializer.has(bw)) return undefined;
  const p = idx.producer.get(bw);
  return p !== undefined ? `${idx.nodes[p].opType} ${idx.nodes[p].name || `#${p}`}` : `graph input '${bw}'`;
}

/**
 * Why quantizer `q` cannot take a bit width of `bits`, or undefined when it can. The same rules for a
 * table cell, the precision form, the bulk action and the CLI.
 */
export function bitsProblem(model: Model, q: QuantizerInfo, bits: number): string | undefined {
  if (!Number.isFinite(bits) || !Number.isInteger(bits)) return `${bits} is not a whole number of bits`;
  if (bits < MIN_BITS || bits > MAX_BITS) return `${bits} bits is outside ${MIN_BITS}..${MAX_BITS}`;
  const n = model.graph?.node?.[q.nodeIndex];
  if (!n) return 'not in the model';
  const op = q.opType;
  if (op === 'BipolarQuant') return bits === 1 ? undefined : 'a BipolarQuant is always 1 bit (±scale); it has no bit-width input';
  if (op === 'FloatQuant') return 'a FloatQuant has exponent and mantissa widths, not an integer bit width (set E and M in its row)';
  if (op !== 'Quant' && op !== 'IntQuant' && op !== 'Trunc') return `a ${op} has no bit width`;
  const ins = n.input ?? [];
  const trunc2 = op === 'Trunc' && ins.length >= 6;
  const by = bitsComputedBy(model, q);
  if (by) return by.startsWith('graph input') ? `its bit width is the ${by}, not a constant` : `its bit width is computed by the graph (by ${by}), not a constant`;
  if (op === 'Trunc' && !trunc2) {
    // v1 divides by 2^(in_bw - out_bw): a wider output would multiply instead of truncating
    const inBw = scalarInit(model, ins[3]);
    if (inBw?.length === 1 && bits > inBw[0]) return `a Trunc cannot widen: its input has ${inBw[0]} bits`;
  }
  const signed = q.signed ?? true;
  const narrow = q.narrow ?? false;
  const bipolar = op !== 'Trunc' && signed && bits === 1; // Quant's 1-bit signed case is ±1
  if (!bipolar && maxInt(signed, narrow, bits) <= minInt(signed, narrow, bits)) return `${signed ? 'a signed' : 'an unsigned'} narrow range of ${bits} bit${bits === 1 ? '' : 's'} holds only 0`;
  return undefined;
}

export interface SkippedQuantizer {
  quantizer: string;
  reason: string;
}

export interface BitsPlan {
  bits: number;
  /** quantizers that will get the new width */
  change: QuantizerInfo[];
  /** quantizers that already have it */
  unchanged: QuantizerInfo[];
  skipped: (SkippedQuantizer & { q: QuantizerInfo })[];
}

/** What setting `bits` on `targets` would do, without doing it. */
export function planBits(model: Model, targets: QuantizerInfo[], bits: number): BitsPlan {
  const plan: BitsPlan = { bits, change: [], unchanged: [], skipped: [] };
  for (const q of targets) {
    const reason = bitsProblem(model, q, bits);
    if (reason) plan.skipped.push({ q, quantizer: q.name, reason });
    else if (q.bits === bits) plan.unchanged.push(q);
    else plan.change.push(q);
  }
  return plan;
}

export interface BitsResult {
  model: Model;
  bits: number;
  changed: string[];
  unchanged: string[];
  skipped: SkippedQuantizer[];
}

/** Carry out a plan: one new model with every changeable quantizer at the new width (the same model if none). */
export function applyBitsPlan(model: Model, plan: BitsPlan): BitsResult {
  let out = model;
  const changed: string[] = [];
  const skipped: SkippedQuantizer[] = plan.skipped.map(({ quantizer, reason }) => ({ quantizer, reason }));
  for (const q of plan.change) {
    try {
      out = setQuantizer(out, q.nodeIndex, { bits: plan.bits });
      changed.push(q.name);
    } catch (e) {
      skipped.push({ quantizer: q.name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { model: out, bits: plan.bits, changed, unchanged: plan.unchanged.map((q) => q.name), skipped };
}

/** Set `bits` on every quantizer the selector selects that can take it; the others are listed with the reason. */
export function setBitsWhere(model: Model, selector: QuantSelector | string, bits: number): BitsResult {
  const s = typeof selector === 'string' ? parseSelector(selector) : selector;
  return applyBitsPlan(model, planBits(model, selectQuantizers(model, s), bits));
}

/** One line for a person: "3 quantizers set to 4 bits, 1 already had it; skipped: Q (reason)". */
export function bitsResultText(r: BitsResult): string {
  const parts = [`${r.changed.length} quantizer${r.changed.length === 1 ? '' : 's'} set to ${r.bits} bits`];
  if (r.unchanged.length) parts.push(`${r.unchanged.length} already had ${r.bits} bits`);
  let s = parts.join(', ');
  if (r.skipped.length) s += `; skipped ${r.skipped.length}: ${r.skipped.map((k) => `${k.quantizer} (${k.reason})`).join('; ')}`;
  return s;
}
