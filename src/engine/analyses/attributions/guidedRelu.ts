// Guided backpropagation's ReLU (Springenberg et al. 2015): on the way back a ReLU passes the
// gradient only where its input was positive (the true gradient) and the gradient arriving is
// positive. Relu6 keeps its upper gate: no gradient where the input was above 6. The kernels'
// gradients are swapped for the length of one call (tfjs/reluGradientOverride.ts).
import * as tf from '@tensorflow/tfjs';
import { withReluGradient } from '../../tfjs/reluGradientOverride';

function guidedGradient(dy: tf.Tensor, x: tf.Tensor, upper?: number): tf.Tensor {
  return tf.tidy(() => {
    const open = upper === undefined ? tf.step(x) : tf.step(x).mul(tf.step(tf.sub(upper, x)));
    return dy.mul(open).mul(tf.step(dy));
  });
}

/** Runs `compute` (which takes a gradient) with guided ReLU gradients, then puts the previous ones back, even when it throws. */
export function withGuidedReluGradients<T>(compute: () => T): T {
  return withReluGradient(guidedGradient, compute);
}
