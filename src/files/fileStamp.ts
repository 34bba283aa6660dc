// What tells one version of a file from another without reading it, for caches that must notice a
// file replaced or edited since: its size and modification time.
import { stat } from 'node:fs/promises';

/** `size:mtimeMs`, or undefined when nothing can be found at the path. */
export async function fileStamp(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info && `${info.size}:${info.mtimeMs}`;
}
