// The CLI's output folder: created if missing; never overwrites a file it did not write itself, and
// a write that fails leaves no partial file (see shared/wholeFileWrite.ts).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../shared/errors';
import { replaceFileWhole, writeUnderFreeName, type FileContent } from '../files/wholeFileWrite';

export const RESULT_FILE = 'result.json';
const RESULT_TOOL = 'convscope';

/** True when `folder` holds a result.json written by this tool (its files may be replaced). */
async function holdsOwnResult(folder: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(path.join(folder, RESULT_FILE), 'utf8')) as { tool?: unknown };
    return json.tool === RESULT_TOOL;
  } catch {
    return false;
  }
}

export class OutputFolder {
  private constructor(
    readonly folder: string,
    private readonly mayReplace: boolean,
  ) {}

  static async open(folder: string): Promise<OutputFolder> {
    await mkdir(folder, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new InputError(folder, `cannot be created as the output folder (${error.code ?? error.message})`);
    });
    return new OutputFolder(folder, await holdsOwnResult(folder));
  }

  async write(name: string, data: FileContent): Promise<string> {
    const file = path.join(this.folder, name);
    if (this.mayReplace) await replaceFileWhole(file, data);
    else if ((await writeUnderFreeName([file], data)) === undefined) {
      throw new InputError(file, 'already exists and was not written by convscope; choose another --out folder');
    }
    return name;
  }

  /** Written last, so a folder holds a result.json only once its images are complete. */
  async writeResult(result: object): Promise<void> {
    await this.write(RESULT_FILE, JSON.stringify({ tool: RESULT_TOOL, ...result }, null, 2) + '\n');
  }
}

/** A layer name as a file name: path separators and odd characters replaced. */
export function fileNameForLayer(position: number, layerName: string): string {
  const safe = layerName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 80);
  return `${String(position).padStart(2, '0')}-${safe || 'layer'}`;
}
