import assert from 'node:assert/strict';
import type { ColormapName } from '../../src/shared/types';
import type { ActivationShape } from '../../src/render/activationShape';
import { channelGridLayout, renderChannelGrid, renderSingleChannel } from '../../src/render/channelGrid';
import { colormapLookupTable } from '../../src/shared/colormaps';

/** mulberry32: a small seeded generator, so failures reproduce. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ReLU-like data: about a third of the values are exactly 0, the rest spread over several magnitudes. */
function randomActivation(shape: ActivationShape, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(shape.height * shape.width * shape.channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, (random() - 0.3) * 10 ** (random() * 3 - 1));
  return data;
}

function fillChannel(data: Float32Array, shape: ActivationShape, channel: number, value: number): void {
  for (let p = 0; p < shape.height * shape.width; p++) data[p * shape.channels + channel] = value;
}

/**
 * The study notes' post-processing written out plainly: copy the channel, subtract its mean, divide by its
 * std, *64, +128, clip to 0..255, truncate. Returns null for a constant channel (numpy would divide by 0).
 */
function studyNotesChannelImage(data: Float32Array, shape: ActivationShape, channel: number): number[][] | null {
  const image: number[][] = [];
  for (let y = 0; y < shape.height; y++) {
    image.push([]);
    for (let x = 0; x < shape.width; x++) image[y].push(data[(y * shape.width + x) * shape.channels + channel]);
  }
  const values = image.flat();
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  if (values.every((v) => v === values[0])) return null;
  return image.map((row) => row.map((v) => Math.trunc(Math.min(255, Math.max(0, ((v - mean) / std) * 64 + 128)))));
}

function pixelAt(rgb: Uint8Array, imageWidth: number, x: number, y: number): number[] {
  const at = (y * imageWidth + x) * 3;
  return [rgb[at], rgb[at + 1], rgb[at + 2]];
}

function lutColour(colormap: ColormapName, gray: number): number[] {
  const table = colormapLookupTable(colormap);
  return [table[3 * gray], table[3 * gray + 1], table[3 * gray + 2]];
}

describe('render/channelGrid', () => {
  const imagesPerRow = 16;

  for (const shape of [
    { height: 5, width: 7, channels: 32 },
    { height: 6, width: 4, channels: 37 },
    { height: 9, width: 9, channels: 5 },
  ]) {
    const name = `${shape.height}×${shape.width}×${shape.channels}`;

    it(`matches the study notes' loop pixel for pixel (${name})`, () => {
      const data = randomActivation(shape, shape.channels * 1000 + shape.width);
      const grid = renderChannelGrid(data, shape, { imagesPerRow, colormap: 'viridis' });
      const columns = Math.min(imagesPerRow, shape.channels);
      assert.equal(grid.layout.width, columns * shape.width);
      assert.equal(grid.rgb.length, grid.layout.width * grid.layout.height * 3);
      for (let channel = 0; channel < shape.channels; channel++) {
        const expected = studyNotesChannelImage(data, shape, channel);
        assert.ok(expected, `random channel ${channel} should not be constant`);
        const left = (channel % imagesPerRow) * shape.width;
        const top = Math.floor(channel / imagesPerRow) * shape.height;
        for (let y = 0; y < shape.height; y++) {
          for (let x = 0; x < shape.width; x++) {
            assert.deepEqual(pixelAt(grid.rgb, grid.layout.width, left + x, top + y), lutColour('viridis', expected[y][x]),
              `channel ${channel}, pixel (${x}, ${y}), gray ${expected[y][x]}`);
          }
        }
      }
      assert.deepEqual(grid.deadChannels, []);
    });
  }

  it('shows every channel: 37 channels make 3 rows of 16, the last row padded black', () => {
    const shape = { height: 3, width: 2, channels: 37 };
    const grid = renderChannelGrid(randomActivation(shape, 7), shape, { imagesPerRow: 16, colormap: 'gray' });
    assert.deepEqual(grid.layout, { columns: 16, rows: 3, tileWidth: 2, tileHeight: 3, width: 32, height: 9 });
    // Channels 32..36 fill the first 5 tiles of row 3; tiles 5..15 of that row hold no channel.
    for (let y = 6; y < 9; y++) {
      for (let x = 10; x < 32; x++) assert.deepEqual(pixelAt(grid.rgb, 32, x, y), [0, 0, 0], `padding (${x}, ${y})`);
    }
    const lastTile = [];
    for (let y = 6; y < 9; y++) for (let x = 8; x < 10; x++) lastTile.push(pixelAt(grid.rgb, 32, x, y)[0]);
    assert.ok(lastTile.some((gray) => gray !== 0), 'channel 36 is drawn in row 3, column 4');
  });

  it('lays out fewer channels than a row in a single row', () => {
    assert.deepEqual(channelGridLayout({ height: 4, width: 3, channels: 5 }, 8), { columns: 5, rows: 1, tileWidth: 3, tileHeight: 4, width: 15, height: 4 });
    assert.throws(() => channelGridLayout({ height: 4, width: 3, channels: 5 }, 0), RangeError);
  });

  it('draws constant and all-zero channels flat, lists them dead and keeps the stats finite', () => {
    const shape = { height: 4, width: 5, channels: 20 };
    const data = randomActivation(shape, 99);
    fillChannel(data, shape, 3, 0);
    fillChannel(data, shape, 11, 0.7);
    fillChannel(data, shape, 19, -2);
    const grid = renderChannelGrid(data, shape, { imagesPerRow: 8, colormap: 'magma' });
    assert.deepEqual(grid.deadChannels, [3, 11, 19]);
    for (const channel of grid.deadChannels) {
      const left = (channel % 8) * shape.width;
      const top = Math.floor(channel / 8) * shape.height;
      for (let y = 0; y < shape.height; y++) {
        for (let x = 0; x < shape.width; x++) assert.deepEqual(pixelAt(grid.rgb, grid.layout.width, left + x, top + y), lutColour('magma', 0));
      }
    }
    const values = Array.from(data);
    assert.equal(grid.stats.min, Math.min(...values));
    assert.equal(grid.stats.max, Math.max(...values));
    assert.ok(Math.abs(grid.stats.mean - values.reduce((a, b) => a + b, 0) / values.length) < 1e-9);
    assert.equal(grid.stats.channelCount, 20);
    assert.equal(grid.stats.deadChannelCount, 3);
    assert.equal(grid.stats.deadFraction, 3 / 20);
    for (const value of Object.values(grid.stats)) assert.ok(Number.isFinite(value), `stat ${value} is finite`);
  });

  it('renders an all-zero layer without NaN: every tile dead and flat', () => {
    const shape = { height: 3, width: 3, channels: 4 };
    const grid = renderChannelGrid(new Float32Array(36), shape, { imagesPerRow: 2, colormap: 'viridis' });
    assert.deepEqual(grid.deadChannels, [0, 1, 2, 3]);
    for (let p = 0; p < grid.rgb.length; p += 3) assert.deepEqual(Array.from(grid.rgb.subarray(p, p + 3)), lutColour('viridis', 0));
    assert.deepEqual(grid.stats, { min: 0, max: 0, mean: 0, channelCount: 4, deadChannelCount: 4, deadFraction: 1 });
  });

  it('rejects data that does not match the shape', () => {
    assert.throws(() => renderChannelGrid(new Float32Array(10), { height: 2, width: 2, channels: 3 }, { imagesPerRow: 16, colormap: 'gray' }), RangeError);
  });

  describe('renderSingleChannel', () => {
    /** matshow's scaling written out: min → 0, max → 255, t indexing floor(256 t). */
    function expectedGray(data: Float32Array, shape: ActivationShape, channel: number, x: number, y: number): number {
      const values = [];
      for (let p = 0; p < shape.height * shape.width; p++) values.push(data[p * shape.channels + channel]);
      const min = Math.min(...values);
      const max = Math.max(...values);
      const t = (data[(y * shape.width + x) * shape.channels + channel] - min) / (max - min);
      return Math.min(255, Math.floor(t * 256));
    }

    it('enlarges a small map until its longer side reaches 256 pixels, by nearest neighbour', () => {
      const shape = { height: 5, width: 9, channels: 3 };
      const data = randomActivation(shape, 5);
      const image = renderSingleChannel(data, shape, 2, 'inferno');
      assert.equal(image.scale, 29); // 9 * 28 = 252 < 256 <= 9 * 29
      assert.equal(image.width, 261);
      assert.equal(image.height, 145);
      assert.equal(image.rgb.length, 261 * 145 * 3);
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const gray = expectedGray(data, shape, 2, Math.floor(x / 29), Math.floor(y / 29));
          assert.deepEqual(pixelAt(image.rgb, image.width, x, y), lutColour('inferno', gray), `(${x}, ${y})`);
        }
      }
      const values = [];
      for (let p = 0; p < 45; p++) values.push(data[p * 3 + 2]);
      assert.equal(image.min, Math.min(...values));
      assert.equal(image.max, Math.max(...values));
      assert.equal(image.dead, false);
    });

    it('keeps large maps at their size and honours an explicit scale', () => {
      const shape = { height: 300, width: 2, channels: 1 };
      assert.equal(renderSingleChannel(randomActivation(shape, 1), shape, 0, 'gray').scale, 1);
      const small = { height: 7, width: 7, channels: 2 };
      const image = renderSingleChannel(randomActivation(small, 2), small, 1, 'gray', 3);
      assert.equal(image.width, 21);
      assert.throws(() => renderSingleChannel(randomActivation(small, 2), small, 1, 'gray', 0), RangeError);
      assert.throws(() => renderSingleChannel(randomActivation(small, 2), small, 2, 'gray'), RangeError);
    });

    it('draws a constant channel flat and dead', () => {
      const shape = { height: 7, width: 7, channels: 2 };
      const data = randomActivation(shape, 3);
      fillChannel(data, shape, 0, 0);
      const image = renderSingleChannel(data, shape, 0, 'plasma');
      assert.equal(image.dead, true);
      assert.equal(image.scale, 37);
      assert.deepEqual([image.min, image.max, image.mean], [0, 0, 0]);
      for (let p = 0; p < image.rgb.length; p += 3) assert.deepEqual(Array.from(image.rgb.subarray(p, p + 3)), lutColour('plasma', 0));
    });
  });
});
