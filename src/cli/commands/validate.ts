/** `validate MODEL`: structural problems (dangling inputs, cycles, ...) as JSON; exit 1 on any error. */
import { validateModel } from '../../core/ir/validate.js';
import { parseArgs, type CliCommand, type CliIO } from '../command.js';
import { readModelFile } from '../nodeFiles.js';

export const validateCommand: CliCommand = {
  name: 'validate',
  usage: 'validate MODEL',
  summary: 'Check the graph structure; print the problems as JSON, exit 1 if any is an error',
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { positional: { min: 1, max: 1, names: ['MODEL'] } });
    const loaded = readModelFile(a.positional[0]);
    const problems = validateModel(loaded.model);
    io.out(JSON.stringify(problems, null, 2) + '\n');
    return problems.some((p) => p.severity === 'error') ? 1 : 0;
  },
};
