// Where channels sit in a rendered grid image, and how big images are shown. Pure functions: no DOM.
import type { ChannelGridLayout } from '../src/shared/types';

/** Grid images narrower than this (CSS pixels) are scaled up by a whole factor, pixelated. */
export const MIN_GRID_DISPLAY_WIDTH = 480;
/** Channel images in the enlarged view are scaled up to at least this width. */
export const MIN_CHANNEL_DISPLAY_WIDTH = 320;
const MAX_SCALE = 32;

/** Zoom factors of an activation grid: 1 fits the panel's width, the others enlarge it (then it pans). */
export const GRID_ZOOM_LEVELS: readonly number[] = [1, 1.5, 2, 3, 4, 6, 8];

/** The next zoom level in `direction` (+1 in, −1 out) from `current`, kept within GRID_ZOOM_LEVELS. */
export function nextZoom(current: number, direction: 1 | -1): number {
  if (direction > 0) return GRID_ZOOM_LEVELS.find((level) => level > current) ?? GRID_ZOOM_LEVELS[GRID_ZOOM_LEVELS.length - 1];
  return [...GRID_ZOOM_LEVELS].reverse().find((level) => level < current) ?? GRID_ZOOM_LEVELS[0];
}

/** The scroll offset that keeps the content under `pointer` (relative to the viewport) in place when the content grows by `ratio`. */
export function scrollForZoom(scroll: number, pointer: number, ratio: number): number {
  return Math.max(0, (scroll + pointer) * ratio - pointer);
}

/** The whole-number factor that brings `naturalWidth` up to at least `minimumWidth` (1 when it already is). */
export function displayScale(naturalWidth: number, minimumWidth: number): number {
  if (!(naturalWidth > 0) || naturalWidth >= minimumWidth) return 1;
  return Math.min(MAX_SCALE, Math.ceil(minimumWidth / naturalWidth));
}

/** The grid image's pixel width and height (from the layout, whose tiles are packed with no gaps). */
export function gridPixelSize(grid: ChannelGridLayout): { width: number; height: number } {
  return {
    width: grid.width > 0 ? grid.width : grid.columns * grid.tileWidth,
    height: grid.height > 0 ? grid.height : grid.rows * grid.tileHeight,
  };
}

/**
 * The channel under a point given relative to the displayed image's top-left corner, in displayed
 * (CSS) pixels, or `undefined` outside every tile (past the edges, or an empty tile in the last row).
 */
export function channelAtPoint(
  grid: ChannelGridLayout,
  channelCount: number,
  x: number,
  y: number,
  displayedWidth: number,
  displayedHeight: number,
): number | undefined {
  const { width, height } = gridPixelSize(grid);
  if (!(displayedWidth > 0) || !(displayedHeight > 0) || grid.tileWidth <= 0 || grid.tileHeight <= 0) return undefined;
  const imageX = (x * width) / displayedWidth;
  const imageY = (y * height) / displayedHeight;
  if (imageX < 0 || imageY < 0 || imageX >= width || imageY >= height) return undefined;
  const column = Math.floor(imageX / grid.tileWidth);
  const row = Math.floor(imageY / grid.tileHeight);
  if (column >= grid.columns || row >= grid.rows) return undefined;
  const channel = row * grid.columns + column;
  return channel < channelCount ? channel : undefined;
}

/** A channel's tile as fractions (0…1) of the grid image, for percentage-positioned overlays. */
export interface TileBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function tileBox(grid: ChannelGridLayout, channel: number): TileBox {
  const { width, height } = gridPixelSize(grid);
  const columns = Math.max(1, grid.columns);
  const column = channel % columns;
  const row = Math.floor(channel / columns);
  return {
    left: (column * grid.tileWidth) / width,
    top: (row * grid.tileHeight) / height,
    width: grid.tileWidth / width,
    height: grid.tileHeight / height,
  };
}

export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End' | 'PageUp' | 'PageDown';

/** The channel that a navigation key moves the selection to, kept inside 0…channelCount−1. */
export function moveSelection(current: number | undefined, key: GridKey, columns: number, channelCount: number): number {
  if (channelCount <= 0) return 0;
  if (current === undefined) return key === 'End' ? channelCount - 1 : 0;
  const step = Math.max(1, columns);
  let next = current;
  switch (key) {
    case 'ArrowLeft': next = current - 1; break;
    case 'ArrowRight': next = current + 1; break;
    case 'ArrowUp': next = current - step >= 0 ? current - step : current; break;
    case 'ArrowDown': next = current + step < channelCount ? current + step : current; break;
    case 'Home': next = 0; break;
    case 'End': next = channelCount - 1; break;
    case 'PageUp': next = current % step; break;
    case 'PageDown': {
      const column = current % step;
      const lastRow = Math.floor((channelCount - 1 - column) / step);
      next = lastRow * step + column;
      break;
    }
  }
  return Math.min(channelCount - 1, Math.max(0, next));
}

export function isGridKey(key: string): key is GridKey {
  return ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(key);
}
