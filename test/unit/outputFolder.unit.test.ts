import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputFolder, RESULT_FILE } from '../../src/cli/outputFolder';
import { InputError } from '../../src/shared/errors';
import { makeTempDir, removeDir } from '../support/engineFixtures';

/** Chunks that fail after the first one has been written, as a full disk would. */
async function* failingMidway(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(64 * 1024).fill(7);
  throw new Error('the disk is full');
}

describe('the CLI output folder', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  const listing = async () => (await readdir(dir)).sort();

  it('refuses to replace a file it did not write, leaving it as it was', async function () {
    await writeFile(path.join(dir, '01-conv.png'), 'user file');
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', new Uint8Array([1])), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.file, path.join(dir, '01-conv.png'));
      assert.match(error.problem, /already exists and was not written by convscope/);
      return true;
    });
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'user file');
    assert.deepEqual(await listing(), ['01-conv.png']);
  });

  it('leaves no partial file when a write fails midway', async function () {
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', failingMidway()), /the disk is full/);
    assert.deepEqual(await listing(), []);
  });

  it('replaces the files of its own earlier run, and keeps the old one when the replacement fails midway', async function () {
    await writeFile(path.join(dir, RESULT_FILE), JSON.stringify({ tool: 'convscope' }));
    await writeFile(path.join(dir, '01-conv.png'), 'earlier run');
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', failingMidway()), /the disk is full/);
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'earlier run');
    assert.deepEqual(await listing(), ['01-conv.png', RESULT_FILE]);
    await out.write('01-conv.png', 'this run');
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'this run');
    assert.deepEqual(await listing(), ['01-conv.png', RESULT_FILE]);
  });
});
