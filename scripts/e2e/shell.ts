// Small process helpers shared by the end-to-end setup: run a command to completion with a time
// limit, and keep the tail of its output for error messages.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CACHE_DIR = path.join(REPO_ROOT, '.e2e-cache');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Echo each output line, prefixed (for long installs the user should see progress of). */
  echoPrefix?: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
    reason: string,
  ) {
    super(`${command} ${reason}\n--- last output ---\n${tail(result.output, 4000)}`);
    this.name = 'CommandError';
  }
}

export function tail(text: string, chars: number): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/** Process groups of the commands running now (each is started in its own group). */
const activeCommands = new Set<number>();

/** Kills the commands still running (npm, vsce…), with their children; for Ctrl+C. */
export function killActiveCommands(): void {
  for (const pid of activeCommands) killGroup(pid, 'SIGKILL');
}

/** Runs a command; resolves with its result whatever its exit code (see `runChecked`). */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true };
    const child = spawn(command, args, spawnOptions);
    if (child.pid !== undefined) activeCommands.add(child.pid);
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (options.echoPrefix !== undefined) {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) console.log(`${options.echoPrefix}${line}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        output += `\n[killed after ${Math.round((options.timeoutMs ?? 0) / 1000)} s]`;
        killGroup(child.pid, 'SIGKILL');
      }, options.timeoutMs);
    }
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (child.pid !== undefined) activeCommands.delete(child.pid);
      resolve({ code, signal, output });
    });
  });
}

/** Runs a command and throws a CommandError (with its output's tail) unless it exits with 0. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const shown = [command, ...args].join(' ');
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new CommandError(shown, result, result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`);
  }
  return result;
}

/** Signals a whole process group (children started with `detached: true` lead their own). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Ids of the processes whose command line contains `text` (this process excluded). */
export function pidsWithCommandLine(text: string): number[] {
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (commandLine.includes(text)) found.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

/** Every descendant of `pid` (children, their children…), from /proc. */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // Exited meanwhile.
    }
  }
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** SIGKILLs each process by id; returns those that were still running. */
export function killPids(pids: readonly number[]): number[] {
  const killed: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Already gone.
    }
  }
  return killed;
}
