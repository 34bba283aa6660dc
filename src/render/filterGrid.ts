// The study notes' grid of filter patterns drawn as one image (its geometry: shared/filterGridLayout.ts).
import { filterGridLayout, filterTileOrigin } from '../shared/filterGridLayout';
import type { FilterGridLayout } from '../shared/types';

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
