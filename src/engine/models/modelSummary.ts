// The study notes' `model.summary()`: per-layer name, class, output shape and parameter counts, and
// the preprocessing the model's files say its input expects.
import type * as tf from '@tensorflow/tfjs';
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../shared/errors';
import { layerConfigEntry } from './layers/layerConfig';
import { layerSites, type LayerSite } from './layers/layerSites';
import { isSpatialShape } from '../../shared/shapes';
import type { LayerInfo, ModelSummary, PreprocessMode, Shape } from '../../shared/types';

function countWeights(weights: tf.LayerVariable[]): number {
  return weights.reduce((sum, weight) => sum + weight.shape.reduce((product: number, dim) => product * (dim ?? 0), 1), 0);
}

export function describeLayer(site: LayerSite, index: number): LayerInfo {
  const { layer } = site;
  let outputShape: Shape | Shape[];
  try {
    outputShape = layer.outputShape as Shape | Shape[];
  } catch {
    // A layer called more than once has no single output shape.
    outputShape = [];
  }
  return {
    index,
    name: site.name,
    depth: site.depth,
    ...(site.parent ? { parent: site.parent.name } : {}),
    ...(site.isModel ? { isModel: true } : {}),
    className: layer.getClassName(),
    outputShape,
    paramCount: layer.countParams(),
    trainableParamCount: countWeights(layer.trainableWeights),
    // A layer called more than once (shared) has one output per call, so no single activation to show.
    hasSpatialOutput: isSpatialShape(outputShape) && layer.inboundNodes.length <= 1,
    ...layerConfigEntry(layer),
  };
}

/** Models with several inputs (an image and metadata, two images) are explained, not guessed at. */
export function checkSingleInput(model: tf.LayersModel, modelPath: string): void {
  if (model.inputs.length === 1) return;
  const inputs = model.inputs.map((input) => `${input.sourceLayer.name} ${JSON.stringify(input.shape)}`).join(', ');
  throw new InputError(modelPath, `has ${model.inputs.length} inputs (${inputs}); Convscope visualizes models with one image input`);
}

/** A preprocessing mode and why it was chosen, in words for the panel. */
export interface PreprocessChoice {
  mode: PreprocessMode;
  reason: string;
}

const METADATA_FILE = 'metadata.json';
const MAX_METADATA_BYTES = 1024 * 1024;

/**
 * Teachable Machine's metadata.json beside the model: its image models (`@teachablemachine/image`)
 * scale pixels to [-1, 1] before predicting (`x / 127.5 - 1`), which is Keras' `tf` mode. Pose and
 * audio models, and a metadata.json that is not Teachable Machine's, say nothing here.
 */
export function teachableMachinePreprocess(modelPath: string): PreprocessChoice | undefined {
  const file = path.join(path.dirname(modelPath), METADATA_FILE);
  let metadata: unknown;
  try {
    // Like weight files, only a regular file inside the model's folder is read (no symlink out).
    const info = lstatSync(file);
    if (!info.isFile() || info.size > MAX_METADATA_BYTES) return undefined;
    metadata = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { packageName, tmVersion, imageSize } = metadata as Record<string, unknown>;
  const isImageModel = packageName === '@teachablemachine/image' || (packageName === undefined && typeof tmVersion === 'string' && typeof imageSize === 'number');
  if (!isImageModel) return undefined;
  return { mode: 'tf', reason: `Teachable Machine image model (${METADATA_FILE} beside it): its library scales pixels to [-1, 1]` };
}

/** The classes that scale or normalise the input inside the model (Keras' preprocessing layers). */
const INPUT_SCALING_CLASSES = new Set(['Rescaling', 'Normalization']);

/** A Rescaling or Normalization layer before the first layer with weights: the model takes raw 0–255 pixels. */
export function inputScalingLayer(layers: readonly LayerInfo[]): LayerInfo | undefined {
  for (const layer of layers) {
    if (layer.isModel || layer.className === 'InputLayer') continue;
    if (INPUT_SCALING_CLASSES.has(layer.className)) return layer;
    if (layer.paramCount > 0) return undefined;
  }
  return undefined;
}

/** Keras application backbones, told apart by their layer names, with their `preprocess_input`. */
const BACKBONES: readonly { name: string; mode: PreprocessMode; matches(names: ReadonlySet<string>, all: readonly string[]): boolean }[] = [
  { name: 'MobileNetV2', mode: 'tf', matches: (_, all) => all.some((name) => /^block_\d+_expand$/.test(name)) },
  { name: 'MobileNet', mode: 'tf', matches: (_, all) => all.some((name) => /^conv_dw_\d+$/.test(name)) && all.some((name) => /^conv_pw_\d+$/.test(name)) },
  { name: 'ResNetV2', mode: 'tf', matches: (_, all) => all.some((name) => /^conv\d_block\d+_preact_bn$/.test(name)) },
  { name: 'DenseNet', mode: 'torch', matches: (_, all) => all.some((name) => /^conv\d_block\d+_concat$/.test(name)) },
  { name: 'ResNet', mode: 'caffe', matches: (_, all) => all.some((name) => /^conv\d_block\d+_out$/.test(name)) },
  { name: 'Xception', mode: 'tf', matches: (_, all) => all.some((name) => /^block\d+_sepconv\d$/.test(name)) },
  { name: 'InceptionV3', mode: 'tf', matches: (names) => names.has('mixed0') && names.has('mixed10') },
  { name: 'VGG', mode: 'caffe', matches: (names) => names.has('block1_conv1') && names.has('block5_conv3') },
  // Keras' EfficientNets rescale inside the model; one converted without those layers still expects 0–255.
  { name: 'EfficientNet', mode: 'none', matches: (names, all) => names.has('stem_conv') && all.some((name) => /^block\d+[a-z]_(dw|project_)conv$/.test(name)) },
];

/** The Keras application a model is built on, from its layers' own names (a graph model's name scopes count too). */
export function backbonePreprocess(layers: readonly LayerInfo[]): PreprocessChoice | undefined {
  const all = layers.flatMap((layer) => layer.name.split('/'));
  const names = new Set(all);
  const backbone = BACKBONES.find((candidate) => candidate.matches(names, all));
  if (!backbone) return undefined;
  return { mode: backbone.mode, reason: `${backbone.name} layers: Keras' ${backbone.name} preprocess_input (${PREPROCESS_DESCRIPTIONS[backbone.mode]})` };
}

const PREPROCESS_DESCRIPTIONS: Readonly<Record<PreprocessMode, string>> = {
  rescale: 'pixels ÷ 255',
  none: 'raw 0–255 pixels',
  caffe: 'BGR minus the ImageNet means',
  tf: 'pixels scaled to [-1, 1]',
  torch: 'ImageNet mean and standard deviation',
};

/**
 * What `auto` preprocessing means for a model, from what its files say, in this order: Teachable
 * Machine's metadata.json, a scaling layer at the input (`inputScaling` describes it), a known
 * backbone, else the study notes' 1/255.
 */
export function choosePreprocess(modelPath: string, layers: readonly LayerInfo[], inputScaling: string | undefined): PreprocessChoice {
  const teachableMachine = teachableMachinePreprocess(modelPath);
  if (teachableMachine) return teachableMachine;
  if (inputScaling !== undefined) return { mode: 'none', reason: `${inputScaling}: the model takes raw 0–255 pixels` };
  return backbonePreprocess(layers) ?? { mode: 'rescale', reason: 'no metadata.json, scaling layer or known backbone says otherwise: the study notes’ pixels ÷ 255' };
}

/** The preprocessing `auto` picks for a layers model (see choosePreprocess). */
export function defaultPreprocessFor(layers: readonly LayerInfo[], modelPath: string): PreprocessChoice {
  const scaling = inputScalingLayer(layers);
  return choosePreprocess(modelPath, layers, scaling && `${scaling.className} layer ${scaling.name} at the input`);
}

export function summarizeModel(model: tf.LayersModel, modelPath: string, loadNotes: string[] = []): ModelSummary {
  const layers = layerSites(model).map(describeLayer);
  const preprocess = defaultPreprocessFor(layers, modelPath);
  // A nested model's count already holds its layers'.
  const topLevel = layers.filter((layer) => layer.depth === 0);
  const totalParams = topLevel.reduce((sum, layer) => sum + layer.paramCount, 0);
  const trainableParams = topLevel.reduce((sum, layer) => sum + layer.trainableParamCount, 0);
  return {
    modelPath,
    modelName: model.name,
    inputShape: (model.inputs[0]?.shape ?? []).slice(1),
    outputShape: model.outputs.length === 1 ? model.outputs[0].shape : model.outputs.map((output) => output.shape),
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    defaultPreprocess: preprocess.mode,
    preprocessReason: preprocess.reason,
    ...(loadNotes.length > 0 ? { loadNotes } : {}),
  };
}

/**
 * The summary's layer of that name, or an InputError naming the file; where the name is the end of
 * other layers' names (a graph node asked for without its scope, `conv2d_1/Relu` for
 * `StatefulPartitionedCall/sequential_1/conv2d_1/Relu`), the error names them.
 */
export function layerNamed(summary: ModelSummary, name: string): LayerInfo {
  const layer = summary.layers.find((candidate) => candidate.name === name);
  if (layer) return layer;
  const scoped = summary.layers.filter((candidate) => candidate.name.endsWith(`/${name}`)).map((candidate) => `"${candidate.name}"`);
  const hint = scoped.length === 0 ? '' : `; did you mean ${scoped.slice(0, 3).join(' or ')}${scoped.length > 3 ? ` (${scoped.length} layers end so)` : ''}?`;
  throw new InputError(summary.modelPath, `has no layer named "${name}"${hint}`);
}
