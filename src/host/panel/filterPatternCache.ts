// Finished filter-pattern runs, kept on disk per model content + layer + filters + parameters, so
// reopening a layer's grid is instant. Bounded in size: the least recently used runs go first.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { FilterPatternImage, FilterPatternParameters, FilterPatternRunInfo } from '../../shared/types';
import type { FilterPanelSession } from '../../shared/protocol';

export interface CachedFilterRun {
  session: Omit<FilterPanelSession, 'runId'>;
  tiles: FilterPatternImage[];
  info: FilterPatternRunInfo;
  gridPng: Uint8Array;
}

/** `imagesStamp`: the example images' paths, sizes and times (imageSetStamp), when the run shows their crops. */
export function filterRunKey(contentHash: string, layerName: string, filters: number[] | undefined, parameters: FilterPatternParameters, preprocess: string | undefined, imagesStamp?: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ contentHash, layerName, filters: filters ?? 'default', parameters, preprocess: preprocess ?? 'default', ...(imagesStamp === undefined ? {} : { imagesStamp }) }))
    .digest('hex');
}

// Typed arrays as base64 in JSON.
const replacer = (_key: string, value: unknown) => (value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString('base64') } : value);
const reviver = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && typeof (value as { $bytes?: unknown }).$bytes === 'string' ? new Uint8Array(Buffer.from((value as { $bytes: string }).$bytes, 'base64')) : value;

export class FilterPatternCache {
  constructor(
    private readonly folder: string,
    /** The size limit; 0 turns the cache off. */
    private readonly maxBytes: () => number,
  ) {}

  get enabled(): boolean {
    return this.maxBytes() > 0;
  }

  private fileFor(key: string): string {
    return path.join(this.folder, `${key}.json`);
  }

  async get(key: string): Promise<CachedFilterRun | undefined> {
    if (!this.enabled) return undefined;
    try {
      const file = this.fileFor(key);
      const run = JSON.parse(await readFile(file, 'utf8'), reviver) as CachedFilterRun;
      const now = new Date();
      await utimes(file, now, now);
      return run;
    } catch {
      return undefined;
    }
  }

  async put(key: string, run: CachedFilterRun): Promise<void> {
    if (!this.enabled) return;
    await mkdir(this.folder, { recursive: true });
    // Written whole, then renamed: a crash never leaves a half-written entry.
    const partial = `${this.fileFor(key)}.partial`;
    await writeFile(partial, JSON.stringify(run, replacer));
    await rename(partial, this.fileFor(key));
    await this.evict();
  }

  /** Removes the least recently used entries until the cache fits its limit. */
  private async evict(): Promise<void> {
    const entries = await Promise.all(
      (await readdir(this.folder)).filter((name) => name.endsWith('.json')).map(async (name) => {
        const info = await stat(path.join(this.folder, name));
        return { name, size: info.size, used: info.mtimeMs };
      }),
    );
    entries.sort((a, b) => b.used - a.used);
    let total = 0;
    for (const entry of entries) {
      total += entry.size;
      if (total > this.maxBytes()) await rm(path.join(this.folder, entry.name), { force: true });
    }
  }

  async clear(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true });
  }
}
