// The commands of `convscope`, run in the child process main.ts starts for them: parsing, the
// usage text and the exit code of one command.
import { InputError } from '../shared/errors';
import { defaultDeadlineMs } from './cliChild';
import { activationsCommand } from './activationsCommand';
import { UsageError, parseCommandLine, writeError, writeOut, type CliCommand } from './cliSupport';
import { filtersCommand } from './filtersCommand';
import { gradcamCommand } from './gradcamCommand';
import { datasetCommand } from './datasetCommand';
import { summaryCommand } from './summaryCommand';

const COMMANDS: CliCommand[] = [summaryCommand, activationsCommand, filtersCommand, gradcamCommand, datasetCommand];

const USAGE = `Usage:
${COMMANDS.map((command) => command.usage.split('\n').map((line) => `  ${line}`).join('\n')).join('\n\n')}

  --timeout S         give up after S seconds, with exit code 3 (default: ${COMMANDS.map((command) => `${command.name} ${defaultDeadlineMs(command.name) / 1000}`).join(', ')})
  --debug             print stack traces
`;

/** Runs one command in this thread; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const [name] = argv;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      writeOut(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parseCommandLine(argv.slice(1), command.options);
    debug = values.debug === true;
    timeoutSeconds(values.timeout);
    if (values.help) {
      writeOut(`Usage:\n  ${command.usage.split('\n').join('\n  ')}\n`);
      return 0;
    }
    await command.run(positionals, values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      writeError(`convscope: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputError) {
      writeError(`convscope: ${error.message}\n`);
      if (debug && error.stack) writeError(`${error.stack}\n`);
      return 3;
    }
    const message = error instanceof Error ? error.message : String(error);
    writeError(
      debug && error instanceof Error && error.stack ? `${error.stack}\n` : `convscope: internal error: ${message} (run with --debug for details)\n`,
    );
    return 1;
  }
}

/** `--timeout S` in seconds, when given: a positive number. */
function timeoutSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a number of seconds above 0 (got "${value}")`);
  return seconds;
}

