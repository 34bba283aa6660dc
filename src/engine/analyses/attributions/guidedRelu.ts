// Guided backpropagation's ReLU (Springenberg et al. 2015): on the way back a ReLU passes the
// gradient only where its input was positive (the true gradient) and the gradient arriving is
// positive. Within a gradient TF.js runs fused convolutions and matrix products with a ReLU as
// plain ops, so every ReLU of a layers or graph model goes through the Relu / Relu6 kernels'
// registered gradients, swapped here for the length of one call (as filterPatternRedirectedRelu.ts
// does for the lucid preset). Relu6 keeps its upper gate: no gradient where the input was above 6.
import * as tf from '@tensorflow/tfjs';

function guidedGradient(dy: tf.Tensor, x: tf.Tensor, upper?: number): tf.Tensor {
  return tf.tidy(() => {
    const open = upper === undefined ? tf.step(x) : tf.step(x).mul(tf.step(tf.sub(upper, x)));
    return dy.mul(open).mul(tf.step(dy));
  });
}

const GUIDED_GRADIENTS: tf.GradConfig[] = [
  { kernelName: tf.Relu, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => guidedGradient(dy as tf.Tensor, saved[0]) }) },
  { kernelName: tf.Relu6, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => guidedGradient(dy as tf.Tensor, saved[0], 6) }) },
];

/** Runs `compute` (which takes a gradient) with guided ReLU gradients, then puts the previous ones back, even when it throws. */
export function withGuidedReluGradients<T>(compute: () => T): T {
  const originals = GUIDED_GRADIENTS.map(({ kernelName }) => ({ kernelName, config: tf.getGradient(kernelName) }));
  for (const config of GUIDED_GRADIENTS) tf.registerGradient(config);
  try {
    return compute();
  } finally {
    for (const { kernelName, config } of originals) {
      if (config) tf.registerGradient(config);
      else tf.unregisterGradient(kernelName);
    }
  }
}
