// The study notes' grid of filter patterns: tiles of `size` pixels, 8 to a column, 5 pixels of black
// margin between them. As in the notes' loop (`results[i*(size+margin)…, j*(size+margin)…] =
// generate_pattern(layer, i + j*8)`), tile t sits in row t % 8 and column ⌊t / 8⌋.
import type { FilterGridLayout } from './types';

export const FILTER_GRID_LINES = 8;
export const FILTER_GRID_MARGIN = 5;

export function filterGridLayout(tileCount: number, tileSize: number): FilterGridLayout {
  if (!Number.isInteger(tileCount) || tileCount < 1) throw new RangeError(`A filter grid needs at least one tile, got ${tileCount}`);
  const rows = Math.min(FILTER_GRID_LINES, tileCount);
  const columns = Math.ceil(tileCount / FILTER_GRID_LINES);
  const span = (count: number) => count * tileSize + (count - 1) * FILTER_GRID_MARGIN;
  return { rows, columns, tileSize, margin: FILTER_GRID_MARGIN, width: span(columns), height: span(rows) };
}

/** Top-left pixel of tile `tile` (its position in the requested filter list). */
export function filterTileOrigin(layout: FilterGridLayout, tile: number): { left: number; top: number } {
  const step = layout.tileSize + layout.margin;
  return { left: Math.floor(tile / FILTER_GRID_LINES) * step, top: (tile % FILTER_GRID_LINES) * step };
}
