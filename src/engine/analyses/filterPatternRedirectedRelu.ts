// Lucid's redirected ReLU gradient (lucid/optvis/overrides/redirected_relu_grad.py), for the first
// steps of the `lucid` preset. On a trained model many filters are silent on a near-gray start: the
// ReLU at or before them outputs zero everywhere, its gradient is zero, and a plain ascent never
// moves (the study notes' "dead" tiles). Here, for each image of a batch whose gradient a ReLU would
// block entirely, the ReLU passes the gradient that pushes its input up (towards firing) instead,
// so the ascent can start; images whose gradient gets through keep the true gradient, and so do the
// images a caller marks as plain, at every ReLU.
// The kernels' gradients are swapped for the length of one call (tfjs/reluGradientOverride.ts).
import * as tf from '@tensorflow/tfjs';
import { withReluGradient } from '../tfjs/reluGradientOverride';

/**
 * Ascent convention: `dy` is the gradient of the objective to raise, so `dy > 0` asks for a larger
 * input. `plain`: [batch], 1 where an image keeps the true gradient whatever gets through. Built
 * from float steps: TF.js's WASM boolean kernels are several times slower.
 */
function redirectedGradient(dy: tf.Tensor, x: tf.Tensor, upper: number | undefined, plain: tf.Tensor1D | undefined): tf.Tensor {
  return tf.tidy(() => {
    const open = upper === undefined ? tf.step(x) : tf.step(x).mul(tf.step(tf.sub(upper, x)));
    const trueGradient = dy.mul(open);
    // Where the ReLU is closed, only what pushes its input back into its open range.
    const pushesIn = upper === undefined ? tf.step(dy) : tf.step(dy).mul(tf.step(x.neg())).add(tf.step(dy.neg()).mul(tf.step(x.sub(upper))));
    const redirected = dy.mul(tf.maximum(open, pushesIn));
    // Per image: does any of the true gradient get through (or is the image plain)?
    const batch = x.shape[0] ?? 1;
    const passes = trueGradient.abs().reshape([batch, -1]).max(1).sign();
    const keepsTrue = plain ? tf.maximum(passes, plain) : passes;
    const perImage = keepsTrue.reshape([batch, ...x.shape.slice(1).map(() => 1)]);
    // Exact where perImage is 1: redirected equals the true gradient where the ReLU is open, and the difference is exact where it is closed.
    return redirected.add(trueGradient.sub(redirected).mul(perImage));
  });
}

/**
 * Runs `compute` (which takes a gradient) with ReLU gradients redirected, then puts TF.js's own
 * back, even when it throws. `redirectedImages`: per image of the batch, whether it may be
 * redirected (omitted: all); the others take the true gradient, as in a plain pass.
 */
export function withRedirectedReluGradients<T>(compute: () => T, redirectedImages?: boolean[]): T {
  const plain = redirectedImages && tf.tensor1d(redirectedImages.map((redirected) => (redirected ? 0 : 1)));
  try {
    return withReluGradient((dy, x, upper) => redirectedGradient(dy, x, upper, plain), compute);
  } finally {
    plain?.dispose();
  }
}
