// Exports never overwrite: a taken name gets a numbered suffix (`x.png`, `x-1.png`, …).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const MAX_SUFFIX = 10_000;

/** Writes `data` as a new file in `folder` and returns its path. */
export async function writeNewFile(folder: string, fileName: string, data: Uint8Array): Promise<string> {
  const { name, ext } = path.parse(fileName);
  for (let suffix = 0; suffix < MAX_SUFFIX; suffix++) {
    const candidate = path.join(folder, suffix === 0 ? fileName : `${name}-${suffix}${ext}`);
    try {
      // 'wx' fails when the file exists, so a file written meanwhile is not overwritten either.
      await writeFile(candidate, data, { flag: 'wx' });
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`No free file name for ${fileName} in ${folder}`);
}
