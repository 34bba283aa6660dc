// Models whose input takes any height and width (`None` in Keras' shape): images are resized to
// 224 × 224 unless another side is asked for, through the activation and Grad-CAM jobs.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runActivationJob } from '../../src/jobs/activationJob';
import type { ActivationJobRequest } from '../../src/shared/engineProtocol';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

describe('models that take any image size', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [null, null, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.globalAveragePooling2d({ name: 'pool' }),
        tf.layers.dense({ units: 2, activation: 'softmax', name: 'classes', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    modelPath = await writeModel(model, dir);
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'photo.png'), 90, 60);
  });

  after(async function () {
    releaseCachedModel();
    await removeDir(dir);
  });

  const activations = async (inputSide?: number) => {
    const request: ActivationJobRequest = { modelPath, imagePath, layers: { names: ['conv'] }, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0, ...(inputSide ? { inputSide } : {}) };
    const shapes: number[][] = [];
    const result = await runActivationJob(request, { checkCancelled: async () => {}, onLayer: (layer) => void shapes.push(layer.shape) });
    return { info: result.info, shapes };
  };

  it('resizes images to 224 × 224 by default, and to the side asked for', async function () {
    const byDefault = await activations();
    assert.deepEqual(byDefault.info.inputSize, [224, 224, 3]);
    assert.deepEqual(byDefault.shapes[0], [1, 222, 222, 4]);
    const asked = await activations(96);
    assert.deepEqual(asked.info.inputSize, [96, 96, 3]);
    assert.deepEqual(asked.shapes[0], [1, 94, 94, 4]);
  });

  it('explains a prediction at the side asked for', async function () {
    const result = await runGradCamJob(
      { modelPath, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits, inputSide: 50 },
      { checkCancelled: async () => {} },
    );
    assert.deepEqual(result.info.heatmapSize, [48, 48]);
  });
});
