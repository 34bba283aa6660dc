import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadClassNames } from '../../src/engine/analyses/classNames';
import { InputError } from '../../src/shared/errors';
import { listTargetLayers } from '../../src/engine/analyses/gradCam';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { buildTinyConvnet, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { snapshotFolder } from '../support/folderSnapshot';
import {
  buildKerasStyleConvnet,
  keras2Config,
  keras3Config,
  namedWeights,
  randomizeWeights,
  writeKerasArchive,
  writeKerasH5,
  writeKerasWeightsOnlyH5,
  writeModelJson,
} from '../support/kerasFixtures';
import { DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { ModelFileLimits } from '../../src/shared/types';

/** The loaded model gives the original's outputs for the same random input. */
function assertSamePredictions(original: tf.LayersModel, loaded: tf.LayersModel): void {
  const [maxDifference, scale] = tf.tidy(() => {
    const x = tf.randomUniform([2, ...(original.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 11);
    const expected = original.predict(x) as tf.Tensor;
    const actual = loaded.predict(x) as tf.Tensor;
    assert.deepEqual(actual.shape, expected.shape);
    return [tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0], tf.max(tf.abs(expected)).dataSync()[0]];
  });
  assert.ok(scale > 0 && maxDifference < 1e-5, `outputs differ by ${maxDifference}`);
}

describe('loadModelFromFile: model files as real tools write them', function () {
  let dir: string;
  let functional: tf.LayersModel;
  let sequential: tf.Sequential;
  let counter = 0;
  const folder = () => path.join(dir, `case-${counter++}`);

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    functional = buildKerasStyleConvnet();
    sequential = buildTinyConvnet({ name: 'sequential_19' });
    randomizeWeights(sequential, 5);
  });
  after(async () => {
    functional.dispose();
    sequential.dispose();
    await removeDir(dir);
  });

  /** Loads, checks the predictions against `original`, disposes, and returns the load notes. */
  async function loadsAs(original: tf.LayersModel, file: string): Promise<string[]> {
    const { model, notes } = await loadModelFromFile(file);
    try {
      assertSamePredictions(original, model);
      return notes;
    } finally {
      model.dispose();
    }
  }

  /** Loading fails with one line naming `file`, leaves no tensor and changes nothing on disk. */
  async function expectInputError(file: string, problem: RegExp, limits: ModelFileLimits = DEFAULT_MODEL_LIMITS): Promise<void> {
    const before = await snapshotFolder(dir);
    const tensorsBefore = tf.memory().numTensors;
    await assert.rejects(loadModelFromFile(file, limits), (error: unknown) => {
      assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
      assert.equal(error.file, file);
      assert.match(error.problem, problem);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
    assert.deepEqual(await snapshotFolder(dir), before, 'no file written or changed');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
  }

  describe('TF.js model.json', function () {
    it('opens a Functional model converted from Keras 3 (batch_shape, DTypePolicy, new inbound_nodes, alphabetical manifest)', async function () {
      const weights = namedWeights(functional).sort((a, b) => a.name.localeCompare(b.name));
      const topology = { keras_version: '3.10.0', backend: 'tensorflow', model_config: keras3Config(functional) };
      const modelPath = await writeModelJson(folder(), topology, weights, { format: 'layers-model', extra: { convertedBy: 'TensorFlow.js Converter v4.22.0' } });
      assert.deepEqual(await loadsAs(functional, modelPath), [], 'exact names: nothing to note');
      const { model } = await loadModelFromFile(modelPath);
      const summary = summarizeModel(model, modelPath);
      model.dispose();
      assert.deepEqual(summary.inputShape, [12, 16, 1]);
      assert.deepEqual(
        summary.layers.map((layer) => layer.className),
        ['InputLayer', 'ZeroPadding2D', 'Conv2D', 'BatchNormalization', 'Activation', 'SeparableConv2D', 'DepthwiseConv2D', 'Add', 'Concatenate', 'MaxPooling2D', 'GlobalAveragePooling2D', 'Dropout', 'Dense'],
      );
    });

    it('opens a Keras 3 Sequential whose weight names carry the model name, and says how they matched', async function () {
      const weights = namedWeights(sequential)
        .map(({ name, tensor }) => ({ name: `sequential_19/${name}`, tensor }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const modelPath = await writeModelJson(folder(), keras3Config(sequential), weights, { format: 'layers-model' });
      const notes = await loadsAs(sequential, modelPath);
      assert.equal(notes.length, 1, notes.join('\n'));
      assert.match(notes[0], /by layer and weight name, ignoring the file's prefix \(e\.g\. sequential_19\/\S+ → \S+\)/);
    });

    it('opens an older export: no format key, weights.bin, numbered scopes (batch_normalization_1_1/gamma)', async function () {
      const weights = namedWeights(functional).map(({ name, tensor }) => {
        const [layer, weight] = name.split('/');
        return { name: `${layer}_1/${weight}`, tensor };
      });
      const modelPath = await writeModelJson(folder(), keras2Config(functional), weights, { weightsFile: 'weights.bin' });
      const notes = await loadsAs(functional, modelPath);
      assert.deepEqual(notes, ["Weights matched by layer and weight name, allowing Keras' numbered scope suffix (e.g. conv2d_1_1/kernel → conv2d_1/kernel)"]);
    });

    it('falls back to file order and shape when no name fits, and says so', async function () {
      const weights = namedWeights(functional).map(({ tensor }, i) => ({ name: `weight_${i}`, tensor }));
      const modelPath = await writeModelJson(folder(), keras2Config(functional), weights);
      const notes = await loadsAs(functional, modelPath);
      assert.equal(notes.length, 1);
      assert.match(notes[0], /in file order \(their names match no layer\), each checked for shape \(e\.g\. weight_0 → conv2d_1\/kernel\)/);
    });

    it('refuses weights that leave a variable without a value, naming the variable', async function () {
      const weights = namedWeights(functional).filter(({ name }) => name !== 'batch_normalization_1/moving_mean');
      const modelPath = await writeModelJson(folder(), keras2Config(functional), weights);
      await expectInputError(modelPath, /its weights do not fit the model: the file has no weight for variable "batch_normalization_1\/moving_mean" \[4\]/);
    });

    it('refuses a stored weight whose shape differs from its variable', async function () {
      const weights = namedWeights(functional).map(({ name, tensor }) => ({ name, tensor: name === 'predictions/bias' ? tf.zeros([4]) : tensor }));
      const modelPath = await writeModelJson(folder(), keras2Config(functional), weights);
      tf.dispose(weights.find(({ name }) => name === 'predictions/bias')!.tensor);
      await expectInputError(modelPath, /stores "predictions\/bias" with shape \[4\], but the model's "predictions\/bias" has shape \[3\]/);
    });

    it('opens a Teachable-Machine-style export (nested Sequential, no format key) with labels from metadata.json', async function () {
      const base = tf.sequential({ name: 'sequential_1', layers: [tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'Conv1' })] });
      const head = tf.sequential({ name: 'sequential_3', layers: [tf.layers.flatten({ inputShape: [14, 14, 4], name: 'flatten_1' }), tf.layers.dense({ units: 2, activation: 'softmax', name: 'dense_Dense1' })] });
      const outer = tf.sequential({ name: 'sequential_4', layers: [base, head] });
      randomizeWeights(outer, 9);
      const modelFolder = folder();
      const modelPath = await writeModelJson(modelFolder, keras2Config(outer), namedWeights(outer), { weightsFile: 'weights.bin' });
      await writeFile(path.join(modelFolder, 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', tmVersion: '2.4.4', labels: ['Class 1', 'Class 2'], imageSize: 16 }));
      try {
        assert.deepEqual(await loadsAs(outer, modelPath), []);
        const { model } = await loadModelFromFile(modelPath);
        assert.deepEqual(listTargetLayers(model).map((layer) => layer.name), ['sequential_1/Conv1']);
        model.dispose();
        const classNames = await loadClassNames(modelPath, 2);
        assert.deepEqual([classNames.source, classNames.names], ['file', ['Class 1', 'Class 2']]);
      } finally {
        outer.dispose();
      }
    });
  });

  describe('Keras HDF5 (.h5, .hdf5)', function () {
    it('opens a Keras 2 Functional model with optimizer state, weights at model_weights/<layer>/<layer>_1/<weight>:0', async function () {
      await mkdir(folder(), { recursive: true });
      const file = path.join(dir, `case-${counter - 1}`, 'model.h5');
      await writeKerasH5(file, functional);
      assert.deepEqual(await loadsAs(functional, file), [], 'the format’s own layout: nothing to note');
    });

    it('opens an old Keras 2.0 Sequential whose config is a bare list of layers (.hdf5)', async function () {
      const config = keras2Config(sequential);
      const file = path.join(dir, 'bare-list.hdf5');
      await writeKerasH5(file, sequential, { class_name: 'Sequential', config: config.config.layers });
      assert.deepEqual(await loadsAs(sequential, file), []);
    });

    it('opens a Keras 2 model whose base model is nested in a Sequential (the study notes’ conv_base)', async function () {
      const convBase = tf.sequential({
        name: 'conv_base',
        layers: [
          tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'block1_conv1' }),
          tf.layers.batchNormalization({ name: 'block1_bn' }),
          tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'block1_conv2' }),
        ],
      });
      const model = tf.sequential({ name: 'sequential_1', layers: [convBase, tf.layers.flatten({ name: 'flatten_1' }), tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'dense_1' })] });
      randomizeWeights(model, 17);
      const file = path.join(dir, 'cats_and_dogs_small_3.h5');
      try {
        await writeKerasH5(file, model);
        assert.deepEqual(await loadsAs(model, file), []);
        // Listed layer by layer (moving statistics beside their layer), positions no longer fit: names do.
        await writeKerasH5(file, model, keras2Config(model), { nestedLayerByLayer: true });
        assert.deepEqual(await loadsAs(model, file), ["Weights matched by layer and weight name, allowing Keras' numbered scope suffix (e.g. conv_base/block1_conv1/kernel:0 → block1_conv1/kernel)"]);
      } finally {
        model.dispose();
      }
    });

    it('refuses a weights-only file, a file that is not HDF5, a truncated one and a broken model config, in one line each', async function () {
      const weightsOnly = path.join(dir, 'weights-only.h5');
      await writeKerasWeightsOnlyH5(weightsOnly, sequential);
      await expectInputError(weightsOnly, /holds only weights \(saved with save_weights\), not a model/);
      const text = path.join(dir, 'notes.h5');
      await writeFile(text, 'not hdf5 at all');
      await expectInputError(text, /is not an HDF5 file/);
      const truncated = path.join(dir, 'truncated.h5');
      await writeKerasH5(truncated, sequential);
      await truncate(truncated, 4000);
      await expectInputError(truncated, /cannot be opened as HDF5: the file is truncated or damaged/);
      const broken = path.join(dir, 'broken-config.h5');
      await writeKerasH5(broken, sequential, { class_name: 'Sequential', config: { name: 'x', layers: [{ class_name: 'Conv2D', config: null }] } });
      await expectInputError(broken, /has no config object/);
    });
  });

  describe('Keras .keras archives', function () {
    it('opens a Keras 3 Functional archive (weights at layers/<layer>/vars/<i>, optimizer state beside)', async function () {
      const file = path.join(dir, 'functional.keras');
      await writeKerasArchive(file, functional);
      assert.deepEqual(await loadsAs(functional, file), []);
    });

    it('opens a Sequential nested in a Sequential behind a RandomFlip, which runs as an identity', async function () {
      const inner = tf.sequential({
        name: 'feature_extractor',
        layers: [tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 3, kernelSize: 3, name: 'conv2d' }), tf.layers.batchNormalization({ name: 'batch_normalization' })],
      });
      const outer = tf.sequential({ name: 'sequential', layers: [inner, tf.layers.flatten({ name: 'flatten' }), tf.layers.dense({ units: 2, name: 'dense' })] });
      randomizeWeights(outer, 13);
      const config = keras3Config(outer) as { config: { layers: unknown[] } };
      const randomFlip = { module: 'keras.layers', class_name: 'RandomFlip', config: { name: 'random_flip', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } }, mode: 'horizontal', seed: null }, registered_name: null };
      config.config.layers.splice(1, 0, randomFlip);
      const file = path.join(dir, 'nested.keras');
      try {
        await writeKerasArchive(file, outer, config);
        assert.deepEqual(await loadsAs(outer, file), ['Random augmentation layers do nothing at inference and run as identities: random_flip']);
      } finally {
        outer.dispose();
      }
    });

    it('refuses an archive member that inflates past its limit, even when its header claims less', async function () {
      const file = path.join(dir, 'bomb.keras');
      await writeKerasArchive(file, sequential);
      const bytes = new Uint8Array(await readFile(file));
      const small: ModelFileLimits = { maxModelJsonBytes: 64 * 1024, maxWeightBytes: 4 * 1024 };
      const tempBefore = (await readdir(os.tmpdir())).filter((name) => name.startsWith('convscope-keras-'));
      await expectInputError(file, /member model\.weights\.h5 decompresses to more than 12 KiB, over the limit \(3× the weight limit/, small);
      // A header that understates the size: the stream's own length still stops it.
      await writeFile(file, understateSizes(bytes, 'model.weights.h5'));
      await expectInputError(file, /member model\.weights\.h5 decompresses to more than 12 KiB/, small);
      const tempAfter = (await readdir(os.tmpdir())).filter((name) => name.startsWith('convscope-keras-'));
      assert.deepEqual(tempAfter, tempBefore, 'the extracted weights are removed');
    });

    it('refuses a .keras that is not a zip, one without config.json, and a layer class TF.js lacks, naming the layer', async function () {
      const notZip = path.join(dir, 'not-zip.keras');
      await writeFile(notZip, '{}');
      await expectInputError(notZip, /is not a \.keras archive \(not a zip file\)/);

      const normalization = { module: 'keras.layers', class_name: 'Normalization', config: { name: 'normalization', axis: -1, mean: null, variance: null }, registered_name: null };
      const config = keras3Config(sequential) as { config: { layers: unknown[] } };
      config.config.layers.splice(1, 0, normalization);
      const unsupported = path.join(dir, 'normalization.keras');
      await writeKerasArchive(unsupported, sequential, config);
      await expectInputError(unsupported, /layer "normalization" is a Normalization, a layer class TF\.js does not have/);
    });
  });

  describe('choosing the reader', function () {
    it('goes by content when the extension says nothing, and names what it reads when nothing fits', async function () {
      const file = path.join(dir, 'model.weights');
      await writeKerasH5(file, sequential);
      assert.deepEqual(await loadsAs(sequential, file), []);
      const text = path.join(dir, 'README');
      await writeFile(text, 'a readme');
      await expectInputError(text, /is not a model file Convscope reads \(a TF\.js model\.json, a Keras \.h5 \/ \.hdf5 or a \.keras archive\)/);
    });
  });
});

/** The zip with the local header of `member` claiming 1 byte uncompressed (what a zip bomb may do). */
function understateSizes(zip: Uint8Array, member: string): Uint8Array {
  const result = zip.slice();
  const view = new DataView(result.buffer);
  const name = new TextEncoder().encode(member);
  for (let offset = 0; offset + 30 < result.length; offset++) {
    if (view.getUint32(offset, true) !== 0x04034b50) continue;
    const nameLength = view.getUint16(offset + 26, true);
    const found = result.subarray(offset + 30, offset + 30 + nameLength);
    if (nameLength === name.length && found.every((byte, i) => byte === name[i])) {
      view.setUint32(offset + 22, 1, true);
      return result;
    }
  }
  throw new Error(`no local header for ${member}`);
}
