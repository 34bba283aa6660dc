import assert from 'node:assert/strict';
import { preprocessPixels } from '../../src/engine/input/preprocess';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-4, `${actual} ≉ ${expected}`);

describe('preprocessPixels', function () {
  // Two RGB pixels: pure red-ish and a mid gray.
  const pixels = new Uint8Array([255, 20, 0, 128, 128, 128]);

  it('rescale divides by 255 (the study notes’ img_tensor /= 255.)', function () {
    const out = preprocessPixels(pixels, 3, 'rescale');
    [...pixels].forEach((value, i) => close(out[i], value / 255));
  });

  it('none keeps 0–255', function () {
    assert.deepEqual([...preprocessPixels(pixels, 3, 'none')], [...pixels]);
  });

  it('caffe swaps to BGR and subtracts the ImageNet means (VGG16 preprocess_input)', function () {
    const out = preprocessPixels(pixels, 3, 'caffe');
    // Keras: x[..., ::-1] then x[..., 0] -= 103.939; x[..., 1] -= 116.779; x[..., 2] -= 123.68
    close(out[0], 0 - 103.939);
    close(out[1], 20 - 116.779);
    close(out[2], 255 - 123.68);
    close(out[3], 128 - 103.939);
  });

  it('tf scales to [-1, 1]', function () {
    const out = preprocessPixels(new Uint8Array([0, 255, 128]), 3, 'tf');
    close(out[0], -1);
    close(out[1], 1);
    close(out[2], 128 / 127.5 - 1);
  });

  it('torch normalises with ImageNet mean and std per channel', function () {
    const out = preprocessPixels(pixels, 3, 'torch');
    close(out[0], (1 - 0.485) / 0.229);
    close(out[1], (20 / 255 - 0.456) / 0.224);
    close(out[2], (0 - 0.406) / 0.225);
  });

  it('uses averaged statistics for single-channel images', function () {
    const out = preprocessPixels(new Uint8Array([100]), 1, 'caffe');
    close(out[0], 100 - (103.939 + 116.779 + 123.68) / 3);
  });
});
