// A write that fails midway (the data's producer throws after its first chunk, as a full disk
// would fail a write) leaves no file, not even the temporary one, and never touches an existing file.
import assert from 'node:assert/strict';
import fsPromises, { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceFileWhole, writeUnderFreeName } from '../../src/files/wholeFileWrite';
import { makeTempDir, removeDir } from '../support/engineFixtures';

/** Chunks that fail after the first one has been written. */
async function* failingMidway(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(64 * 1024).fill(7);
  throw new Error('the disk is full');
}

describe('whole-file writes', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  const at = (name: string) => path.join(dir, name);
  const listing = async () => (await readdir(dir)).sort();

  it('gives the data the first free name and leaves nothing else', async function () {
    await writeFile(at('a.png'), 'user file');
    const written = await writeUnderFreeName([at('a.png'), at('a-1.png')], new Uint8Array([1, 2]));
    assert.equal(written, at('a-1.png'));
    assert.deepEqual([...(await readFile(at('a-1.png')))], [1, 2]);
    assert.equal(await readFile(at('a.png'), 'utf8'), 'user file');
    assert.deepEqual(await listing(), ['a-1.png', 'a.png']);
  });

  it('returns undefined, touching nothing, when every name is taken', async function () {
    await writeFile(at('a.png'), 'user file');
    assert.equal(await writeUnderFreeName([at('a.png')], 'data'), undefined);
    assert.equal(await readFile(at('a.png'), 'utf8'), 'user file');
    assert.deepEqual(await listing(), ['a.png']);
  });

  it('leaves no file when a new file fails midway', async function () {
    await assert.rejects(writeUnderFreeName([at('a.png')], failingMidway()), /the disk is full/);
    assert.deepEqual(await listing(), []);
  });

  it('leaves the old file as it was when replacing it fails midway', async function () {
    await writeFile(at('result.json'), 'old result');
    await assert.rejects(replaceFileWhole(at('result.json'), failingMidway()), /the disk is full/);
    assert.equal(await readFile(at('result.json'), 'utf8'), 'old result');
    assert.deepEqual(await listing(), ['result.json']);
    await replaceFileWhole(at('result.json'), 'new result');
    assert.equal(await readFile(at('result.json'), 'utf8'), 'new result');
    assert.deepEqual(await listing(), ['result.json']);
  });

  it('fails, leaving nothing, in a folder that does not exist', async function () {
    await assert.rejects(writeUnderFreeName([path.join(dir, 'missing', 'a.png')], 'data'), { code: 'ENOENT' });
    assert.deepEqual(await listing(), []);
  });

  describe('on a file system without hard links', function () {
    const realLink = fsPromises.link;
    let linkCalls = 0;
    beforeEach(() => {
      linkCalls = 0;
      fsPromises.link = async () => {
        linkCalls++;
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      };
    });
    afterEach(() => {
      fsPromises.link = realLink;
    });

    it('copies exclusively instead: a new name gets the data, a taken one is left alone', async function () {
      await writeFile(at('a.png'), 'user file');
      const written = await writeUnderFreeName([at('a.png'), at('a-1.png')], new Uint8Array([3]));
      assert.ok(linkCalls > 0, 'the write tried a hard link first');
      assert.equal(written, at('a-1.png'));
      assert.deepEqual([...(await readFile(at('a-1.png')))], [3]);
      assert.equal(await readFile(at('a.png'), 'utf8'), 'user file');
      assert.deepEqual(await listing(), ['a-1.png', 'a.png']);
    });
  });
});
