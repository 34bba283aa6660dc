// Transformation robustness for the `clear` and `lucid` presets: at every step each image is seen
// shifted, scaled and rotated by a random amount drawn from its filter's own stream, so a pattern
// must excite its filter wherever it lands, not through one exact arrangement of pixels.
//
// The resampling runs in JavaScript, not as tf.image.transform: the image is periodic (bilinear
// between the last pixel and the first, which suits a Fourier image, and makes a whole-pixel shift
// an exact roll, as DeepDream's np.roll), its gradient is the exact adjoint of the sampling (TF.js
// has no gradient for tf.image.transform), and it costs a fraction of WASM's Transform kernel,
// whose call was the largest part of a small model's step beyond the model itself.
import * as tf from '@tensorflow/tfjs';
import { randomBetween, type Random } from '../seededRandom';
import { float32TensorFilledBy, float32ValuesOf } from '../tfjs/float32Values';

/** The largest random change per step: shift in pixels, relative scale (0.1: ±10 %), rotation in degrees. */
export interface TransformRanges {
  jitter: number;
  scaleJitter: number;
  rotationDegrees: number;
}

/**
 * Per image, the affine map from a seen pixel (x, y) to the image point it shows:
 * (a0·x + a1·y + a2, b0·x + b1·y + b2), as [a0, a1, a2, b0, b1, b2].
 */
export type ImageTransforms = number[][];

/** A random shift (whole pixels), scale and rotation about the centre per image, drawn from each filter's stream. */
export function drawTransforms(randoms: Random[], size: number, ranges: TransformRanges): ImageTransforms {
  const centre = (size - 1) / 2;
  return randoms.map((random) => {
    const shiftX = Math.round(randomBetween(random, -ranges.jitter, ranges.jitter));
    const shiftY = Math.round(randomBetween(random, -ranges.jitter, ranges.jitter));
    const scale = 1 + randomBetween(random, -ranges.scaleJitter, ranges.scaleJitter);
    const angle = (randomBetween(random, -ranges.rotationDegrees, ranges.rotationDegrees) * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Seen pixel p shows image point M(p − centre − shift) + centre, M = rotation(−angle) / scale.
    const [a0, a1, b0, b1] = [cos / scale, sin / scale, -sin / scale, cos / scale];
    const fromX = centre + shiftX;
    const fromY = centre + shiftY;
    return [a0, a1, centre - a0 * fromX - a1 * fromY, b0, b1, centre - b0 * fromX - b1 * fromY];
  });
}

/**
 * Tap and weight arrays kept from one step's sampler to the next: allocating them afresh each step
 * often cost several times the filling (fresh pages: 0.2–1.9 ms a step against 0.2–0.3 ms, for 16
 * images of 28 px). A sampler built on a storage is valid until the next one built on it.
 */
export class SamplerStorage {
  private taps = new Int32Array(0);
  private weights = new Float32Array(0);

  arrays(length: number): { taps: Int32Array; weights: Float32Array } {
    if (this.taps.length < length) {
      this.taps = new Int32Array(length);
      this.weights = new Float32Array(length);
    }
    return { taps: this.taps.subarray(0, length), weights: this.weights.subarray(0, length) };
  }
}

/**
 * Bilinear sampling of periodic images ([batch, size, size, channels], channels last, flattened)
 * at each image's transformed points, and its adjoint.
 */
export class PeriodicSampler {
  /** Per seen pixel, the pixel offsets (channel 0) of its four taps in the image batch, … */
  private readonly taps: Int32Array;
  /** … and their bilinear weights. */
  private readonly weights: Float32Array;

  constructor(
    transforms: ImageTransforms,
    size: number,
    private readonly channels: number,
    storage?: SamplerStorage,
  ) {
    const pixels = transforms.length * size * size;
    const { taps, weights } = storage ? storage.arrays(4 * pixels) : { taps: new Int32Array(4 * pixels), weights: new Float32Array(4 * pixels) };
    this.taps = taps;
    this.weights = weights;
    let tap = 0;
    for (let image = 0; image < transforms.length; image++) {
      const [a0, a1, a2, b0, b1, b2] = transforms[image];
      const base = image * size * size;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inX = a0 * x + a1 * y + a2;
          const inY = b0 * x + b1 * y + b2;
          const floorX = Math.floor(inX);
          const floorY = Math.floor(inY);
          const fx = inX - floorX;
          const fy = inY - floorY;
          const x0 = wrap(floorX | 0, size);
          const x1 = x0 + 1 === size ? 0 : x0 + 1;
          const y0 = wrap(floorY | 0, size);
          const y1 = y0 + 1 === size ? 0 : y0 + 1;
          taps[tap] = (base + y0 * size + x0) * channels;
          taps[tap + 1] = (base + y0 * size + x1) * channels;
          taps[tap + 2] = (base + y1 * size + x0) * channels;
          taps[tap + 3] = (base + y1 * size + x1) * channels;
          weights[tap] = (1 - fy) * (1 - fx);
          weights[tap + 1] = (1 - fy) * fx;
          weights[tap + 2] = fy * (1 - fx);
          weights[tap + 3] = fy * fx;
          tap += 4;
        }
      }
    }
  }

  /** What the model sees: seen[p] = image(transform(p)), written into `seen` (every value). */
  sample(images: Float32Array, seen: Float32Array = new Float32Array(images.length)): Float32Array {
    const { taps, weights, channels } = this;
    for (let tap = 0, pixel = 0; tap < taps.length; tap += 4, pixel += channels) {
      // The taps and weights once per pixel, not once per channel.
      const t0 = taps[tap], t1 = taps[tap + 1], t2 = taps[tap + 2], t3 = taps[tap + 3];
      const w0 = weights[tap], w1 = weights[tap + 1], w2 = weights[tap + 2], w3 = weights[tap + 3];
      for (let c = 0; c < channels; c++) seen[pixel + c] = w0 * images[t0 + c] + w1 * images[t1 + c] + w2 * images[t2 + c] + w3 * images[t3 + c];
    }
    return seen;
  }

  /** The adjoint of `sample`: each seen pixel's gradient spread back onto the four image pixels it was drawn from, written into `gradient` (every value). */
  adjoint(seenGradient: Float32Array, gradient: Float32Array = new Float32Array(seenGradient.length)): Float32Array {
    const { taps, weights, channels } = this;
    gradient.fill(0);
    for (let tap = 0, pixel = 0; tap < taps.length; tap += 4, pixel += channels) {
      const t0 = taps[tap], t1 = taps[tap + 1], t2 = taps[tap + 2], t3 = taps[tap + 3];
      const w0 = weights[tap], w1 = weights[tap + 1], w2 = weights[tap + 2], w3 = weights[tap + 3];
      for (let c = 0; c < channels; c++) {
        const g = seenGradient[pixel + c];
        gradient[t0 + c] += w0 * g;
        gradient[t1 + c] += w1 * g;
        gradient[t2 + c] += w2 * g;
        gradient[t3 + c] += w3 * g;
      }
    }
    return gradient;
  }
}

/** `index` modulo `size`, in 0 … size − 1 (the images repeat); both are whole numbers. */
function wrap(index: number, size: number): number {
  if (index >= 0 && index < size) return index;
  const wrapped = index % size | 0;
  return wrapped < 0 ? wrapped + size : wrapped;
}

/**
 * The images as the model sees them, each by its own transform; differentiable (the gradient is the
 * sampling's adjoint). `storage`: see SamplerStorage (the gradient must be taken before the next use).
 */
export function transformDifferentiably(images: tf.Tensor4D, transforms: ImageTransforms, storage?: SamplerStorage): tf.Tensor4D {
  const [, size, , channels] = images.shape;
  const sampler = new PeriodicSampler(transforms, size, channels, storage);
  // Read and written in place on the backend (float32Values.ts): the copies cost more than the sampling.
  const transform = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: float32TensorFilledBy<tf.Rank.R4>(images.shape, (seen) => sampler.sample(float32ValuesOf(inputs[0] as tf.Tensor4D), seen)),
    gradFunc: (dy: tf.Tensor) => float32TensorFilledBy<tf.Rank.R4>(images.shape, (gradient) => sampler.adjoint(float32ValuesOf(dy), gradient)),
  }));
  return transform(images) as tf.Tensor4D;
}
