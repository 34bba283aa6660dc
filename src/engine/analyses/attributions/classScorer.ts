// The class score as a differentiable function of the preprocessed input, for either kind of model:
// what every attribution and faithfulness score is computed from. The explained output and the
// score follow Grad-CAM's rules (analyses/gradCam.ts): the class-score output of a model with
// several outputs, one sigmoid unit read as two classes (class 0 scored by 1 − p, or −logit), and
// the `logit` score taken before the head's softmax or sigmoid.
import * as tf from '@tensorflow/tfjs';
import type { GradCamScore } from '../../../shared/types';
import { describeClassifierOutput } from '../gradCam';
import type { PatternModel } from '../filterPatternObjective';
import { checkSingleInput } from '../../models/modelSummary';
import { skipIdentities } from '../../models/graph/graphDef';
import { withGradientsExplained } from '../../models/graph/graphFailures';
import { describeGraphClassifierOutput } from '../../models/graph/graphGradCam';
import { runGraph, type GraphNetwork } from '../../models/graph/graphNetwork';
import { replaceProperty, type Restore } from '../../tfjs/propertyPatch';

/** The explained class's score for each image of a batch: [batch, height, width, channels] → [batch]. Differentiable. */
export type ClassScorer = (inputs: tf.Tensor4D) => tf.Tensor1D;

/** What the attributions need of a model. */
export interface ModelScorer {
  /** Two for a single sigmoid unit, else the number of output units. */
  readonly classCount: number;
  /** The model's output per class, [batch, classCount] (one sigmoid unit p gives [1 − p, p]). */
  classOutputs(inputs: tf.Tensor4D): tf.Tensor2D;
  /** The score of `classIndex` per image: its output, or its logit. */
  scorer(classIndex: number, score: GradCamScore): ClassScorer;
  /** Runs a computation that differentiates the scorer, turning a gradient TF.js lacks into an InputError naming the op. */
  differentiate<T>(compute: () => T): T;
}

/** Column `classIndex` of a head's [batch, units] values; for one sigmoid unit, class 0 is 1 − p (or −logit). */
function classColumn(values: tf.Tensor, binary: boolean, classIndex: number, score: GradCamScore): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = values.shape[0]!;
    if (!binary) return tf.reshape(tf.slice(values, [0, classIndex], [batch, 1]), [batch]);
    const unit = tf.reshape(values, [batch]) as tf.Tensor1D;
    if (classIndex === 1) return unit;
    return score === 'logit' ? tf.neg(unit) : tf.sub(1, unit);
  });
}

function classOutputsOf(outputs: tf.Tensor, binary: boolean): tf.Tensor2D {
  return tf.tidy(() => (binary ? tf.concat([tf.sub(1, outputs), outputs], 1) : outputs) as tf.Tensor2D);
}

const IDENTITY_ACTIVATION = { apply: (x: tf.Tensor) => x, getClassName: () => 'linear' };

/** The layer computing a layers model's output, looked for inside nested models. */
function headLayer(output: tf.SymbolicTensor): tf.layers.Layer & { activation?: { getClassName(): string } } {
  let layer = output.sourceLayer;
  while (layer instanceof tf.LayersModel) layer = layer.outputs[0].sourceLayer;
  return layer;
}

/** Leaves the head's softmax or sigmoid out for one run, as Grad-CAM's logit score does. */
function removeHeadActivation(head: ReturnType<typeof headLayer>): Restore {
  if (head.getClassName() === 'Softmax') return replaceProperty(head, 'call', (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs));
  const activation = head.activation?.getClassName() ?? 'linear';
  return activation === 'linear' ? () => {} : replaceProperty(head, 'activation', IDENTITY_ACTIVATION);
}

export function layersModelScorer(model: tf.LayersModel, modelPath: string): ModelScorer {
  checkSingleInput(model, modelPath);
  const { classCount, binary, outputName } = describeClassifierOutput(model, modelPath);
  const outputIndex = outputName === undefined ? 0 : model.outputs.findIndex((output) => output.sourceLayer.name === outputName);
  const head = headLayer(model.outputs[outputIndex]);
  const run = (inputs: tf.Tensor4D): tf.Tensor => {
    const outputs = model.apply(inputs, { training: false }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(outputs) ? outputs[outputIndex] : outputs;
  };
  return {
    classCount,
    classOutputs: (inputs) => tf.tidy(() => classOutputsOf(run(inputs), binary)),
    scorer: (classIndex, score) => (inputs) => {
      const restore = score === 'logit' ? removeHeadActivation(head) : () => {};
      try {
        return tf.tidy(() => classColumn(run(inputs), binary, classIndex, score));
      } finally {
        restore();
      }
    },
    differentiate: (compute) => compute(),
  };
}

export function graphModelScorer(network: GraphNetwork): ModelScorer {
  const { classCount, binary, outputName } = describeGraphClassifierOutput(network);
  const output = outputName ?? network.graph.outputs[0].name;
  const last = skipIdentities(network.graph.byName.get(output)!, network.graph);
  const logits = last.op === 'Softmax' || last.op === 'Sigmoid' ? last.inputs[0] : output;
  // A graph whose input declares a fixed batch (often 1) runs a batch in pieces of that size.
  const fixedBatch = network.inputShape[0];
  const run = (inputs: tf.Tensor4D, node: string): tf.Tensor => {
    const batch = inputs.shape[0];
    if (fixedBatch == null || fixedBatch === batch || batch % fixedBatch !== 0) return runGraph(network, inputs, [node])[0];
    return tf.concat(tf.split(inputs, batch / fixedBatch).map((piece) => runGraph(network, piece, [node])[0]));
  };
  return {
    classCount,
    classOutputs: (inputs) => tf.tidy(() => classOutputsOf(run(inputs, output), binary)),
    scorer: (classIndex, score) => (inputs) => tf.tidy(() => classColumn(run(inputs, score === 'logit' ? logits : output), binary, classIndex, score)),
    differentiate: (compute) =>
      withGradientsExplained(compute, {
        nodes: network.graph.nodes,
        what: 'the attribution',
        unreachable: "the class output does not depend on the image input",
        modelPath: network.modelPath,
      }),
  };
}

/** The scorer of a loaded model (LoadedModel's `patternModel` is either kind). */
export function modelScorerOf(model: PatternModel, modelPath: string): ModelScorer {
  return model instanceof tf.LayersModel ? layersModelScorer(model, modelPath) : graphModelScorer(model);
}

/** The model's output per class for one preprocessed image ([height, width, channels]). */
export function classOutputsOfImage(modelScorer: ModelScorer, input: Float32Array, inputShape: [number, number, number]): Float32Array {
  return tf.tidy(() => modelScorer.classOutputs(tf.tensor4d(input, [1, ...inputShape])).dataSync() as Float32Array).slice();
}
