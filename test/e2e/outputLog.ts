// Reads what the extension wrote to its "Convscope" output channel: code-server keeps each
// extension host's log channels as files under the profile's logs folder
// (logs/<session>/exthost<N>/<publisher>.<name>/Convscope.log).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The lines of every Convscope.log under `logsDir`, oldest extension host first. */
export async function readConvscopeLog(logsDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && depth < 4) await walk(full, depth + 1);
      else if (entry.isFile() && entry.name === 'Convscope.log') files.push(full);
    }
  };
  await walk(logsDir, 0);
  files.sort();
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  return texts.flatMap((text) => text.split('\n')).filter((line) => line.trim() !== '');
}

/** The milliseconds in the last line matching `pattern` (whose first group is the number), if any. */
export function lastMilliseconds(lines: string[], pattern: RegExp): number | undefined {
  const match = lines.map((line) => pattern.exec(line)).filter((found) => found !== null).at(-1);
  return match ? Number(match[1]) : undefined;
}
