// Images read for a model, kept by what they were read from: the file's path, size and time, the
// size the model takes and how the file was to be read. The filter-pattern verdicts read the same
// few images beside a model for every layer's grid, and a phone photo takes longer to decode than
// a small layer's grid takes to optimise.
import { fileStamp } from '../../files/fileStamp';
import { readImageForModel, type ModelImageSize, type ModelInputPixels } from './imageInput';
import type { ImageReadOptions } from '../../shared/types';

interface Entry {
  reading: Promise<ModelInputPixels>;
  /** The pixels' size once read; 0 while reading. */
  bytes: number;
}

export class ImageReadCache {
  /** Most recently used last. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** readImageForModel's pixels, from the cache while the file's size and time are those it was read with; shared, so read-only. */
  async read(imagePath: string, size: ModelImageSize, options: ImageReadOptions): Promise<ModelInputPixels> {
    const stamp = await fileStamp(imagePath);
    // Nothing there: readImageForModel says what is wrong with the path.
    if (stamp === undefined) return readImageForModel(imagePath, size, options);
    const key = JSON.stringify([imagePath, stamp, size, options]);
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.reading;
    }
    const entry: Entry = { reading: readImageForModel(imagePath, size, options), bytes: 0 };
    this.entries.set(key, entry);
    try {
      const read = await entry.reading;
      // Still kept (not dropped for others while it was read): count it, then make room.
      if (this.entries.get(key) === entry) {
        entry.bytes = read.pixels.byteLength;
        this.bytes += entry.bytes;
        this.evictBeyondBudget(key);
      }
      return read;
    } catch (error) {
      // A failed read is not kept: the file may be fixed before the next grid.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  /** Drops the least recently used entries until the budget holds, never `keep` (the newest). */
  private evictBeyondBudget(keep: string): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || key === keep) return;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
