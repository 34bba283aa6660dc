import assert from 'node:assert/strict';
import sharp from 'sharp';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { InputError } from '../../src/engine/errors';
import { readImageForModel } from '../../src/engine/imageInput';
import { makeTempDir, removeDir, writeTestImage } from '../support/engineFixtures';

/** A PNG whose header claims width×height but whose data is a few bytes: decoding it would need gigabytes. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

describe('readImageForModel', function () {
  let dir: string;
  before(async () => {
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  it('resizes to the model input size (target_size) and keeps RGB order', async function () {
    const file = path.join(dir, 'red-left.png');
    const width = 40;
    const height = 20;
    const pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) if (i % width < width / 2) pixels[i * 3] = 255;
    await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(file);
    const image = await readImageForModel(file, { height: 10, width: 10, channels: 3 });
    assert.equal(image.pixels.length, 10 * 10 * 3);
    assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [10, 10, 40, 20]);
    assert.deepEqual([...image.pixels.subarray(0, 3)], [255, 0, 0]);
    assert.deepEqual([...image.pixels.subarray(9 * 3, 10 * 3)], [0, 0, 0]);
  });

  it('drops alpha and converts between grayscale and RGB to the model’s channel count', async function () {
    const rgba = await writeTestImage(path.join(dir, 'rgba.png'), 32, 32, 4);
    const gray = await writeTestImage(path.join(dir, 'gray.png'), 32, 32, 1);
    const rgbFromRgba = await readImageForModel(rgba, { height: 16, width: 16, channels: 3 });
    assert.equal(rgbFromRgba.pixels.length, 16 * 16 * 3);
    const rgbFromGray = await readImageForModel(gray, { height: 16, width: 16, channels: 3 });
    for (let i = 0; i < rgbFromGray.pixels.length; i += 3) {
      assert.equal(rgbFromGray.pixels[i], rgbFromGray.pixels[i + 1]);
      assert.equal(rgbFromGray.pixels[i], rgbFromGray.pixels[i + 2]);
    }
    const grayFromRgba = await readImageForModel(rgba, { height: 16, width: 16, channels: 1 });
    assert.equal(grayFromRgba.pixels.length, 16 * 16);
  });

  it('applies the EXIF orientation', async function () {
    const file = path.join(dir, 'rotated.jpg');
    // Stored 60×30, with orientation 6 (rotate 90° clockwise to display): the photo is 30×60.
    await sharp({ create: { width: 60, height: 30, channels: 3, background: { r: 10, g: 200, b: 10 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const image = await readImageForModel(file, { height: 40, width: 20, channels: 3 });
    assert.deepEqual([image.originalWidth, image.originalHeight, image.width, image.height], [30, 60, 20, 40]);
  });

  it('resizes to 224 × 224 for a model that takes any size, or to the side asked for', async function () {
    const file = path.join(dir, 'wide.png');
    await sharp({ create: { width: 90, height: 30, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(file);
    const byDefault = await readImageForModel(file, { height: null, width: null, channels: 3 });
    assert.deepEqual([byDefault.width, byDefault.height, byDefault.pixels.length], [224, 224, 224 * 224 * 3]);
    const asked = await readImageForModel(file, { height: null, width: 48, channels: 1, freeSide: 96 });
    assert.deepEqual([asked.width, asked.height, asked.pixels.length], [48, 96, 48 * 96]);
  });

  it('reads JPEG, WebP, GIF, TIFF and AVIF', async function () {
    const source = sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 200, g: 100, b: 50 } } });
    for (const format of ['jpeg', 'webp', 'gif', 'tiff', 'avif'] as const) {
      const file = path.join(dir, `image.${format}`);
      await source.clone().toFormat(format).toFile(file);
      const image = await readImageForModel(file, { height: 8, width: 8, channels: 3 });
      assert.equal(image.pixels.length, 8 * 8 * 3, format);
      assert.ok(Math.abs(image.pixels[0] - 200) < 30, `${format} red channel ${image.pixels[0]}`);
    }
  });

  it('refuses an image over the pixel limit before decoding it', async function () {
    const file = path.join(dir, 'huge.png');
    await writeFile(file, pngHeaderOnly(20000, 20000));
    await assert.rejects(readImageForModel(file, { height: 150, width: 150, channels: 3 }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.file, file);
      assert.match(error.problem, /20000×20000 pixels \(400 MP\), over the 100 MP limit/);
      return true;
    });
  });

  it('reports files that are not images, and missing files', async function () {
    const notImage = path.join(dir, 'notes.png');
    await writeFile(notImage, 'this is text, not a PNG');
    await assert.rejects(readImageForModel(notImage, { height: 8, width: 8, channels: 3 }), (error: InputError) => error.file === notImage && /cannot be decoded as an image/.test(error.problem));
    const truncated = path.join(dir, 'truncated.jpg');
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } }).jpeg().toBuffer();
    await writeFile(truncated, jpeg.subarray(0, jpeg.length / 3));
    await assert.rejects(readImageForModel(truncated, { height: 8, width: 8, channels: 3 }), (error: InputError) => error.file === truncated && /cannot be decoded/.test(error.problem));
    const missing = path.join(dir, 'missing.png');
    await assert.rejects(readImageForModel(missing, { height: 8, width: 8, channels: 3 }), (error: InputError) => error.file === missing && /does not exist/.test(error.problem));
  });
});
