// The gradient of FusedBatchNorm (tf.batchNorm: every BatchNormalization layer in inference mode)
// on the WASM backend. TF.js's computes x − mean and dy · scale over the whole activation before
// it knows which derivatives are asked for, and the input's derivative tiles 1/√(variance + ε) to
// the activation's full shape before multiplying by it and then by scale: five passes where a
// backward pass to the image needs one, one of them the WASM backend's Tile, which took 220 ms on
// a 4×112×112×48 activation, half of a MobileNet gradient step. Here the input's derivative is
// dy · (scale / √(variance + ε)) per channel, a 1×1 depthwise convolution that XNNPACK runs
// threaded and vectorised (0.3 ms on a 16×60×60×16 dy, where a loop in JavaScript took 3.3 ms); it
// differs from TF.js's (dy · 1/√(variance + ε)) · scale by one rounding. The derivatives of mean,
// variance, scale and offset are the stock ones, computed only when asked for.
import * as tf from '@tensorflow/tfjs';
import { wasmGradientOverride, type WasmGradFunc } from './wasmGradientOverride';

const batchNormGradient: WasmGradFunc = (dy, saved, attrs, stock) => {
  const [x, mean, variance, scale] = saved;
  const gradient = dy as tf.Tensor;
  const channels = mean.shape[0];
  // Per-position statistics, or a channel axis other than the last: stock's, which has no tile there.
  const perChannel = mean.rank === 1 && x.shape[x.rank - 1] === channels && (!scale || tf.util.arraysEqual(scale.shape, mean.shape));
  if (!perChannel || gradient.size === 0 || gradient.dtype !== 'float32' || x.dtype !== 'float32' || !tf.util.arraysEqual(gradient.shape, x.shape)) return stock.gradFunc(dy, saved, attrs);
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const fromStock = (input: string) => () => stock.gradFunc(dy, saved, attrs)[input]();
  return {
    x: () => {
      const factor = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const filter = (scale ? tf.mul(factor, scale) : factor).reshape<tf.Tensor4D>([1, 1, channels, 1]);
      // Channels are the last axis whatever the rank, so any dy is an image of size / C pixels.
      const asImage = gradient.rank === 4 ? (gradient as tf.Tensor4D) : gradient.reshape<tf.Tensor4D>([1, 1, -1, channels]);
      return tf.depthwiseConv2d(asImage, filter, 1, 'valid').reshape(x.shape);
    },
    mean: fromStock('mean'),
    variance: fromStock('variance'),
    scale: fromStock('scale'),
    offset: fromStock('offset'),
  };
};

const batchNormOverride = wasmGradientOverride(tf.FusedBatchNorm, batchNormGradient);

/** Replaces FusedBatchNorm's gradient on the WASM backend (once). */
export const registerWasmBatchNormGradient = batchNormOverride.register;

/** Puts TF.js's gradient back (for a test to compare, or to time it). */
export const restoreStockBatchNormGradient = batchNormOverride.restoreStock;
