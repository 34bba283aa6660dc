import assert from 'node:assert/strict';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeNewFile } from '../../src/host/panel/exportFiles';
import { makeTempDir, removeDir } from '../support/engineFixtures';

/** Chunks that fail after the first one has been written, as a full disk would. */
async function* failingMidway(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(64 * 1024).fill(7);
  throw new Error('the disk is full');
}

describe('writeNewFile', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('writes under the name asked for when it is free', async function () {
    const file = await writeNewFile(dir, 'cat-gradcam.png', new Uint8Array([1, 2, 3]));
    assert.equal(file, path.join(dir, 'cat-gradcam.png'));
    assert.deepEqual([...(await readFile(file))], [1, 2, 3]);
  });

  it('never overwrites: taken names get a numbered suffix', async function () {
    await writeFile(path.join(dir, 'cat-gradcam.png'), 'user file');
    await writeFile(path.join(dir, 'cat-gradcam-1.png'), 'another user file');
    const file = await writeNewFile(dir, 'cat-gradcam.png', new Uint8Array([9]));
    assert.equal(path.basename(file), 'cat-gradcam-2.png');
    assert.equal(await readFile(path.join(dir, 'cat-gradcam.png'), 'utf8'), 'user file');
    assert.equal(await readFile(path.join(dir, 'cat-gradcam-1.png'), 'utf8'), 'another user file');
    assert.deepEqual((await readdir(dir)).sort(), ['cat-gradcam-1.png', 'cat-gradcam-2.png', 'cat-gradcam.png']);
  });

  it('leaves no partial file when the export fails midway, and the files already there as they were', async function () {
    await writeFile(path.join(dir, 'cat-gradcam.png'), 'user file');
    await assert.rejects(writeNewFile(dir, 'cat-gradcam.png', failingMidway()), /the disk is full/);
    assert.deepEqual(await readdir(dir), ['cat-gradcam.png']);
    assert.equal(await readFile(path.join(dir, 'cat-gradcam.png'), 'utf8'), 'user file');
  });
});
