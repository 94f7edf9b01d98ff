/** `transform IN OUT --pass NAME[:json] ... [--set-bits NODE_OR_TENSOR=BITS ...]` and `transform --list`. */
import { writeFileSync } from 'node:fs';
import { findQuantizer, setQuantizer } from '../../core/ir/quantEdit.js';
import { encodeModel } from '../../core/onnx/codec.js';
import { applyTransform, parsePassSpec } from '../../core/passes/apply.js';
import { transforms } from '../../core/passes/registry.js';
import { UsageError, type CliCommand, type CliIO } from '../command.js';
import { readModelFile } from '../nodeFiles.js';

export function listText(): string {
  const lines: string[] = [];
  for (const t of transforms()) {
    lines.push(`${t.id}${t.lossy ? ' (changes results)' : ''}: ${t.title}`);
    lines.push(`    ${t.summary}`);
    for (const p of t.params) lines.push(`    ${p.name} (${p.kind}${p.required ? ', required' : p.default !== undefined ? `, default ${JSON.stringify(p.default)}` : ''}): ${p.doc}`);
  }
  return lines.join('\n') + '\n';
}

export const transformCommand: CliCommand = {
  name: 'transform',
  usage: 'transform IN OUT [--pass NAME[:{json params}] ...] [--set-bits NODE_OR_TENSOR=BITS ...] | transform --list',
  summary: 'Apply transformations and bit-width edits in order, write a new model',
  details:
    'Steps run in the order given. --pass takes a transformation id (see --list) with optional JSON parameters, e.g. --pass fold-constants:{"excludeOpTypes":[]}. --set-bits names a quantizer node, a tensor a quantizer produces or reads, or a layer (its weight quantizer). Prints a JSON summary of each step.',
  run(args: string[], io: CliIO): number {
    if (args.includes('--list')) {
      io.out(listText());
      return 0;
    }
    const steps: ({ kind: 'pass'; spec: string } | { kind: 'bits'; target: string; bits: number })[] = [];
    const pos: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--pass') {
        const v = args[++i];
        if (!v) throw new UsageError('--pass needs a transformation id');
        steps.push({ kind: 'pass', spec: v });
      } else if (a === '--set-bits') {
        const v = args[++i] ?? '';
        const eq = v.lastIndexOf('=');
        const bits = Number(v.slice(eq + 1));
        if (eq <= 0 || !Number.isInteger(bits) || bits < 1 || bits > 32) throw new UsageError(`--set-bits needs NODE_OR_TENSOR=BITS with BITS in 1..32, got '${v}'`);
        steps.push({ kind: 'bits', target: v.slice(0, eq), bits });
      } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else pos.push(a);
    }
    if (pos.length !== 2) throw new UsageError('IN and OUT are required');
    let { model } = readModelFile(pos[0]);
    const report: unknown[] = [];
    for (const s of steps) {
      if (s.kind === 'pass') {
        const { id, params } = parsePassSpec(s.spec);
        const r = applyTransform(model, id, params);
        model = r.model;
        report.push({ pass: id, modified: r.modified, nodes_added: r.diff.added.length, nodes_removed: r.diff.removed.length, nodes_changed: r.diff.changed.length, notes: r.notes, ms: Math.round(r.ms * 10) / 10 });
      } else {
        const q = findQuantizer(model, s.target);
        if (q === undefined) throw new Error(`--set-bits: '${s.target}' is not a quantizer, a tensor of one, or a layer with a weight quantizer`);
        model = setQuantizer(model, q, { bits: s.bits });
        report.push({ set_bits: s.target, quantizer: model.graph?.node?.[q]?.name ?? `#${q}`, bits: s.bits });
      }
    }
    writeFileSync(pos[1], encodeModel(model));
    io.out(JSON.stringify({ steps: report, out: pos[1] }, null, 2) + '\n');
    return 0;
  },
};
