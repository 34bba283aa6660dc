/**
 * A problem with a file the user gave us (model, weights, image): shown as one line naming the
 * file and what is wrong, never with a stack trace. Anything else that fails is a bug.
 */
export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** Thrown inside a job when its caller cancelled it; the job's partial results stay valid. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';

  constructor() {
    super('Cancelled');
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
