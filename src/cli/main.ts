/**
 * QONNX Studio command line: `npm run --silent cli -- <command> ...`.
 * Exit codes: 0 success, 1 failure (bad model, failed check), 2 wrong usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isModelError } from '../core/errors.js';
import { UsageError, type CliCommand, type CliIO } from './command.js';
import { COMMANDS, findCommand } from './commandTable.js';

const PROGRAM = 'qonnx-studio';

export function usageText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), 'help [COMMAND]'.length);
  const lines = [
    `usage: ${PROGRAM} <command> [arguments]`,
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    `  ${'help [COMMAND]'.padEnd(width)}  Show this text, or the help of one command`,
    '',
    'External-data files are looked up relative to the model file.',
  ];
  return lines.join('\n') + '\n';
}

function commandHelp(c: CliCommand): string {
  return `usage: ${PROGRAM} ${c.usage}\n\n${c.summary}\n${c.details ? `\n${c.details}\n` : ''}`;
}

/** Print a failure the way users should see it: one line, no stack trace for model errors. */
export function reportError(e: unknown, io: CliIO, cmd?: CliCommand): number {
  if (e instanceof UsageError) {
    io.err(`error: ${e.message}\nusage: ${PROGRAM} ${cmd ? cmd.usage : '<command> [arguments]'}\n`);
    return 2;
  }
  if (isModelError(e)) {
    io.err(`error: ${e.message}\n${e.where ? `  at ${e.where}\n` : ''}`);
    return 1;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`error: ${msg}\n`);
  if (process.env.QONNX_STUDIO_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
  return 1;
}

export const processIO: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** Run one CLI invocation; returns the exit code. */
export async function run(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const which = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    if (name === 'help' && rest[0] && !which) {
      io.err(`error: unknown command '${rest[0]}'\n\n${usageText()}`);
      return 2;
    }
    io.out(which ? commandHelp(which) : usageText());
    return 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    io.err(`error: unknown command '${name}'\n\n${usageText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    return reportError(e, io, cmd);
  }
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(fileURLToPath(import.meta.url)) === real(argv1);
}

if (isEntryPoint()) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, processIO);
    },
  );
}
