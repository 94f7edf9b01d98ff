/** `transform IN OUT --pass NAME[:json] ... [--set-bits TARGET=BITS ...]` and `transform --list`. */
import { writeFileSync } from 'node:fs';
import { parseSelector, SELECTOR_HELP, setBitsWhere } from '../../core/ir/bulkQuantEdit.js';
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
  usage: 'transform IN OUT [--pass NAME[:{json params}] ...] [--set-bits TARGET=BITS ...] | transform --list',
  summary: 'Apply transformations and bit-width edits in order, write a new model',
  details:
    'Steps run in the order given. --pass takes a transformation id (see --list) with optional JSON parameters, e.g. --pass fold-constants:{"excludeOpTypes":[]}. --set-bits sets the bit width of the quantizers TARGET selects (the same code as the quantizer table\'s bulk action):\n  ' +
    SELECTOR_HELP.join('\n  ') +
    '\nA group (weights, biases, activations, all, op:<OpType>) changes every quantizer it can and lists the others under "skipped" with the reason (a bit width the graph computes, a BipolarQuant, a FloatQuant...); a single named quantizer that cannot take the width is an error. Prints a JSON summary of each step.',
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
        if (eq <= 0 || !Number.isInteger(bits) || bits < 1 || bits > 32) throw new UsageError(`--set-bits needs TARGET=BITS with BITS in 1..32, got '${v}'`);
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
        const sel = parseSelector(s.target);
        let r;
        try {
          r = setBitsWhere(model, sel, s.bits);
        } catch (e) {
          throw new Error(`--set-bits: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (sel.kind === 'name') {
          // one named quantizer: it changes, or the command fails with the reason
          if (r.skipped.length) throw new Error(`--set-bits ${s.target}=${s.bits}: ${r.skipped[0].quantizer}: ${r.skipped[0].reason}`);
          report.push({ set_bits: s.target, quantizer: [...r.changed, ...r.unchanged][0], bits: s.bits });
        } else report.push({ set_bits: s.target, bits: s.bits, changed: r.changed, unchanged: r.unchanged, skipped: r.skipped });
        model = r.model;
      }
    }
    writeFileSync(pos[1], encodeModel(model));
    io.out(JSON.stringify({ steps: report, out: pos[1] }, null, 2) + '\n');
    return 0;
  },
};
