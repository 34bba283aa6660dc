// Grad-CAM on a graph model. The target node's output is computed once; the class score is then
// computed from it by running the graph again with that output fed in at the node (and the image
// at the input, for branches that bypass the node), so tf.grad gives the score's gradient with
// respect to the feature map through whatever the graph does after the node.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../shared/errors';
import { argMax, batchClassScores, checkClassIndex, classScore, classScoresOf, heatmapOf, type ClassifierOutput, type GradCamMap, type GradCamOptions } from '../../analyses/gradCam';
import type { CamSource } from '../../analyses/cam/camSource';
import type { GradCamLayerChoice, GradCamScore, Shape } from '../../../shared/types';
import { lastConvolutionOutput } from './graphConvolutions';
import { skipIdentities } from './graphDef';
import { withGradientsExplained } from './graphFailures';
import { findGraphNode, runGraph, type GraphNetwork, type GraphNodeInfo } from './graphNetwork';
import { hasFeatureMaps } from './graphSummary';

interface GraphClassifierHead extends ClassifierOutput {
  output: string;
  /** The node holding the scores before the final softmax or sigmoid (the output itself when there is none). */
  logits: string;
}

const isCandidate = hasFeatureMaps;

function choiceOf(node: GraphNodeInfo): GradCamLayerChoice {
  return { name: node.name, className: node.op, outputShape: node.outputShape };
}

/** The nodes Grad-CAM can target: those with a 4-D floating-point output, in model order. */
export function listGraphTargetNodes(network: GraphNetwork): GradCamLayerChoice[] {
  return network.nodes.filter(isCandidate).map(choiceOf);
}

/** The last convolution's feature map, after its bias and activation; without a convolution, the last 4-D node. */
function defaultTarget(network: GraphNetwork): GraphNodeInfo {
  const name = lastConvolutionOutput(network) ?? [...network.nodes].reverse().find(isCandidate)?.name;
  if (name === undefined) throw new InputError(network.modelPath, 'has no node with a 4-D (height × width × channels) output, so there is no feature map for Grad-CAM');
  return findGraphNode(network, name)!;
}

function findTarget(network: GraphNetwork, name: string): GraphNodeInfo {
  const node = findGraphNode(network, name);
  if (!node) throw new InputError(network.modelPath, `has no graph node named "${name}"`);
  if (!isCandidate(node)) {
    throw new InputError(network.modelPath, `node "${name}" has output shape ${JSON.stringify(node.outputShape)}; Grad-CAM needs a node with a 4-D (height × width × channels) output`);
  }
  return node;
}

const outputShapeOf = (network: GraphNetwork, name: string): Shape => findGraphNode(network, name)?.outputShape ?? [];
const isClassScores = (shape: Shape) => shape.length === 2 && shape[1] != null;

/** The class scores: the model's only output, else the first of shape (batch, classes), as for a layers model. */
function classOutputName(network: GraphNetwork): string {
  const outputs = network.graph.outputs.map((output) => output.name);
  if (outputs.length === 1) return outputs[0];
  const output = outputs.find((name) => isClassScores(outputShapeOf(network, name)));
  if (output === undefined) {
    const shapes = outputs.map((name) => JSON.stringify(outputShapeOf(network, name))).join(', ');
    throw new InputError(network.modelPath, `has ${outputs.length} outputs (${shapes}) and none of shape (batch, classes); Grad-CAM needs class scores`);
  }
  return output;
}

function graphClassifierHead(network: GraphNetwork): GraphClassifierHead {
  const { modelPath, graph } = network;
  const output = classOutputName(network);
  const shape = outputShapeOf(network, output);
  const units = shape[1];
  if (!isClassScores(shape) || units == null) {
    throw new InputError(modelPath, `has output shape ${JSON.stringify(shape)}; Grad-CAM needs class scores of shape (batch, classes)`);
  }
  const last = skipIdentities(graph.byName.get(output)!, graph);
  const activation = last.op === 'Softmax' ? 'softmax' : last.op === 'Sigmoid' ? 'sigmoid' : 'linear';
  const binary = units === 1 && activation === 'sigmoid';
  return { output, logits: activation === 'linear' ? output : last.inputs[0], activation, binary, classCount: binary ? 2 : units };
}

export function describeGraphClassifierOutput(network: GraphNetwork): ClassifierOutput {
  const { classCount, activation, binary, output } = graphClassifierHead(network);
  return { classCount, activation, binary, ...(network.graph.outputs.length > 1 ? { outputName: output } : {}) };
}

/**
 * Grad-CAM for one preprocessed image ([height, width, channels]). Every tensor made here is
 * disposed before returning.
 */
export function computeGraphGradCam(network: GraphNetwork, input: Float32Array, inputShape: [number, number, number], options: GradCamOptions): GradCamMap {
  const source = openGraphCamSource(network, input, inputShape, options);
  try {
    const { layer, classIndex, classScores, activation, scoreValue } = source;
    return { layer, classIndex, classScores, activation, scoreValue, ...heatmapOf(source.featureMap, source.gradient!, network.modelPath, source.where) };
  } finally {
    source.dispose();
  }
}

/**
 * The target node's feature map and the class score's gradient there, with the graph's re-scoring
 * for the CAM methods that need it. The caller disposes the source.
 */
export function openGraphCamSource(network: GraphNetwork, input: Float32Array, inputShape: [number, number, number], options: GradCamOptions): CamSource {
  const target = options.layer === undefined ? defaultTarget(network) : findTarget(network, options.layer);
  const head = graphClassifierHead(network);
  if (options.classIndex !== undefined) checkClassIndex(options.classIndex, head.classCount, network.modelPath);

  const scoreNodeOf = (score: GradCamScore) => (score === 'logit' ? head.logits : head.output);
  const scoreNode = scoreNodeOf(options.score);
  const outputs = [...new Set([scoreNode, head.output])];
  const x = tf.keep(tf.tensor4d(input, [1, ...inputShape]));
  const tensors: tf.Tensor[] = [x];
  try {
    const [featureMap] = runGraph(network, x, [target.name]);
    tensors.push(tf.keep(featureMap));
    let forward: Pick<GradCamMap, 'classScores' | 'classIndex' | 'scoreValue'> | undefined;
    const scoreOf = (map: tf.Tensor) => {
      const [scores, classOutputs] = runGraph(network, x, outputs, { [target.name]: map });
      // The top class comes from this same run, read synchronously, so no second pass is needed.
      const classScores = classScoresOf(head, (classOutputs ?? scores).dataSync() as Float32Array);
      const classIndex = options.classIndex ?? argMax(classScores);
      const score = classScore(scores, head, classIndex, options.score);
      forward = { classScores, classIndex, scoreValue: score.dataSync()[0] };
      return score;
    };
    // Without the gradient, the same run, forward only.
    const gradient = options.withoutGradient
      ? void tf.tidy(() => scoreOf(featureMap))
      : withGradientsExplained(() => tf.grad(scoreOf)(featureMap), {
          nodes: network.graph.nodes,
          what: 'Grad-CAM',
          unreachable: `node "${target.name}" does not lead to the model's class output`,
          modelPath: network.modelPath,
        });
    if (gradient) tensors.push(tf.keep(gradient));
    const { classIndex } = forward!;
    const scoreRun = (images: tf.Tensor, score: GradCamScore, feeds: tf.NamedTensorMap = {}): Float32Array =>
      tf.tidy(() => batchClassScores(runGraph(network, images, [scoreNodeOf(score)], feeds)[0], head, classIndex, score).dataSync() as Float32Array);
    // The nodes before the target run on the one image; a join with a branch that bypasses the
    // target broadcasts it over the batch, and one that cannot (a concatenation) gets the image repeated.
    let repeatImage = false;
    const scoreFeatureMaps = (maps: tf.Tensor4D, score: GradCamScore): Float32Array => {
      if (!repeatImage) {
        try {
          return scoreRun(x, score, { [target.name]: maps });
        } catch {
          repeatImage = true;
        }
      }
      const repeated = tf.tile(x, [maps.shape[0], 1, 1, 1]);
      try {
        return scoreRun(repeated, score, { [target.name]: maps });
      } finally {
        repeated.dispose();
      }
    };
    return {
      layer: choiceOf(target),
      where: `node "${target.name}"`,
      ...forward!,
      activation: head.activation,
      input: x,
      featureMap: featureMap as tf.Tensor4D,
      gradient: gradient as tf.Tensor4D | undefined,
      scoreImages: (images, score) => scoreRun(images, score),
      scoreFeatureMaps,
      dispose: () => tf.dispose(tensors),
    };
  } catch (error) {
    tf.dispose(tensors);
    throw error;
  }
}
