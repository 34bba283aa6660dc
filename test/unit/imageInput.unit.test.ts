import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync, gunzipSync } from 'node:zlib';
import { InputError } from '../../src/shared/errors';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { grayToRgbLikePil, nearestSourceIndices, resizeNearestLikePil, rgbToLumaLikePil } from '../../src/engine/input/pilResample';
import type { ExifOrientationMode } from '../../src/shared/types';
import { REPO_ROOT, makeTempDir, removeDir, writeTestImage } from '../support/engineFixtures';

/** Made by scripts/reference/pil_load_img_reference.py with Pillow, as Keras' load_img reads them. */
const PIL_REFERENCE = path.join(REPO_ROOT, 'test', 'fixtures', 'pil-reference');

interface PilReferenceCase {
  source: string;
  height: number;
  width: number;
  channels: 1 | 3;
  exif: ExifOrientationMode;
  expected: string;
}

/** The data of a gzip-compressed uint8 .npy file (the reference script writes C-order uint8 only). */
function readUint8NpyGz(file: string): Uint8Array {
  const bytes = gunzipSync(readFileSync(file));
  assert.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const headerLength = bytes.readUInt16LE(8);
  assert.match(bytes.subarray(10, 10 + headerLength).toString('latin1'), /'descr': '\|u1', 'fortran_order': False/);
  return new Uint8Array(bytes.subarray(10 + headerLength));
}

function differences(expected: Uint8Array, actual: Uint8Array): { max: number; count: number } {
  assert.equal(actual.length, expected.length);
  let max = 0;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(expected[i] - actual[i]);
    if (difference > 0) count++;
    if (difference > max) max = difference;
  }
  return { max, count };
}

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

  it('applies the EXIF orientation by default, and ignores it when asked (as Keras’ load_img does)', async function () {
    const file = path.join(dir, 'rotated.jpg');
    // Stored 60×30, with orientation 6 (rotate 90° clockwise to display): the photo is 30×60.
    await sharp({ create: { width: 60, height: 30, channels: 3, background: { r: 10, g: 200, b: 10 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const image = await readImageForModel(file, { height: 40, width: 20, channels: 3 });
    assert.deepEqual([image.originalWidth, image.originalHeight, image.width, image.height], [30, 60, 20, 40]);
    assert.deepEqual(image.exif, { mode: 'apply', tag: 6, rotated: true });
    const asStored = await readImageForModel(file, { height: 40, width: 20, channels: 3 }, { maxImagePixels: 1e6, exifOrientation: 'ignore' });
    assert.deepEqual([asStored.originalWidth, asStored.originalHeight], [60, 30]);
    assert.deepEqual(asStored.exif, { mode: 'ignore', tag: 6, rotated: false });
    const upright = await readImageForModel(path.join(PIL_REFERENCE, 'rgb-97x61.png'), { height: 8, width: 8, channels: 3 });
    assert.deepEqual(upright.exif, { mode: 'apply', rotated: false }, 'no tag: nothing to apply');
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

describe('Pillow’s nearest-neighbour grid and L conversion', function () {
  it('picks the source pixels worked out by hand', function () {
    // scale = in / out; output i reads trunc(scale / 2 + i · scale).
    assert.deepEqual([...nearestSourceIndices(5, 3)], [0, 2, 4], '5/3: 0.83, 2.5, 4.17');
    assert.deepEqual([...nearestSourceIndices(3, 5)], [0, 0, 1, 2, 2], '0.6: 0.3, 0.9, 1.5, 2.1, 2.7');
    assert.deepEqual([...nearestSourceIndices(4, 2)], [1, 3], '2: 1, 3');
    assert.deepEqual([...nearestSourceIndices(2, 4)], [0, 0, 1, 1], '0.5: 0.25, 0.75, 1.25, 1.75');
    assert.deepEqual([...nearestSourceIndices(1, 3)], [0, 0, 0]);
    assert.deepEqual([...nearestSourceIndices(6, 6)], [0, 1, 2, 3, 4, 5]);
    // 2/7: output 3 sits exactly on source 1 (3.5 · 2/7), but Pillow adds 2/7 up step by step and
    // reaches 0.9999999999999999, so it reads source 0; the direct product would read 1.
    assert.deepEqual([...nearestSourceIndices(2, 7)], [0, 0, 0, 0, 1, 1, 1]);
  });

  it('matches Pillow’s NEAREST grid on size pairs up and down, including those where rounding decides', function () {
    const grid = JSON.parse(readFileSync(path.join(PIL_REFERENCE, 'grid.json'), 'utf8')) as { pairs: { in: number; out: number; indices: number[] }[] };
    assert.ok(grid.pairs.length >= 50);
    for (const pair of grid.pairs) assert.deepEqual([...nearestSourceIndices(pair.in, pair.out)], pair.indices, `${pair.in} → ${pair.out}`);
  });

  it('resizes rows and columns on that grid, and copies an image of the same size', function () {
    // 3×2 RGB, each pixel's channels 10·(index), +1, +2: to 5×3 the columns are 0 0 1 2 2 (scale 0.6),
    // the rows 0 1 1 (scale 2/3: 0.33, 1, 1.67).
    const pixels = Uint8Array.from({ length: 18 }, (_, i) => Math.floor(i / 3) * 10 + (i % 3));
    const resized = resizeNearestLikePil({ pixels, width: 3, height: 2, channels: 3 }, 5, 3);
    const sourcePixel = (index: number) => [index * 10, index * 10 + 1, index * 10 + 2];
    const expected = [0, 1, 1].flatMap((row) => [0, 0, 1, 2, 2].flatMap((column) => sourcePixel(row * 3 + column)));
    assert.deepEqual([...resized.pixels], expected);
    assert.deepEqual([resized.width, resized.height, resized.channels], [5, 3, 3]);
    const same = resizeNearestLikePil({ pixels, width: 3, height: 2, channels: 3 }, 3, 2);
    assert.deepEqual([...same.pixels], [...pixels]);
    assert.notEqual(same.pixels, pixels, 'a copy, not the caller’s buffer');
  });

  it('converts RGB to L with Pillow’s fixed-point ITU-R 601-2 weights, and L to RGB by copying', function () {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 1, 1, 1, 2, 223, 0]);
    // (2, 223, 0): 0.299·2 + 0.587·223 = 131.499 rounds to 131 in floating point; Pillow's
    // (2·19595 + 223·38470 + 0x8000) >> 16 is 132.
    assert.deepEqual([...rgbToLumaLikePil(rgb)], [76, 150, 29, 255, 1, 132]);
    assert.deepEqual([...grayToRgbLikePil(Uint8Array.from([0, 7, 255]))], [0, 0, 0, 7, 7, 7, 255, 255, 255]);
  });
});

describe('readImageForModel against Pillow (Keras’ load_img + img_to_array)', function () {
  const { cases } = JSON.parse(readFileSync(path.join(PIL_REFERENCE, 'cases.json'), 'utf8')) as { cases: PilReferenceCase[] };

  it('covers PNG and JPEG, both channel counts, up- and downscaling, and both EXIF choices', function () {
    const formats = new Set(cases.map((c) => path.extname(c.source)));
    assert.deepEqual([...formats].sort(), ['.jpg', '.png']);
    assert.deepEqual([...new Set(cases.map((c) => c.channels))].sort(), [1, 3]);
    assert.deepEqual([...new Set(cases.map((c) => c.exif))].sort(), ['apply', 'ignore']);
    assert.ok(cases.length >= 40);
  });

  for (const referenceCase of cases) {
    const { source, height, width, channels, exif, expected } = referenceCase;
    const isJpeg = path.extname(source) === '.jpg';
    it(`${source} → ${height}×${width}×${channels}, EXIF ${exif}: ${isJpeg ? 'within ±1 (JPEG decoders differ)' : 'bit for bit'}`, async function () {
      const reference = readUint8NpyGz(path.join(PIL_REFERENCE, expected));
      const image = await readImageForModel(path.join(PIL_REFERENCE, source), { height, width, channels }, { maxImagePixels: 1e8, exifOrientation: exif });
      assert.deepEqual([image.height, image.width, image.channels], [height, width, channels]);
      const { max, count } = differences(reference, image.pixels);
      if (isJpeg) {
        assert.ok(max <= 1, `largest difference ${max}`);
        // libjpeg builds may round a few pixels differently; a wrong grid or formula changes most of them.
        assert.ok(count <= reference.length / 100, `${count} of ${reference.length} values differ`);
      } else {
        assert.equal(max, 0, `${count} of ${reference.length} values differ (largest by ${max})`);
      }
    });
  }

  it('turns the EXIF-6 photo upright only when applying the tag', async function () {
    const file = path.join(PIL_REFERENCE, 'exif6-90x60.jpg');
    const applied = await readImageForModel(file, { height: 40, width: 30, channels: 3 }, { maxImagePixels: 1e8, exifOrientation: 'apply' });
    const ignored = await readImageForModel(file, { height: 40, width: 30, channels: 3 }, { maxImagePixels: 1e8, exifOrientation: 'ignore' });
    assert.deepEqual([applied.originalWidth, applied.originalHeight, ignored.originalWidth, ignored.originalHeight], [60, 90, 90, 60]);
    assert.ok(differences(applied.pixels, ignored.pixels).count > applied.pixels.length / 2);
    // The stored image's red corner is top left; turned 90° clockwise it is top right.
    const pixelAt = (image: { pixels: Uint8Array; width: number }, x: number, y: number) => [...image.pixels.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];
    assert.ok(pixelAt(ignored, 0, 0)[0] > 200 && pixelAt(ignored, 0, 0)[1] < 60);
    assert.ok(pixelAt(applied, 29, 0)[0] > 200 && pixelAt(applied, 29, 0)[1] < 60);
  });

  it('decodes and resizes a 2048×1536 JPEG well under a second', async function () {
    const dir = await makeTempDir();
    try {
      const file = path.join(dir, 'large.jpg');
      await sharp({ create: { width: 2048, height: 1536, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
        .jpeg({ quality: 90 })
        .toFile(file);
      const started = performance.now();
      const image = await readImageForModel(file, { height: 150, width: 150, channels: 1 });
      const elapsedMs = performance.now() - started;
      assert.equal(image.pixels.length, 150 * 150);
      assert.ok(elapsedMs < 1000, `took ${elapsedMs.toFixed(0)} ms`);
    } finally {
      await removeDir(dir);
    }
  });
});
