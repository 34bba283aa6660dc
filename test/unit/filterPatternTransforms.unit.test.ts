// The presets' random shift, scale and rotation: periodic bilinear sampling and its adjoint, which
// the ascent uses as the sampling's gradient.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { drawTransforms, PeriodicSampler, SamplerStorage, transformDifferentiably, type ImageTransforms } from '../../src/engine/analyses/filterPatternTransforms';
import { mulberry32 } from '../../src/engine/seededRandom';
import { useWasmBackend } from '../support/engineFixtures';

function randomImages(length: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => random() * 2 - 1);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Rotation by `degrees` and scale about the centre, as drawTransforms writes them (seen pixel → image point). */
function rotationAboutCentre(size: number, degrees: number, scale: number): number[] {
  const centre = (size - 1) / 2;
  const angle = (degrees * Math.PI) / 180;
  const [a0, a1, b0, b1] = [Math.cos(angle) / scale, Math.sin(angle) / scale, -Math.sin(angle) / scale, Math.cos(angle) / scale];
  return [a0, a1, centre - a0 * centre - a1 * centre, b0, b1, centre - b0 * centre - b1 * centre];
}

describe('filter pattern transforms', function () {
  before(useWasmBackend);

  it('shifts by whole pixels as an exact roll, wrapping around the edges', function () {
    const size = 5;
    const channels = 2;
    const images = randomImages(size * size * channels, 1);
    const seen = new PeriodicSampler([[1, 0, 2, 0, 1, -1]], size, channels).sample(images);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          const from = ((((y - 1) % size) + size) % size) * size + ((x + 2) % size);
          assert.equal(seen[(y * size + x) * channels + c], images[from * channels + c], `pixel (${x}, ${y}), channel ${c}`);
        }
      }
    }
  });

  it('interpolates across the seam: half a pixel right of the last column is half of it and half of the first', function () {
    const size = 4;
    const images = randomImages(size * size, 3);
    const seen = new PeriodicSampler([[1, 0, 0.5, 0, 1, 0]], size, 1).sample(images);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const expected = (images[y * size + x] + images[y * size + ((x + 1) % size)]) / 2;
        assert.ok(Math.abs(seen[y * size + x] - expected) < 1e-6, `pixel (${x}, ${y}): ${seen[y * size + x]} against ${expected}`);
      }
    }
  });

  it('samples as tf.image.transform does, bilinear, wherever the points stay inside the image', function () {
    // Zoomed in by 1.25 and rotated by 7°: every sampled point lies inside the image, where
    // TF.js's edge handling plays no part.
    const size = 16;
    const channels = 3;
    const transforms = [rotationAboutCentre(size, 7, 1.25), rotationAboutCentre(size, -4, 1.3)];
    const images = randomImages(transforms.length * size * size * channels, 2);
    const ours = new PeriodicSampler(transforms, size, channels).sample(images);
    const theirs = tf.tidy(() =>
      tf.concat(transforms.map((row, i) => tf.image.transform(tf.tensor4d(images, [2, size, size, channels]).slice(i, 1), [[...row, 0, 0]], 'bilinear', 'constant'))).dataSync(),
    );
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst < 1e-5, `differs from tf.image.transform by up to ${worst}`);
  });

  it('has an exact adjoint: ⟨sample(x), y⟩ = ⟨x, adjoint(y)⟩ for random shifts, scales and rotations', function () {
    const size = 12;
    const channels = 3;
    const randoms = [1, 2, 3, 4].map((seed) => mulberry32(seed));
    const transforms = drawTransforms(randoms, size, { jitter: 3, scaleJitter: 0.2, rotationDegrees: 15 });
    const sampler = new PeriodicSampler(transforms, size, channels);
    const x = randomImages(4 * size * size * channels, 5);
    const y = randomImages(4 * size * size * channels, 6);
    const left = dot(sampler.sample(x), y);
    const right = dot(x, sampler.adjoint(y));
    assert.ok(Math.abs(left - right) < 1e-3 * Math.abs(left), `${left} against ${right}`);
  });


  it('samples the same on a reused storage, whatever was built on it before, larger or smaller', function () {
    const randoms = [1, 2, 3].map((seed) => mulberry32(seed));
    const ranges = { jitter: 3, scaleJitter: 0.2, rotationDegrees: 15 };
    const storage = new SamplerStorage();
    for (const [size, images] of [
      [10, 3],
      [7, 2],
      [10, 3],
      [13, 1],
    ]) {
      const transforms = drawTransforms(randoms.slice(0, images), size, ranges);
      const x = randomImages(images * size * size * 3, size);
      const fresh = new PeriodicSampler(transforms, size, 3);
      const reused = new PeriodicSampler(transforms, size, 3, storage);
      assert.deepEqual(reused.sample(x), fresh.sample(x));
      assert.deepEqual(reused.adjoint(x), fresh.adjoint(x));
      // Written into arrays that held something else: every value is replaced.
      const dirty = () => new Float32Array(x.length).fill(7);
      assert.deepEqual(reused.sample(x, dirty()), fresh.sample(x));
      assert.deepEqual(reused.adjoint(x, dirty()), fresh.adjoint(x));
    }
  });
  it('differentiates the transformed image by the sampling’s transpose, built pixel by pixel', function () {
    const size = 6;
    const transforms: ImageTransforms = [rotationAboutCentre(size, 20, 0.9)];
    const sampler = new PeriodicSampler(transforms, size, 1);
    const pixels = size * size;
    // Column j of the sampling matrix: what a single bright pixel j becomes.
    const columns = Array.from({ length: pixels }, (_, j) => sampler.sample(Float32Array.from({ length: pixels }, (_, i) => (i === j ? 1 : 0))));
    const weights = randomImages(pixels, 7);
    const gradient = tf.tidy(() => tf.grad((x) => transformDifferentiably(x as tf.Tensor4D, transforms).mul(tf.tensor4d(weights, [1, size, size, 1])).sum())(tf.zeros([1, size, size, 1])).dataSync());
    for (let j = 0; j < pixels; j++) assert.ok(Math.abs(gradient[j] - dot(columns[j], weights)) < 1e-5, `pixel ${j}: ${gradient[j]} against ${dot(columns[j], weights)}`);
  });

  it('leaves an image alone under the identity, and keeps every value within the image’s range', function () {
    const size = 8;
    const images = randomImages(size * size, 8);
    assert.deepEqual(new PeriodicSampler([[1, 0, 0, 0, 1, 0]], size, 1).sample(images), images);
    const transforms = drawTransforms([mulberry32(9)], size, { jitter: 2, scaleJitter: 0.1, rotationDegrees: 10 });
    const seen = new PeriodicSampler(transforms, size, 1).sample(images);
    assert.ok(Math.min(...seen) >= Math.min(...images) - 1e-6 && Math.max(...seen) <= Math.max(...images) + 1e-6);
  });
});
