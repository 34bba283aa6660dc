// The sidebar's layer rows: kinds and icons, descriptions, and tooltips with the layer's config; and
// the config entries the engine keeps for them.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { layerConfigEntry, pickLayerConfig } from '../../src/engine/models/layers/layerConfig';
import { ownLayerName } from '../../src/shared/layerNames';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import type { LayerInfo } from '../../src/shared/types';
import { useWasmBackend } from '../support/engineFixtures';
import { LAYER_KIND_ICONS, formatConfigValue, layerConfigLines, layerDescription, layerKindOf, layerTooltipLines } from '../../src/host/tree/layerPresentation';

const conv: LayerInfo = {
  index: 0,
  depth: 0,
  name: 'conv2d_1',
  className: 'Conv2D',
  outputShape: [null, 62, 62, 16],
  paramCount: 448,
  trainableParamCount: 448,
  hasSpatialOutput: true,
  config: { filters: 16, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', use_bias: true },
};

describe('layer presentation', function () {
  // Some tests build layers, which needs a backend, also when this file runs alone.
  before(useWasmBackend);

  it('sorts layer classes into kinds, each with a codicon', function () {
    const kinds = Object.fromEntries(
      [
        'Conv2D',
        'SeparableConv2D',
        'DepthwiseConv2D',
        'Conv2DTranspose',
        'Conv1D',
        'MaxPooling2D',
        'GlobalAveragePooling2D',
        'AveragePooling1D',
        'Dense',
        'BatchNormalization',
        'LayerNormalization',
        'Activation',
        'ReLU',
        'Softmax',
        'InputLayer',
        'Flatten',
        'Dropout',
        'Sequential',
        'Conv2DExtra',
      ].map((className) => [className, layerKindOf(className)]),
    );
    assert.deepEqual(kinds, {
      Conv2D: 'conv',
      SeparableConv2D: 'conv',
      DepthwiseConv2D: 'conv',
      Conv2DTranspose: 'conv',
      Conv1D: 'conv',
      MaxPooling2D: 'pooling',
      GlobalAveragePooling2D: 'pooling',
      AveragePooling1D: 'pooling',
      Dense: 'dense',
      BatchNormalization: 'normalization',
      LayerNormalization: 'normalization',
      Activation: 'activation',
      ReLU: 'activation',
      Softmax: 'activation',
      InputLayer: 'input',
      Flatten: 'other',
      Dropout: 'other',
      Sequential: 'other',
      Conv2DExtra: 'other',
    });
    assert.equal(layerKindOf('Sequential', true), 'model', 'a nested model is drawn as a group');
    assert.deepEqual(
      ['_FusedConv2D', 'DepthwiseConv2dNative', 'MaxPool', '_FusedMatMul', 'FusedBatchNormV3', 'Relu6', 'Placeholder', 'Reshape'].map((op) => layerKindOf(op)),
      ['conv', 'conv', 'pooling', 'dense', 'normalization', 'activation', 'input', 'other'],
      'graph model ops',
    );
    const icons = Object.values(LAYER_KIND_ICONS);
    assert.equal(new Set(icons).size, icons.length, 'each kind has its own icon');
    for (const icon of icons) assert.match(icon, /^[a-z-]+$/, 'a codicon id');
  });

  it('labels a layer inside a nested model by its own name', function () {
    assert.equal(ownLayerName(conv), 'conv2d_1');
    assert.equal(ownLayerName({ name: 'base/block/conv2d_1', parent: 'base/block' }), 'conv2d_1');
  });

  it('summarises a nested model as a row followed by its own layers, counting parameters once', function () {
    const blockInput = tf.input({ shape: [8, 8, 4], name: 'block_in' });
    const blockOutput = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'inner_conv' }).apply(blockInput) as tf.SymbolicTensor;
    const block = tf.model({ inputs: blockInput, outputs: tf.layers.add({ name: 'inner_add' }).apply([blockInput, blockOutput]) as tf.SymbolicTensor, name: 'block' });
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 4, kernelSize: 3, name: 'stem' }), block, tf.layers.flatten({ name: 'flat' }), tf.layers.dense({ units: 2, name: 'head' })],
    });
    const summary = summarizeModel(model, '/m/model.json');
    assert.deepEqual(
      summary.layers.map((layer) => [layer.index, layer.name, layer.depth, layer.parent ?? '', layer.isModel ?? false]),
      [
        [0, 'stem', 0, '', false],
        [1, 'block', 0, '', true],
        [2, 'block/block_in', 1, 'block', false],
        [3, 'block/inner_conv', 1, 'block', false],
        [4, 'block/inner_add', 1, 'block', false],
        [5, 'flat', 0, '', false],
        [6, 'head', 0, '', false],
      ],
    );
    assert.equal(summary.totalParams, model.countParams(), 'the nested model’s parameters are counted once');
    model.dispose();
  });

  it('describes a row as class · Keras shape · params', function () {
    assert.equal(layerDescription(conv), 'Conv2D · (None, 62, 62, 16) · 448 params');
    assert.equal(layerDescription({ ...conv, className: 'Dense', outputShape: [null, 3], paramCount: 1234567 }), 'Dense · (None, 3) · 1,234,567 params');
  });

  it('puts the config in the tooltip, one line each, in Keras terms', function () {
    assert.deepEqual(layerTooltipLines(conv), [
      'conv2d_1 (Conv2D)',
      'Output: (None, 62, 62, 16)',
      'Parameters: 448',
      'Filters: 16',
      'Kernel size: 3 × 3',
      'Strides: 1 × 1',
      'Padding: valid',
      'Activation: relu',
      'Bias: yes',
    ]);
    const batchNorm: LayerInfo = { ...conv, name: 'bn', className: 'BatchNormalization', paramCount: 64, trainableParamCount: 32, config: undefined };
    assert.deepEqual(layerTooltipLines(batchNorm), ['bn (BatchNormalization)', 'Output: (None, 62, 62, 16)', 'Parameters: 64 (32 non-trainable)']);
    assert.deepEqual(layerConfigLines({ rate: 0.5, some_future_key: 'x' }), ['Rate: 0.5', 'some_future_key: x']);
    assert.equal(formatConfigValue([null, 2]), 'None × 2');
    assert.equal(formatConfigValue(false), 'no');
  });
});

describe('layer config kept by the engine', function () {
  before(useWasmBackend);

  it('keeps the shown entries under Keras names, from camelCase or snake_case configs', function () {
    assert.deepEqual(
      pickLayerConfig({ filters: 4, kernelSize: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', useBias: true, kernelInitializer: { className: 'VarianceScaling' }, name: 'c' }),
      { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true },
    );
    assert.deepEqual(pickLayerConfig({ pool_size: [2, 2], units: 10, rate: 0.25 }), { units: 10, pool_size: [2, 2], rate: 0.25 });
  });

  it('leaves out large, nested and odd values, and says nothing when nothing is left', function () {
    assert.equal(pickLayerConfig({ name: 'flatten', trainable: true }), undefined);
    assert.equal(pickLayerConfig(null), undefined);
    assert.deepEqual(pickLayerConfig({ activation: 'x'.repeat(65), units: Number.POSITIVE_INFINITY, strides: [1, '1'], filters: 8 }), { filters: 8 });
    assert.deepEqual(layerConfigEntry({ getConfig: () => { throw new Error('custom layer'); } }), {});
    assert.deepEqual(layerConfigEntry({ getConfig: () => ({ name: 'x' }) }), {});
  });

  it('fills LayerInfo.config in the model summary from each layer’s getConfig()', function () {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    try {
      const configs = summarizeModel(model, '/m/model.json').layers.map((layer) => layer.config);
      assert.deepEqual(configs, [
        { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true },
        { pool_size: [2, 2], strides: [2, 2], padding: 'valid' },
        { rate: 0.5 },
        undefined,
        { units: 3, activation: 'softmax', use_bias: true },
      ]);
      assert.equal('config' in summarizeModel(model, '/m/model.json').layers[3], false, 'a layer with nothing to show has no config field');
    } finally {
      model.dispose();
    }
  });
});
