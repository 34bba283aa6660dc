// Exports never overwrite: a taken name gets a numbered suffix (`x.png`, `x-1.png`, …), and a failed
// export leaves no file behind (see shared/wholeFileWrite.ts).
import path from 'node:path';
import { writeUnderFreeName, type FileContent } from '../../files/wholeFileWrite';

const MAX_SUFFIX = 10_000;

function* candidateNames(folder: string, fileName: string): Generator<string> {
  const { name, ext } = path.parse(fileName);
  yield path.join(folder, fileName);
  for (let suffix = 1; suffix < MAX_SUFFIX; suffix++) yield path.join(folder, `${name}-${suffix}${ext}`);
}

/** Writes `data` as a new file in `folder` and returns its path. */
export async function writeNewFile(folder: string, fileName: string, data: FileContent): Promise<string> {
  const file = await writeUnderFreeName(candidateNames(folder, fileName), data);
  if (file === undefined) throw new Error(`No free file name for ${fileName} in ${folder}`);
  return file;
}
