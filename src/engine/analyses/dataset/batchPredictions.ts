// Class scores for a batch of preprocessed images in one forward pass, for either kind of model
// (the same output Grad-CAM explains: describeClassifierOutput / describeGraphClassifierOutput).
import * as tf from '@tensorflow/tfjs';
import type { PatternModel } from '../filterPatternObjective';
import { runGraph } from '../../models/graph/graphNetwork';
import type { ClassifierOutput } from '../gradCam';

/**
 * `inputs` holds `count` images of `imageShape` back to back. Returns `count` rows of class scores;
 * a single sigmoid unit p gives [1 − p, p], as everywhere else.
 */
export function predictBatch(model: PatternModel, output: ClassifierOutput, inputs: Float32Array, count: number, imageShape: [number, number, number]): Float32Array[] {
  const values = tf.tidy(() => {
    const x = tf.tensor4d(inputs, [count, ...imageShape]);
    return scoresTensor(model, output, x).dataSync() as Float32Array;
  });
  const units = values.length / count;
  return Array.from({ length: count }, (_, i) => {
    const row = values.slice(i * units, (i + 1) * units);
    return output.binary ? Float32Array.from([1 - row[0], row[0]]) : row;
  });
}

function scoresTensor(model: PatternModel, output: ClassifierOutput, x: tf.Tensor4D): tf.Tensor {
  if (model instanceof tf.LayersModel) {
    const outputs = model.predict(x);
    if (!Array.isArray(outputs)) return outputs;
    const index = Math.max(0, model.outputs.findIndex((symbolic) => symbolic.sourceLayer.name === output.outputName));
    return outputs[index];
  }
  const [scores] = runGraph(model, x, [output.outputName ?? model.graph.outputs[0].name]);
  return scores;
}
