/** Every CLI command, in the order `help` lists them. A new command is one file plus one line here. */
import type { CliCommand } from './command.js';
import { costCommand } from './commands/cost.js';
import { execCommand } from './commands/exec.js';
import { transformCommand } from './commands/transform.js';
import { datatypesCommand, shapesCommand } from './commands/datatypes.js';
import { infoCommand } from './commands/info.js';
import { roundtripCommand } from './commands/roundtrip.js';
import { validateCommand } from './commands/validate.js';
import { sweepCommand } from './commands/sweep.js';

export const COMMANDS: readonly CliCommand[] = [infoCommand, validateCommand, roundtripCommand, shapesCommand, datatypesCommand, costCommand, execCommand, transformCommand, sweepCommand];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}
