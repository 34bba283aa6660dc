// A Conv2D or SeparableConv2D layer's output where each image of a batch meets only its own filter
// (models/layers/convolutionOwnFilters.ts), which the `lucid` preset scores instead of the whole
// layer: checked against the whole layer's output, image by image, and its input gradient, on the
// WASM backend the extension runs.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { convolutionOwnFilters } from '../../src/engine/models/layers/convolutionOwnFilters';
import { layerOutputPath, layerSites } from '../../src/engine/models/layers/layerSites';
import { FilterObjective, patternPath } from '../../src/engine/analyses/filterPatternObjective';
import { useWasmBackend } from '../support/engineFixtures';

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** input → conv (relu) → the layer under test → a head, so the layer is in the middle of a graph. */
function modelAround(layer: tf.layers.Layer): tf.LayersModel {
  const input = tf.input({ shape: [13, 13, 3] });
  const first = tf.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1) }).apply(input) as tf.SymbolicTensor;
  const tested = layer.apply(first) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(tested) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: head });
}

const biasOf = (seed: number) => tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed });

const VARIANTS: { name: string; layer: () => tf.layers.Layer }[] = [
  { name: 'relu, valid', layer: () => tf.layers.conv2d({ filters: 7, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(2), biasInitializer: biasOf(3) }) },
  // A linear convolution runs WASM's FusedConv2D under a gradient, which reads its bias's stored shape.
  { name: 'linear, same, stride 2', layer: () => tf.layers.conv2d({ filters: 7, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: seeded(4), biasInitializer: biasOf(5) }) },
  {
    name: 'separable, relu, depth multiplier 2, same',
    layer: () => tf.layers.separableConv2d({ filters: 7, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', depthwiseInitializer: seeded(11), pointwiseInitializer: seeded(12), biasInitializer: biasOf(13) }),
  },
  { name: 'separable, linear, stride 2, no bias', layer: () => tf.layers.separableConv2d({ filters: 7, kernelSize: 3, strides: 2, useBias: false, depthwiseInitializer: seeded(14), pointwiseInitializer: seeded(15) }) },
  { name: 'tanh (not fused), 5×5, same, no bias', layer: () => tf.layers.conv2d({ filters: 7, kernelSize: 5, padding: 'same', activation: 'tanh', useBias: false, kernelInitializer: seeded(6) }) },
];

describe('a Conv2D or SeparableConv2D layer computing each image’s own filter alone', function () {
  before(useWasmBackend);

  for (const variant of VARIANTS) {
    it(`equals each image's channel of the whole layer, and its input gradient (${variant.name})`, function () {
      const model = modelAround(variant.layer());
      try {
        const site = layerSites(model)[2];
        const whole = layerOutputPath(site, '/m/model.json');
        const filters = [6, 0, 0, 3];
        const own = convolutionOwnFilters(site, '/m/model.json')!(filters);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const x = tf.randomUniform([4, 13, 13, 3], 0, 1, 'float32', 8);
          // Image i's channel filters[i] of the whole layer's output.
          const oneHot = tf.tensor4d(filters.flatMap((filter) => Array.from({ length: 7 }, (_, channel) => (channel === filter ? 1 : 0))), [4, 1, 1, 7]);
          const picked = (output: tf.Tensor) => output.mul(oneHot).sum(3, true);
          const ownOutput = own.apply(x);
          assert.deepEqual(ownOutput.shape, picked(whole.apply(x)).shape);
          assert.ok(largestDifference(ownOutput, picked(whole.apply(x))) < 1e-5, `differs by ${largestDifference(ownOutput, picked(whole.apply(x)))}`);
          const weights = tf.randomUniform(ownOutput.shape, 0, 1, 'float32', 9);
          const fromOwn = tf.grad((input) => own.apply(input).mul(weights).sum())(x);
          const fromWhole = tf.grad((input) => picked(whole.apply(input)).mul(weights).sum())(x);
          assert.ok((fromWhole.abs().max().arraySync() as number) > 0, 'the gradient is not trivially zero');
          assert.ok(largestDifference(fromOwn, fromWhole) < 1e-5, `gradient differs by ${largestDifference(fromOwn, fromWhole)}`);
        });
        assert.equal(tf.memory().numTensors, before);
        own.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it('scores each image of a filter-pattern batch by its own filter, as the whole layer does', function () {
    const model = modelAround(VARIANTS[1].layer());
    try {
      const layer = { index: 2, name: model.layers[2].name };
      const path = patternPath(model, layer, '/m/model.json');
      assert.ok(path.ownFilters, 'a Conv2D computes each image’s own filter alone');
      const objective = new FilterObjective(path, [6, 1, 6], 7, 'rescale');
      const wholeObjective = new FilterObjective({ apply: path.apply }, [6, 1, 6], 7, 'rescale');
      tf.tidy(() => {
        const pixels = tf.randomUniform([3, 13, 13, 3], 0, 255, 'float32', 10) as tf.Tensor4D;
        assert.ok(largestDifference(objective.scoresWithFastGradient(pixels), objective.scores(pixels)) < 1e-5);
        const fromSubset = tf.grad((x) => objective.scoresWithFastGradient(x as tf.Tensor4D).sum())(pixels);
        const fromWhole = tf.grad((x) => wholeObjective.scoresWithFastGradient(x as tf.Tensor4D).sum())(pixels);
        assert.ok(largestDifference(fromSubset, fromWhole) < 1e-6);
      });
      objective.dispose();
      wholeObjective.dispose();
    } finally {
      model.dispose();
    }
  });

  it('is not offered for other layers, an activation across channels, nor a layer applied twice', function () {
    const depthwise = modelAround(tf.layers.depthwiseConv2d({ kernelSize: 3 }));
    const softmax = modelAround(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'softmax' }));
    const plain = modelAround(tf.layers.conv2d({ filters: 4, kernelSize: 3 }));
    const shared = tf.layers.conv2d({ filters: 5, kernelSize: 1 });
    const input = tf.input({ shape: [6, 6, 5] });
    const twice = tf.model({ inputs: input, outputs: shared.apply(shared.apply(input)) as tf.SymbolicTensor });
    try {
      assert.equal(convolutionOwnFilters(layerSites(depthwise)[2], '/m/model.json'), undefined);
      assert.equal(convolutionOwnFilters(layerSites(twice)[1], '/m/model.json'), undefined);
      assert.equal(convolutionOwnFilters(layerSites(softmax)[2], '/m/model.json'), undefined);
      assert.ok(convolutionOwnFilters(layerSites(plain)[2], '/m/model.json'), 'and offered for a Conv2D');
    } finally {
      depthwise.dispose();
      softmax.dispose();
      plain.dispose();
      twice.dispose();
    }
  });
});

function largestDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().arraySync() as number);
}
