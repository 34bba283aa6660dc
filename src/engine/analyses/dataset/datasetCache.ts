// The dataset job's cache on disk, so that a run stopped half-way (or run again) reads back what it
// already computed. A run's folder is keyed by the model's content (the model file and every
// weights file it names) and the settings that change predictions; each image's entry by the
// image file's content, so a renamed or moved image is found, an edited one is computed afresh.
// Thumbnails and heatmap overlays live here as PNGs; nothing is held in memory.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Bump when what an entry holds changes, so old entries are not misread. */
const CACHE_FORMAT = 2;

export interface CachedPrediction {
  /** The model's class scores for the image. */
  scores: number[];
  /** The thumbnail PNG's name in the run folder. */
  thumbnail: string;
  /** Grad-CAM of `heatmapClass`, raw (normalized 0–1) with its size; only for images seen misclassified. */
  heatmap?: { classIndex: number; width: number; height: number; values: number[]; overlay: string };
}

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export class DatasetCache {
  private constructor(readonly folder: string) {}

  /** The run folder under `root` for this model content and these settings. */
  static async open(root: string, modelHash: string, settings: Record<string, unknown>): Promise<DatasetCache> {
    const key = sha256(JSON.stringify({ format: CACHE_FORMAT, modelHash, settings })).slice(0, 24);
    const folder = path.join(root, key);
    await mkdir(folder, { recursive: true });
    return new DatasetCache(folder);
  }

  fileFor(name: string): string {
    return path.join(this.folder, name);
  }

  async read(fileHash: string): Promise<CachedPrediction | undefined> {
    try {
      return JSON.parse(await readFile(this.fileFor(`${fileHash}.json`), 'utf8')) as CachedPrediction;
    } catch {
      return undefined;
    }
  }

  async write(fileHash: string, entry: CachedPrediction): Promise<void> {
    await this.writeFile(`${fileHash}.json`, JSON.stringify(entry));
  }

  /** Written to a temporary name then renamed, so a run stopped mid-write leaves no half file. */
  async writeFile(name: string, content: Uint8Array | string): Promise<void> {
    const target = this.fileFor(name);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, content);
    await rename(temporary, target);
  }
}
