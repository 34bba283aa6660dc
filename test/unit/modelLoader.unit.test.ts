import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFile, symlink, truncate, writeFile, appendFile, unlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../src/shared/errors';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';
import { snapshotFolder } from '../support/folderSnapshot';

describe('loadModelFromFile: TF.js layers model.json', function () {
  let dir: string;
  let counter = 0;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  /** A fresh copy of the tiny model in its own folder, for one test to break. */
  async function freshModel(): Promise<{ modelPath: string; folder: string; json: Record<string, unknown> }> {
    const model = buildTinyConvnet();
    const modelPath = await writeModel(model, dir, `case-${counter++}`);
    model.dispose();
    return { modelPath, folder: path.dirname(modelPath), json: JSON.parse(await readFile(modelPath, 'utf8')) };
  }

  /** Loading must fail with an InputError naming `file` whose problem matches `problem`, and change nothing on disk. */
  async function expectInputError(modelPath: string, file: string, problem: RegExp): Promise<void> {
    const before = await snapshotFolder(dir);
    const tensorsBefore = tf.memory().numTensors;
    await assert.rejects(loadModelFromFile(modelPath), (error: unknown) => {
      assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
      assert.equal(error.file, file);
      assert.match(error.problem, problem);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
    assert.deepEqual(await snapshotFolder(dir), before, 'no file written or changed');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
  }

  it('loads a model it wrote, with the same weights and summary', async function () {
    const original = buildTinyConvnet();
    const modelPath = await writeModel(original, dir, 'roundtrip');
    const { model: loaded } = await loadModelFromFile(modelPath);
    try {
      const summary = summarizeModel(loaded, modelPath);
      assert.deepEqual(summary.inputShape, [32, 32, 3]);
      assert.equal(summary.totalParams, original.countParams());
      assert.equal(summary.defaultPreprocess, 'rescale');
      assert.deepEqual(
        summary.layers.map((layer) => [layer.className, layer.hasSpatialOutput]),
        [
          ['Conv2D', true],
          ['MaxPooling2D', true],
          ['Conv2D', true],
          ['Flatten', false],
          ['Dense', false],
        ],
      );
      const [a, b] = [original.getWeights()[0], loaded.getWeights()[0]];
      assert.deepEqual(await b.data(), await a.data());
    } finally {
      original.dispose();
      loaded.dispose();
    }
  });

  it('picks "none" preprocessing for a model that starts with a Rescaling layer', async function () {
    const model = tf.sequential({
      layers: [tf.layers.rescaling({ inputShape: [8, 8, 3], scale: 1 / 255 }), tf.layers.conv2d({ filters: 2, kernelSize: 3 })],
    });
    const modelPath = await writeModel(model, dir, 'rescaling');
    model.dispose();
    const { model: loaded } = await loadModelFromFile(modelPath);
    assert.equal(summarizeModel(loaded, modelPath).defaultPreprocess, 'none');
    loaded.dispose();
  });

  it('reports a missing weight shard by its file name', async function () {
    const { modelPath, folder } = await freshModel();
    await unlink(path.join(folder, 'group1-shard1of1.bin'));
    await expectInputError(modelPath, path.join(folder, 'group1-shard1of1.bin'), /does not exist/);
  });

  it('reports a truncated shard, and one with extra bytes, against the manifest', async function () {
    const truncated = await freshModel();
    await truncate(path.join(truncated.folder, 'group1-shard1of1.bin'), 100);
    await expectInputError(truncated.modelPath, truncated.modelPath, /hold 100 bytes but the manifest declares \d+/);

    const padded = await freshModel();
    await appendFile(path.join(padded.folder, 'group1-shard1of1.bin'), new Uint8Array(4));
    await expectInputError(padded.modelPath, padded.modelPath, /truncated, missing data or belongs to another model/);
  });

  it('reports invalid JSON', async function () {
    const { modelPath } = await freshModel();
    const text = await readFile(modelPath, 'utf8');
    await writeFile(modelPath, text.slice(0, text.length / 2));
    await expectInputError(modelPath, modelPath, /is not valid JSON/);
  });

  it('refuses files that are not layers models', async function () {
    const { modelPath } = await freshModel();
    await writeFile(modelPath, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
    await expectInputError(modelPath, modelPath, /graph model/);
    await writeFile(modelPath, JSON.stringify({ name: 'my-package', version: '1.0.0' }));
    await expectInputError(modelPath, modelPath, /no "modelTopology"/);
    await writeFile(modelPath, '[1, 2, 3]');
    await expectInputError(modelPath, modelPath, /not a TF.js model/);
  });

  it('refuses weight paths that leave the model folder, without reading them', async function () {
    const { modelPath, folder, json } = await freshModel();
    const manifest = json.weightsManifest as { paths: string[] }[];
    const outside = path.join(dir, 'outside.bin');
    await writeFile(outside, await readFile(path.join(folder, 'group1-shard1of1.bin')));

    for (const [badPath, problem] of [
      ['../outside.bin', /outside the model's folder/],
      [outside, /absolute path/],
      ['https://example.com/weights.bin', /names a URL/],
    ] as const) {
      manifest[0].paths = [badPath];
      await writeFile(modelPath, JSON.stringify(json));
      await expectInputError(modelPath, modelPath, problem);
    }

    await symlink(outside, path.join(folder, 'linked.bin'));
    manifest[0].paths = ['linked.bin'];
    await writeFile(modelPath, JSON.stringify(json));
    await expectInputError(modelPath, modelPath, /links outside the model's folder/);
  });

  it('refuses a manifest that declares more weight data than the limit, before reading shards', async function () {
    const { modelPath, json } = await freshModel();
    const manifest = json.weightsManifest as { weights: { shape: number[] }[] }[];
    manifest[0].weights[0].shape = [100000, 100000, 3];
    await writeFile(modelPath, JSON.stringify(json));
    await expectInputError(modelPath, modelPath, /declares .* of weights, over the .* limit/);
  });

  it('refuses a manifest listing thousands of weight files, before looking for any of them', async function () {
    const { modelPath, json } = await freshModel();
    const manifest = json.weightsManifest as { paths: string[] }[];
    manifest[0].paths = Array.from({ length: 5000 }, (_, i) => `shard-${i}.bin`);
    await writeFile(modelPath, JSON.stringify(json));
    await expectInputError(modelPath, modelPath, /lists 5000 weight files, over the limit of 1024/);
  });

  it('reports a model.json that is missing or a folder', async function () {
    const missing = path.join(dir, 'nowhere', 'model.json');
    await assert.rejects(loadModelFromFile(missing), (error: InputError) => error.file === missing && /does not exist/.test(error.problem));
    const folderPath = path.join(dir, 'a-folder.json');
    await mkdir(folderPath);
    await assert.rejects(loadModelFromFile(folderPath), (error: InputError) => /is not a file/.test(error.problem));
  });

  it('names the layer and its class when TF.js has no such layer class', async function () {
    const { modelPath, json } = await freshModel();
    const topology = json.modelTopology as { config: { layers: { class_name: string; config: { name: string } }[] } };
    topology.config.layers[0].class_name = 'NoSuchLayer';
    await writeFile(modelPath, JSON.stringify(json));
    const layerName = topology.config.layers[0].config.name;
    await expectInputError(modelPath, modelPath, new RegExp(`layer "${layerName}" is a NoSuchLayer, a layer class TF.js does not have`));
  });

  it('wraps TF.js deserialisation failures with the file name', async function () {
    const { modelPath, json } = await freshModel();
    const topology = json.modelTopology as { config: { layers: { config: { padding: string } }[] } };
    topology.config.layers[0].config.padding = 'sideways';
    await writeFile(modelPath, JSON.stringify(json));
    await expectInputError(modelPath, modelPath, /TF.js could not build the model from it: .*sideways/);
  });
});
