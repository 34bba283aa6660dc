// Whether a filter pattern says something: did the ascent raise the filter's mean activation, and
// how does the pattern compare with the real images that excite the filter most? Each tile gets a
// verdict and one sentence with the numbers, so a gray or noisy tile is never left unexplained.
import * as tf from '@tensorflow/tfjs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ModelImageSize } from '../input/imageInput';
import { ImageReadCache } from '../input/imageReadCache';
import { preprocessTensor } from '../input/preprocessTensor';
import { InputError } from '../../shared/errors';
import type { FilterPatternVerdict, ImageReadOptions, PreprocessMode, RealImageComparison } from '../../shared/types';
import { DEFAULT_IMAGE_LIMITS } from '../../shared/defaults';
import type { PatternPath } from './filterPatternObjective';

/** What Keras' load_img and Convscope read, by file extension. */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);
/** Real images run through the model together. */
const IMAGES_PER_BATCH = 8;
/** The real images as read for the model, kept between grids (a few dozen photos at 224 × 224 × 3 fit). */
const realImageReads = new ImageReadCache(64 * 2 ** 20);
/** A rise counts as meaningful when it is at least this fraction of the larger of the start and the end: less is within what jitter alone moves. */
const MEANINGFUL_RISE = 0.1;
/** …and at least this fraction of the best real image's activation, where there is one (a rise from 0 to 1e-9 is none). */
const NEGLIGIBLE_AGAINST_REAL = 1e-3;

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/** Image files in `folder` (its subfolders too when `recursive`), sorted by path, at most `limit`; none when the folder cannot be read. */
export async function imageFilesIn(folder: string, limit: number, recursive = false): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (found.length >= limit) return;
      const full = path.join(dir, entry.name);
      if (entry.isFile() && isImageFile(entry.name)) found.push(full);
      else if (recursive && entry.isDirectory() && !entry.name.startsWith('.')) await visit(full);
    }
  };
  await visit(folder);
  return found;
}

/** Every filter's highest mean activation over the real images, and which image gave it. */
export interface RealImageActivations {
  /** The images that could be read, in the order given. */
  images: string[];
  /** Indexed by filter (0 … filterCount − 1). */
  best: { activation: number; image: number }[];
  /** Images that could not be read, with why. */
  skipped: { image: string; problem: string }[];
}

/**
 * Reads each image as the model reads it (its input size, or `size.freeSide` for a free one) and
 * measures every filter's mean activation on it, a few images at a time. An image that cannot be
 * read is skipped and listed, not fatal: the comparison is a hint, the patterns are the job.
 */
export async function measureRealImages(
  layerPath: Pick<PatternPath, 'apply'>,
  filterCount: number,
  preprocess: PreprocessMode,
  imagePaths: string[],
  size: ModelImageSize,
  readOptions: ImageReadOptions = DEFAULT_IMAGE_LIMITS,
): Promise<RealImageActivations> {
  const result: RealImageActivations = { images: [], best: Array.from({ length: filterCount }, () => ({ activation: -Infinity, image: -1 })), skipped: [] };
  for (let start = 0; start < imagePaths.length; start += IMAGES_PER_BATCH) {
    const batch: { image: string; pixels: Uint8Array; height: number; width: number }[] = [];
    for (const image of imagePaths.slice(start, start + IMAGES_PER_BATCH)) {
      try {
        const read = await realImageReads.read(image, size, readOptions);
        batch.push({ image, pixels: read.pixels, height: read.height, width: read.width });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        result.skipped.push({ image, problem: error.problem });
      }
    }
    if (batch.length === 0) continue;
    const { height, width } = batch[0];
    const means = tf.tidy(() => {
      const pixels = tf.tensor4d(concatenate(batch.map((entry) => entry.pixels)), [batch.length, height, width, size.channels], 'float32');
      return (layerPath.apply(preprocessTensor(pixels, preprocess)) as tf.Tensor4D).mean([1, 2]);
    });
    const values = await means.data();
    means.dispose();
    batch.forEach((entry, i) => {
      const index = result.images.push(entry.image) - 1;
      for (let filter = 0; filter < filterCount; filter++) {
        const activation = values[i * filterCount + filter];
        if (activation > result.best[filter].activation) result.best[filter] = { activation, image: index };
      }
    });
  }
  return result;
}

/**
 * A filter fires on the real images when its best mean activation is above this fraction of the
 * layer's largest: a trained model's unused filters give values such as 5e-34, rounding noise.
 */
const FIRING_FLOOR = 1e-6;

/** The comparison of one filter's pattern with the real images; undefined when there were none. */
export function compareWithRealImages(reference: RealImageActivations | undefined, filter: number, patternActivation: number): RealImageComparison | undefined {
  if (!reference || reference.images.length === 0) return undefined;
  const { activation, image } = reference.best[filter];
  const layerLargest = Math.max(...reference.best.map((best) => Math.abs(best.activation)).filter(Number.isFinite));
  // Below the floor the best activation counts as 0: silent.
  const bestActivation = activation > FIRING_FLOOR * layerLargest ? activation : Math.min(activation, 0);
  const comparison: RealImageComparison = { count: reference.images.length, bestActivation, bestImage: reference.images[image] };
  if (bestActivation > 0) comparison.gain = patternActivation / bestActivation;
  return comparison;
}

export interface PatternJudgement {
  verdict: FilterPatternVerdict;
  verdictText: string;
}

/** The tile's verdict and its sentence, from the objective before and after and the real-image comparison. */
export function judgePattern(lossStart: number, lossEnd: number, dead: boolean, real: RealImageComparison | undefined): PatternJudgement {
  const rise = lossEnd - lossStart;
  const raised =
    !dead && rise > 0 && lossEnd > 0 && rise >= MEANINGFUL_RISE * Math.max(Math.abs(lossStart), Math.abs(lossEnd)) && rise >= NEGLIGIBLE_AGAINST_REAL * Math.max(0, real?.bestActivation ?? 0);
  const change = `${formatActivation(lossStart)} → ${formatActivation(lossEnd)}`;
  const images = real ? `${real.count} real image${real.count === 1 ? '' : 's'}` : '';
  if (real && real.bestActivation <= 0) {
    return {
      verdict: 'silent on real images',
      verdictText:
        `Its mean activation is 0 or less on every one of the ${images} compared, so the pattern shows what could drive it, not something those images contain` +
        (raised ? ` (raised ${change}).` : dead ? '; nothing near the start moves it either.' : `; the ascent did not raise it meaningfully either (${change}).`),
    };
  }
  const versusReal = real ? versusRealImages(real, images) : '';
  if (dead) {
    return { verdict: 'not raised', verdictText: `Its mean activation stayed at ${formatActivation(lossEnd)}: nothing the ascent reached makes this filter respond, so the tile is drawn flat${versusReal ? ` (${versusReal})` : ''}.` };
  }
  if (!raised) {
    return { verdict: 'not raised', verdictText: `The ascent did not raise its mean activation meaningfully (${change}), so the pattern says little about this filter${versusReal ? `; ${versusReal}` : ''}.` };
  }
  return { verdict: 'raised', verdictText: `Raised its mean activation ${change}${versusReal ? `; ${versusReal}` : ''}.` };
}

function versusRealImages(real: RealImageComparison, images: string): string {
  const best = `${path.basename(real.bestImage)}: ${formatActivation(real.bestActivation)}`;
  if (real.gain === undefined) return `the best of ${images} gives ${best}`;
  return real.gain >= 1 ? `${formatGain(real.gain)}× the best of ${images} (${best})` : `the best of ${images} excites it more (${best})`;
}

export function formatActivation(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e5 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}

function formatGain(gain: number): string {
  return gain >= 100 ? gain.toFixed(0) : String(Number(gain.toPrecision(2)));
}

function concatenate(arrays: Uint8Array[]): Float32Array {
  const all = new Float32Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    all.set(array, offset);
    offset += array.length;
  }
  return all;
}
