import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';

/** Every file below `folder` with its size, mtime and content hash: to prove nothing was written. */
export async function snapshotFolder(folder: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file);
    const hash = createHash('sha256').update(await readFile(file)).digest('hex');
    result[path.relative(folder, file)] = `${info.size}:${info.mtimeMs}:${hash}`;
  }
  return result;
}
