import assert from 'node:assert/strict';
import { readdir, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { modelContentHash } from '../../src/files/modelContentHash';
import { FilterPatternCache, filterRunKey, type CachedFilterRun } from '../../src/host/panel/filterPatternCache';
import { makeTempDir, removeDir } from '../support/engineFixtures';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../src/shared/defaults';

function cachedRun(tileBytes: number): CachedFilterRun {
  const grid = { rows: 1, columns: 1, tileSize: 4, margin: 5, width: 4, height: 4 };
  return {
    session: { modelPath: '/m/model.json', modelName: 'm', layerIndex: 0, layerName: 'conv', filterCount: 1, filters: [0], grid, parameters: DEFAULT_FILTER_PATTERN_PARAMETERS, preprocess: 'rescale' },
    tiles: [{ layerIndex: 0, layerName: 'conv', filter: 0, tile: 0, size: 4, lossStart: 0.5, lossEnd: 2.5, steps: 40, dead: false, png: new Uint8Array(tileBytes).fill(7) }],
    info: {
      backend: 'wasm',
      modelPath: '/m/model.json',
      layerIndex: 0,
      layerName: 'conv',
      preprocess: 'rescale',
      parameters: DEFAULT_FILTER_PATTERN_PARAMETERS,
      filters: [0],
      batchSize: 1,
      inputChannels: 3,
      timings: { loadModelMs: 1, optimizeMs: 2, renderMs: 3 },
    },
    gridPng: new Uint8Array([1, 2, 3]),
  };
}

describe('FilterPatternCache', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('gives back a stored run with its images as bytes', async function () {
    const cache = new FilterPatternCache(path.join(dir, 'cache'), () => 10 * 2 ** 20);
    await cache.put('k1', cachedRun(32));
    const run = await cache.get('k1');
    assert.ok(run);
    assert.ok(run.tiles[0].png instanceof Uint8Array);
    assert.deepEqual([...run.tiles[0].png], new Array(32).fill(7));
    assert.deepEqual([...run.gridPng], [1, 2, 3]);
    assert.equal(run.tiles[0].lossEnd, 2.5);
    assert.equal(await cache.get('other'), undefined);
  });

  it('keeps within its size limit, dropping the least recently used run', async function () {
    const cache = new FilterPatternCache(path.join(dir, 'cache'), () => 9000);
    await cache.put('old', cachedRun(2000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.put('used', cachedRun(2000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(await cache.get('old'), 'reading refreshes "old"');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.put('new', cachedRun(2000));
    assert.ok(await cache.get('new'));
    assert.ok(await cache.get('old'));
    assert.equal(await cache.get('used'), undefined, 'the least recently used entry was dropped');
  });

  it('is off with a zero limit, and clear empties it', async function () {
    const off = new FilterPatternCache(path.join(dir, 'off'), () => 0);
    await off.put('k', cachedRun(8));
    assert.equal(await off.get('k'), undefined);
    const cache = new FilterPatternCache(path.join(dir, 'cache'), () => 2 ** 20);
    await cache.put('k', cachedRun(8));
    await cache.clear();
    assert.equal(await cache.get('k'), undefined);
    assert.deepEqual(await readdir(dir), []);
  });

  it('keys on the model’s content, the layer, the filters and every parameter', async function () {
    const modelPath = path.join(dir, 'model.json');
    await writeFile(modelPath, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }));
    await writeFile(path.join(dir, 'w.bin'), new Uint8Array([1, 2, 3]));
    const hash = await modelContentHash(modelPath);
    const key = filterRunKey(hash, 'conv', undefined, DEFAULT_FILTER_PATTERN_PARAMETERS, undefined);
    assert.equal(filterRunKey(hash, 'conv', undefined, DEFAULT_FILTER_PATTERN_PARAMETERS, undefined), key);
    assert.notEqual(filterRunKey(hash, 'conv2', undefined, DEFAULT_FILTER_PATTERN_PARAMETERS, undefined), key);
    assert.notEqual(filterRunKey(hash, 'conv', [3], DEFAULT_FILTER_PATTERN_PARAMETERS, undefined), key);
    assert.notEqual(filterRunKey(hash, 'conv', undefined, { ...DEFAULT_FILTER_PATTERN_PARAMETERS, steps: 41 }, undefined), key);
    // New weights, same model.json: another model.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await appendFile(path.join(dir, 'w.bin'), new Uint8Array([4]));
    assert.notEqual(await modelContentHash(modelPath), hash);
  });
});
