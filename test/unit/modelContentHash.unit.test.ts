import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { modelContentHash } from '../../src/files/modelContentHash';
import { mkfifo } from '../support/hostileCases';
import { makeTempDir, removeDir } from '../support/engineFixtures';

const modelJson = (paths: string[]) => JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths, weights: [] }] });

describe('a model’s content hash (the caches’ key)', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('is the same for the same bytes in another folder, and changes with a weights file’s name or bytes', async function () {
    const hashIn = async (folder: string, shardName: string, shard: Uint8Array) => {
      await mkdir(path.join(dir, folder), { recursive: true });
      await writeFile(path.join(dir, folder, 'model.json'), modelJson([shardName]));
      await writeFile(path.join(dir, folder, shardName), shard);
      return modelContentHash(path.join(dir, folder, 'model.json'));
    };
    const first = await hashIn('a', 'w.bin', new Uint8Array([1, 2, 3]));
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(await hashIn('b', 'w.bin', new Uint8Array([1, 2, 3])), first);
    assert.notEqual(await hashIn('c', 'w.bin', new Uint8Array([1, 2, 4])), first);
    assert.notEqual(await hashIn('d', 'v.bin', new Uint8Array([1, 2, 3])), first);
  });

  it('never waits on a named pipe given as a weights file or as the model, nor reads outside the folder', async function () {
    if (process.platform === 'win32') this.skip();
    await writeFile(path.join(dir, 'model.json'), modelJson(['pipe.bin', '../outside.bin']));
    mkfifo(path.join(dir, 'pipe.bin'));
    await writeFile(path.join(dir, 'outside.bin'), new Uint8Array([9]));
    // Opening a FIFO for reading would block until a writer comes: the test's timeout would end it.
    const withPipe = await modelContentHash(path.join(dir, 'model.json'));
    assert.match(withPipe, /^[0-9a-f]{64}$/);
    mkfifo(path.join(dir, 'model.h5'));
    assert.match(await modelContentHash(path.join(dir, 'model.h5')), /^[0-9a-f]{64}$/);
  });
});
