// The webview's pure helpers: where channels sit in a grid image, how images are scaled, and the
// text it shows for numbers and shapes.
import assert from 'node:assert/strict';
import type { ChannelGridLayout } from '../../src/shared/types';
import { formatShape } from '../../src/shared/shapes';
import { formatDeadChannels, formatMilliseconds, formatPercent, formatValue } from '../../webview-ui/format';
import { GRID_ZOOM_LEVELS, channelAtPoint, displayScale, moveSelection, nextZoom, scrollForZoom, tileBox } from '../../webview-ui/gridGeometry';
import { filterTileBox, panelFilterLayout } from '../../webview-ui/filterTileGrid';

/** 16 columns × 2 rows of 148 × 148 tiles: 32 channels of a first conv layer. */
const grid: ChannelGridLayout = { columns: 16, rows: 2, tileWidth: 148, tileHeight: 148, width: 2368, height: 296 };

describe('webview grid geometry', () => {
  it('finds the channel under a point at natural size', () => {
    assert.equal(channelAtPoint(grid, 32, 0, 0, 2368, 296), 0);
    assert.equal(channelAtPoint(grid, 32, 147.9, 147.9, 2368, 296), 0);
    assert.equal(channelAtPoint(grid, 32, 148, 0, 2368, 296), 1);
    assert.equal(channelAtPoint(grid, 32, 2367, 0, 2368, 296), 15);
    assert.equal(channelAtPoint(grid, 32, 0, 148, 2368, 296), 16);
    assert.equal(channelAtPoint(grid, 32, 2367, 295, 2368, 296), 31);
  });

  it('scales points from the displayed size', () => {
    // Shown at half size: each tile is 74 × 74 displayed pixels.
    assert.equal(channelAtPoint(grid, 32, 74 * 5 + 1, 74 + 1, 1184, 148), 21);
    // Shown at a non-uniform size (the layout is what counts, not the displayed aspect).
    assert.equal(channelAtPoint(grid, 32, 999, 9, 1000, 20), 15);
    assert.equal(channelAtPoint(grid, 32, 999, 10, 1000, 20), 31);
  });

  it('returns nothing outside the image or past the last channel', () => {
    assert.equal(channelAtPoint(grid, 32, -1, 0, 2368, 296), undefined);
    assert.equal(channelAtPoint(grid, 32, 0, 296, 2368, 296), undefined);
    assert.equal(channelAtPoint(grid, 20, 148 * 5, 148, 2368, 296), undefined, 'channel 21 of 20');
    assert.equal(channelAtPoint(grid, 32, 10, 10, 0, 0), undefined, 'an image not laid out yet');
  });

  it('uses columns × tile size when the layout gives no image size', () => {
    const unsized = { ...grid, width: 0, height: 0 };
    assert.equal(channelAtPoint(unsized, 32, 1184, 148, 1184, 148), undefined);
    assert.equal(channelAtPoint(unsized, 32, 1183, 147, 1184, 148), 31);
  });

  it('places a tile in fractions of the grid', () => {
    assert.deepEqual(tileBox(grid, 17), { left: 148 / 2368, top: 0.5, width: 1 / 16, height: 0.5 });
  });

  it('scales small images by a whole factor and leaves wide ones alone', () => {
    assert.equal(displayScale(2368, 480), 1);
    assert.equal(displayScale(480, 480), 1);
    assert.equal(displayScale(148, 480), 4);
    assert.equal(displayScale(80, 480), 6);
    assert.equal(displayScale(1, 480), 32, 'capped');
    assert.equal(displayScale(0, 480), 1);
  });

  it('moves a keyboard selection within the channels', () => {
    assert.equal(moveSelection(undefined, 'ArrowRight', 16, 32), 0);
    assert.equal(moveSelection(undefined, 'End', 16, 32), 31);
    assert.equal(moveSelection(0, 'ArrowLeft', 16, 32), 0);
    assert.equal(moveSelection(15, 'ArrowRight', 16, 32), 16);
    assert.equal(moveSelection(31, 'ArrowRight', 16, 32), 31);
    assert.equal(moveSelection(3, 'ArrowDown', 16, 32), 19);
    assert.equal(moveSelection(19, 'ArrowDown', 16, 32), 19, 'no row below');
    assert.equal(moveSelection(19, 'ArrowUp', 16, 32), 3);
    assert.equal(moveSelection(3, 'ArrowUp', 16, 32), 3);
    assert.equal(moveSelection(5, 'ArrowDown', 16, 20), 5, 'the tile below is empty');
    assert.equal(moveSelection(3, 'PageDown', 16, 20), 19);
    assert.equal(moveSelection(19, 'PageUp', 16, 20), 3);
    assert.equal(moveSelection(7, 'Home', 16, 20), 0);
  });
});

describe('webview zoom and filter layout', () => {
  it('steps through the zoom levels, staying within them', () => {
    assert.equal(nextZoom(1, 1), 1.5);
    assert.equal(nextZoom(1.5, 1), 2);
    assert.equal(nextZoom(2, -1), 1.5);
    assert.equal(nextZoom(1, -1), 1, 'fit is the smallest');
    const largest = GRID_ZOOM_LEVELS[GRID_ZOOM_LEVELS.length - 1];
    assert.equal(nextZoom(largest, 1), largest);
  });

  it('keeps the point under the pointer in place when zooming', () => {
    // Content x under the pointer: scroll 100 + pointer 50 = 150; doubled: 300, minus the pointer.
    assert.equal(scrollForZoom(100, 50, 2), 250);
    assert.equal(scrollForZoom(250, 50, 0.5), 100);
    assert.equal(scrollForZoom(0, 10, 0.5), 0, 'never scrolled before the start');
  });

  it('lays out filter tiles row by row, at most 8 to a row, with 5-pixel margins', () => {
    const eight = panelFilterLayout(8, 64);
    assert.deepEqual(eight, { rows: 1, columns: 8, tileSize: 64, margin: 5, width: 8 * 64 + 7 * 5, height: 64 });
    const grid = panelFilterLayout(64, 64);
    assert.deepEqual([grid.rows, grid.columns], [8, 8]);
    // Filter 1 sits beside filter 0, filter 8 under it.
    assert.equal(filterTileBox(grid, 1).top, 0);
    assert.ok(filterTileBox(grid, 1).left > 0);
    assert.equal(filterTileBox(grid, 8).left, 0);
    assert.equal(filterTileBox(grid, 8).top, 69 / grid.height);
    assert.deepEqual([panelFilterLayout(3, 150).columns, panelFilterLayout(3, 150).rows], [3, 1]);
    assert.deepEqual([panelFilterLayout(10, 64).columns, panelFilterLayout(10, 64).rows], [8, 2]);
  });
});

describe('webview formatting', () => {
  it('formats activation values', () => {
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(4.5), '4.5');
    assert.equal(formatValue(0.312512), '0.3125');
    assert.equal(formatValue(-12.3456), '−12.35');
    assert.equal(formatValue(123456), '1.23e+5');
    assert.equal(formatValue(0.00012), '1.2e-4');
    assert.equal(formatValue(Number.NaN), 'NaN');
  });

  it('writes shapes in Keras’ notation (the one shared with the host and the CLI), percentages, dead channels and durations', () => {
    assert.equal(formatShape([null, 148, 148, 32]), '(None, 148, 148, 32)');
    assert.equal(formatShape([[null, 10], [null, 2]]), '(None, 10), (None, 2)');
    assert.equal(formatShape([null, 10]), '(None, 10)');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(0.004), '<1%');
    assert.equal(formatPercent(0.0938), '9%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatDeadChannels(3, 32), '3 of 32 (9%)');
    assert.equal(formatDeadChannels(0, 0), '0 of 0 (0%)');
    assert.equal(formatMilliseconds(120.2), '120 ms');
    assert.equal(formatMilliseconds(12_345), '12.3 s');
  });
});
