// The benchmark's models, built in TF.js with seeded random weights (nothing is downloaded) and
// written in the layers format the engine reads: VGG16's convolutional base, VGG16 with its
// 1000-class classifier, the study notes' 150×150 cats-vs-dogs convnet (Chollet 5.2), and
// MobileNetV2 at width multipliers 0.35 (Teachable Machine's) and 1.0.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { saveLayersModelToDirectory, MODEL_JSON_FILE_NAME } from '../src/engine/models/layers/layersModelWriter';

export type BenchModelName = 'vgg16Base' | 'vgg16' | 'cholletConvnet' | 'mobilenetV2Alpha035' | 'mobilenetV2Alpha100';

/** VGG16's blocks: convolutions per block and their filters. */
export const VGG16_BLOCKS: ReadonlyArray<{ convolutions: number; filters: number }> = [
  { convolutions: 2, filters: 64 },
  { convolutions: 2, filters: 128 },
  { convolutions: 3, filters: 256 },
  { convolutions: 3, filters: 512 },
  { convolutions: 3, filters: 512 },
];

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Keras' `VGG16(include_top=…)` at 224×224×3, layer names as Keras gives them. */
function buildVgg16(includeTop: boolean): tf.Sequential {
  const model = tf.sequential({ name: includeTop ? 'vgg16' : 'vgg16_base' });
  let seed = 1;
  VGG16_BLOCKS.forEach(({ convolutions, filters }, blockIndex) => {
    const block = `block${blockIndex + 1}`;
    for (let conv = 1; conv <= convolutions; conv++) {
      model.add(
        tf.layers.conv2d({
          name: `${block}_conv${conv}`,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: seeded(seed++),
          ...(model.layers.length === 0 ? { inputShape: [224, 224, 3] } : {}),
        }),
      );
    }
    model.add(tf.layers.maxPooling2d({ name: `${block}_pool`, poolSize: 2, strides: 2 }));
  });
  if (includeTop) {
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(tf.layers.dense({ name: 'fc1', units: 4096, activation: 'relu', kernelInitializer: seeded(seed++) }));
    model.add(tf.layers.dense({ name: 'fc2', units: 4096, activation: 'relu', kernelInitializer: seeded(seed++) }));
    model.add(tf.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: seeded(seed++) }));
  }
  return model;
}

/** Chollet 5.2: Conv32-MaxPool-Conv64-MaxPool-Conv128-MaxPool-Conv128-MaxPool-Flatten-Dense512-Dense1 sigmoid, 150×150×3. */
function buildCholletConvnet(): tf.Sequential {
  const model = tf.sequential({ name: 'cats_and_dogs_small' });
  [32, 64, 128, 128].forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        name: `conv2d_${i + 1}`,
        filters,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: seeded(100 + i),
        ...(i === 0 ? { inputShape: [150, 150, 3] } : {}),
      }),
    );
    model.add(tf.layers.maxPooling2d({ name: `max_pooling2d_${i + 1}`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'dense_1', units: 512, activation: 'relu', kernelInitializer: seeded(110) }));
  model.add(tf.layers.dense({ name: 'dense_2', units: 1, activation: 'sigmoid', kernelInitializer: seeded(111) }));
  return model;
}

/** Keras' `_make_divisible`: channels rounded to a multiple of 8, never more than 10% below `value`. */
function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

/** MobileNetV2's inverted residual blocks after the first: output channels (before α), stride, expansion. */
export const MOBILENET_V2_BLOCKS: ReadonlyArray<{ filters: number; stride: number; expansion: number }> = [
  { filters: 24, stride: 2, expansion: 6 },
  { filters: 24, stride: 1, expansion: 6 },
  { filters: 32, stride: 2, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 64, stride: 2, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 160, stride: 2, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 320, stride: 1, expansion: 6 },
];

/**
 * Keras' `MobileNetV2(alpha, include_top=True)` at 224×224×3, with its layer kinds and names
 * (Conv1, bn_Conv1, Conv1_relu, expanded_conv_*, block_N_expand / _pad / _depthwise / _project /
 * _add, Conv_1, out_relu, predictions): 1×1 convolutions without bias, BatchNormalization,
 * ReLU(6), ZeroPadding2D ((0, 1), (0, 1)) before each stride-2 depthwise convolution with
 * `valid` padding. Batch normalisation statistics are seeded too, so that its gradients see
 * ordinary values.
 */
function buildMobileNetV2(alpha: number): tf.LayersModel {
  let seed = 200;
  const kernel = () => seeded(seed++);
  const batchNorm = (name: string) =>
    tf.layers.batchNormalization({
      name,
      epsilon: 1e-3,
      momentum: 0.999,
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
      betaInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed++ }),
      movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed++ }),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
    });
  const relu6 = (name: string) => tf.layers.reLU({ name, maxValue: 6 });
  const pointwise = (name: string, filters: number) => tf.layers.conv2d({ name, filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: kernel() });

  const input = tf.input({ shape: [224, 224, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ name: 'Conv1', filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: kernel() }).apply(input) as tf.SymbolicTensor;
  x = relu6('Conv1_relu').apply(batchNorm('bn_Conv1').apply(x)) as tf.SymbolicTensor;
  const blocks = [{ filters: 16, stride: 1, expansion: 1 }, ...MOBILENET_V2_BLOCKS];
  blocks.forEach(({ filters, stride, expansion }, blockId) => {
    const inChannels = x.shape[3] as number;
    const outChannels = makeDivisible(Math.floor(filters * alpha));
    const prefix = blockId === 0 ? 'expanded_conv_' : `block_${blockId}_`;
    const blockInput = x;
    if (blockId > 0) x = relu6(`${prefix}expand_relu`).apply(batchNorm(`${prefix}expand_BN`).apply(pointwise(`${prefix}expand`, expansion * inChannels).apply(x))) as tf.SymbolicTensor;
    if (stride === 2) x = tf.layers.zeroPadding2d({ name: `${prefix}pad`, padding: [[0, 1], [0, 1]] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({ name: `${prefix}depthwise`, kernelSize: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false, depthwiseInitializer: kernel() })
      .apply(x) as tf.SymbolicTensor;
    x = relu6(`${prefix}depthwise_relu`).apply(batchNorm(`${prefix}depthwise_BN`).apply(x)) as tf.SymbolicTensor;
    x = batchNorm(`${prefix}project_BN`).apply(pointwise(`${prefix}project`, outChannels).apply(x)) as tf.SymbolicTensor;
    if (inChannels === outChannels && stride === 1) x = tf.layers.add({ name: `${prefix}add` }).apply([blockInput, x]) as tf.SymbolicTensor;
  });
  const lastChannels = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = relu6('out_relu').apply(batchNorm('Conv_1_bn').apply(pointwise('Conv_1', lastChannels).apply(x))) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: kernel() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: `mobilenetv2_${alpha.toFixed(2)}_224` });
}

const BUILDERS: Record<BenchModelName, () => tf.LayersModel> = {
  vgg16Base: () => buildVgg16(false),
  vgg16: () => buildVgg16(true),
  cholletConvnet: buildCholletConvnet,
  mobilenetV2Alpha035: () => buildMobileNetV2(0.35),
  mobilenetV2Alpha100: () => buildMobileNetV2(1.0),
};

/** Builds one of the benchmark models in memory (on the current backend). */
export function buildBenchModel(name: BenchModelName): tf.LayersModel {
  return BUILDERS[name]();
}

export function benchModelPath(directory: string, name: BenchModelName): string {
  return path.join(directory, name, MODEL_JSON_FILE_NAME);
}

/** Writes the models not yet in `directory` (they are the same for every run: the weights are seeded). */
export async function writeBenchModels(directory: string, names: BenchModelName[]): Promise<void> {
  for (const name of names) {
    if (existsSync(benchModelPath(directory, name))) continue;
    const model = buildBenchModel(name);
    try {
      await saveLayersModelToDirectory(model, path.dirname(benchModelPath(directory, name)));
    } finally {
      model.dispose();
    }
  }
}
