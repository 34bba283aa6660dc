// Writes that leave either the whole file or nothing, for the extension's exports and the CLI's
// output folder: the data goes to a hidden temporary sibling first, which is then linked (a new
// name, never an existing one) or renamed (replacing a file) into place, and removed if anything fails.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What to write: bytes or text, or chunks made while writing (a chunk that throws leaves nothing). */
export type FileContent = Uint8Array | string | AsyncIterable<Uint8Array>;

/** Codes of `link` on a file system without hard links (FAT, exFAT, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Writes `content` in full beside `file` under a hidden name of its own; removed again if the write fails. */
async function writeTemporarySibling(file: string, content: FileContent): Promise<string> {
  // The name shortened, so that the temporary's name is not too long where the file's is not.
  const temporary = path.join(path.dirname(file), `.${path.basename(file).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { flag: 'wx' });
  } catch (error) {
    // EEXIST: the name belongs to another writer, whose file stays.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(temporary, { force: true });
    throw error;
  }
  return temporary;
}

/** Puts the complete `temporary` file in place as `file`; false, and `file` untouched, when `file` exists. */
async function linkIntoPlace(temporary: string, file: string): Promise<boolean> {
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
  }
  // Without hard links, an exclusive copy: it too refuses an existing file, and a copy that fails
  // midway is a file this call created, so it is removed.
  try {
    await copyFile(temporary, file, constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    await rm(file, { force: true });
    throw error;
  }
}

/**
 * Writes `content` once, then gives it the first of `files` (all in one folder) that does not exist,
 * also when one appears meanwhile, and returns that path; undefined when every one exists. No
 * existing file is touched, and a failed write leaves no file at all.
 */
export async function writeUnderFreeName(files: Iterable<string>, content: FileContent): Promise<string | undefined> {
  let temporary: string | undefined;
  try {
    for (const file of files) {
      temporary ??= await writeTemporarySibling(file, content);
      if (await linkIntoPlace(temporary, file)) return file;
    }
    return undefined;
  } finally {
    if (temporary !== undefined) await rm(temporary, { force: true });
  }
}

/** Writes `content` as `file`, replacing it if it exists; a failed write leaves the old file as it was. */
export async function replaceFileWhole(file: string, content: FileContent): Promise<void> {
  const temporary = await writeTemporarySibling(file, content);
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
