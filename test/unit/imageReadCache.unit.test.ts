import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ImageReadCache } from '../../src/engine/input/imageReadCache';
import { InputError } from '../../src/shared/errors';
import { DEFAULT_IMAGE_LIMITS } from '../../src/shared/defaults';
import { makeTempDir, removeDir } from '../support/engineFixtures';

const SIZE = { height: 8, width: 8, channels: 3 };

async function writeImage(file: string, value: number, time: Date): Promise<void> {
  await sharp(Buffer.alloc(16 * 16 * 3, value), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(file);
  await utimes(file, time, time);
}

describe('the image read cache', function () {
  let dir: string;
  const time = new Date(1_700_000_000_000);
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('gives the pixels read before while the file keeps its size and time, and reads it again when they change', async function () {
    const cache = new ImageReadCache(2 ** 20);
    const file = path.join(dir, 'a.png');
    await writeImage(file, 200, time);
    const first = await cache.read(file, SIZE, DEFAULT_IMAGE_LIMITS);
    assert.equal(first.pixels[0], 200);
    assert.equal(await cache.read(file, SIZE, DEFAULT_IMAGE_LIMITS), first);
    // Read for another model size: another entry.
    const larger = await cache.read(file, { ...SIZE, height: 12, width: 12 }, DEFAULT_IMAGE_LIMITS);
    assert.equal(larger.pixels.length, 12 * 12 * 3);
    await writeImage(file, 30, new Date(time.getTime() + 1000));
    const changed = await cache.read(file, SIZE, DEFAULT_IMAGE_LIMITS);
    assert.equal(changed.pixels[0], 30);
  });

  it('keeps at most its byte budget, dropping the least recently used', async function () {
    // One 8 × 8 × 3 image fits, two do not.
    const cache = new ImageReadCache(8 * 8 * 3);
    const [a, b] = [path.join(dir, 'a.png'), path.join(dir, 'b.png')];
    await writeImage(a, 10, time);
    await writeImage(b, 20, time);
    const firstA = await cache.read(a, SIZE, DEFAULT_IMAGE_LIMITS);
    const firstB = await cache.read(b, SIZE, DEFAULT_IMAGE_LIMITS);
    assert.notEqual(await cache.read(a, SIZE, DEFAULT_IMAGE_LIMITS), firstA, 'a was dropped when b came');
    assert.notEqual(await cache.read(b, SIZE, DEFAULT_IMAGE_LIMITS), firstB, 'b was dropped when a came back');
  });

  it('keeps no failed read: the file fixed in place, at the same size and time, is read', async function () {
    const cache = new ImageReadCache(2 ** 20);
    const file = path.join(dir, 'broken.png');
    const valid = await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    // The same bytes without the PNG signature: the same size, not an image.
    await writeFile(file, Buffer.concat([Buffer.alloc(8), valid.subarray(8)]));
    await utimes(file, time, time);
    await assert.rejects(cache.read(file, SIZE, DEFAULT_IMAGE_LIMITS), (error: unknown) => error instanceof InputError && error.file === file);
    await assert.rejects(cache.read(path.join(dir, 'missing.png'), SIZE, DEFAULT_IMAGE_LIMITS), (error: unknown) => error instanceof InputError);
    await writeFile(file, valid);
    await utimes(file, time, time);
    assert.equal((await cache.read(file, SIZE, DEFAULT_IMAGE_LIMITS)).pixels[0], 90);
  });
});
