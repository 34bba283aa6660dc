import assert from 'node:assert/strict';
import path from 'node:path';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import { describeJob, laneOf } from '../../src/host/engineJobs';
import { DATASET_DEFAULTS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { DatasetJobRequest, DatasetRunStart } from '../../src/shared/engineProtocol';
import type { DatasetImageResult } from '../../src/shared/types';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, makeTempDir, removeDir } from '../support/engineFixtures';
import { writeShapesDataset } from '../support/datasetFixtures';

const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');

describe('dataset job through the engine worker', function () {
  this.timeout(240_000);
  let dir: string;
  let client: EngineClient;
  const request = (cacheRoot: string): DatasetJobRequest => ({
    modelPath: EXAMPLE_MODEL,
    folder: path.join(dir, 'data'),
    cacheRoot,
    batchSize: 4,
    maxImages: DATASET_DEFAULTS.maxImages,
    thumbnailSize: 32,
    colormap: 'jet',
    intensity: 0.4,
    limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS },
  });

  before(async () => {
    ensureBuilt();
    dir = await makeTempDir('convscope-dataset-worker-');
    await writeShapesDataset(path.join(dir, 'data'), { count: 16, seed: 5, mislabelEvery: 4 });
    client = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
  });
  after(async () => {
    await client.dispose();
    await removeDir(dir);
  });

  it('runs on the long lane and is named by its folder to a job waiting behind it', () => {
    const asked = request('/tmp/unused');
    assert.equal(laneOf('dataset', asked), 'long');
    assert.equal(describeJob('dataset', asked), 'explaining the folder data (shapes/model.json)');
  });

  it('streams each batch of results, then the summary', async () => {
    let start: DatasetRunStart | undefined;
    const batches: DatasetImageResult[][] = [];
    const summary = await client.runDataset(request(path.join(dir, 'cache')), {
      onStarted: (started) => (start = started),
      onImages: (images) => batches.push(images),
    });
    assert.equal(start?.imageCount, 16);
    assert.deepEqual(start?.classNames, ['circle', 'square', 'triangle']);
    assert.deepEqual(batches.map((batch) => batch.length), [4, 4, 4, 4]);
    assert.equal(summary.predictedCount, 16);
    assert.equal(summary.confusion.flat().reduce((sum, count) => sum + count, 0), 16);
    assert.equal(client.hasWorker('long'), true);
  });

  it('stops when cancelled, and the next run resumes from what was cached', async () => {
    const cacheRoot = path.join(dir, 'cancel-cache');
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      client.runDataset(request(cacheRoot), {
        onImages: (images) => {
          seen += images.length;
          controller.abort();
        },
      }, controller.signal),
      (error: unknown) => error instanceof EngineError && error.kind === 'cancelled',
    );
    assert.ok(seen >= 4 && seen < 16, `${seen} results before the cancel took effect`);
    const resumed = await client.runDataset(request(cacheRoot), {});
    assert.ok(resumed.cachedCount >= 4 && resumed.cachedCount < 16, `${resumed.cachedCount} from the cache`);
    assert.equal(resumed.predictedCount, 16);
  });
});
