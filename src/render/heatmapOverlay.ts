// The study notes' Grad-CAM pictures: the heatmap alone (`plt.matshow(heatmap)`) and the heatmap
// superimposed on the original image (`cv2.resize`, `np.uint8(255 * heatmap)`,
// `cv2.applyColorMap(…, COLORMAP_JET)`, `heatmap * 0.4 + img`). Pure typed-array code.
import type { ColormapName } from '../shared/types';
import { renderSingleChannel, type SingleChannelImage } from './channelGrid';
import { colormapLookupTable } from '../shared/colormaps';

/** width × height RGB pixels, row-major. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export interface OverlayOptions {
  /** The study notes' 0.4: how strongly the coloured heatmap is added to the image. */
  intensity: number;
  colormap: ColormapName;
}

/** The heatmap scaled from its min to its max and enlarged by nearest neighbour, as matshow draws it. */
export function renderHeatmap(heatmap: Float32Array, width: number, height: number, colormap: ColormapName): SingleChannelImage {
  return renderSingleChannel(heatmap, { height, width, channels: 1 }, 0, colormap);
}

/** Source position and weight of the next source pixel, per destination pixel along one axis. */
interface AxisSamples {
  index: Int32Array;
  weight: Float32Array;
}

/** OpenCV's INTER_LINEAR sampling: pixel centres aligned (x + 0.5) · scale − 0.5, clamped at the edges. */
function axisSamples(sourceSize: number, size: number): AxisSamples {
  const index = new Int32Array(size);
  const weight = new Float32Array(size);
  const scale = sourceSize / size;
  for (let i = 0; i < size; i++) {
    const position = (i + 0.5) * scale - 0.5;
    let left = Math.floor(position);
    let fraction = position - left;
    if (left < 0) {
      left = 0;
      fraction = 0;
    }
    if (left >= sourceSize - 1) {
      left = sourceSize - 1;
      fraction = 0;
    }
    index[i] = left;
    weight[i] = fraction;
  }
  return { index, weight };
}

/** `cv2.resize(heatmap, (width, height))` for a float map: bilinear, row-major in and out. */
export function resizeBilinear(source: Float32Array, sourceWidth: number, sourceHeight: number, width: number, height: number): Float32Array {
  if (source.length !== sourceWidth * sourceHeight) throw new RangeError(`A ${sourceWidth}×${sourceHeight} map needs ${sourceWidth * sourceHeight} values, got ${source.length}`);
  const columns = axisSamples(sourceWidth, width);
  const rows = axisSamples(sourceHeight, height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const top = rows.index[y] * sourceWidth;
    const bottom = Math.min(rows.index[y] + 1, sourceHeight - 1) * sourceWidth;
    const wy = rows.weight[y];
    for (let x = 0; x < width; x++) {
      const left = columns.index[x];
      const right = Math.min(left + 1, sourceWidth - 1);
      const wx = columns.weight[x];
      const upper = source[top + left] * (1 - wx) + source[top + right] * wx;
      const lower = source[bottom + left] * (1 - wx) + source[bottom + right] * wx;
      out[y * width + x] = upper * (1 - wy) + lower * wy;
    }
  }
  return out;
}

/**
 * The heatmap (0..1) resized to the image, turned into 0–255 by truncation as `np.uint8(255 * h)`,
 * coloured, multiplied by the intensity and added to the image, then saturated to 0–255 as cv2
 * does when it writes the float sum.
 */
export function overlayHeatmap(heatmap: Float32Array, heatmapWidth: number, heatmapHeight: number, image: RgbImage, options: OverlayOptions): Uint8Array {
  if (image.pixels.length !== image.width * image.height * 3) throw new RangeError(`A ${image.width}×${image.height} RGB image needs ${image.width * image.height * 3} bytes, got ${image.pixels.length}`);
  if (!Number.isFinite(options.intensity) || options.intensity < 0) throw new RangeError(`The overlay intensity must be a number ≥ 0, got ${options.intensity}`);
  const resized = resizeBilinear(heatmap, heatmapWidth, heatmapHeight, image.width, image.height);
  const table = colormapLookupTable(options.colormap);
  const out = new Uint8Array(image.pixels.length);
  for (let pixel = 0; pixel < resized.length; pixel++) {
    const level = Math.min(255, Math.max(0, Math.floor(255 * resized[pixel])));
    for (let channel = 0; channel < 3; channel++) {
      const at = pixel * 3 + channel;
      out[at] = saturateToByte(table[level * 3 + channel] * options.intensity + image.pixels[at]);
    }
  }
  return out;
}

/** OpenCV's saturate_cast to 8 bits: rounded half to even (its cvRound), clipped to 0–255. */
function saturateToByte(value: number): number {
  const rounded = Math.round(value);
  const halfToEven = rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
  return Math.min(255, Math.max(0, halfToEven));
}
