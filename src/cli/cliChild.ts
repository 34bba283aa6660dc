// What the command's child process and the process watching it (main.ts) share: how the child is
// told it is one, and what it says while it runs.

import { JOB_DEADLINES_MS } from '../shared/defaults';

/** Set in the child's environment. */
export const CLI_CHILD_ENVIRONMENT = 'CONVSCOPE_CLI_CHILD';

/** The child names the file it reads next: a run past its deadline is reported with it. */
export interface CliChildMessage {
  reading?: string;
}

/** Says which file the command reads next; does nothing outside a watched child. */
export function reportReading(file: string): void {
  if (process.env[CLI_CHILD_ENVIRONMENT] === '1' && process.send) process.send({ reading: file } satisfies CliChildMessage);
}

/** The engine job each command runs, whose deadline is the command's default `--timeout`. */
const COMMAND_JOBS = { summary: 'summarize', activations: 'activations', filters: 'filterPatterns', gradcam: 'gradCam', dataset: 'dataset' } as const;

/** A command's default deadline, in milliseconds. */
export function defaultDeadlineMs(command: string): number {
  return JOB_DEADLINES_MS[COMMAND_JOBS[command as keyof typeof COMMAND_JOBS] ?? 'activations'];
}
