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
import { float32ValuesOf } from '../tfjs/float32Values';

/**
 * Ascent convention: `dy` is the gradient of the objective to raise, so `dy > 0` asks for a larger
 * input. `candidates`: the images of the batch that may be redirected. Only those whose true
 * gradient is zero here take the redirected one, computed on their rows alone: beyond the true
 * gradient, the work on the whole batch is a read of it, and a copy where an image is blocked (a
 * dozen elementwise kernels on every image at every ReLU took about 130 ms of a 1.5-s batch on the
 * example model's `conv2d_3`; with a reduction in kernels instead of the read, about 50). Built
 * from float steps: TF.js's WASM boolean kernels are several times slower.
 */
function redirectedGradient(dy: tf.Tensor, x: tf.Tensor, upper: number | undefined, candidates: number[]): tf.Tensor {
  return tf.tidy(() => {
    const open = upper === undefined ? tf.step(x) : tf.step(x).mul(tf.step(tf.sub(upper, x)));
    const trueGradient = dy.mul(open);
    if (candidates.length === 0) return trueGradient;
    const batch = x.shape[0] ?? 1;
    // Per candidate image: does any of the true gradient get through? Read where it lies (no
    // kernels: an abs and a max over the whole gradient at every ReLU cost more), stopping at the
    // first value that does.
    const values = float32ValuesOf(trueGradient);
    const perImage = values.length / batch;
    const blocked = candidates.filter((image) => isAllZero(values, image * perImage, (image + 1) * perImage));
    if (blocked.length === 0) return trueGradient;
    // A blocked image's dy is 0 wherever its ReLU is open, so its redirected gradient is what pushes
    // a closed input back into the open range. Rows are taken by slices, a run of neighbours at a
    // time (WASM's Gather is several times slower).
    const rows = runsOf(batch, (image) => blocked.includes(image)).map(({ start, length, marked }) => {
      if (!marked) return tf.slice(trueGradient, start, length);
      const runDy = tf.slice(dy, start, length);
      if (upper === undefined) return runDy.mul(tf.step(runDy));
      const runX = tf.slice(x, start, length);
      return runDy.mul(tf.step(runDy).mul(tf.step(runX.neg())).add(tf.step(runDy.neg()).mul(tf.step(runX.sub(upper)))));
    });
    return rows.length === 1 ? rows[0] : tf.concat(rows);
  });
}

/**
 * Runs `compute` (which takes a gradient) with ReLU gradients redirected, then puts TF.js's own
 * back, even when it throws. `redirectedImages`: per image of the batch, whether it may be
 * redirected (omitted: all); the others take the true gradient at every ReLU, as in a plain pass.
 */
export function withRedirectedReluGradients<T>(compute: () => T, redirectedImages?: boolean[]): T {
  return withReluGradient((dy, x, upper) => {
    const batch = x.shape[0] ?? 1;
    const candidates = Array.from({ length: batch }, (_, i) => i).filter((i) => redirectedImages?.[i] ?? true);
    return redirectedGradient(dy, x, upper, candidates);
  }, compute);
}

/** Whether values start … end − 1 are all 0 (NaN is not). */
function isAllZero(values: Float32Array, start: number, end: number): boolean {
  for (let j = start; j < end; j++) if (values[j] !== 0) return false;
  return true;
}

/** 0 … count − 1 as runs of neighbours that are all marked or all not. */
function runsOf(count: number, isMarked: (index: number) => boolean): { start: number; length: number; marked: boolean }[] {
  const runs: { start: number; length: number; marked: boolean }[] = [];
  for (let index = 0; index < count; index++) {
    const marked = isMarked(index);
    const last = runs[runs.length - 1];
    if (last && last.marked === marked) last.length++;
    else runs.push({ start: index, length: 1, marked });
  }
  return runs;
}
