// The loaders on model files real tools wrote (../shared/realmodels, MIT-licensed, never copied
// into the project): a Keras 3.10 `.keras` MNIST net checked against the TF.js graph model of the
// same net, and a Keras 2.0.5 HDF5 mini-Xception checked on the faces of its authors' demo image.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { runActivationJob } from '../../src/jobs/activationJob';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const REAL_MODELS = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels');
const MNIST_FOLDER = path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph');
const MNIST_KERAS = path.join(MNIST_FOLDER, 'Subhadip_Hensh_MNIST_CNN.keras');
const FER_FOLDER = path.join(REAL_MODELS, 'fer-minixception-h5');
const FER_H5 = path.join(FER_FOLDER, 'fer2013_mini_XCEPTION.102-0.66.hdf5');
const FER_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };
const noCancel = async () => {};

function skipWithoutRealModels(context: Mocha.Context): void {
  if (existsSync(REAL_MODELS)) return;
  console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files these tests read)`);
  context.skip();
}

/** A 28×28 white-on-black stroke image, MNIST style: a "1", a "7" or a "0". */
function digitPixels(digit: 1 | 7 | 0): Uint8Array {
  const pixels = new Uint8Array(28 * 28);
  const ink = (x: number, y: number) => {
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) pixels[(Math.round(y) + dy) * 28 + Math.round(x) + dx] = 255;
  };
  for (let t = 0; t <= 1; t += 0.02) {
    if (digit === 1) ink(14, 5 + 18 * t);
    if (digit === 7 && t < 0.5) ink(8 + 24 * t, 6);
    if (digit === 7 && t >= 0.5) ink(20 - 16 * (t - 0.5), 6 + 36 * (t - 0.5));
    if (digit === 0) ink(14 + 6 * Math.cos(2 * Math.PI * t), 14 + 9 * Math.sin(2 * Math.PI * t));
  }
  return pixels;
}

/** The TF.js graph model beside the .keras file, loaded from memory (a reference, not what Convscope opens). */
async function loadMnistGraphModel(): Promise<tf.GraphModel> {
  const json = JSON.parse(await readFile(path.join(MNIST_FOLDER, 'model.json'), 'utf8'));
  const [group] = json.weightsManifest;
  const weightData = new Uint8Array(await readFile(path.join(MNIST_FOLDER, group.paths[0]))).buffer;
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData, format: json.format, signature: json.signature }));
}

describe('real model files', function () {
  let dir: string;

  before(async function () {
    skipWithoutRealModels(this);
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(async () => {
    releaseCachedModel();
    if (dir) await removeDir(dir);
  });

  describe('Keras 3.10 .keras MNIST CNN', function () {
    it('predicts what the TF.js graph model of the same network predicts', async function () {
      const { model, notes } = await loadModelFromFile(MNIST_KERAS);
      const graph = await loadMnistGraphModel();
      try {
        assert.deepEqual(notes, []);
        assert.deepEqual(
          model.layers.map((layer) => layer.getClassName()),
          ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'Dense'],
        );
        const digits = ([1, 7, 0] as const).map((digit) => Float32Array.from(digitPixels(digit), (value) => value / 255));
        const [keras, reference] = tf.tidy(() => {
          const noise = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5);
          const batch = tf.concat([tf.tensor4d(Float32Array.from(digits.flatMap((digit) => [...digit])), [3, 28, 28, 1]), noise]);
          return [model.predict(batch) as tf.Tensor2D, graph.predict(batch) as tf.Tensor2D];
        });
        const [kerasRows, referenceRows] = [keras.arraySync(), reference.arraySync()];
        tf.dispose([keras, reference]);
        for (const [i, row] of kerasRows.entries()) {
          assert.ok(Math.abs(row.reduce((sum, p) => sum + p, 0) - 1) < 1e-5, 'a probability distribution');
          const difference = Math.max(...row.map((p, j) => Math.abs(p - referenceRows[i][j])));
          assert.ok(difference < 1e-4, `input ${i}: the .keras model and the graph model differ by ${difference}`);
          assert.equal(row.indexOf(Math.max(...row)), referenceRows[i].indexOf(Math.max(...referenceRows[i])));
        }
      } finally {
        model.dispose();
        graph.dispose();
      }
    });

    it('shows activations, filter patterns and Grad-CAM through the jobs the extension runs', async function () {
      const imagePath = path.join(dir, 'seven.png');
      await sharp(digitPixels(7), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(imagePath);

      const shapes: number[][] = [];
      const activations = await runActivationJob(
        { modelPath: MNIST_KERAS, imagePath, layers: {}, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
        { onLayer: (image) => void shapes.push(image.shape), checkCancelled: noCancel },
      );
      assert.deepEqual(activations.summary.inputShape, [28, 28, 1]);
      assert.deepEqual(shapes, [
        [1, 24, 24, 8],
        [1, 12, 12, 8],
        [1, 8, 8, 16],
        [1, 4, 4, 16],
      ]);

      const tiles: number[] = [];
      await runFilterPatternJob(
        { modelPath: MNIST_KERAS, layerName: 'conv2d_1', filters: [0, 1], parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 28, steps: 3 }, limits },
        { onFilter: (image) => void tiles.push(image.filter), checkCancelled: noCancel },
      );
      assert.deepEqual(tiles, [0, 1]);

      const gradCam = await runGradCamJob({ modelPath: MNIST_KERAS, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
      assert.equal(gradCam.info.layer.name, 'conv2d_1');
      assert.deepEqual(gradCam.info.heatmapSize, [8, 8]);
      assert.equal(gradCam.info.predictions.length, 5);
    });
  });

  describe('Keras 2.0.5 HDF5 mini-Xception (FER2013 emotions)', function () {
    /** The four faces of the authors' demo image (1000×1000), inside the boxes they drew, with the labels they printed. */
    const FACES = [
      { label: 'surprise', box: [148, 164, 151, 163] },
      { label: 'happy', box: [673, 106, 174, 196] },
      { label: 'sad', box: [139, 598, 180, 193] },
      { label: 'angry', box: [698, 644, 188, 208] },
    ];

    /** The face cut out and saved as a PNG, for the image reader to make 64×64 grayscale of. */
    async function faceImage(box: number[], name: string): Promise<string> {
      const [left, top, width, height] = box;
      const file = path.join(dir, `${name}.png`);
      await sharp(path.join(FER_FOLDER, 'emotion_classification.jpg')).extract({ left, top, width, height }).png().toFile(file);
      return file;
    }

    it('reads each face of the demo image as the emotion its authors labelled it', async function () {
      const { model } = await loadModelFromFile(FER_H5);
      model.dispose();
      for (const face of FACES) {
        const imagePath = await faceImage(face.box, face.label);
        // The authors' preprocessing maps gray levels to [-1, 1]: the `tf` mode.
        const result = await runGradCamJob({ modelPath: FER_H5, imagePath, preprocess: 'tf', score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
        const scores = result.info.predictions.map((prediction) => prediction.score);
        assert.equal(FER_LABELS[result.info.predictions[0].index], face.label, `${face.label} face: ${JSON.stringify(result.info.predictions)}`);
        assert.ok(scores.every((score) => score >= 0 && score <= 1));
        assert.equal(result.info.layer.name, 'conv2d_7');
        assert.equal(result.info.noPositiveEvidence, false);
      }
    });

    it('takes 64×64 grayscale input and shows the first layers’ activations with their shapes', async function () {
      const imagePath = await faceImage(FACES[1].box, 'activations');
      const shapes: [string, number[]][] = [];
      const result = await runActivationJob(
        { modelPath: FER_H5, imagePath, layers: { first: 4 }, preprocess: 'tf', colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
        { onLayer: (image) => void shapes.push([image.layerName, image.shape]), checkCancelled: noCancel },
      );
      assert.deepEqual(result.summary.inputShape, [64, 64, 1]);
      assert.equal(result.summary.layers.length, 46);
      assert.deepEqual(shapes, [
        ['conv2d_1', [1, 62, 62, 8]],
        ['batch_normalization_1', [1, 62, 62, 8]],
        ['activation_1', [1, 62, 62, 8]],
        ['conv2d_2', [1, 60, 60, 8]],
      ]);
    });
  });
});
