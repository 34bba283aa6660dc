// Opening a file a path names, refusing anything that is not a regular file before reading a byte.
// A FIFO opened for reading blocks until a writer comes, a device such as /dev/zero never ends, and
// a blocked read holds one of the few threads of libuv's pool, which the extension host shares with
// the engine worker: so every path is opened non-blocking and checked on the open descriptor (no
// window for a swap between the check and the read), and only a regular file is read.
import { constants, fstatSync, openSync, closeSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../shared/errors';

/** O_NONBLOCK where the platform has it: opening a FIFO then returns at once instead of waiting for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** What a path that is not a regular file is, in words. */
export function describeFileKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'something other than a regular file';
}

function notAFile(file: string, info: Stats, what: string): InputError {
  return new InputError(file, `is not a file but ${describeFileKind(info)} (expected the ${what})`);
}

/** The open error as a problem with the file: missing, not allowed, and so on. */
export function openProblem(file: string, error: unknown, what: string): InputError {
  if (error instanceof InputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputError(file, `does not exist (the ${what})`);
  if (code === 'EISDIR') return new InputError(file, `is not a file but a folder (expected the ${what})`);
  if (code === 'EACCES' || code === 'EPERM') return new InputError(file, `cannot be read: permission denied (the ${what})`);
  return new InputError(file, `cannot be read (the ${what}): ${code ?? (error instanceof Error ? error.message : String(error))}`, { cause: error });
}

/** Opens `file` for reading if it is a regular file; the caller closes the handle. */
export async function openRegularFile(file: string, what: string): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw openProblem(file, error, what);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notAFile(file, info, what);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw openProblem(file, error, what);
  }
}

/** The regular file's stat; anything else (missing, a folder, a FIFO, a device) is an InputError. */
export async function statRegularFile(file: string, what: string): Promise<Stats> {
  const { handle, info } = await openRegularFile(file, what);
  await handle.close();
  return info;
}

/** As statRegularFile, for code that must not wait (a synchronous reader thread). */
export function statRegularFileSync(file: string, what: string): Stats {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw openProblem(file, error, what);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notAFile(file, info, what);
    return info;
  } finally {
    closeSync(fd);
  }
}

export interface ReadLimit {
  /** Larger files are refused before they are read. */
  maxBytes: number;
  /** The problem when the file is larger, given its size in bytes. */
  tooLarge(bytes: number): string;
}

/**
 * The whole of a regular file, at most `limit.maxBytes`: the size is checked on the open file, and
 * a file that grows while it is read is cut at the size it had (never read past the limit).
 */
export async function readRegularFile(file: string, what: string, limit: ReadLimit): Promise<Buffer> {
  const { handle, info } = await openRegularFile(file, what);
  try {
    if (info.size > limit.maxBytes) throw new InputError(file, limit.tooLarge(info.size));
    const bytes = Buffer.alloc(info.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === bytes.length ? bytes : bytes.subarray(0, offset);
  } catch (error) {
    throw openProblem(file, error, what);
  } finally {
    await handle.close();
  }
}

/** The first `length` bytes of a regular file (fewer when it is shorter). */
export async function readRegularFileStart(file: string, what: string, length: number): Promise<Uint8Array> {
  const { handle } = await openRegularFile(file, what);
  try {
    const head = new Uint8Array(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } catch (error) {
    throw openProblem(file, error, what);
  } finally {
    await handle.close();
  }
}
