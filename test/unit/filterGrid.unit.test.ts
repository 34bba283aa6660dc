import assert from 'node:assert/strict';
import { filterGridLayout, filterTileOrigin } from '../../src/shared/filterGridLayout';
import { renderFilterGrid } from '../../src/render/filterGrid';

/** A size×size tile whose every pixel holds `value` in each of `channels` channels. */
const flatTile = (size: number, channels: number, value: number) => new Uint8Array(size * size * channels).fill(value);

describe('filter pattern grid (the study notes’ 8×8 layout)', function () {
  it('is 8 × size + 7 × 5 pixels square for 64 filters, as the notes’ results array', function () {
    assert.deepEqual(filterGridLayout(64, 64), { rows: 8, columns: 8, tileSize: 64, margin: 5, width: 8 * 64 + 7 * 5, height: 8 * 64 + 7 * 5 });
    assert.deepEqual(filterGridLayout(16, 32), { rows: 8, columns: 2, tileSize: 32, margin: 5, width: 2 * 32 + 5, height: 8 * 32 + 7 * 5 });
    assert.deepEqual(filterGridLayout(3, 10), { rows: 3, columns: 1, tileSize: 10, margin: 5, width: 10, height: 3 * 10 + 2 * 5 });
    assert.throws(() => filterGridLayout(0, 10), RangeError);
  });

  it('puts filter i + 8j in row i, column j, as the notes’ loop does', function () {
    const layout = filterGridLayout(64, 64);
    // horizontal_start = i * size + i * margin indexes the first (row) axis of results.
    assert.deepEqual(filterTileOrigin(layout, 0), { left: 0, top: 0 });
    assert.deepEqual(filterTileOrigin(layout, 1), { left: 0, top: 69 });
    assert.deepEqual(filterTileOrigin(layout, 8), { left: 69, top: 0 });
    assert.deepEqual(filterTileOrigin(layout, 3 + 8 * 5), { left: 5 * 69, top: 3 * 69 });
  });

  it('places each tile’s pixels and leaves the margins black', function () {
    const size = 4;
    const tiles = Array.from({ length: 10 }, (_, t) => flatTile(size, 3, 10 + t));
    tiles[9] = Uint8Array.from({ length: size * size * 3 }, (_, i) => i);
    const { rgb, layout } = renderFilterGrid(tiles, size, 3);
    const pixel = (x: number, y: number) => [...rgb.subarray((y * layout.width + x) * 3, (y * layout.width + x) * 3 + 3)];
    for (let t = 0; t < 9; t++) {
      const { left, top } = filterTileOrigin(layout, t);
      assert.deepEqual(pixel(left + 3, top + 2), [10 + t, 10 + t, 10 + t], `tile ${t}`);
    }
    // Tile 9: row 1, column 1; its pixel (x 2, y 1) holds channel values 18, 19, 20.
    assert.deepEqual(pixel(9 + 2, 9 + 1), [18, 19, 20]);
    // Margins and the empty cells after the last tile stay black.
    assert.deepEqual(pixel(size, 0), [0, 0, 0]);
    assert.deepEqual(pixel(0, size + 4), [0, 0, 0]);
    assert.deepEqual(pixel(9 + 1, 2 * 9 + 1), [0, 0, 0]);
  });

  it('draws gray tiles of one-channel models as gray RGB', function () {
    const { rgb, layout } = renderFilterGrid([flatTile(2, 1, 77), flatTile(2, 1, 200)], 2, 1);
    assert.deepEqual([layout.width, layout.height], [2, 2 + 5 + 2]);
    assert.deepEqual([...rgb.subarray(0, 3)], [77, 77, 77]);
    assert.deepEqual([...rgb.subarray(7 * 2 * 3, 7 * 2 * 3 + 3)], [200, 200, 200]);
    assert.throws(() => renderFilterGrid([flatTile(2, 3, 1)], 2, 1), /Tile 0 has 12 values/);
  });
});
