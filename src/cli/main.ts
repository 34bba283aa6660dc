// `convscope`: the engine on the command line, for batch export and for checking results
// against other tools. Exit codes: 0 done, 1 internal error, 2 bad usage, 3 bad input.
import { InputError } from '../shared/errors';
import { activationsCommand } from './activationsCommand';
import { UsageError, parseCommandLine, type CliCommand } from './cliSupport';
import { filtersCommand } from './filtersCommand';
import { gradcamCommand } from './gradcamCommand';
import { summaryCommand } from './summaryCommand';

const COMMANDS: CliCommand[] = [summaryCommand, activationsCommand, filtersCommand, gradcamCommand];

const USAGE = `Usage:
${COMMANDS.map((command) => command.usage.split('\n').map((line) => `  ${line}`).join('\n')).join('\n\n')}

  --debug             print stack traces
`;

export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const [name] = argv;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parseCommandLine(argv.slice(1), command.options);
    debug = values.debug === true;
    if (values.help) {
      process.stdout.write(`Usage:\n  ${command.usage.split('\n').join('\n  ')}\n`);
      return 0;
    }
    await command.run(positionals, values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`convscope: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputError) {
      process.stderr.write(`convscope: ${error.message}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return 3;
    }
    process.stderr.write(debug && error instanceof Error && error.stack ? `${error.stack}\n` : `convscope: internal error: ${(error as Error).message} (run with --debug for details)\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
