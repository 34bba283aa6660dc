import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { InputError } from '../../src/shared/errors';
import { firstNonFinite } from '../../src/engine/analyses/nonFinite';
import { runActivationJob } from '../../src/jobs/activationJob';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

describe('NaN and Infinity in model outputs', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildTinyConvnet();
    // The second convolution's bias is NaN: its output, and everything after it, is NaN.
    const [kernel, bias] = model.layers[2].getWeights();
    model.layers[2].setWeights([kernel, tf.fill(bias.shape, NaN)]);
    modelPath = await writeModel(model, dir, 'nan-model');
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'image.png'));
  });
  after(() => removeDir(dir));

  it('finds the first non-finite value', function () {
    assert.equal(firstNonFinite([1, 2, 3]), undefined);
    assert.ok(Number.isNaN(firstNonFinite([0, NaN, Infinity])));
    assert.equal(firstNonFinite(new Float32Array([0, -Infinity])), -Infinity);
  });

  it('shows the layers before the NaN and names the layer that produced it', async function () {
    const shown: string[] = [];
    const run = runActivationJob(
      { modelPath, imagePath, layers: { first: 8 }, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
      { checkCancelled: async () => {}, onLayer: (layer) => void shown.push(layer.layerName) },
    );
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.file, modelPath);
      assert.match(error.problem, /^produced NaN at layer "conv2d_\w+" for this input/);
      return true;
    });
    assert.equal(shown.length, 2, 'the convolution and pooling before the NaN are shown');
  });

  it('refuses to draw a Grad-CAM heatmap from NaN', async function () {
    await assert.rejects(
      runGradCamJob({ modelPath, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: async () => {} }),
      (error: unknown) => error instanceof InputError && error.file === modelPath && /NaN|non-finite/.test(error.problem),
    );
  });
});
