import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { computeActivations, selectLayers } from '../../src/engine/analyses/activations';
import { InputError } from '../../src/shared/errors';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { buildCatsVsDogsConvnet, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';

describe('activations of the study notes’ cats-vs-dogs convnet', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    const original = buildCatsVsDogsConvnet();
    modelPath = await writeModel(original, dir);
    original.dispose();
    imagePath = await writeTestImage(path.join(dir, 'cat.png'), 300, 240);
  });

  after(() => removeDir(dir));

  it('gives the eight shapes the study notes print, through the real loader and image reader', async function () {
    const { model } = await loadModelFromFile(modelPath);
    try {
      const summary = summarizeModel(model, modelPath);
      const layerIndices = selectLayers(summary, {});
      const image = await readImageForModel(imagePath, { height: 150, width: 150, channels: 3 });
      const input = preprocessPixels(image.pixels, image.channels, 'rescale');
      const activations = await computeActivations(model, modelPath, input, [150, 150, 3], layerIndices);
      assert.deepEqual(
        activations.map((activation) => activation.shape),
        [
          [1, 148, 148, 32],
          [1, 74, 74, 32],
          [1, 72, 72, 64],
          [1, 36, 36, 64],
          [1, 34, 34, 128],
          [1, 17, 17, 128],
          [1, 15, 15, 128],
          [1, 7, 7, 128],
        ],
      );
      assert.deepEqual(
        layerIndices.map((index) => summary.layers[index].className),
        ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D'],
      );
      assert.equal(activations[0].data.length, 148 * 148 * 32);
      // ReLU outputs: never negative, and not all zero for a real image.
      assert.ok(activations[0].data.every((value) => value >= 0));
      assert.ok(activations[0].data.some((value) => value > 0));
    } finally {
      model.dispose();
    }
  });

  it('matches the model’s own layer-by-layer computation (inference mode)', async function () {
    const { model } = await loadModelFromFile(modelPath);
    try {
      const input = new Float32Array(150 * 150 * 3).map((_, i) => ((i * 7919) % 256) / 255);
      const [pooled] = await computeActivations(model, modelPath, input, [150, 150, 3], [1]);
      const expected = tf.tidy(() => {
        const x = tf.tensor4d(input, [1, 150, 150, 3]);
        return model.layers[1].apply(model.layers[0].apply(x)) as tf.Tensor;
      });
      const expectedData = await expected.data();
      expected.dispose();
      assert.equal(pooled.data.length, expectedData.length);
      for (let i = 0; i < expectedData.length; i += 97) assert.ok(Math.abs(pooled.data[i] - expectedData[i]) < 1e-4);
    } finally {
      model.dispose();
    }
  });

  it('leaves no tensor behind after a job', async function () {
    const { model } = await loadModelFromFile(modelPath);
    try {
      const baseline = tf.memory().numTensors;
      const input = new Float32Array(150 * 150 * 3).fill(0.5);
      await computeActivations(model, modelPath, input, [150, 150, 3], [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(tf.memory().numTensors, baseline);
    } finally {
      model.dispose();
    }
  });
});

describe('selectLayers', function () {
  before(useWasmBackend);

  const summaryOf = (model: tf.LayersModel) => summarizeModel(model, '/models/tiny/model.json');

  it('takes the first N layers with 4-D outputs, skipping Flatten and Dense', function () {
    const model = buildTinyConvnet();
    try {
      const summary = summaryOf(model);
      assert.deepEqual(selectLayers(summary, {}), [0, 1, 2]);
      assert.deepEqual(selectLayers(summary, { first: 2 }), [0, 1]);
    } finally {
      model.dispose();
    }
  });

  it('keeps named layers in model order and refuses unknown or non-spatial ones', function () {
    const model = buildTinyConvnet();
    try {
      const summary = summaryOf(model);
      const [conv1, pool, conv2, flatten] = summary.layers.map((layer) => layer.name);
      assert.deepEqual(selectLayers(summary, { names: [conv2, conv1] }), [0, 2]);
      assert.throws(() => selectLayers(summary, { names: ['nope'] }), (error: InputError) => error instanceof InputError && /no layer named "nope"/.test(error.message));
      assert.throws(() => selectLayers(summary, { names: [flatten] }), /only 4-D outputs/);
      assert.ok(pool);
    } finally {
      model.dispose();
    }
  });

  it('says so when a model has no 4-D layer outputs', function () {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    try {
      assert.throws(() => selectLayers(summaryOf(model), {}), (error: InputError) => error instanceof InputError && error.file === '/models/tiny/model.json' && /no layer with a 4-D/.test(error.problem));
    } finally {
      model.dispose();
    }
  });
});
