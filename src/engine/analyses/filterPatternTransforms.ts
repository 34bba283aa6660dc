// Transformation robustness for the `clear` and `lucid` presets: at every step each image is seen
// shifted, scaled and rotated by a random amount drawn from its filter's own stream, so a pattern
// must excite its filter wherever it lands, not through one exact arrangement of pixels.
import * as tf from '@tensorflow/tfjs';
import { randomBetween, type Random } from '../seededRandom';

/** The largest random change per step: shift in pixels, relative scale (0.1: ±10 %), rotation in degrees. */
export interface TransformRanges {
  jitter: number;
  scaleJitter: number;
  rotationDegrees: number;
}

/** One row of 8 per image, as tf.image.transform takes them (each maps an output pixel to an input point). */
export interface ImageTransforms {
  /** What the model sees, from the image. */
  toSeen: number[][];
  /** The inverse, to bring the gradient back onto the image. */
  toImage: number[][];
}

/** A random shift (whole pixels), scale and rotation about the centre per image, drawn from each filter's stream. */
export function drawTransforms(randoms: Random[], size: number, ranges: TransformRanges): ImageTransforms {
  const centre = (size - 1) / 2;
  const toSeen: number[][] = [];
  const toImage: number[][] = [];
  for (const random of randoms) {
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
    toSeen.push([a0, a1, centre - a0 * fromX - a1 * fromY, b0, b1, centre - b0 * fromX - b1 * fromY, 0, 0]);
    // Image point q comes from seen point A(q − centre) + centre + shift, A = scale · rotation(angle).
    const [c0, c1, d0, d1] = [scale * cos, -scale * sin, scale * sin, scale * cos];
    toImage.push([c0, c1, fromX - c0 * centre - c1 * centre, d0, d1, fromY - d0 * centre - d1 * centre, 0, 0]);
  }
  return { toSeen, toImage };
}

/**
 * tf.image.transform, bilinear, each image by its own row. On the cpu backend one image at a time:
 * in TF.js 4.22 its kernel returns after the first image of a batch (WASM's is right, and 5× faster
 * in one call than in 16). 'wrap' makes a whole-pixel shift an exact roll (as DeepDream's np.roll),
 * undone exactly for the gradient; WASM's 'reflect' also disagrees with the cpu backend's.
 */
export function transformEach(images: tf.Tensor4D, rows: number[][]): tf.Tensor4D {
  if (tf.getBackend() !== 'cpu') return tf.image.transform(images, rows, 'bilinear', 'wrap');
  const transformed = tf.split(images, rows.length).map((image, i) => tf.image.transform(image as tf.Tensor4D, [rows[i]], 'bilinear', 'wrap'));
  return tf.concat(transformed);
}

/**
 * The images as the model sees them, differentiable: TF.js has no gradient for tf.image.transform,
 * so the gradient is brought back by the inverse transform (the adjoint of a rotation, and of a
 * scale up to a constant factor that the presets' per-image normalisation removes).
 */
export function transformDifferentiably(images: tf.Tensor4D, transforms: ImageTransforms): tf.Tensor4D {
  const transform = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: transformEach(inputs[0] as tf.Tensor4D, transforms.toSeen),
    gradFunc: (dy: tf.Tensor) => transformEach(dy as tf.Tensor4D, transforms.toImage),
  }));
  return transform(images) as tf.Tensor4D;
}
