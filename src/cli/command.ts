/**
 * What a CLI command is: a name, a usage line, a one-line summary and a run function. Commands write
 * through `CliIO` (never to process.stdout directly) so tests can run them in-process.
 */

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  name: string;
  /** e.g. "info MODEL [--json]" */
  usage: string;
  summary: string;
  /** Longer help shown by `help NAME` (optional). */
  details?: string;
  /** Returns the exit code. Throws ModelError / UsageError / Error on failure. */
  run(args: string[], io: CliIO): Promise<number> | number;
}

/** Wrong arguments: reported with the command's usage and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ArgSpec {
  /** boolean flags, e.g. ["--json"] */
  flags?: string[];
  /** how many positional arguments are required, and at most how many are allowed */
  positional: { min: number; max: number; names: string[] };
}

export interface ParsedArgs {
  positional: string[];
  flags: Set<string>;
}

export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const flags = new Set<string>();
  const positional: string[] = [];
  const known = new Set(spec.flags ?? []);
  let onlyPositional = false;
  for (const a of args) {
    if (!onlyPositional && a === '--') onlyPositional = true;
    else if (!onlyPositional && a.startsWith('-') && a.length > 1) {
      if (!known.has(a)) throw new UsageError(`unknown option '${a}'`);
      flags.add(a);
    } else positional.push(a);
  }
  const { min, max, names } = spec.positional;
  if (positional.length < min) throw new UsageError(`missing ${names.slice(positional.length, min).join(' and ')}`);
  if (positional.length > max) throw new UsageError(`unexpected argument '${positional[max]}'`);
  return { positional, flags };
}
