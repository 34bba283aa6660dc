// The study notes' grid of filter patterns: tiles of `size` pixels, 8 to a column, 5 pixels of black
// margin between them. As in the notes' loop (`results[i*(size+margin)…, j*(size+margin)…] =
// generate_pattern(layer, i + j*8)`), tile t sits in row t % 8 and column ⌊t / 8⌋.
import type { FilterGridLayout } from '../shared/types';

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

/**
 * Places each tile (tileSize² pixels of 1 or 3 channels, row-major; gray is drawn as gray RGB) in an
 * RGB grid whose margins stay black, like the notes' `np.zeros` canvas.
 */
export function renderFilterGrid(tiles: Uint8Array[], tileSize: number, channels: 1 | 3): { rgb: Uint8Array; layout: FilterGridLayout } {
  const layout = filterGridLayout(tiles.length, tileSize);
  const rgb = new Uint8Array(layout.width * layout.height * 3);
  tiles.forEach((tile, index) => {
    if (tile.length !== tileSize * tileSize * channels) {
      throw new RangeError(`Tile ${index} has ${tile.length} values; ${tileSize}×${tileSize}×${channels} needs ${tileSize * tileSize * channels}`);
    }
    const { left, top } = filterTileOrigin(layout, index);
    for (let y = 0; y < tileSize; y++) {
      let out = ((top + y) * layout.width + left) * 3;
      for (let x = 0; x < tileSize; x++) {
        const source = (y * tileSize + x) * channels;
        for (let c = 0; c < 3; c++) rgb[out++] = tile[source + (channels === 3 ? c : 0)];
      }
    }
  });
  return { rgb, layout };
}
