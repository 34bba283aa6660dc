// Zeiler & Fergus' occlusion sensitivity: a window slides over the image, the pixels under it set
// to a baseline value; a pixel's relevance is the mean, over the windows covering it, of how much
// the score drops, score(image) − score(occluded image).
import type { AttributionMap } from './attributionMap';
import { scoresOfImages, type BatchHooks, type ImageShape } from './batches';
import type { ModelScorer } from './classScorer';
import type { AttributionTarget } from './inputGradients';

export interface OcclusionOptions {
  /** The window's side in pixels (clamped to the image). */
  window: number;
  /** Pixels between windows; a last window is added flush with the bottom and right edges, so every pixel is covered. */
  stride: number;
  /** What occluded pixels are set to, in model-input space (0 by default). */
  baselineValue?: number;
  batchSize?: number;
}

/** Window starts along one side: 0, stride, 2·stride, … and the last flush with the edge. */
export function windowStarts(side: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start + window <= side; start += stride) starts.push(start);
  if (starts[starts.length - 1] !== side - window) starts.push(side - window);
  return starts;
}

export async function occlusion(
  model: ModelScorer,
  target: AttributionTarget,
  input: Float32Array,
  inputShape: ImageShape,
  options: OcclusionOptions,
  hooks: BatchHooks = {},
): Promise<AttributionMap> {
  const [height, width, channels] = inputShape;
  const windowY = Math.min(Math.max(1, options.window), height);
  const windowX = Math.min(Math.max(1, options.window), width);
  const stride = Math.max(1, options.stride);
  const baselineValue = options.baselineValue ?? 0;
  const windows = windowStarts(height, windowY, stride).flatMap((y) => windowStarts(width, windowX, stride).map((x) => [y, x]));
  const occluded = (k: number) => {
    if (k === 0) return input;
    const [top, left] = windows[k - 1];
    const image = input.slice();
    for (let y = top; y < top + windowY; y++) image.fill(baselineValue, (y * width + left) * channels, (y * width + left + windowX) * channels);
    return image;
  };
  const scorer = model.scorer(target.classIndex, target.score);
  // Image 0 is the unoccluded one.
  const scores = await scoresOfImages(scorer, inputShape, windows.length + 1, occluded, { batchSize: options.batchSize, ...hooks });
  const drops = new Float64Array(height * width);
  const counts = new Uint32Array(height * width);
  windows.forEach(([top, left], k) => {
    const drop = scores[0] - scores[k + 1];
    for (let y = top; y < top + windowY; y++) {
      for (let x = left; x < left + windowX; x++) {
        drops[y * width + x] += drop;
        counts[y * width + x]++;
      }
    }
  });
  const map = Float32Array.from(drops, (drop, i) => drop / counts[i]);
  return { method: 'occlusion', height, width, map, reduction: 'none', scoreValue: scores[0] };
}
