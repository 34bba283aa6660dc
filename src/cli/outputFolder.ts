// The CLI's output folder: created if missing; never replaces a file it did not write itself, and
// a write that fails leaves no partial file (see files/wholeFileWrite.ts).
//
// Which files it wrote is decided file by file, by content: result.json records a SHA-256 of every
// file the run wrote, and of the files earlier runs wrote there that are still present, and a later
// run replaces a file only while it still holds exactly those bytes (so runs of several layers or
// commands into one folder can each be run again). A result.json planted in a folder, or one from
// a run whose files the user has since changed, lets nothing else be replaced. One run at a time writes into a folder (a lock file).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../shared/errors';
import { openRegularFile, readRegularFile } from '../files/regularFile';
import { replaceFileWhole, writeUnderFreeName, type FileContent } from '../files/wholeFileWrite';

export const RESULT_FILE = 'result.json';
const RESULT_TOOL = 'convscope';
/** Held while a run writes into the folder. */
export const LOCK_FILE = '.convscope-run.lock';
/** A result.json larger than this is no result of ours. */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** What an earlier run's result.json says it wrote: name → SHA-256 (hex) of the bytes written. */
type WrittenFiles = Map<string, string>;

async function earlierRun(folder: string): Promise<{ isOurs: boolean; written: WrittenFiles }> {
  try {
    const bytes = await readRegularFile(path.join(folder, RESULT_FILE), 'result of an earlier run', { maxBytes: MAX_RESULT_BYTES, tooLarge: () => 'is too large' });
    const json = JSON.parse(bytes.toString('utf8')) as { tool?: unknown; written?: unknown };
    const written = new Map<string, string>();
    if (json.written !== null && typeof json.written === 'object') {
      for (const [name, hash] of Object.entries(json.written)) if (typeof hash === 'string') written.set(name, hash);
    }
    return { isOurs: json.tool === RESULT_TOOL, written };
  } catch {
    return { isOurs: false, written: new Map() };
  }
}

/** Whether anything is at the path (a link too, which is not followed). */
const exists = (file: string) =>
  lstat(file).then(
    () => true,
    () => false,
  );

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** The SHA-256 of a regular file's bytes, or undefined when it is missing or not a regular file. */
async function hashOfFile(file: string): Promise<string | undefined> {
  try {
    const { handle } = await openRegularFile(file, 'output file');
    try {
      const hash = createHash('sha256');
      const chunk = Buffer.alloc(1024 * 1024);
      for (let position = 0; ; ) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        hash.update(chunk.subarray(0, bytesRead));
        position += bytesRead;
      }
      return hash.digest('hex');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** A write into the folder that failed for a reason of the folder's own (read-only, full, not permitted): one line naming it. */
function folderProblem(folder: string, error: unknown, doing: string): unknown {
  if (error instanceof InputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    EROFS: 'it is on a read-only file system',
    EACCES: 'writing there is not permitted',
    EPERM: 'writing there is not permitted',
    ENOSPC: 'no space is left on its disk',
    EDQUOT: 'the disk quota is used up',
    ENOTDIR: 'part of its path is a file, not a folder',
    ENAMETOOLONG: 'its path is too long',
    EEXIST: 'it exists and is not a folder',
    EIO: 'the disk reported an input/output error',
  };
  const reason = code ? reasons[code] : undefined;
  return reason ? new InputError(folder, `cannot be ${doing} as the output folder: ${reason} (${code})`, { cause: error }) : error;
}

export class OutputFolder {
  /** What this run wrote, for its result.json. */
  private readonly written: WrittenFiles = new Map();
  private closed = false;

  private constructor(
    readonly folder: string,
    private readonly earlier: { isOurs: boolean; written: WrittenFiles },
    private readonly lockToken: string,
  ) {}

  static async open(folder: string): Promise<OutputFolder> {
    await mkdir(folder, { recursive: true }).catch((error: unknown) => {
      const problem = folderProblem(folder, error, 'created');
      throw problem instanceof InputError ? problem : new InputError(folder, `cannot be created as the output folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    });
    const lockToken = await lockFolder(folder);
    try {
      return new OutputFolder(folder, await earlierRun(folder), lockToken);
    } catch (error) {
      await unlockFolder(folder, lockToken);
      throw error;
    }
  }

  /** Writes `name` in the folder; an existing file is replaced only if an earlier run wrote exactly what it holds. */
  async write(name: string, data: FileContent): Promise<string> {
    const file = path.join(this.folder, name);
    const content = hashing(data);
    try {
      if (await exists(file)) {
        if (!(await this.mayReplace(name, file))) throw new InputError(file, 'already exists and was not written by convscope; choose another --out folder');
        await replaceFileWhole(file, content.data);
      } else if ((await writeUnderFreeName([file], content.data)) === undefined) {
        throw new InputError(file, 'already exists and was not written by convscope; choose another --out folder');
      }
    } catch (error) {
      throw folderProblem(this.folder, error, 'written');
    }
    this.written.set(name, content.hash.digest('hex'));
    return name;
  }

  private async mayReplace(name: string, file: string): Promise<boolean> {
    if (name === RESULT_FILE) return this.earlier.isOurs;
    const recorded = this.earlier.isOurs ? this.earlier.written.get(name) : undefined;
    return recorded !== undefined && recorded === (await hashOfFile(file));
  }

  /** Written last, so a folder holds a result.json only once its images are complete; records what this run and the earlier ones wrote. */
  async writeResult(result: object): Promise<void> {
    const written = new Map([...(await this.earlierFilesPresent()), ...this.written]);
    written.delete(RESULT_FILE);
    await this.write(RESULT_FILE, JSON.stringify({ tool: RESULT_TOOL, ...result, written: Object.fromEntries(written) }, null, 2) + '\n');
    await this.close();
  }

  /** The earlier runs' records of files still in the folder, as they were recorded: a file changed since keeps a hash it no longer matches. */
  private async earlierFilesPresent(): Promise<WrittenFiles> {
    const present: WrittenFiles = new Map();
    if (!this.earlier.isOurs) return present;
    for (const [name, hash] of this.earlier.written) if (await exists(path.join(this.folder, name))) present.set(name, hash);
    return present;
  }

  /** Lets other runs write into the folder again; also when this run failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await unlockFolder(this.folder, this.lockToken);
  }
}

/** `data` as written, hashed on the way (an iterable's chunks as they pass). */
function hashing(data: FileContent): { data: FileContent; hash: ReturnType<typeof createHash> } {
  const hash = createHash('sha256');
  if (typeof data === 'string' || data instanceof Uint8Array) {
    hash.update(data);
    return { data, hash };
  }
  async function* passing(): AsyncGenerator<Uint8Array> {
    for await (const chunk of data as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      yield chunk;
    }
  }
  return { data: passing(), hash };
}

/**
 * Takes the folder for this run: two runs writing into one folder at once would replace each
 * other's files. A lock left by a run that ended without removing it (its process is gone) is
 * taken over; one held by a live run is refused with its process id.
 */
async function lockFolder(folder: string): Promise<string> {
  const lock = path.join(folder, LOCK_FILE);
  const token = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), nonce: sha256(`${Math.random()}${process.hrtime.bigint()}`) });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, token, { flag: 'wx', mode: 0o644 });
      return token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw folderProblem(folder, error, 'written');
    }
    const holder = await readFile(lock, 'utf8').then(
      (text) => JSON.parse(text) as { pid?: unknown; host?: unknown },
      () => ({}) as { pid?: unknown; host?: unknown },
    );
    if (attempt === 0 && isStale(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    const who = typeof holder.pid === 'number' ? ` (process ${holder.pid}${typeof holder.host === 'string' && holder.host !== hostname() ? ` on ${holder.host}` : ''})` : '';
    throw new InputError(folder, `is being written by another convscope run${who}; wait for it to finish or choose another --out folder (a run that was killed leaves ${LOCK_FILE}, which may then be removed)`);
  }
  throw new InputError(folder, `could not be locked for this run (${LOCK_FILE})`);
}

/** A lock of this machine whose process no longer runs. */
function isStale(holder: { pid?: unknown; host?: unknown }): boolean {
  if (typeof holder.pid !== 'number' || holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function unlockFolder(folder: string, token: string): Promise<void> {
  const lock = path.join(folder, LOCK_FILE);
  // Only our own lock: one taken over after ours was removed by hand is the other run's.
  const current = await readFile(lock, 'utf8').catch(() => undefined);
  if (current === token) await rm(lock, { force: true });
}

/** A layer name as a file name: path separators and odd characters replaced. */
export function fileNameForLayer(position: number, layerName: string): string {
  const safe = layerName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 80);
  return `${String(position).padStart(2, '0')}-${safe || 'layer'}`;
}
