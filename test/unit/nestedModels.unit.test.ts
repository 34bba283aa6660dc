// Layers inside nested models (a Functional block inside a Sequential, a Sequential inside a
// Sequential): listed in the summary, and their activations and filter patterns computed from the
// outer input in one graph, checked against the layers applied one by one in the test.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { computeActivations, selectLayers } from '../../src/engine/analyses/activations';
import { InputError } from '../../src/shared/errors';
import { optimizeFilterPatterns, planFilterPatterns } from '../../src/engine/analyses/filterPatterns';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { preprocessTensor } from '../../src/engine/input/preprocessTensor';
import { makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../src/shared/defaults';

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** stem conv → a Functional block (conv + residual add) → a Sequential block (two convs) → head. */
function buildNestedModel(): tf.Sequential {
  const blockInput = tf.input({ shape: [14, 14, 6], name: 'residual_in' });
  const branch = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'residual_conv', kernelInitializer: seeded(2) }).apply(blockInput) as tf.SymbolicTensor;
  const residual = tf.model({ inputs: blockInput, outputs: tf.layers.add({ name: 'residual_add' }).apply([blockInput, branch]) as tf.SymbolicTensor, name: 'residual' });
  const tail = tf.sequential({
    name: 'tail',
    layers: [
      tf.layers.conv2d({ inputShape: [14, 14, 6], filters: 5, kernelSize: 3, activation: 'relu', name: 'tail_conv_a', kernelInitializer: seeded(3) }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'tail_conv_b', kernelInitializer: seeded(4) }),
    ],
  });
  return tf.sequential({
    name: 'outer',
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 6, kernelSize: 3, activation: 'relu', name: 'stem', kernelInitializer: seeded(1) }),
      residual,
      tail,
      tf.layers.globalAveragePooling2d({ name: 'pool' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'head', kernelInitializer: seeded(5) }),
    ],
  });
}

/** Each spatial layer's output for `x`, computed by applying the layers one by one. */
function layerByLayer(model: tf.Sequential, x: tf.Tensor4D): Record<string, tf.Tensor> {
  const residual = model.getLayer('residual') as tf.LayersModel;
  const tail = model.getLayer('tail') as tf.LayersModel;
  const stem = model.getLayer('stem').apply(x) as tf.Tensor;
  const branch = residual.getLayer('residual_conv').apply(stem) as tf.Tensor;
  const added = residual.getLayer('residual_add').apply([stem, branch]) as tf.Tensor;
  const tailA = tail.getLayer('tail_conv_a').apply(added) as tf.Tensor;
  const tailB = tail.getLayer('tail_conv_b').apply(tailA) as tf.Tensor;
  return { stem, 'residual/residual_conv': branch, 'residual/residual_add': added, 'tail/tail_conv_a': tailA, 'tail/tail_conv_b': tailB };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}

describe('layers inside nested models', function () {
  let dir: string;
  let modelPath: string;
  let model: tf.LayersModel;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    const built = buildNestedModel();
    modelPath = await writeModel(built, dir);
    built.dispose();
    // Through the product's loader, so the nesting survives model.json as users have it.
    model = (await loadModelFromFile(modelPath)).model;
  });

  after(async function () {
    model?.dispose();
    await removeDir(dir);
  });

  it('shows every inner layer’s activation, equal to the layers applied one by one', async function () {
    const summary = summarizeModel(model, modelPath);
    const indices = selectLayers(summary, { first: 20 });
    assert.deepEqual(
      indices.map((index) => summary.layers[index].name),
      ['stem', 'residual/residual_conv', 'residual/residual_add', 'tail/tail_conv_a', 'tail/tail_conv_b'],
      'inner layers listed in model order; the nested models themselves and their inputs are not',
    );
    const input = Float32Array.from({ length: 16 * 16 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
    const before = tf.memory().numTensors;
    const activations = await computeActivations(model, modelPath, input, [16, 16, 3], indices);
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the run');

    const expected = tf.tidy(() => layerByLayer(model as tf.Sequential, tf.tensor4d(input, [1, 16, 16, 3])));
    try {
      for (const activation of activations) {
        const name = summary.layers[activation.layerIndex].name;
        const reference = expected[name];
        assert.deepEqual(activation.shape, reference.shape, name);
        assert.ok(maxAbsDifference(activation.data, reference.dataSync()) < 1e-5, `${name} matches the layer-by-layer reference`);
      }
    } finally {
      tf.dispose(Object.values(expected));
    }
  });

  it('optimises a filter of a convolution inside a nested model from the outer input', async function () {
    const summary = summarizeModel(model, modelPath);
    const parameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 24, steps: 6 };
    const plan = planFilterPatterns(model, summary, { layerName: 'tail/tail_conv_b', filters: [0, 3], parameters });
    assert.equal(summary.layers[plan.layerIndex].name, 'tail/tail_conv_b');
    const before = tf.memory().numTensors;
    const patterns = await optimizeFilterPatterns(model, plan, plan.filters, 'rescale', parameters);
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the ascent');

    for (const pattern of patterns) {
      assert.ok(pattern.dead || pattern.lossEnd > pattern.lossStart, `filter ${pattern.filter} grows (${pattern.lossStart} → ${pattern.lossEnd})`);
      // The reported activation is the inner layer's, on the pattern: recomputed layer by layer.
      const recomputed = tf.tidy(() => {
        const pixels = tf.tensor4d(pattern.pixels, [1, pattern.size, pattern.size, pattern.channels]);
        const output = layerByLayer(model as tf.Sequential, preprocessTensor(pixels, 'rescale'))['tail/tail_conv_b'];
        return tf.mean(tf.slice(output, [0, 0, 0, pattern.filter], [-1, -1, -1, 1])).dataSync()[0];
      });
      assert.ok(Math.abs(recomputed - pattern.lossEnd) <= 1e-4 * Math.max(1, Math.abs(recomputed)), `filter ${pattern.filter}: ${recomputed} vs ${pattern.lossEnd}`);
    }
  });

  it('refuses a nested model itself as an activation or filter layer, naming the file', function () {
    const summary = summarizeModel(model, modelPath);
    assert.throws(() => selectLayers(summary, { names: ['tail'] }), (error: unknown) => error instanceof InputError && error.message.includes(modelPath) && /nested model/.test(error.message));
    assert.throws(
      () => planFilterPatterns(model, summary, { layerName: 'residual', parameters: DEFAULT_FILTER_PATTERN_PARAMETERS }),
      (error: unknown) => error instanceof InputError && error.message.includes(modelPath),
    );
  });
});
