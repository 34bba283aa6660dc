// Grad-CAM, the study notes' class activation heatmap: the gradient of a class score with respect
// to a convolution layer's output, averaged per channel, weights that output's channels.
//
// The score and the layer's output come from one run of the model's own graph: for that run the
// target layer's `call` is wrapped so that its output is recorded and passes through a gradient
// probe, an identity op whose gradient function records the gradient arriving at it. Branches that
// bypass the layer, heads that are not a plain stack and layers inside nested models are evaluated
// exactly as the model defines them; nothing is split or rebuilt by hand.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../shared/errors';
import { findLayerSite, layerSites, type LayerSite } from '../models/layers/layerSites';
import { checkSingleInput } from '../models/modelSummary';
import { isSpatialShape } from '../../shared/shapes';
import { replaceProperty, type Restore } from '../tfjs/propertyPatch';
import type { GradCamLayerChoice, GradCamScore, Shape } from '../../shared/types';
import type { CamSource } from './cam/camSource';

const CONVOLUTION_CLASSES = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D']);
/** Layers that only normalise or activate a convolution's output: the default target extends through them. */
const FOLLOWING_CLASSES = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU']);

/** Every layer that is not itself a nested model, in model order (nested models' layers included). */
function leafSites(model: tf.LayersModel): LayerSite[] {
  return layerSites(model).filter((site) => !site.isModel);
}

/** The layer's output shape when it is one 4-D tensor (a layer used twice has no single shape). */
function spatialOutputShape(layer: tf.layers.Layer): Shape | undefined {
  try {
    const shape = layer.outputShape as Shape | Shape[];
    return isSpatialShape(shape) ? (shape as Shape) : undefined;
  } catch {
    return undefined;
  }
}

const isCandidate = (site: LayerSite) => site.layer.getClassName() !== 'InputLayer' && spatialOutputShape(site.layer) !== undefined;

function choiceOf(site: LayerSite): GradCamLayerChoice {
  return { name: site.name, className: site.layer.getClassName(), outputShape: spatialOutputShape(site.layer) ?? [] };
}

/** The layers Grad-CAM can target: those with one 4-D output, nested ones included, in model order. */
export function listTargetLayers(model: tf.LayersModel): GradCamLayerChoice[] {
  return leafSites(model).filter(isCandidate).map(choiceOf);
}

/**
 * The one layer of the model that consumes `site`'s output. A nested model's last layer is consumed
 * in the parent graph: directly (tf.sequential links through nested models) or via the nested model.
 */
function soleConsumer(site: LayerSite, sites: LayerSite[]): LayerSite | undefined {
  const inModel = new Set<tf.layers.Layer>(sites.flatMap((candidate) => (candidate.parent ? [candidate.layer, candidate.parent.layer] : [candidate.layer])));
  const consumers = new Set(site.layer.outboundNodes.map((node) => node.outboundLayer).filter((layer) => inModel.has(layer)));
  if (consumers.size === 0) {
    const outputs = site.container.outputs;
    const isNestedOutput = site.parent !== undefined && outputs.length === 1 && outputs[0].sourceLayer === site.layer;
    return isNestedOutput ? soleConsumer(site.parent!, sites) : undefined;
  }
  const [consumer] = consumers;
  return consumers.size === 1 ? sites.find((candidate) => candidate.layer === consumer) : undefined;
}

/**
 * The study notes' `block5_conv3`: the last convolution, extended through the BatchNormalization
 * and activation layers directly after it (their output is the convolution's, normalised and
 * activated); where there is no convolution, the last layer with a 4-D output.
 */
function defaultTarget(sites: LayerSite[], modelPath: string): LayerSite {
  const candidates = sites.filter(isCandidate).reverse();
  let target = candidates.find((site) => CONVOLUTION_CLASSES.has(site.layer.getClassName()));
  if (target === undefined) {
    if (candidates.length === 0) throw new InputError(modelPath, 'has no layer with a 4-D (height × width × channels) output, so there is no feature map for Grad-CAM');
    return candidates[0];
  }
  for (let next = soleConsumer(target, sites); next && FOLLOWING_CLASSES.has(next.layer.getClassName()) && isCandidate(next); next = soleConsumer(next, sites)) {
    target = next;
  }
  return target;
}

/** The default target layer's name (see `defaultTarget`). */
export function defaultTargetLayer(model: tf.LayersModel, modelPath: string): string {
  return defaultTarget(leafSites(model), modelPath).name;
}

/** The layer named by the user (`outer/inner`, or its own name when unambiguous), checked for Grad-CAM. */
function findTarget(model: tf.LayersModel, name: string, modelPath: string): LayerSite {
  const sites = layerSites(model);
  const site = findLayerSite(sites, name, modelPath);
  if (site.isModel) {
    const inner = sites.filter((candidate) => candidate.parent === site && !candidate.isModel && isCandidate(candidate));
    throw new InputError(modelPath, `layer "${name}" is a nested model: choose one of its layers (${inner.map((candidate) => candidate.name).join(', ')})`);
  }
  if (site.layer.getClassName() === 'InputLayer') throw new InputError(modelPath, `layer "${name}" is the model's input; Grad-CAM needs a layer of the model`);
  if (!isCandidate(site)) {
    throw new InputError(modelPath, `layer "${name}" has output shape ${describeOutputShape(site.layer)}; Grad-CAM needs a layer with one 4-D (height × width × channels) output`);
  }
  return site;
}

function describeOutputShape(layer: tf.layers.Layer): string {
  try {
    return JSON.stringify(layer.outputShape);
  } catch {
    return 'that differs between its uses (the layer is used more than once)';
  }
}

interface ActivationFunction {
  apply(x: tf.Tensor): tf.Tensor;
  getClassName(): string;
}

/** The layer that produces the class scores, found inside nested models, and how it activates them. */
interface ClassifierHead {
  layer: tf.layers.Layer & { activation?: ActivationFunction };
  activation: string;
  /** The head's own activation, kept here because the logit score replaces it during the run. */
  activate: (logits: tf.Tensor) => tf.Tensor;
  units: number;
  /** One sigmoid unit: two classes, class 0 scored by the complement (1 − p, or −logit). */
  binary: boolean;
  classCount: number;
  /** Which of the model's outputs holds the class scores. */
  outputIndex: number;
}

export interface ClassifierOutput {
  /** Two for a single sigmoid unit (class 0 is its complement), else the number of output units. */
  classCount: number;
  activation: string;
  binary: boolean;
  /** For a model with several outputs: the one explained (its layer's name). */
  outputName?: string;
}

/**
 * The model's class scores: its only output; else, among the (batch, units) outputs, the first
 * that a softmax or sigmoid activates (a box or regression head is linear), or the first of them.
 */
function classOutputIndex(model: tf.LayersModel, modelPath: string): number {
  if (model.outputs.length === 1) return 0;
  const candidates = model.outputs.flatMap((output, index) => (output.shape.length === 2 && output.shape[1] != null ? [index] : []));
  if (candidates.length === 0) {
    const shapes = model.outputs.map((output) => JSON.stringify(output.shape)).join(', ');
    throw new InputError(modelPath, `has ${model.outputs.length} outputs (${shapes}) and none of shape (batch, classes); Grad-CAM needs class scores`);
  }
  return candidates.find((index) => ['softmax', 'sigmoid'].includes(headActivationOf(model.outputs[index]).activation)) ?? candidates[0];
}

/** The layer that computes an output (inside nested models) and the name of its activation. */
function headActivationOf(output: tf.SymbolicTensor): { layer: ClassifierHead['layer']; activation: string; activationFunction?: ActivationFunction } {
  let layer = output.sourceLayer;
  while (layer instanceof tf.LayersModel) layer = layer.outputs[0].sourceLayer;
  const head = layer as ClassifierHead['layer'];
  if (head.getClassName() === 'Softmax') return { layer: head, activation: 'softmax' };
  return { layer: head, activation: head.activation?.getClassName() ?? 'linear', activationFunction: head.activation };
}

function classifierHead(model: tf.LayersModel, modelPath: string): ClassifierHead {
  const outputIndex = classOutputIndex(model, modelPath);
  const shape = model.outputs[outputIndex].shape;
  const units = shape[1];
  if (shape.length !== 2 || units == null) {
    throw new InputError(modelPath, `has output shape ${JSON.stringify(shape)}; Grad-CAM needs class scores of shape (batch, classes)`);
  }
  const { layer: head, activation, activationFunction } = headActivationOf(model.outputs[outputIndex]);
  const activate = head.getClassName() === 'Softmax' ? (logits: tf.Tensor) => tf.softmax(logits) : (logits: tf.Tensor) => activationFunction?.apply(logits) ?? logits;
  const binary = units === 1 && activation === 'sigmoid';
  return { layer: head, activation, activate, units, binary, classCount: binary ? 2 : units, outputIndex };
}

export function describeClassifierOutput(model: tf.LayersModel, modelPath: string): ClassifierOutput {
  const { classCount, activation, binary, outputIndex } = classifierHead(model, modelPath);
  const outputName = model.outputs.length > 1 ? model.outputs[outputIndex].sourceLayer.name : undefined;
  return { classCount, activation, binary, ...(outputName !== undefined ? { outputName } : {}) };
}

const IDENTITY_ACTIVATION: ActivationFunction = { apply: (x) => x, getClassName: () => 'linear' };

/** For the logit score: the head leaves its scores un-activated for this run. */
function removeHeadActivation(head: ClassifierHead): Restore {
  if (head.layer.getClassName() === 'Softmax') {
    return replaceProperty(head.layer, 'call', (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs));
  }
  return head.activation === 'linear' ? () => {} : replaceProperty(head.layer, 'activation', IDENTITY_ACTIVATION);
}

interface TargetRecording {
  calls: number;
  /** The layer gave several tensors, so it has no single feature map. */
  severalOutputs: boolean;
  /** The target layer's output (kept past the run's tidy scopes; disposed by the caller). */
  output?: tf.Tensor;
  /** The class score's gradient with respect to that output. */
  gradient?: tf.Tensor;
}

/**
 * Wraps the target layer's `call`: its output is recorded, multiplied by `gate` (1) and passed
 * through an identity whose gradient function records the gradient arriving there. Differentiating
 * with respect to the gate confines back-propagation to the graph after the target layer.
 * Problems are recorded rather than thrown: tf.grad leaks the tensors it saved for the backward
 * pass when its function throws.
 */
function probeTarget(layer: tf.layers.Layer, gate: tf.Scalar, recording: TargetRecording): Restore {
  const originalCall = layer.call;
  const recordGradient = tf.customGrad((...args) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => {
      recording.gradient = tf.keep(dy.clone());
      return dy;
    },
  }));
  return replaceProperty(layer, 'call', (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
    const output = originalCall.call(layer, inputs, kwargs);
    recording.calls++;
    if (Array.isArray(output)) recording.severalOutputs = true;
    if (Array.isArray(output) || recording.output) return output;
    recording.output = tf.keep(output.clone());
    return recordGradient(tf.mul(output, gate));
  });
}

/** The recorded feature map and gradient, or why there are none. */
function checkRecording(recording: TargetRecording, target: LayerSite, modelPath: string, withGradient = true): { output: tf.Tensor; gradient?: tf.Tensor } {
  if (recording.severalOutputs) throw new InputError(modelPath, `layer "${target.name}" has several outputs; Grad-CAM needs one feature map`);
  if (recording.calls > 1) throw new InputError(modelPath, `layer "${target.name}" is applied more than once in the model, so it has no single feature map to explain`);
  if (!recording.output || (withGradient && !recording.gradient)) throw new InputError(modelPath, `layer "${target.name}" does not lead to the model's class output`);
  return { output: recording.output, gradient: recording.gradient };
}

/** The score Grad-CAM differentiates, as a scalar, from the head's (possibly un-activated) output. */
export function classScore(output: tf.Tensor, head: Pick<ClassifierHead, 'binary'>, classIndex: number, score: GradCamScore): tf.Scalar {
  if (!head.binary) return tf.reshape(tf.slice(output, [0, classIndex], [1, 1]), []);
  const unit = tf.reshape(output, []) as tf.Scalar;
  if (classIndex === 1) return unit;
  return score === 'logit' ? tf.neg(unit) : tf.sub(1, unit);
}

/** The model's outputs per class; a single sigmoid unit p gives [1 − p, p]. */
export function classScoresOf(head: Pick<ClassifierHead, 'binary'>, outputs: Float32Array): Float32Array {
  return head.binary ? Float32Array.from([1 - outputs[0], outputs[0]]) : outputs;
}

export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export interface GradCamOptions {
  /** The target layer (see listTargetLayers); the default pick when omitted. */
  layer?: string;
  /** The class to explain; the top prediction when omitted. */
  classIndex?: number;
  score: GradCamScore;
  /** Only the feature map and the forward pass (CamSource's gradient is then absent). */
  withoutGradient?: boolean;
}

export interface GradCamMap {
  layer: GradCamLayerChoice;
  classIndex: number;
  /** The model's output per class (see ClassifierOutput). */
  classScores: Float32Array;
  activation: string;
  /** The differentiated score's value: the class's output, or its logit. */
  scoreValue: number;
  width: number;
  height: number;
  /** Row-major, after the ReLU, divided by its maximum: 0..1; all zero when `noPositiveEvidence`. */
  heatmap: Float32Array;
  noPositiveEvidence: boolean;
  /** The score does not change with the layer's output at all (e.g. a saturated softmax). */
  zeroGradient: boolean;
}

/**
 * Grad-CAM for one preprocessed image ([height, width, channels]), in inference mode. Every tensor
 * made here is disposed before returning.
 */
export function computeGradCam(model: tf.LayersModel, modelPath: string, input: Float32Array, inputShape: [number, number, number], options: GradCamOptions): GradCamMap {
  const source = openLayersCamSource(model, modelPath, input, inputShape, options);
  try {
    const { layer, classIndex, classScores, activation, scoreValue } = source;
    return { layer, classIndex, classScores, activation, scoreValue, ...heatmapOf(source.featureMap, source.gradient!, modelPath, source.where) };
  } finally {
    source.dispose();
  }
}

/**
 * The target layer's feature map and the class score's gradient there, from one differentiated run
 * (see probeTarget), with the model's re-scoring for the CAM methods that need it. The caller
 * disposes the source; nothing else made here outlives the call.
 */
export function openLayersCamSource(model: tf.LayersModel, modelPath: string, input: Float32Array, inputShape: [number, number, number], options: GradCamOptions): CamSource {
  checkSingleInput(model, modelPath);
  const sites = leafSites(model);
  const target = options.layer === undefined ? defaultTarget(sites, modelPath) : findTarget(model, options.layer, modelPath);
  const head = classifierHead(model, modelPath);
  if (options.classIndex !== undefined) checkClassIndex(options.classIndex, head.classCount, modelPath);

  const recording: TargetRecording = { calls: 0, severalOutputs: false };
  const x = tf.keep(tf.tensor4d(input, [1, ...inputShape]));
  try {
    const forward = differentiatedRun(model, x, target, head, options, recording, modelPath);
    const { output, gradient } = checkRecording(recording, target, modelPath, !options.withoutGradient);
    const tensors = { input: x, featureMap: output as tf.Tensor4D, gradient: gradient as tf.Tensor4D | undefined };
    return {
      layer: choiceOf(target),
      where: `layer "${target.name}"`,
      ...forward,
      activation: head.activation,
      ...tensors,
      ...layersRescoring(model, x, target, head, forward.classIndex),
      dispose: () => tf.dispose([x, output, gradient].filter((tensor): tensor is tf.Tensor => tensor !== undefined)),
    };
  } catch (error) {
    tf.dispose([x, recording.output, recording.gradient].filter((tensor): tensor is tf.Tensor => tensor !== undefined));
    throw error;
  }
}

/** The class's score for each row of a batch of outputs (see classScore). */
export function batchClassScores(output: tf.Tensor, head: Pick<ClassifierHead, 'binary'>, classIndex: number, score: GradCamScore): tf.Tensor1D {
  if (!head.binary) return tf.reshape(tf.slice(output, [0, classIndex], [-1, 1]), [-1]);
  const unit = tf.reshape(output, [-1]) as tf.Tensor1D;
  if (classIndex === 1) return unit;
  return score === 'logit' ? tf.neg(unit) : tf.sub(1, unit);
}

/**
 * Re-scoring a layers model: whole images, or feature maps returned by the target layer in place
 * of its output. The layers before the target then run on the one image; an op that joins a branch
 * bypassing the target broadcasts it over the batch. A join that cannot (a concatenation) is
 * run again on the image repeated once per feature map.
 */
function layersRescoring(model: tf.LayersModel, x: tf.Tensor4D, target: LayerSite, head: ClassifierHead, classIndex: number): Pick<CamSource, 'scoreImages' | 'scoreFeatureMaps'> {
  const scoreRun = (images: tf.Tensor, score: GradCamScore, restores: Restore[]): Float32Array =>
    tf.tidy(() => {
      if (score === 'logit') restores.push(removeHeadActivation(head));
      try {
        const outputs = model.apply(images, { training: false }) as tf.Tensor | tf.Tensor[];
        const output = Array.isArray(outputs) ? outputs[head.outputIndex] : outputs;
        return batchClassScores(output, head, classIndex, score).dataSync() as Float32Array;
      } finally {
        restores.reverse().forEach((restore) => restore());
      }
    });
  let repeatImage = false;
  const scoreFeatureMaps = (featureMaps: tf.Tensor4D, score: GradCamScore): Float32Array => {
    const replaceOutput = () => replaceProperty(target.layer, 'call', () => featureMaps);
    if (!repeatImage) {
      try {
        return scoreRun(x, score, [replaceOutput()]);
      } catch {
        repeatImage = true;
      }
    }
    const repeated = tf.tile(x, [featureMaps.shape[0], 1, 1, 1]);
    try {
      return scoreRun(repeated, score, [replaceOutput()]);
    } finally {
      repeated.dispose();
    }
  };
  return { scoreImages: (images, score) => scoreRun(images, score, []), scoreFeatureMaps };
}

interface ForwardResult {
  classScores: Float32Array;
  classIndex: number;
  scoreValue: number;
}

/** One run of the model with the target layer probed, differentiated from the class score back to the probe. */
function differentiatedRun(
  model: tf.LayersModel,
  x: tf.Tensor4D,
  target: LayerSite,
  head: ClassifierHead,
  options: GradCamOptions,
  recording: TargetRecording,
  modelPath: string,
): ForwardResult {
  let forward: ForwardResult | undefined;
  const classScoreOfRun = (gate: tf.Tensor) => {
    const restores = [probeTarget(target.layer, gate as tf.Scalar, recording)];
    if (options.score === 'logit') restores.push(removeHeadActivation(head));
    try {
      const modelOutputs = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
      const output = Array.isArray(modelOutputs) ? modelOutputs[head.outputIndex] : modelOutputs;
      const outputs = (options.score === 'logit' ? head.activate(output) : output).dataSync() as Float32Array;
      const classScores = classScoresOf(head, outputs);
      // The top class comes from this same run, read synchronously, so no second pass is needed.
      const classIndex = options.classIndex ?? argMax(classScores);
      const score = classScore(output, head, classIndex, options.score);
      forward = { classScores, classIndex, scoreValue: score.dataSync()[0] };
      return score;
    } finally {
      restores.reverse().forEach((restore) => restore());
    }
  };
  const gate = tf.scalar(1);
  try {
    // Without the gradient, the same run, forward only (the recording keeps the feature map).
    if (options.withoutGradient) tf.tidy(() => classScoreOfRun(gate));
    else tf.grad(classScoreOfRun)(gate).dispose();
  } catch (error) {
    if (error instanceof Error && /Cannot compute gradient/.test(error.message)) {
      throw new InputError(modelPath, `layer "${target.name}" does not lead to the model's class output`, { cause: error });
    }
    throw error;
  } finally {
    gate.dispose();
  }
  if (!forward) throw new Error('The model did not run');
  return forward;
}

/** The heatmap of a feature map and the score's gradient there; `where` names the layer or node for messages. */
export function heatmapOf(
  featureMap: tf.Tensor,
  gradient: tf.Tensor,
  modelPath: string,
  where: string,
): Pick<GradCamMap, 'width' | 'height' | 'heatmap' | 'noPositiveEvidence' | 'zeroGradient'> {
  const { raw, gradientIsZero } = weightedChannelMean(featureMap, gradient);
  if (!raw.every(Number.isFinite)) throw new InputError(modelPath, `gives non-finite gradients at ${where}`);
  const [, height, width] = featureMap.shape;
  const { heatmap, max } = normalizeHeatmap(raw);
  return { width, height, heatmap, noPositiveEvidence: max === 0, zeroGradient: gradientIsZero };
}

/** pooled = mean of the gradient over batch, height and width; heatmap = mean over channels of output × pooled. */
function weightedChannelMean(output: tf.Tensor, gradient: tf.Tensor): { raw: Float32Array; gradientIsZero: boolean } {
  const [raw, largestGradient] = tf.tidy(() => {
    const pooled = tf.mean(gradient, [0, 1, 2]);
    return [tf.mean(tf.mul(output, pooled), -1), tf.max(tf.abs(gradient))];
  });
  try {
    return { raw: raw.dataSync() as Float32Array, gradientIsZero: largestGradient.dataSync()[0] === 0 };
  } finally {
    tf.dispose([raw, largestGradient]);
  }
}

/** The study notes' `np.maximum(heatmap, 0)` and `heatmap /= np.max(heatmap)`, without dividing by zero. */
export function normalizeHeatmap(raw: Float32Array): { heatmap: Float32Array; max: number } {
  const heatmap = raw.map((value) => Math.max(value, 0));
  const max = heatmap.reduce((a, b) => Math.max(a, b), 0);
  if (max > 0) for (let i = 0; i < heatmap.length; i++) heatmap[i] /= max;
  return { heatmap, max };
}

export function checkClassIndex(classIndex: number, classCount: number, modelPath: string): void {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classCount) {
    throw new InputError(modelPath, `has ${classCount} classes (0–${classCount - 1}); there is no class ${classIndex}`);
  }
}

/** Says why a heatmap is blank, for the panel and the CLI. */
export function noEvidenceMessage(map: Pick<GradCamMap, 'zeroGradient' | 'layer'>): string {
  const why = map.zeroGradient ? ' (the score does not change with this layer’s output: the output may be saturated; try the logit score)' : '';
  return `No positive evidence for this class at layer ${map.layer.name}${why}.`;
}
