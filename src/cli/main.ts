// `convscope`: the engine on the command line, for batch export and for checking results
// against other tools. Exit codes: 0 done, 1 internal error, 2 bad usage, 3 bad input.
//
// The command runs in a child process, watched by this one: a file built to make the engine loop
// or allocate forever can only be stopped from outside, and only a process can be stopped
// wherever it is (a thread stuck in native code, an image decoder or a blocking read, cannot even
// be ended, and keeps the process from exiting). Past the command's deadline the child is killed
// and the run ends with exit 3 and one line naming the file it was reading.
import { fork } from 'node:child_process';
import { safeForTerminal } from '../shared/errors';
import { CLI_CHILD_ENVIRONMENT, defaultDeadlineMs, type CliChildMessage } from './cliChild';

/** `--timeout S` from the arguments, in milliseconds, when valid (the command itself refuses an invalid one, with its usage). */
function deadlineOf(argv: string[]): number {
  const at = argv.findIndex((arg) => arg === '--timeout' || arg.startsWith('--timeout='));
  const seconds = at < 0 ? NaN : Number(argv[at].includes('=') ? argv[at].slice(argv[at].indexOf('=') + 1) : argv[at + 1]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultDeadlineMs(argv[0] ?? '');
}

/** Runs the command in a child process and kills it at the deadline; resolves with the exit code. */
function runWatched(argv: string[]): Promise<number> {
  const deadline = deadlineOf(argv);
  const child = fork(__filename, argv, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...process.env, [CLI_CHILD_ENVIRONMENT]: '1' } });
  let reading: string | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, deadline);
  child.on('message', (message: CliChildMessage) => {
    if (typeof message?.reading === 'string') reading = message.reading;
  });
  const say = (line: string) => process.stderr.write(`${safeForTerminal(`convscope: ${line}`)}\n`);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      say(`internal error: the command could not start (${error.message})`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        const seconds = (deadline / 1000).toFixed(deadline < 10_000 ? 1 : 0);
        say(reading ? `${reading}: did not finish within ${seconds} s, so the run was stopped (--timeout)` : `the command did not finish within ${seconds} s, so it was stopped (--timeout)`);
        resolve(3);
      } else if (code !== null && code >= 0 && code <= 3) {
        resolve(code);
      } else {
        say(`internal error: the engine stopped unexpectedly (${signal ?? `exit code ${code}`})${reading ? ` while reading ${reading}` : ''}`);
        resolve(1);
      }
    });
  });
}

if (process.env[CLI_CHILD_ENVIRONMENT] === '1' && process.send) {
  // The child: the command itself. Loaded here only, so that the watching process stays small.
  void import('./cliCommands.js')
    .then(({ main }) => main(process.argv.slice(2)))
    .then((code) => {
      process.exitCode = code;
      process.disconnect?.();
    });
} else if (require.main === module) {
  void runWatched(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
