// Renders a layer's activation as RGB pixels: every channel tiled in one grid, or one channel enlarged.
import type { ActivationStats, ChannelGridLayout, ColormapName } from '../shared/types';
import { type ActivationShape, assertActivationShape } from './activationShape';
import { activationStats } from './activationStats';
import { minMaxScaleChannel, standardizeChannel } from './channelNormalize';
import { colormapLookupTable } from '../shared/colormaps';

export interface ChannelGridOptions {
  imagesPerRow: number;
  colormap: ColormapName;
}

export interface ChannelGridImage {
  /** layout.width × layout.height RGB pixels, row-major. */
  rgb: Uint8Array;
  layout: ChannelGridLayout;
  deadChannels: number[];
  stats: ActivationStats;
}

export interface SingleChannelImage {
  /** width × height RGB pixels, row-major. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Each activation value became a scale × scale block. */
  scale: number;
  min: number;
  max: number;
  mean: number;
  dead: boolean;
}

/** The enlarged view is scaled up until its longer side reaches this many pixels. */
const MIN_DETAIL_SIDE = 256;

/**
 * Channel k sits at column k % columns, row floor(k / columns). Unlike the study notes, whose
 * `n_features // images_per_row` rows drop the last channels, the grid has enough rows for all of them.
 */
export function channelGridLayout(shape: ActivationShape, imagesPerRow: number): ChannelGridLayout {
  if (!Number.isInteger(imagesPerRow) || imagesPerRow < 1) {
    throw new RangeError(`imagesPerRow must be a positive integer, got ${imagesPerRow}`);
  }
  const columns = Math.min(imagesPerRow, shape.channels);
  const rows = Math.ceil(shape.channels / imagesPerRow);
  return {
    columns,
    rows,
    tileWidth: shape.width,
    tileHeight: shape.height,
    width: columns * shape.width,
    height: rows * shape.height,
  };
}

/**
 * Every channel standardised as in the study notes and coloured through the colormap. Tiles after the
 * last channel are left black (not the colormap's 0 colour) so they cannot be mistaken for dead channels.
 */
export function renderChannelGrid(activation: Float32Array, shape: ActivationShape, options: ChannelGridOptions): ChannelGridImage {
  assertActivationShape(activation, shape);
  const layout = channelGridLayout(shape, options.imagesPerRow);
  const table = colormapLookupTable(options.colormap);
  const rgb = new Uint8Array(layout.width * layout.height * 3);
  const gray = new Uint8Array(shape.height * shape.width);
  const deadChannels: number[] = [];
  for (let channel = 0; channel < shape.channels; channel++) {
    if (standardizeChannel(activation, shape, channel, gray).dead) deadChannels.push(channel);
    const left = (channel % layout.columns) * shape.width;
    const top = Math.floor(channel / layout.columns) * shape.height;
    paintGrayTile(gray, shape, table, rgb, layout.width, left, top, 1);
  }
  return { rgb, layout, deadChannels, stats: activationStats(activation, shape.channels, deadChannels.length) };
}

/**
 * One channel scaled from its min to its max, enlarged by nearest neighbour so that small maps (7×7)
 * are visible. The default scale is the smallest integer that makes the longer side ≥ 256 pixels.
 */
export function renderSingleChannel(
  activation: Float32Array,
  shape: ActivationShape,
  channel: number,
  colormap: ColormapName,
  scale?: number,
): SingleChannelImage {
  const { gray, dead, min, max, mean } = minMaxScaleChannel(activation, shape, channel);
  scale ??= Math.ceil(MIN_DETAIL_SIDE / Math.max(shape.height, shape.width));
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`scale must be a positive integer, got ${scale}`);
  const width = shape.width * scale;
  const height = shape.height * scale;
  const rgb = new Uint8Array(width * height * 3);
  paintGrayTile(gray, shape, colormapLookupTable(colormap), rgb, width, 0, 0, scale);
  return { rgb, width, height, scale, min, max, mean, dead };
}

/** Colours a height×width gray tile into `rgb` (an image `imageWidth` pixels wide) with its corner at (left, top). */
function paintGrayTile(
  gray: Uint8Array,
  tile: Pick<ActivationShape, 'height' | 'width'>,
  table: Uint8Array,
  rgb: Uint8Array,
  imageWidth: number,
  left: number,
  top: number,
  scale: number,
): void {
  for (let y = 0; y < tile.height * scale; y++) {
    const grayRow = Math.floor(y / scale) * tile.width;
    let out = ((top + y) * imageWidth + left) * 3;
    for (let x = 0; x < tile.width * scale; x++) {
      const colour = gray[grayRow + Math.floor(x / scale)] * 3;
      rgb[out++] = table[colour];
      rgb[out++] = table[colour + 1];
      rgb[out++] = table[colour + 2];
    }
  }
}
