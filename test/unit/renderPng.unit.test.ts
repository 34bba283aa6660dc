import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodePng } from '../../src/render/png';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** PNG IHDR colour types by channel count: gray, gray+alpha, RGB, RGBA. */
const COLOUR_TYPES = { 1: 0, 2: 4, 3: 2, 4: 6 };
/** The IHDR chunk follows the signature, a length and a type; its colour type byte is at offset 25. */
const IHDR_COLOUR_TYPE_OFFSET = 25;

function patternedPixels(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + (i >> 3) * 11) % 256);
}

async function decode(png: Uint8Array, channels: number): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const image = sharp(png);
  // sharp decodes to sRGB unless asked to keep gray.
  if (channels === 1) image.toColourspace('b-w');
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

describe('render/png', () => {
  for (const channels of [3, 4, 1] as const) {
    it(`round-trips ${channels}-channel pixels through sharp`, async () => {
      const width = 13;
      const height = 7;
      const pixels = patternedPixels(width * height * channels);
      const png = await encodePng(pixels, width, height, channels);
      assert.ok(!Buffer.isBuffer(png), 'a plain Uint8Array, not a Buffer');
      assert.deepEqual(Array.from(png.subarray(0, 8)), PNG_SIGNATURE);
      assert.equal(png[IHDR_COLOUR_TYPE_OFFSET], COLOUR_TYPES[channels]);
      const decoded = await decode(png, channels);
      assert.deepEqual([decoded.width, decoded.height, decoded.channels], [width, height, channels]);
      assert.deepEqual(decoded.data, pixels);
    });
  }

  it('keeps gray with alpha as a gray+alpha PNG', async () => {
    const png = await encodePng(patternedPixels(4 * 3 * 2), 4, 3, 2);
    assert.equal(png[IHDR_COLOUR_TYPE_OFFSET], COLOUR_TYPES[2]);
  });

  it('rejects pixel data of the wrong length', async () => {
    await assert.rejects(encodePng(new Uint8Array(10), 2, 2), RangeError);
  });
});
