// What every convscope subcommand shares: usage errors, option parsing helpers, backend start-up.
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { initializeBackend } from '../engine/tfjs/backend';
import type { BackendName, BackendPreference } from '../shared/types';
import { safeForTerminal } from '../shared/errors';

/** Bad command-line usage: exit code 2 with the usage text. */
export class UsageError extends Error {}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;
export type CliValues = Record<string, string | boolean | undefined>;

export interface CliCommand {
  name: string;
  /** Lines for the usage text: synopsis first, then option descriptions. */
  usage: string;
  options: CliOptions;
  run(positionals: string[], values: CliValues): Promise<void>;
}

export const COMMON_OPTIONS: CliOptions = {
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  timeout: { type: 'string' },
};

export { reportReading } from './cliChild';

export function parseCommandLine(argv: string[], options: CliOptions): { values: CliValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, ...options } });
    return { values: values as CliValues, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function stringOption(values: CliValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

export function positiveInteger(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${option} must be a positive whole number (got "${value}")`);
  return parsed;
}

export function requirePositionals(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    throw new UsageError(`${command} takes ${names.map((name) => `<${name}>`).join(' ')} (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'})`);
  }
  return positionals.map((value) => path.resolve(value));
}

/**
 * Everything the CLI prints goes through these: names, labels and paths come from files, and a
 * control character among them (an ANSI or OSC escape, a bidirectional override) is shown as "�"
 * instead of reaching the terminal.
 */
export function writeOut(text: string): void {
  process.stdout.write(safeForTerminal(text, { keepLineBreaks: true }));
}

export function writeError(text: string): void {
  process.stderr.write(safeForTerminal(text, { keepLineBreaks: true }));
}

/** JSON for the terminal: what JSON.stringify leaves as it is (C1 controls, bidirectional marks) escaped as \uXXXX, so the data stays exact. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Starts TF.js; notes on why a requested backend was not used go to stderr. */
export async function startBackend(preference: BackendPreference): Promise<BackendName> {
  const selection = await initializeBackend(preference, { wasmDirectory: path.join(__dirname, 'wasm') });
  if (preference !== 'auto' && selection.backend !== preference) {
    for (const note of selection.notes) writeError(`convscope: ${note}\n`);
  }
  return selection.backend;
}
