// The golden attributions and faithfulness scores of test/fixtures/golden-attributions/ (written by
// scripts/reference/make_attribution_golden.py with PyTorch), the models they were computed on as
// the engine opens them, and their inputs as the jobs preprocess them.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openLoadedModel, type LoadedModel } from '../../src/engine/loadedModel';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { GradCamScore, PreprocessMode } from '../../src/shared/types';
import { REPO_ROOT, writeModel } from './engineFixtures';
import { setSeededKernelsAndBiases } from './goldenFiles';

export const ATTRIBUTION_GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'golden-attributions');
export const REAL_MODELS = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels');

/** A map as stored: value ≈ int · scale / 100000. */
export interface EncodedMap {
  scale: number;
  values: number[];
}

export interface GoldenCurveScores {
  scores: number[];
  auc: number;
}

export interface GoldenFaithfulness {
  deletion: GoldenCurveScores;
  insertion: GoldenCurveScores;
  road: { mostRelevantFirst: number[]; leastRelevantFirst: number[]; gap: number };
}

export type GoldenMapName = 'saliency' | 'smoothgrad' | 'integrated-gradients' | 'guided-backprop' | 'guided-grad-cam' | 'occlusion';

export interface AttributionGolden {
  id: string;
  implementation: string;
  model: { kind: 'tfjs' | 'real' | 'seeded'; source: string | number };
  /** Relative to ATTRIBUTION_GOLDEN_DIR. */
  image: string;
  inputShape: [number, number, number];
  preprocess: PreprocessMode;
  binary: boolean;
  classOutputs: number[];
  classIndex: number;
  score: GradCamScore;
  gradCamLayer: string;
  settings: {
    smoothGrad: { samples: number; noiseLevel: number; seed: number };
    integratedGradients: { steps: number };
    faithfulness: { steps: number; deletionValue: number; roadFractions: number[]; roadNoiseLevel: number; roadSeed: number; randomSeed: number };
    occlusion: { window: number; stride: number };
  };
  maps: Record<GoldenMapName, EncodedMap>;
  integratedGradientsDelta: number;
  baselineMaps: { sobel: EncodedMap; randomFirst: number[]; randomMean: number };
  faithfulness: Record<'saliency' | 'random' | 'sobel', GoldenFaithfulness>;
}

export function readAttributionGolden(id: string): AttributionGolden {
  return JSON.parse(readFileSync(path.join(ATTRIBUTION_GOLDEN_DIR, `${id}.json`), 'utf8')) as AttributionGolden;
}

/** As the script decodes it: int · scale / 100000 in float64, then float32. */
export function decodeMap(entry: EncodedMap): Float32Array {
  return Float32Array.from(entry.values, (value) => (value * entry.scale) / 100000);
}

/** The golden input as the jobs give it to the model: read at exactly its size, preprocessed. */
export async function readGoldenInput(golden: AttributionGolden): Promise<Float32Array> {
  const [height, width, channels] = golden.inputShape;
  const image = await readImageForModel(path.join(ATTRIBUTION_GOLDEN_DIR, golden.image), { height, width, channels });
  return preprocessPixels(image.pixels, image.channels, golden.preprocess);
}

/** The make_attribution_golden.py seeded sigmoid convnet: 32×32×3, conv 8, pool, conv 16, flatten, dense 1 sigmoid. */
export function buildSeededSigmoidConvnet(seed: number): tf.Sequential {
  const model = tf.sequential({ name: 'seeded_sigmoid' });
  model.add(tf.layers.conv2d({ name: 'conv2d_1', inputShape: [32, 32, 3], filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2d_2', filters: 16, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.flatten({ name: 'flatten_1' }));
  model.add(tf.layers.dense({ name: 'dense_1', units: 1, activation: 'sigmoid' }));
  setSeededKernelsAndBiases(model, seed);
  return model;
}

/** The same network as a layer of an outer functional model: a nested model, its head inside. */
export function nestSeededSigmoidConvnet(seed: number): tf.LayersModel {
  const inner = buildSeededSigmoidConvnet(seed);
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  return tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor, name: 'outer' });
}

export interface AttributionCase {
  name: string;
  golden: AttributionGolden;
  /** The engine's name of the golden Grad-CAM layer (a graph model names op nodes; a nested layer is `outer/inner`). */
  gradCamLayer: string;
  /** The model file, written into `dir` where the test makes it. */
  modelPath(dir: string): Promise<string>;
}

/** The models the goldens were computed on, in every form the engine opens them in. */
export function attributionCases(): AttributionCase[] {
  const shapes = readAttributionGolden('shapes');
  const mnist = readAttributionGolden('mnist_cnn');
  const fer = readAttributionGolden('fer_mini_xception');
  const sigmoid = readAttributionGolden('seeded_sigmoid');
  const seed = sigmoid.model.source as number;
  const writtenModels = new Map<string, Promise<string>>();
  // Written once per folder, then opened like a user's file on each backend.
  const written = (dir: string, folder: string, build: () => tf.LayersModel) => {
    const key = path.join(dir, folder);
    if (!writtenModels.has(key)) {
      const model = build();
      writtenModels.set(key, writeModel(model, dir, folder).finally(() => model.dispose()));
    }
    return writtenModels.get(key)!;
  };
  return [
    { name: 'the example model (model.json, softmax)', golden: shapes, gradCamLayer: 'conv2d_4', modelPath: async () => path.join(REPO_ROOT, 'examples', 'shapes', 'model.json') },
    { name: 'the MNIST CNN (Keras 3 .keras)', golden: mnist, gradCamLayer: 'conv2d_1', modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'Subhadip_Hensh_MNIST_CNN.keras') },
    {
      name: 'the MNIST CNN (TF.js graph model)',
      golden: mnist,
      gradCamLayer: 'StatefulPartitionedCall/sequential_1/conv2d_1_2/Relu',
      modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'model.json'),
    },
    { name: 'the FER mini-Xception (Keras 2 HDF5)', golden: fer, gradCamLayer: 'conv2d_7', modelPath: async () => path.join(REAL_MODELS, 'fer-minixception-h5', 'fer2013_mini_XCEPTION.102-0.66.hdf5') },
    { name: 'a seeded convnet with one sigmoid unit (model.json)', golden: sigmoid, gradCamLayer: 'conv2d_2', modelPath: (dir) => written(dir, 'sigmoid', () => buildSeededSigmoidConvnet(seed)) },
    { name: 'the same convnet nested in an outer model', golden: sigmoid, gradCamLayer: 'seeded_sigmoid/conv2d_2', modelPath: (dir) => written(dir, 'nested', () => nestSeededSigmoidConvnet(seed)) },
  ];
}

export const usesRealModels = (golden: AttributionGolden) => golden.model.kind === 'real';
export const realModelsPresent = () => existsSync(REAL_MODELS);

export async function openCaseModel(attributionCase: AttributionCase, dir: string): Promise<{ loaded: LoadedModel; modelPath: string }> {
  const modelPath = await attributionCase.modelPath(dir);
  return { loaded: await openLoadedModel(modelPath, DEFAULT_MODEL_LIMITS), modelPath };
}
