// The filter-pattern job with example images ("what excites this filter in your images"): every
// tile arrives with the crops of the images where its filter fires most, best first, as PNGs.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { loadModelCached, releaseCachedModel } from '../../src/jobs/modelCache';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { FilterPatternImage } from '../../src/shared/types';
import { REPO_ROOT, useWasmBackend } from '../support/engineFixtures';

describe('filter-pattern job: example crops with each tile', function () {
  this.timeout(120_000);
  before(useWasmBackend);

  it('hands every tile the crops of the example images that excite its filter most, best first, as PNGs, and leaves no tensor behind', async function () {
    const modelPath = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');
    const images = ['circle-1', 'square-2', 'triangle-3', 'circle-2'].map((name) => path.join(REPO_ROOT, 'examples', 'shapes', `${name}.png`));
    await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const baseline = tf.memory().numTensors;
    const tiles: FilterPatternImage[] = [];
    const messages: string[] = [];
    await runFilterPatternJob(
      {
        modelPath,
        layerName: 'conv2d_2',
        filters: [0, 1, 2],
        parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 24, steps: 2, realImages: [] },
        limits: { model: DEFAULT_MODEL_LIMITS },
        examples: { images, top: 2 },
      },
      { onFilter: (tile) => void tiles.push(tile), onProgress: (_done, _total, message) => messages.push(message), checkCancelled: async () => {} },
    );
    assert.equal(tf.memory().numTensors, baseline);
    releaseCachedModel();
    assert.ok(messages.includes('reading example images 4/4'), messages.join('\n'));
    assert.deepEqual(tiles.map((tile) => tile.filter), [0, 1, 2]);
    for (const tile of tiles) {
      const examples = tile.examples ?? assert.fail(`filter ${tile.filter} has no examples`);
      assert.ok(examples.length >= 1 && examples.length <= 2, `filter ${tile.filter}: ${examples.length} crops`);
      assert.ok(examples.every((example, i) => example.activation > 0 && (i === 0 || examples[i - 1].activation >= example.activation)), 'best first, all firing');
      for (const example of examples) {
        assert.ok(images.includes(example.image));
        const meta = await sharp(example.png).metadata();
        assert.deepEqual([meta.width, meta.height], [example.crop.width, example.crop.height]);
      }
    }
  });
});
