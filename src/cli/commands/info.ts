/** `info MODEL [--json]`: what the model is: IR version, producer, opsets, ops, inputs and outputs. */
import * as path from 'node:path';
import { formatShape } from '../../core/ir/tensorInfo.js';
import { summarizeModel, type ModelSummary } from '../../core/ir/summary.js';
import { parseArgs, type CliCommand, type CliIO } from '../command.js';
import { externalFileStatus, readModelFile, type ExternalFileStatus } from '../nodeFiles.js';

/** The JSON document of `info --json`: the documented keys first, extras after. */
export function infoJson(s: ModelSummary, external: ExternalFileStatus[]): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    ir_version: s.ir_version,
    producer: s.producer,
    opsets: s.opsets,
    node_count: s.node_count,
    op_histogram: s.op_histogram,
    inputs: s.inputs,
    outputs: s.outputs,
    producer_version: s.producer_version,
    domain: s.domain,
    model_version: s.model_version,
    initializer_count: s.initializer_count,
    parameter_count: s.parameter_count,
    metadata: s.metadata,
  };
  if (external.length > 0) doc.external_data = external.map((e) => ({ location: e.location, exists: e.exists, bytes: e.bytes ?? null }));
  return doc;
}

const n = (v: number) => v.toLocaleString('en-US');

function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

export function infoText(file: string, bytes: number, s: ModelSummary, external: ExternalFileStatus[]): string {
  const lines: string[] = [];
  const producer = [s.producer, s.producer_version].filter(Boolean).join(' ') || '(not recorded)';
  const opsets = Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ') || '(none declared)';
  lines.push(
    table(
      [
        ['Model', `${path.basename(file)} (${n(bytes)} bytes)`],
        ['IR version', String(s.ir_version)],
        ['Producer', producer],
        ['Opsets', opsets],
        ['Nodes', n(s.node_count)],
        ['Parameters', `${n(s.parameter_count)} in ${n(s.initializer_count)} initializer${s.initializer_count === 1 ? '' : 's'}`],
      ],
      '',
    ),
  );
  const io = (title: string, xs: ModelSummary['inputs']) => {
    lines.push('', `${title} (${xs.length})`);
    if (xs.length) lines.push(table(xs.map((x) => [x.name, formatShape(x.shape), x.datatype])));
  };
  io('Inputs', s.inputs);
  io('Outputs', s.outputs);
  const ops = Object.entries(s.op_histogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push('', `Operators (${ops.length} kinds)`);
  if (ops.length) lines.push(table(ops.map(([k, v]) => [k.startsWith('ai.onnx::') ? k.slice(9) : k, String(v)])));
  if (external.length) {
    lines.push('', 'External data');
    lines.push(table(external.map((e) => [e.location, e.exists ? `${n(e.bytes ?? 0)} bytes` : 'MISSING'])));
  }
  const meta = Object.entries(s.metadata);
  if (meta.length) {
    lines.push('', 'Metadata');
    lines.push(table(meta.map(([k, v]) => [k, v])));
  }
  return lines.join('\n') + '\n';
}

export const infoCommand: CliCommand = {
  name: 'info',
  usage: 'info MODEL [--json]',
  summary: 'Summarise a model: IR version, producer, opsets, operator counts, inputs and outputs',
  details: 'With --json, prints {ir_version, producer, opsets, node_count, op_histogram, inputs, outputs, ...}.\nExternal-data files are listed but not read.',
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { flags: ['--json'], positional: { min: 1, max: 1, names: ['MODEL'] } });
    const loaded = readModelFile(a.positional[0]);
    const summary = summarizeModel(loaded.model);
    const external = externalFileStatus(loaded.model, loaded.dir);
    if (a.flags.has('--json')) io.out(JSON.stringify(infoJson(summary, external), null, 2) + '\n');
    else io.out(infoText(loaded.path, loaded.bytes.byteLength, summary, external));
    return 0;
  },
};
