// The gradient of FusedBatchNorm (tf.batchNorm: every BatchNormalization layer in inference mode)
// on the WASM backend. TF.js's computes x − mean and dy · scale over the whole activation before
// it knows which derivatives are asked for, and the input's derivative tiles 1/√(variance + ε) to
// the activation's full shape before multiplying by it and then by scale: five passes where a
// backward pass to the image needs one, one of them the WASM backend's Tile, which took 220 ms on
// a 4×112×112×48 activation, half of a MobileNet gradient step. Here the input's derivative is one
// pass over dy on the heap, with the same two float32 products per value in the same order (dy ·
// 1/√(variance + ε), then · scale), so the same values. The derivatives of mean, variance, scale
// and offset are the stock ones, computed only when asked for.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmGradientOverride, type WasmGradFunc } from './wasmGradientOverride';

/** A kernel of our own, registered on the WASM backend only: dx = (dy · factor[c]) · scale[c] for the last axis' c. */
export const BATCH_NORM_INPUT_GRAD = 'ConvscopeBatchNormInputGrad';

function batchNormInputGrad(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, factor, scale } = args.inputs as unknown as { dy: tf.TensorInfo; factor: tf.TensorInfo; scale?: tf.TensorInfo };
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  const dx = backend.makeOutput(dy.shape, 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const gradient = backend.typedArrayFromHeap(dy) as Float32Array;
  const factors = backend.typedArrayFromHeap(factor) as Float32Array;
  const scales = scale ? (backend.typedArrayFromHeap(scale) as Float32Array) : new Float32Array(factors.length).fill(1);
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  const channels = factors.length;
  for (let pixel = 0; pixel < out.length; pixel += channels) {
    for (let c = 0; c < channels; c++) out[pixel + c] = Math.fround(gradient[pixel + c] * factors[c]) * scales[c];
  }
  return dx;
}

const batchNormGradient: WasmGradFunc = (dy, saved, attrs, stock) => {
  const [x, mean, variance, scale] = saved;
  const gradient = dy as tf.Tensor;
  const channels = mean.shape[0];
  // Per-position statistics, or a channel axis other than the last: stock's, which has no tile there.
  const perChannel = mean.rank === 1 && x.shape[x.rank - 1] === channels && (!scale || tf.util.arraysEqual(scale.shape, mean.shape));
  if (!perChannel || gradient.dtype !== 'float32' || x.dtype !== 'float32' || !tf.util.arraysEqual(gradient.shape, x.shape)) return stock.gradFunc(dy, saved, attrs);
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const fromStock = (input: string) => () => stock.gradFunc(dy, saved, attrs)[input]();
  return {
    x: () => {
      const factor = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      return tf.engine().runKernel(BATCH_NORM_INPUT_GRAD, scale ? { dy: gradient, factor, scale } : { dy: gradient, factor }) as tf.Tensor;
    },
    mean: fromStock('mean'),
    variance: fromStock('variance'),
    scale: fromStock('scale'),
    offset: fromStock('offset'),
  };
};

const batchNormOverride = wasmGradientOverride(tf.FusedBatchNorm, batchNormGradient);
let kernelRegistered = false;

/** Registers the kernel on the WASM backend and replaces FusedBatchNorm's gradient there (once). */
export function registerWasmBatchNormGradient(): void {
  if (!kernelRegistered) {
    tf.registerKernel({ kernelName: BATCH_NORM_INPUT_GRAD, backendName: 'wasm', kernelFunc: batchNormInputGrad });
    kernelRegistered = true;
  }
  batchNormOverride.register();
}

/** Puts TF.js's gradient back (for a test to compare, or to time it). */
export const restoreStockBatchNormGradient = batchNormOverride.restoreStock;
