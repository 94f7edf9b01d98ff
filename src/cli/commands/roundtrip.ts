/** `roundtrip IN OUT`: decode and re-encode a model; reports whether the bytes came back identical. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeModel } from '../../core/onnx/codec.js';
import { parseArgs, type CliCommand, type CliIO } from '../command.js';
import { copyExternalFiles, readModelFile, requireExternalFiles } from '../nodeFiles.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const roundtripCommand: CliCommand = {
  name: 'roundtrip',
  usage: 'roundtrip IN OUT',
  summary: 'Decode and re-encode a model, write OUT, report whether the bytes are identical',
  details: "External-data files are copied next to OUT (same relative location) unless OUT is in IN's directory.",
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { positional: { min: 2, max: 2, names: ['IN', 'OUT'] } });
    const loaded = readModelFile(a.positional[0]);
    const outPath = path.resolve(a.positional[1]);
    const outDir = path.dirname(outPath);
    // Check every external file before writing anything, so a failure leaves no half-written output.
    requireExternalFiles(loaded.model, loaded.dir);
    const bytes = encodeModel(loaded.model);
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(outPath, bytes);
    const copied = copyExternalFiles(loaded.model, loaded.dir, outDir);
    const report: Record<string, unknown> = {
      bytes_in: loaded.bytes.byteLength,
      bytes_out: bytes.byteLength,
      identical: sameBytes(loaded.bytes, bytes),
    };
    if (copied.length) report.external_files_copied = copied;
    io.out(JSON.stringify(report) + '\n');
    return 0;
  },
};
