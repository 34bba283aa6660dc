import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/shared/errors';
import { computeActivations } from '../../src/engine/analyses/activations';
import { computeGradCam, defaultTargetLayer, describeClassifierOutput, listTargetLayers } from '../../src/engine/analyses/gradCam';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { resizeBilinear } from '../../src/render/heatmapOverlay';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { generateShapeImages } from '../../scripts/example-data/shapesDataset';
import { REPO_ROOT, buildCatsVsDogsConvnet, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const MODEL = 'test/model.json';
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/** A deterministic pseudo-image, preprocessed (0..1). */
function pseudoImage(height: number, width: number, channels = 3): Float32Array {
  return new Float32Array(height * width * channels).map((_, i) => ((i * 7919) % 256) / 255);
}

/**
 * The study notes' Grad-CAM written out directly: the gradient of `score` with respect to the
 * feature map `featureMap`, channel means of it as weights, ReLU, divided by the max.
 */
function referenceGradCam(featureMap: tf.Tensor4D, score: (featureMap: tf.Tensor4D) => tf.Scalar): Float32Array {
  return tf.tidy(() => {
    const grads = tf.grad((a: tf.Tensor) => score(a as tf.Tensor4D))(featureMap);
    const pooled = tf.mean(grads, [0, 1, 2]);
    const heatmap = tf.relu(tf.mean(tf.mul(featureMap, pooled), -1));
    const max = tf.max(heatmap);
    return tf.div(heatmap, max).dataSync() as Float32Array;
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `largest difference ${worst}`);
}

const hasNaN = (values: Float32Array) => values.some(Number.isNaN);

/** The output of `layer` for `input`, through the model's own graph (a plain forward pass). */
function featureMapOf(model: tf.LayersModel, layers: tf.layers.Layer[], input: tf.Tensor): tf.Tensor4D[] {
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => layer.output as tf.SymbolicTensor) });
  const result = probe.predict(input);
  return (Array.isArray(result) ? result : [result]) as tf.Tensor4D[];
}

/** Dense weights as tensors: kernel, bias. */
const denseWeights = (layer: tf.layers.Layer) => layer.getWeights() as [tf.Tensor2D, tf.Tensor1D];

describe('Grad-CAM against a direct computation', function () {
  before(useWasmBackend);

  it('matches for a Sequential convnet, with the output and the logit score', function () {
    const model = buildTinyConvnet();
    try {
      const input = pseudoImage(32, 32);
      const [kernel, bias] = denseWeights(model.layers[4]);
      const logits = (a: tf.Tensor4D) => tf.add(tf.matMul(tf.reshape(a, [1, -1]), kernel), bias);
      for (const classIndex of [0, 1, 2]) {
        for (const score of ['output', 'logit'] as const) {
          const map = computeGradCam(model, MODEL, input, [32, 32, 3], { classIndex, score });
          assert.equal(map.layer.name, model.layers[2].name);
          const expected = tf.tidy(() => {
            const [featureMap] = featureMapOf(model, [model.layers[2]], tf.tensor4d(input, [1, 32, 32, 3]));
            const head = (a: tf.Tensor4D) => {
              const z = logits(a);
              const out = score === 'logit' ? z : tf.softmax(z);
              return tf.reshape(tf.slice(out, [0, classIndex], [1, 1]), []) as tf.Scalar;
            };
            return tf.tensor(referenceGradCam(featureMap, head));
          });
          assertClose(map.heatmap, expected.dataSync() as Float32Array);
          expected.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  });

  it('matches for a Functional model whose head also takes a branch that bypasses the target layer', function () {
    const input = tf.input({ shape: [24, 24, 3] });
    const early = tf.layers.conv2d({ name: 'early', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(1) }).apply(input) as tf.SymbolicTensor;
    const target = tf.layers.conv2d({ name: 'target', filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: glorot(2) }).apply(early) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(target) as tf.SymbolicTensor;
    const skip = tf.layers.globalMaxPooling2d({ name: 'skip' }).apply(early) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: 'joined' }).apply([flat, skip]) as tf.SymbolicTensor;
    const hidden = tf.layers.dense({ name: 'hidden', units: 5, activation: 'tanh', kernelInitializer: glorot(3) }).apply(joined) as tf.SymbolicTensor;
    const scores = tf.layers.dense({ name: 'scores', units: 4, activation: 'softmax', kernelInitializer: glorot(4) }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: scores });
    try {
      assert.equal(defaultTargetLayer(model, MODEL), 'target');
      const pixels = pseudoImage(24, 24);
      const [hiddenKernel, hiddenBias] = denseWeights(model.getLayer('hidden'));
      const [scoreKernel, scoreBias] = denseWeights(model.getLayer('scores'));
      let positiveMaps = 0;
      for (const classIndex of [0, 1, 2, 3]) {
        const map = computeGradCam(model, MODEL, pixels, [24, 24, 3], { classIndex, score: 'output' });
        const expected = tf.tidy(() => {
          const [earlyOut, targetOut] = featureMapOf(model, [model.getLayer('early'), model.getLayer('target')], tf.tensor4d(pixels, [1, 24, 24, 3]));
          // The head by hand; the skip branch is a constant here, as it does not depend on the target.
          const skipped = tf.max(earlyOut, [1, 2]);
          const head = (a: tf.Tensor4D) => {
            const h = tf.tanh(tf.add(tf.matMul(tf.concat([tf.reshape(a, [1, -1]), skipped], 1), hiddenKernel), hiddenBias));
            const probabilities = tf.softmax(tf.add(tf.matMul(h, scoreKernel), scoreBias));
            return tf.reshape(tf.slice(probabilities, [0, classIndex], [1, 1]), []) as tf.Scalar;
          };
          return tf.tensor(referenceGradCam(targetOut, head));
        });
        const expectedData = expected.dataSync() as Float32Array;
        expected.dispose();
        if (map.noPositiveEvidence) {
          // The direct computation divides 0 by 0 there.
          assert.ok(expectedData.every((value) => value === 0 || Number.isNaN(value)), 'the direct computation finds no positive evidence either');
        } else {
          positiveMaps++;
          assertClose(map.heatmap, expectedData);
        }
      }
      assert.ok(positiveMaps >= 2, `${positiveMaps} classes had a heatmap`);
    } finally {
      model.dispose();
    }
  });

  it('matches through a nested model, and picks the layer inside it', function () {
    const base = tf.sequential({
      name: 'base',
      layers: [
        tf.layers.conv2d({ name: 'base_conv', inputShape: [20, 20, 3], filters: 6, kernelSize: 3, kernelInitializer: glorot(5) }),
        tf.layers.batchNormalization({ name: 'base_bn' }),
        tf.layers.reLU({ name: 'base_relu' }),
      ],
    });
    const model = tf.sequential({ name: 'outer', layers: [base, tf.layers.flatten({ name: 'flat' }), tf.layers.dense({ name: 'scores', units: 3, activation: 'softmax', kernelInitializer: glorot(6) })] });
    try {
      // Non-trivial moving statistics, so inference mode (not batch statistics) is visible.
      const bn = base.getLayer('base_bn');
      bn.setWeights([tf.fill([6], 1.5), tf.fill([6], 0.1), tf.linspace(-0.2, 0.3, 6), tf.fill([6], 0.5)]);
      assert.equal(defaultTargetLayer(model, MODEL), 'base/base_relu');
      assert.ok(listTargetLayers(model).some((choice) => choice.name === 'base/base_conv'));
      const pixels = pseudoImage(20, 20);
      const [kernel, bias] = denseWeights(model.getLayer('scores'));
      const map = computeGradCam(model, MODEL, pixels, [20, 20, 3], { score: 'logit' });
      const expected = tf.tidy(() => {
        const featureMap = base.predict(tf.tensor4d(pixels, [1, 20, 20, 3])) as tf.Tensor4D;
        const head = (a: tf.Tensor4D) => tf.reshape(tf.slice(tf.add(tf.matMul(tf.reshape(a, [1, -1]), kernel), bias), [0, map.classIndex], [1, 1]), []) as tf.Scalar;
        return tf.tensor(referenceGradCam(featureMap, head));
      });
      assertClose(map.heatmap, expected.dataSync() as Float32Array);
      expected.dispose();
      // A bare layer name finds the nested layer too.
      assert.equal(computeGradCam(model, MODEL, pixels, [20, 20, 3], { layer: 'base_conv', score: 'output' }).layer.name, 'base/base_conv');
    } finally {
      model.dispose();
    }
  });

  it('matches at an early layer, back-propagating through convolutions WASM has no gradient kernels for', async function () {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'early', inputShape: [16, 16, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(11) }),
        // No activation of its own: its fused gradient also computes the filter gradient.
        tf.layers.conv2d({ name: 'mid', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: glorot(12), biasInitializer: 'ones' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.reLU({ name: 'relu' }),
        tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, activation: 'relu', depthwiseInitializer: glorot(13) }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ name: 'scores', units: 3, activation: 'softmax', kernelInitializer: glorot(14) }),
      ],
    });
    model.getLayer('bn').setWeights([tf.fill([6], 1.2), tf.fill([6], -0.1), tf.linspace(-0.3, 0.2, 6), tf.fill([6], 0.8)]);
    const pixels = pseudoImage(16, 16);
    try {
      const map = computeGradCam(model, MODEL, pixels, [16, 16, 3], { layer: 'early', score: 'logit', classIndex: 2 });
      const [early] = featureMapOf(model, [model.getLayer('early')], tf.tensor4d(pixels, [1, 16, 16, 3]));
      const featureMap = { values: early.dataSync().slice(), shape: early.shape };
      early.dispose();
      const weights = Object.fromEntries(
        ['mid', 'bn', 'dw', 'scores'].map((name) => [name, model.getLayer(name).getWeights().map((w) => ({ values: w.dataSync().slice(), shape: w.shape }))]),
      );
      // The reference runs on the cpu backend, which has every gradient kernel, from plain ops.
      await tf.setBackend('cpu');
      let expected: Float32Array;
      try {
        expected = tf.tidy(() => {
          const w = (name: string, i: number) => tf.tensor(weights[name][i].values, weights[name][i].shape);
          const head = (a: tf.Tensor4D) => {
            const mid = tf.add(tf.conv2d(a, w('mid', 0) as tf.Tensor4D, 1, 'same'), w('mid', 1));
            const normalised = tf.add(tf.mul(tf.div(tf.sub(mid, w('bn', 2)), tf.sqrt(tf.add(w('bn', 3), 1e-3))), w('bn', 0)), w('bn', 1));
            const depthwise = tf.relu(tf.add(tf.depthwiseConv2d(tf.relu(normalised) as tf.Tensor4D, w('dw', 0) as tf.Tensor4D, 1, 'valid'), w('dw', 1)));
            const logits = tf.add(tf.matMul(tf.mean(depthwise, [1, 2]) as tf.Tensor2D, w('scores', 0) as tf.Tensor2D), w('scores', 1));
            return tf.reshape(tf.slice(logits, [0, 2], [1, 1]), []) as tf.Scalar;
          };
          return referenceGradCam(tf.tensor4d(featureMap.values, featureMap.shape as [number, number, number, number]), head);
        });
      } finally {
        await tf.setBackend('wasm');
      }
      assert.ok(!map.noPositiveEvidence);
      assertClose(map.heatmap, expected);
    } finally {
      model.dispose();
    }
  });

  it('leaves no tensor behind, after success and after failure', function () {
    const model = buildTinyConvnet();
    const shared = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 1, kernelSize: 3, padding: 'same', name: 'inner_conv' })] });
    const twiceInput = tf.input({ shape: [8, 8, 1] });
    const twice = shared.apply(shared.apply(twiceInput)) as tf.SymbolicTensor;
    const reused = tf.model({ inputs: twiceInput, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.flatten().apply(twice)) as tf.SymbolicTensor });
    try {
      const baseline = tf.memory().numTensors;
      computeGradCam(model, MODEL, pseudoImage(32, 32), [32, 32, 3], { score: 'output' });
      computeGradCam(model, MODEL, pseudoImage(32, 32), [32, 32, 3], { score: 'logit', classIndex: 1 });
      assert.equal(tf.memory().numTensors, baseline);
      // A layer inside a model that is applied twice has no single feature map: refused mid-run.
      assert.throws(
        () => computeGradCam(reused, MODEL, pseudoImage(8, 8, 1), [8, 8, 1], { layer: 'inner_conv', score: 'output' }),
        (error: InputError) => error instanceof InputError && /applied more than once/.test(error.problem),
      );
      assert.throws(() => computeGradCam(model, MODEL, pseudoImage(32, 32), [32, 32, 3], { score: 'output', classIndex: 3 }), /has 3 classes \(0–2\); there is no class 3/);
      assert.equal(tf.memory().numTensors, baseline);
    } finally {
      model.dispose();
      reused.dispose();
    }
  });
});

describe('Grad-CAM on models with several inputs or outputs', function () {
  before(useWasmBackend);

  it('explains the class-score output of a model that also has a box output, as the single-output model would', async function () {
    const input = tf.input({ shape: [12, 12, 3], name: 'image' });
    const features = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'features', kernelInitializer: glorot(1) }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(features) as tf.SymbolicTensor;
    const box = tf.layers.dense({ units: 4, name: 'box', kernelInitializer: glorot(2) }).apply(tf.layers.flatten({ name: 'flat' }).apply(features) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const classes = tf.layers.dense({ units: 3, activation: 'softmax', name: 'classes', kernelInitializer: glorot(3) }).apply(pooled) as tf.SymbolicTensor;
    // The box head first, so the class scores are not simply the first output.
    const twoHeads = tf.model({ inputs: input, outputs: [box, classes] });
    const classesOnly = tf.model({ inputs: input, outputs: classes });
    const pixels = pseudoImage(12, 12);
    for (const classIndex of [0, 2]) {
      const fromTwoHeads = computeGradCam(twoHeads, MODEL, pixels, [12, 12, 3], { classIndex, score: 'output' });
      const fromOneHead = computeGradCam(classesOnly, MODEL, pixels, [12, 12, 3], { classIndex, score: 'output' });
      assertClose(fromTwoHeads.classScores, fromOneHead.classScores, 1e-6);
      assertClose(fromTwoHeads.heatmap, fromOneHead.heatmap, 1e-5);
    }
    assert.deepEqual(describeClassifierOutput(twoHeads, MODEL), { classCount: 3, activation: 'softmax', binary: false, outputName: 'classes' });

    // Through the job, from model.json: the result names the output it explained.
    const dir = await makeTempDir();
    try {
      const modelPath = await writeModel(twoHeads, dir);
      const imagePath = await writeTestImage(path.join(dir, 'image.png'), 20, 16);
      const result = await runGradCamJob(
        { modelPath, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS } },
        { checkCancelled: async () => {} },
      );
      assert.equal(result.info.outputName, 'classes');
      assert.equal(result.info.predictions.length, 3);
    } finally {
      releaseCachedModel();
      await removeDir(dir);
      twoHeads.dispose();
    }
  });

  it('says which outputs a model has when none holds class scores', function () {
    const input = tf.input({ shape: [8, 8, 3] });
    const maps = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'maps' }).apply(input) as tf.SymbolicTensor;
    const more = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'more' }).apply(maps) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [maps, more] });
    assert.throws(
      () => computeGradCam(model, MODEL, pseudoImage(8, 8), [8, 8, 3], { score: 'output' }),
      (error: unknown) => error instanceof InputError && /has 2 outputs \(\[null,6,6,2\], \[null,4,4,2\]\) and none of shape \(batch, classes\)/.test(error.message),
    );
    model.dispose();
  });

  it('explains that a model with two inputs is not supported, for Grad-CAM and activations, naming the inputs', async function () {
    const image = tf.input({ shape: [8, 8, 3], name: 'photo' });
    const extra = tf.input({ shape: [2], name: 'metadata' });
    const features = tf.layers.flatten().apply(tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv' }).apply(image) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([features, extra]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [image, extra], outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(joined) as tf.SymbolicTensor });
    const twoInputs = (error: unknown) => error instanceof InputError && error.message.startsWith(MODEL) && /has 2 inputs \(photo \[null,8,8,3\], metadata \[null,2\]\); Convscope visualizes models with one image input/.test(error.message);
    assert.throws(() => computeGradCam(model, MODEL, pseudoImage(8, 8), [8, 8, 3], { score: 'output' }), twoInputs);
    await assert.rejects(computeActivations(model, MODEL, pseudoImage(8, 8), [8, 8, 3], [2]), twoInputs);
    model.dispose();
  });
});

describe('Grad-CAM target layer', function () {
  before(useWasmBackend);

  const head = () => [tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })];

  it('extends the last convolution through the BatchNormalization and Activation right after it', function () {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [16, 16, 3], filters: 4, kernelSize: 3 }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.activation({ name: 'act1', activation: 'relu' }),
        tf.layers.separableConv2d({ name: 'c2', filters: 4, kernelSize: 3 }),
        tf.layers.batchNormalization({ name: 'bn2' }),
        tf.layers.activation({ name: 'act2', activation: 'relu' }),
        tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
        tf.layers.batchNormalization({ name: 'bn3' }),
        ...head(),
      ],
    });
    try {
      assert.equal(defaultTargetLayer(model, MODEL), 'act2');
    } finally {
      model.dispose();
    }
  });

  it('follows a nested model’s last convolution into the layer that activates it outside', function () {
    const base = tf.sequential({ name: 'features', layers: [tf.layers.depthwiseConv2d({ name: 'dw', inputShape: [12, 12, 3], kernelSize: 3 })] });
    const model = tf.sequential({ layers: [base, tf.layers.activation({ name: 'outer_relu', activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }), ...head()] });
    try {
      assert.equal(defaultTargetLayer(model, MODEL), 'outer_relu');
      assert.deepEqual(
        listTargetLayers(model).map((choice) => choice.name),
        ['features/dw', 'outer_relu', model.layers[2].name],
      );
      assert.throws(
        () => computeGradCam(model, MODEL, pseudoImage(12, 12), [12, 12, 3], { layer: 'features', score: 'output' }),
        /layer "features" is a nested model: choose one of its layers \(features\/dw\)/,
      );
    } finally {
      model.dispose();
    }
  });

  it('falls back to the last 4-D layer, and refuses unknown and non-4-D layers by name', function () {
    const model = tf.sequential({ layers: [tf.layers.maxPooling2d({ name: 'pool', inputShape: [8, 8, 3], poolSize: 2 }), tf.layers.flatten({ name: 'flat' }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    try {
      assert.equal(defaultTargetLayer(model, MODEL), 'pool');
      const run = (layer: string) => () => computeGradCam(model, MODEL, pseudoImage(8, 8), [8, 8, 3], { layer, score: 'output' });
      assert.throws(run('nope'), (error: InputError) => error instanceof InputError && error.file === MODEL && /no layer named "nope"/.test(error.problem));
      assert.throws(run('flat'), (error: InputError) => error instanceof InputError && /layer "flat" has output shape \[null,48\]; Grad-CAM needs a layer with one 4-D/.test(error.problem));
    } finally {
      model.dispose();
    }
  });
});

describe('Grad-CAM scores', function () {
  before(useWasmBackend);

  it('gives the two classes of a single sigmoid unit complementary maps, never NaN (the study notes’ cats-vs-dogs model)', async function () {
    const dir = await makeTempDir();
    const model = buildCatsVsDogsConvnet();
    try {
      const image = await readImageForModel(await writeTestImage(path.join(dir, 'cat.png'), 200, 160), { height: 150, width: 150, channels: 3 });
      const input = preprocessPixels(image.pixels, 3, 'rescale');
      for (const score of ['output', 'logit'] as const) {
        const [cat, dog] = [0, 1].map((classIndex) => computeGradCam(model, MODEL, input, [150, 150, 3], { classIndex, score }));
        assert.equal(cat.layer.name, model.layers[6].name, 'the last Conv2D');
        assert.ok(!hasNaN(cat.heatmap) && !hasNaN(dog.heatmap));
        assert.ok(Math.abs(cat.classScores[0] + cat.classScores[1] - 1) < 1e-6);
        // Class 0's score is the complement, so its gradient is class 1's negated: where one map
        // shows evidence the other cannot, and at least one of them shows some.
        assert.ok(cat.heatmap.every((value, i) => value === 0 || dog.heatmap[i] === 0));
        assert.ok(!cat.noPositiveEvidence || !dog.noPositiveEvidence);
        assert.notDeepEqual(cat.heatmap, dog.heatmap);
      }
    } finally {
      model.dispose();
      await removeDir(dir);
    }
  });

  it('reports a class with no positive evidence in words, not NaN', function () {
    // conv (ReLU, so ≥ 0) → global average → one sigmoid unit with negative weights: every part of
    // the feature map lowers p, so class 1 has no positive evidence and class 0 (1 − p) has it all.
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv', inputShape: [10, 10, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(8), biasInitializer: 'ones' }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.constant({ value: -0.5 }) }),
      ],
    });
    try {
      const input = pseudoImage(10, 10);
      const dead = computeGradCam(model, MODEL, input, [10, 10, 3], { classIndex: 1, score: 'output' });
      assert.equal(dead.noPositiveEvidence, true);
      assert.ok(dead.heatmap.every((value) => value === 0));
      const alive = computeGradCam(model, MODEL, input, [10, 10, 3], { classIndex: 0, score: 'output' });
      assert.equal(alive.noPositiveEvidence, false);
      assert.equal(Math.max(...alive.heatmap), 1);
    } finally {
      model.dispose();
    }
  });

  it('takes the logit before a softmax wherever the head puts it: in the Dense layer, an Activation or a Softmax layer', function () {
    const build = (activation: 'softmax' | 'linear', after?: () => tf.layers.Layer) =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 5, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(21) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation, kernelInitializer: glorot(22), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
          ...(after ? [after()] : []),
        ],
      });
    const models = [build('linear'), build('softmax'), build('linear', () => tf.layers.activation({ activation: 'softmax' })), build('linear', () => tf.layers.softmax())];
    try {
      const input = pseudoImage(12, 12);
      const run = (model: tf.LayersModel, score: 'output' | 'logit') => computeGradCam(model, MODEL, input, [12, 12, 3], { classIndex: 1, score });
      const logits = run(models[0], 'output');
      for (const model of models.slice(1)) {
        const map = run(model, 'logit');
        assertClose(map.heatmap, logits.heatmap, 1e-5);
        assert.ok(Math.abs(map.scoreValue - logits.scoreValue) < 1e-5, 'the score is the logit');
        assert.ok(Math.abs(map.classScores.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'predictions are still probabilities');
        assert.equal(map.activation, 'softmax');
      }
      assert.notDeepEqual(run(models[1], 'output').heatmap, logits.heatmap, 'the output score differs from the logit one');
    } finally {
      models.forEach((model) => model.dispose());
    }
  });

  it('says when a saturated softmax leaves no gradient, and the logit score still explains it', function () {
    const model = buildTinyConvnet();
    try {
      const [kernel, bias] = model.layers[4].getWeights();
      model.layers[4].setWeights([tf.mul(kernel, 1e4), bias]);
      const input = pseudoImage(32, 32);
      const saturated = computeGradCam(model, MODEL, input, [32, 32, 3], { score: 'output' });
      assert.equal(saturated.classScores[saturated.classIndex], 1);
      assert.equal(saturated.noPositiveEvidence, true);
      assert.equal(saturated.zeroGradient, true);
      const logit = computeGradCam(model, MODEL, input, [32, 32, 3], { score: 'logit' });
      assert.equal(logit.classIndex, saturated.classIndex);
      assert.equal(logit.noPositiveEvidence, false);
    } finally {
      model.dispose();
    }
  });
});

describe('Grad-CAM localisation on the example model', function () {
  const modelPath = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');
  /** Training used seeds 1–3; these images are new to the model. */
  const SEED = 20240611;
  const IMAGE_COUNT = 60;
  let dir: string;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  // The example model's last training stage keeps class evidence on the shape (see its README);
  // what is checked here is the viewer's side: the default target layer, the default score, the
  // channel weighting, the orientation of the map and its resize to the original image.
  it('puts the heatmap’s peak inside the shape’s bounding box for at least 90% of correctly classified images', async function () {
    assert.ok(existsSync(modelPath), `${modelPath} is missing`);
    const images = generateShapeImages(IMAGE_COUNT, SEED, 2);
    let correct = 0;
    let inside = 0;
    const timings: number[] = [];
    for (const [i, image] of images.entries()) {
      const file = path.join(dir, `shape-${i}.png`);
      await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toFile(file);
      const result = await runGradCamJob(
        { modelPath, imagePath: file, score: 'output', intensity: 0.4, colormap: 'jet', limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS } },
        { checkCancelled: async () => {} },
      );
      timings.push(result.info.timings.gradCamMs);
      if (result.info.targetClass.index !== image.labelIndex) continue;
      assert.equal(result.info.targetClass.name, image.label, 'class names come from labels.json');
      correct++;
      const [height, width] = result.info.heatmapSize;
      const peak = peakOf(resizeBilinear(result.heatmap, width, height, image.width, image.height), image.width);
      const box = image.boundingBox;
      if (peak.x >= box.x && peak.x < box.x + box.width && peak.y >= box.y && peak.y < box.y + box.height) inside++;
    }
    const fraction = inside / correct;
    timings.sort((a, b) => a - b);
    console.log(
      `      localisation: peak inside the bounding box for ${inside}/${correct} correctly classified images (${(fraction * 100).toFixed(1)}%); ` +
        `${correct}/${IMAGE_COUNT} classified correctly; median Grad-CAM ${timings[timings.length >> 1].toFixed(1)} ms`,
    );
    assert.ok(correct >= 50, `only ${correct} of ${IMAGE_COUNT} images were classified correctly`);
    assert.ok(fraction >= 0.9, `peak inside the box for only ${(fraction * 100).toFixed(1)}%`);
  });
});

function peakOf(map: Float32Array, width: number): { x: number; y: number } {
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
  return { x: best % width, y: Math.floor(best / width) };
}
