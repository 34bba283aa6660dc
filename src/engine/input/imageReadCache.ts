// Images read for a model, kept by what they were read from: the file's path, size and time, the
// size the model takes and how the file was to be read. The filter-pattern verdicts read the same
// few images beside a model for every layer's grid, and a phone photo takes longer to decode than
// a small layer's grid takes to optimise.
import { stat } from 'node:fs/promises';
import { readImageForModel, type ModelImageSize, type ModelInputPixels } from './imageInput';
import type { ImageReadOptions } from '../../shared/types';

export class ImageReadCache {
  /** Most recently used last. */
  private readonly entries = new Map<string, Promise<ModelInputPixels>>();
  private bytes = 0;
  private readonly sizes = new Map<string, number>();

  constructor(private readonly maxBytes: number) {}

  /** readImageForModel's pixels, from the cache while the file's size and time are those it was read with; shared, so read-only. */
  async read(imagePath: string, size: ModelImageSize, options: ImageReadOptions): Promise<ModelInputPixels> {
    const stamp = await stat(imagePath).then(
      (found) => [found.size, found.mtimeMs],
      // readImageForModel says what is wrong with the path.
      () => undefined,
    );
    if (!stamp) return readImageForModel(imagePath, size, options);
    const key = JSON.stringify([imagePath, stamp, size, options]);
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const reading = readImageForModel(imagePath, size, options);
    this.entries.set(key, reading);
    try {
      const read = await reading;
      this.remember(key, read.pixels.byteLength);
      return read;
    } catch (error) {
      // A failed read is not kept: the file may be fixed before the next grid.
      this.entries.delete(key);
      throw error;
    }
  }

  private remember(key: string, byteLength: number): void {
    if (!this.entries.has(key) || this.sizes.has(key)) return;
    this.sizes.set(key, byteLength);
    this.bytes += byteLength;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.bytes -= this.sizes.get(oldest) ?? 0;
      this.sizes.delete(oldest);
    }
  }
}
