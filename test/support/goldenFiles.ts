// The golden reference results of test/fixtures/golden/ (written by scripts/reference/make_golden.py
// with Keras on TensorFlow, checked against PyTorch), and what the TypeScript side must rebuild
// exactly as that script does: the seeded weights of the study notes' cats-vs-dogs convnet.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/seededRandom';
import type { PreprocessMode } from '../../src/shared/types';
import { REPO_ROOT } from './engineFixtures';

export const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'golden');

export interface GoldenGradCam {
  layer: string;
  classIndex: number;
  /** The differentiated class output (after the softmax or sigmoid). */
  score: number;
  /** [height, width] */
  size: [number, number];
  /** Row-major, 0..1 (ReLU, divided by its maximum). */
  heatmap: number[];
}

export interface GoldenActivation {
  layer: string;
  /** [1, height, width, channels] */
  shape: number[];
  /** Per channel. */
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
  /** [flat index into the layer's output, value] */
  samples: [number, number][];
}

export interface GoldenResults {
  id: string;
  about: string;
  /** Which framework computed the file. */
  implementation: string;
  model: { kind: 'seeded'; source: number } | { kind: 'file'; source: string };
  /** A PNG in GOLDEN_DIR at exactly the model's input size. */
  image: string;
  inputShape: [number, number, number];
  preprocess: PreprocessMode;
  /** One sigmoid unit: classes [1 − p, p]. */
  binary: boolean;
  /** Every class's output. */
  predictions: number[];
  defaultGradCamLayer: string;
  /** Every class at the default layer, then every class at an earlier layer. */
  gradCam: GoldenGradCam[];
  /** Every layer with a 4-D output, in model order. */
  activations: GoldenActivation[];
}

export function readGolden(id: string): GoldenResults {
  return JSON.parse(readFileSync(path.join(GOLDEN_DIR, `${id}.json`), 'utf8')) as GoldenResults;
}

export function goldenImagePath(golden: GoldenResults): string {
  return path.join(GOLDEN_DIR, golden.image);
}

/** The MNIST CNN's TF.js graph model computes each Keras layer's output at these nodes. */
export const MNIST_GRAPH_NODES: Record<string, string> = {
  conv2d: 'StatefulPartitionedCall/sequential_1/conv2d_1/Relu',
  max_pooling2d: 'StatefulPartitionedCall/sequential_1/max_pooling2d_1/MaxPool2d',
  conv2d_1: 'StatefulPartitionedCall/sequential_1/conv2d_1_2/Relu',
  max_pooling2d_1: 'StatefulPartitionedCall/sequential_1/max_pooling2d_1_2/MaxPool2d',
};

// ------------------------------------------------------------------------------------------------
// Seeded weights, as scripts/reference/seeded_weights.py draws them

const GOLDEN_RATIO_32 = 0x9e3779b1;
const BIAS_LIMIT = 0.05;

/** float32 values uniform in (−limit, limit) from weight tensor `tensorIndex`'s own mulberry32 stream. */
export function seededUniform(seed: number, tensorIndex: number, count: number, limit: number): Float32Array {
  const random = mulberry32((seed + Math.imul(tensorIndex + 1, GOLDEN_RATIO_32)) >>> 0);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = limit * (2 * random() - 1);
  return values;
}

/** Keras' glorot_uniform limit for a kernel shape (receptive field × channels for convolutions). */
export function glorotLimit(shape: number[]): number {
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape[shape.length - 2] * receptiveField;
  const fanOut = shape[shape.length - 1] * receptiveField;
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * Replaces every weighted layer's kernel (glorot-uniform limits) and bias (±0.05): layer i of
 * those with weights draws tensors 2i and 2i + 1, as seeded_weights.seeded_kernel_and_bias does.
 */
export function setSeededKernelsAndBiases(model: tf.LayersModel, seed: number): void {
  model.layers
    .filter((layer) => layer.getWeights().length > 0)
    .forEach((layer, layerIndex) => {
      const [kernel, bias] = layer.getWeights();
      if (layer.getWeights().length !== 2 || bias.shape.length !== 1) throw new Error(`${layer.name}: expected a kernel and a bias`);
      const kernelValues = seededUniform(seed, 2 * layerIndex, kernel.size, glorotLimit(kernel.shape));
      const biasValues = seededUniform(seed, 2 * layerIndex + 1, bias.size, BIAS_LIMIT);
      const values = [tf.tensor(kernelValues, kernel.shape), tf.tensor(biasValues, bias.shape)];
      layer.setWeights(values);
      tf.dispose(values);
    });
}

/**
 * The study notes' cats-vs-dogs convnet (Chollet 5.2) with the layer names and seeded weights of
 * scripts/reference/keras_reference.py: 150×150×3, Conv2D 32/64/128/128 (3×3, relu) each followed
 * by 2×2 max pooling, Flatten, Dropout 0.5, Dense 512 relu, Dense 1 sigmoid.
 */
export function buildSeededCatsVsDogsConvnet(seed: number): tf.Sequential {
  const model = tf.sequential({ name: 'cats_and_dogs_small' });
  [32, 64, 128, 128].forEach((filters, i) => {
    model.add(tf.layers.conv2d({ name: `conv2d_${i + 1}`, filters, kernelSize: 3, activation: 'relu', ...(i === 0 ? { inputShape: [150, 150, 3] } : {}) }));
    model.add(tf.layers.maxPooling2d({ name: `max_pooling2d_${i + 1}`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten_1' }));
  model.add(tf.layers.dropout({ name: 'dropout_1', rate: 0.5 }));
  model.add(tf.layers.dense({ name: 'dense_1', units: 512, activation: 'relu' }));
  model.add(tf.layers.dense({ name: 'dense_2', units: 1, activation: 'sigmoid' }));
  setSeededKernelsAndBiases(model, seed);
  return model;
}
