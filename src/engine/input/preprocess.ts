// Turns 0–255 pixels into model input, as Keras' preprocessing functions do.
import type { PreprocessMode } from '../../shared/types';

/** ImageNet channel statistics (RGB order) used by Keras' `caffe` and `torch` modes. */
const IMAGENET_MEAN_0_255 = [123.68, 116.779, 103.939];
const IMAGENET_MEAN_0_1 = [0.485, 0.456, 0.406];
const IMAGENET_STD_0_1 = [0.229, 0.224, 0.225];

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * - `rescale`: ÷255 (the study notes' `img_tensor /= 255.`)
 * - `none`: 0–255 as is (models with their own Rescaling layer)
 * - `caffe`: VGG16's `preprocess_input`: RGB→BGR, minus the ImageNet means
 * - `tf`: scaled to [-1, 1] (MobileNet, Xception)
 * - `torch`: ÷255, then ImageNet mean/std per channel
 * Single-channel images use the average of the channel statistics.
 */
export function preprocessPixels(pixels: Uint8Array, channels: number, mode: PreprocessMode): Float32Array {
  const out = new Float32Array(pixels.length);
  const rgb = channels === 3;
  switch (mode) {
    case 'none':
      out.set(pixels);
      break;
    case 'rescale':
      for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
      break;
    case 'tf':
      for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
      break;
    case 'caffe': {
      const mean = rgb ? IMAGENET_MEAN_0_255 : [average(IMAGENET_MEAN_0_255)];
      for (let i = 0; i < pixels.length; i += channels) {
        for (let c = 0; c < channels; c++) {
          // Output channel c is BGR-ordered: it takes input channel (2 - c).
          const source = rgb ? 2 - c : c;
          out[i + c] = pixels[i + source] - mean[source];
        }
      }
      break;
    }
    case 'torch': {
      const mean = rgb ? IMAGENET_MEAN_0_1 : [average(IMAGENET_MEAN_0_1)];
      const std = rgb ? IMAGENET_STD_0_1 : [average(IMAGENET_STD_0_1)];
      for (let i = 0; i < pixels.length; i++) {
        const c = i % channels;
        out[i] = (pixels[i] / 255 - mean[c]) / std[c];
      }
      break;
    }
  }
  return out;
}
