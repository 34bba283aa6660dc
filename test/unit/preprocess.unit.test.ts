import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { backbonePreprocess, choosePreprocess, inputScalingLayer, summarizeModel, teachableMachinePreprocess } from '../../src/engine/models/modelSummary';
import type { LayerInfo } from '../../src/shared/types';
import { makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-4, `${actual} ≉ ${expected}`);

describe('preprocessPixels', function () {
  // Two RGB pixels: pure red-ish and a mid gray.
  const pixels = new Uint8Array([255, 20, 0, 128, 128, 128]);

  it('rescale divides by 255 (the study notes’ img_tensor /= 255.)', function () {
    const out = preprocessPixels(pixels, 3, 'rescale');
    [...pixels].forEach((value, i) => close(out[i], value / 255));
  });

  it('none keeps 0–255', function () {
    assert.deepEqual([...preprocessPixels(pixels, 3, 'none')], [...pixels]);
  });

  it('caffe swaps to BGR and subtracts the ImageNet means (VGG16 preprocess_input)', function () {
    const out = preprocessPixels(pixels, 3, 'caffe');
    // Keras: x[..., ::-1] then x[..., 0] -= 103.939; x[..., 1] -= 116.779; x[..., 2] -= 123.68
    close(out[0], 0 - 103.939);
    close(out[1], 20 - 116.779);
    close(out[2], 255 - 123.68);
    close(out[3], 128 - 103.939);
  });

  it('tf scales to [-1, 1]', function () {
    const out = preprocessPixels(new Uint8Array([0, 255, 128]), 3, 'tf');
    close(out[0], -1);
    close(out[1], 1);
    close(out[2], 128 / 127.5 - 1);
  });

  it('torch normalises with ImageNet mean and std per channel', function () {
    const out = preprocessPixels(pixels, 3, 'torch');
    close(out[0], (1 - 0.485) / 0.229);
    close(out[1], (20 / 255 - 0.456) / 0.224);
    close(out[2], (0 - 0.406) / 0.225);
  });

  it('uses averaged statistics for single-channel images', function () {
    const out = preprocessPixels(new Uint8Array([100]), 1, 'caffe');
    close(out[0], 100 - (103.939 + 116.779 + 123.68) / 3);
  });
});

describe('auto preprocessing: what the model’s files say', function () {
  let folder: string;

  before(useWasmBackend);

  beforeEach(async function () {
    folder = await makeTempDir('convscope-preprocess-');
  });

  afterEach(async function () {
    await removeDir(folder);
  });

  const layer = (index: number, name: string, className: string, paramCount = 0): LayerInfo => ({
    index,
    name,
    depth: name.split('/').length - 1,
    className,
    outputShape: [null, 8, 8, 4],
    paramCount,
    trainableParamCount: paramCount,
    hasSpatialOutput: true,
  });

  const plainConvnet = () =>
    tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'conv2d_1' }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })] });

  it('takes [-1, 1] for a Teachable Machine image model, from the metadata.json beside it', async function () {
    const modelPath = path.join(folder, 'model.json');
    const metadata = { tfjsVersion: '1.3.1', tmVersion: '2.4.7', packageVersion: '0.8.4', packageName: '@teachablemachine/image', modelName: 'tm-my-image-model', labels: ['cat', 'dog'], imageSize: 224 };
    await writeFile(path.join(folder, 'metadata.json'), JSON.stringify(metadata));
    const summary = summarizeModel(plainConvnet(), modelPath);
    assert.equal(summary.defaultPreprocess, 'tf');
    assert.match(summary.preprocessReason ?? '', /Teachable Machine image model \(metadata\.json beside it\)/);
  });

  it('ignores a metadata.json that is not a Teachable Machine image model’s, or not JSON', async function () {
    const modelPath = path.join(folder, 'model.json');
    for (const text of [JSON.stringify({ packageName: '@teachablemachine/pose', tmVersion: '2.4.7', labels: ['a'] }), JSON.stringify({ labels: ['a', 'b'] }), '{ not json']) {
      await writeFile(path.join(folder, 'metadata.json'), text);
      assert.equal(teachableMachinePreprocess(modelPath), undefined, text);
      assert.equal(summarizeModel(plainConvnet(), modelPath).defaultPreprocess, 'rescale', text);
    }
  });

  it('takes raw 0–255 pixels when a Rescaling layer comes before the first weights', function () {
    const model = tf.sequential({
      layers: [tf.layers.rescaling({ inputShape: [8, 8, 3], scale: 1 / 127.5, offset: -1, name: 'rescaling' }), tf.layers.conv2d({ filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
    });
    const summary = summarizeModel(model, path.join(folder, 'model.json'));
    assert.equal(summary.defaultPreprocess, 'none');
    assert.match(summary.preprocessReason ?? '', /^Rescaling layer rescaling at the input: the model takes raw 0–255 pixels$/);
    // Deeper in the model, after weights, a scaling layer is not the input's.
    assert.equal(inputScalingLayer([layer(0, 'conv', 'Conv2D', 10), layer(1, 'rescaling', 'Rescaling')]), undefined);
    assert.equal(inputScalingLayer([layer(0, 'input_1', 'InputLayer'), layer(1, 'rescaling', 'Rescaling'), layer(2, 'normalization', 'Normalization', 7)])?.name, 'rescaling');
  });

  it('knows the Keras application backbones by their layer names, also nested in a model', function () {
    const names = (className: string, ...list: string[]) => list.map((name, index) => layer(index, name, className, 10));
    const cases: [LayerInfo[], string, string][] = [
      [names('Conv2D', 'Conv1', 'expanded_conv_project', 'block_1_expand', 'block_16_project'), 'tf', 'MobileNetV2'],
      [names('Conv2D', 'sequential_1/conv1', 'sequential_1/conv_dw_1', 'sequential_1/conv_pw_1'), 'tf', 'MobileNet'],
      [names('Conv2D', 'conv1_conv', 'conv2_block1_1_conv', 'conv2_block1_out'), 'caffe', 'ResNet'],
      [names('Conv2D', 'conv1_conv', 'conv2_block1_preact_bn', 'conv2_block1_out'), 'tf', 'ResNetV2'],
      [names('Conv2D', 'conv1/conv', 'conv2_block1_1_conv', 'conv2_block1_concat'), 'torch', 'DenseNet'],
      [names('Conv2D', 'block1_conv1', 'block2_sepconv1', 'block14_sepconv2'), 'tf', 'Xception'],
      [names('Conv2D', 'vgg16/block1_conv1', 'vgg16/block5_conv3'), 'caffe', 'VGG'],
      [names('Conv2D', 'stem_conv', 'block1a_dwconv', 'top_conv'), 'none', 'EfficientNet'],
    ];
    for (const [layers, mode, backbone] of cases) {
      const choice = backbonePreprocess(layers);
      assert.equal(choice?.mode, mode, backbone);
      assert.match(choice?.reason ?? '', new RegExp(`^${backbone} layers: Keras' ${backbone} preprocess_input`));
    }
    assert.equal(backbonePreprocess(names('Conv2D', 'conv2d_1', 'max_pooling2d_1', 'conv2d_2')), undefined);
  });

  it('falls back to the study notes’ ÷ 255, saying so; metadata wins over layers, a scaling layer over a backbone', async function () {
    const modelPath = path.join(folder, 'model.json');
    const mobileNet = [layer(0, 'Conv1', 'Conv2D', 10), layer(1, 'block_1_expand', 'Conv2D', 10)];
    assert.deepEqual(choosePreprocess(modelPath, [layer(0, 'conv2d_1', 'Conv2D', 10)], undefined), {
      mode: 'rescale',
      reason: 'no metadata.json, scaling layer or known backbone says otherwise: the study notes’ pixels ÷ 255',
    });
    assert.equal(choosePreprocess(modelPath, mobileNet, 'Rescaling layer r at the input').mode, 'none');
    await writeFile(path.join(folder, 'metadata.json'), JSON.stringify({ packageName: '@teachablemachine/image', tmVersion: '2.4.7', imageSize: 224 }));
    assert.equal(choosePreprocess(modelPath, mobileNet, 'Rescaling layer r at the input').mode, 'tf');
  });
});
