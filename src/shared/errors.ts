/**
 * A problem with a file the user gave us (model, weights, image): shown as one line naming the
 * file and what is wrong, never with a stack trace. Anything else that fails is a bug.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** What is wrong, on one line: messages of the libraries that read the file may span several. */
  readonly problem: string;

  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    const line = oneLine(problem);
    super(`${file}: ${line}`, options);
    this.problem = line;
  }
}

/** Line breaks become "; ", other control characters (from a file's bytes quoted in a parser's message) "�". */
function oneLine(text: string): string {
  return text
    .split(/\s*[\r\n]+\s*/)
    .filter((line) => line.length > 0)
    .join('; ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
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
