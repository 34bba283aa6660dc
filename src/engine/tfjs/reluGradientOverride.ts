// The registered gradients of TF.js's Relu and Relu6 kernels, swapped for the length of one call:
// guided backpropagation and Lucid's redirected ReLU change how a ReLU passes the gradient back.
// Within a gradient (tf.grad) TF.js runs fused convolutions and matrix products that have a ReLU as
// their plain ops (`shouldFuse` is false while a gradient is taped), so every ReLU of a layers or
// graph model goes through these kernels' gradients.
import * as tf from '@tensorflow/tfjs';

/** A ReLU's input gradient from the gradient arriving (`dy`) and its input; `upper`: Relu6's 6. */
export type ReluGradient = (dy: tf.Tensor, x: tf.Tensor, upper?: number) => tf.Tensor;

/** Runs `compute` (which takes a gradient) with `gradient` for Relu and Relu6, then puts the previous ones back, even when it throws. */
export function withReluGradient<T>(gradient: ReluGradient, compute: () => T): T {
  const replacements: tf.GradConfig[] = [
    { kernelName: tf.Relu, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => gradient(dy as tf.Tensor, saved[0]) }) },
    { kernelName: tf.Relu6, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => gradient(dy as tf.Tensor, saved[0], 6) }) },
  ];
  const originals = replacements.map(({ kernelName }) => ({ kernelName, config: tf.getGradient(kernelName) }));
  for (const config of replacements) tf.registerGradient(config);
  try {
    return compute();
  } finally {
    for (const { kernelName, config } of originals) {
      if (config) tf.registerGradient(config);
      else tf.unregisterGradient(kernelName);
    }
  }
}
