import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm as removeFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { LOCK_FILE, OutputFolder, RESULT_FILE } from '../../src/cli/outputFolder';
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
    await out.close();
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'user file');
    assert.deepEqual(await listing(), ['01-conv.png']);
  });

  it('leaves no partial file when a write fails midway', async function () {
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', failingMidway()), /the disk is full/);
    await out.close();
    assert.deepEqual(await listing(), []);
  });

  it('replaces the files of its own earlier run, and keeps the old one when the replacement fails midway', async function () {
    const first = await OutputFolder.open(dir);
    await first.write('01-conv.png', 'earlier run');
    await first.writeResult({});
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', failingMidway()), /the disk is full/);
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'earlier run');
    assert.deepEqual(await listing(), ['.convscope-run.lock', '01-conv.png', RESULT_FILE]);
    await out.write('01-conv.png', 'this run');
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'this run');
    await out.close();
    assert.deepEqual(await listing(), ['01-conv.png', RESULT_FILE]);
  });

  it('replaces the files of every earlier run still there, not only the last one, and forgets the files removed since', async function () {
    const writeRun = async (name: string, content: string) => {
      const out = await OutputFolder.open(dir);
      try {
        await out.write(name, content);
        await out.writeResult({});
      } finally {
        await out.close();
      }
    };
    await writeRun('01-conv.png', 'first layer');
    await writeRun('02-conv.png', 'second layer');
    await writeRun('01-conv.png', 'first layer again');
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'first layer again');
    await writeFile(path.join(dir, '02-conv.png'), 'edited by the user');
    await assert.rejects(writeRun('02-conv.png', 'second layer again'), /already exists and was not written by convscope/);
    assert.equal(await readFile(path.join(dir, '02-conv.png'), 'utf8'), 'edited by the user');
    await removeFile(path.join(dir, '01-conv.png'));
    await writeRun('03-conv.png', 'third layer');
    const { written } = JSON.parse(await readFile(path.join(dir, RESULT_FILE), 'utf8')) as { written: Record<string, string> };
    assert.deepEqual(Object.keys(written).sort(), ['02-conv.png', '03-conv.png']);
  });

  it('decides file by file, by content: a planted result.json, or one whose file the user changed since, lets nothing be replaced', async function () {
    // A result.json naming the user's file, as a cloned repository could plant it.
    await writeFile(path.join(dir, RESULT_FILE), JSON.stringify({ tool: 'convscope', written: { '01-conv.png': '0'.repeat(64) } }));
    await writeFile(path.join(dir, '01-conv.png'), 'user file');
    const out = await OutputFolder.open(dir);
    await assert.rejects(out.write('01-conv.png', 'this run'), /already exists and was not written by convscope/);
    await out.close();
    assert.equal(await readFile(path.join(dir, '01-conv.png'), 'utf8'), 'user file');

    // A file of an earlier run that the user has since edited is the user's now.
    const earlier = await OutputFolder.open(dir);
    await earlier.write('02-conv.png', 'earlier run');
    await earlier.writeResult({});
    await writeFile(path.join(dir, '02-conv.png'), 'edited by the user');
    const later = await OutputFolder.open(dir);
    await assert.rejects(later.write('02-conv.png', 'this run'), /already exists and was not written by convscope/);
    await later.close();
    assert.equal(await readFile(path.join(dir, '02-conv.png'), 'utf8'), 'edited by the user');
  });

  it('lets one run at a time write into a folder, and takes over the lock of a run that is gone', async function () {
    const first = await OutputFolder.open(dir);
    await assert.rejects(OutputFolder.open(dir), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.file, dir);
      assert.match(error.problem, new RegExp(`is being written by another convscope run \\(process ${process.pid}\\)`));
      return true;
    });
    await first.close();
    // A lock left by a process that no longer runs.
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    const second = await OutputFolder.open(dir);
    await second.close();
    assert.deepEqual(await listing(), []);
  });

  it('says in one line, naming the folder, when it cannot be written: read-only, not permitted', async function () {
    if (process.getuid?.() === 0) this.skip(); // root writes anywhere
    const readOnly = path.join(dir, 'read-only');
    await mkdir(readOnly, { mode: 0o555 });
    await assert.rejects(OutputFolder.open(readOnly), (error: unknown) => error instanceof InputError && error.file === readOnly && /not permitted \(EACCES\)/.test(error.problem));
    await assert.rejects(OutputFolder.open(path.join(readOnly, 'inside')), (error: unknown) => error instanceof InputError && /cannot be created as the output folder/.test(error.problem));
  });
});
