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
    // The path too can carry control characters: a cloned repository names its own folders.
    super(`${safeForTerminal(file)}: ${line}`, options);
    this.problem = line;
  }
}

/** Line breaks become "; ", other control characters (from a file's bytes quoted in a parser's message) "�". */
function oneLine(text: string): string {
  return safeForTerminal(
    text
      .split(/\s*[\r\n]+\s*/)
      .filter((line) => line.length > 0)
      .join('; '),
  );
}

/**
 * Characters a file could use to take over a terminal or disguise text: C0 and C1 controls (ESC
 * starts ANSI and OSC sequences: colours, a changed window title, links, cursor moves), and the
 * bidirectional overrides and isolates that show text in another order than it is (U+202E).
 */
const UNSAFE_KEEPING_LINE_BREAKS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Untrusted text (names and labels from a model file, paths, library messages quoting a file) made
 * safe to print to a terminal or the output channel: every such character becomes "�", and so do
 * line breaks unless `keepLineBreaks` says so (log lines with stacks).
 */
export function safeForTerminal(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  return text.replace(options.keepLineBreaks ? UNSAFE_KEEPING_LINE_BREAKS : UNSAFE_CHARACTERS, '\ufffd');
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
