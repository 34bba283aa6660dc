// The preprocessing modes of preprocess.ts as TF.js ops on a batch of 0–255 pixels, so that
// filter-pattern optimisation can differentiate through them and keep its image in pixel space.
// The constants are those of preprocess.ts; a unit test checks that both give the same values.
import * as tf from '@tensorflow/tfjs';
import type { PreprocessMode } from '../../shared/types';

const IMAGENET_MEAN_0_255 = [123.68, 116.779, 103.939];
const IMAGENET_MEAN_0_1 = [0.485, 0.456, 0.406];
const IMAGENET_STD_0_1 = [0.229, 0.224, 0.225];

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Per-channel statistics for RGB; a single channel uses their average, as preprocessPixels does. */
function perChannel(values: number[], channels: number): tf.Tensor1D | tf.Scalar {
  return channels === 3 ? tf.tensor1d(values) : tf.scalar(average(values));
}

/** `pixels`: [batch, height, width, channels], 0–255. Returns the model input; differentiable. */
export function preprocessTensor(pixels: tf.Tensor4D, mode: PreprocessMode): tf.Tensor4D {
  const channels = pixels.shape[3];
  return tf.tidy(() => {
    switch (mode) {
      case 'none':
        return pixels.clone();
      case 'rescale':
        return pixels.div(255);
      case 'tf':
        return pixels.div(127.5).sub(1);
      case 'caffe': {
        // RGB→BGR, then the means in BGR order (output channel c is input channel 2 - c).
        const bgr = channels === 3 ? pixels.reverse(-1) : pixels;
        return bgr.sub(perChannel([...IMAGENET_MEAN_0_255].reverse(), channels));
      }
      case 'torch':
        return pixels.div(255).sub(perChannel(IMAGENET_MEAN_0_1, channels)).div(perChannel(IMAGENET_STD_0_1, channels));
    }
  });
}
