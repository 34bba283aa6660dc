// FusedBatchNorm (tf.batchNorm: every BatchNormalization layer in inference mode) on the WASM
// backend, as one multiply-add per channel on XNNPACK. The stock kernel is a scalar loop that takes
// a square root and a division for every value (4.2 ms on a 16×60×60×16 activation, 9.6 ms on
// MobileNetV2's 4×112×112×48); with constant statistics it is x · f[c] + b[c], where
//
//   f = scale / √(variance + ε),   b = offset − mean · f,
//
// which XNNPACK runs as a 1×1 depthwise convolution with a bias (threaded and vectorised: 0.4 ms
// on both). It rounds differently from the stock kernel's offset + (x − mean) · scale / √(variance
// + ε): the difference is a rounding of mean · f, far inside what the differential test allows.
// A NaN in x comes out as -Infinity (XNNPACK clamps to ±Infinity, and the clamp drops NaN), as it
// already does from the stock WASM depthwise convolutions; it is still reported as non-finite.
// Statistics per position (not per channel), or other dtypes, go to the stock kernel.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride } from './wasmKernelOverride';

interface BatchNormInputs {
  x: tf.TensorInfo;
  mean: tf.TensorInfo;
  variance: tf.TensorInfo;
  offset?: tf.TensorInfo;
  scale?: tf.TensorInfo;
}

/** True where `info` is absent or one float32 value per channel. */
function perChannel(info: tf.TensorInfo | undefined, channels: number): boolean {
  return !info || (info.dtype === 'float32' && info.shape.length === 1 && info.shape[0] === channels);
}

/** The 1×1 depthwise filter [1, 1, C, 1] of f and the bias [C] of b (see the top), on the heap. */
function multiplyAdd(backend: WasmHeapBackend, { mean, variance, offset, scale }: BatchNormInputs, channels: number, varianceEpsilon: number): { filter: tf.TensorInfo; bias: tf.TensorInfo } {
  const filter = backend.makeOutput([1, 1, channels, 1], 'float32');
  const bias = backend.makeOutput([channels], 'float32');
  // Views only after the allocations, which may have grown (and so replaced) the heap.
  const means = backend.typedArrayFromHeap(mean) as Float32Array;
  const variances = backend.typedArrayFromHeap(variance) as Float32Array;
  const offsets = offset && (backend.typedArrayFromHeap(offset) as Float32Array);
  const scales = scale && (backend.typedArrayFromHeap(scale) as Float32Array);
  const factors = backend.typedArrayFromHeap(filter) as Float32Array;
  const biases = backend.typedArrayFromHeap(bias) as Float32Array;
  for (let c = 0; c < channels; c++) {
    factors[c] = (scales ? scales[c] : 1) / Math.fround(Math.sqrt(Math.fround(variances[c] + varianceEpsilon)));
    biases[c] = (offsets ? offsets[c] : 0) - Math.fround(means[c] * factors[c]);
  }
  return { filter, bias };
}

const batchNormOverride = wasmKernelOverride(tf.FusedBatchNorm, (args, stock) => {
  const inputs = args.inputs as unknown as BatchNormInputs;
  const { x } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  const { mean, variance, offset, scale } = inputs;
  if (x.dtype !== 'float32' || x.shape.length === 0 || size === 0 || !mean || !variance || ![mean, variance, offset, scale].every((info) => perChannel(info, channels))) {
    return stock.kernelFunc(args);
  }
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const { filter, bias } = multiplyAdd(backend, inputs, channels, varianceEpsilon);
  try {
    // Channels are the last axis whatever the rank, so any x is an image of size / C pixels.
    const asImage = x.shape.length === 4 ? x : { ...x, shape: [1, 1, size / channels, channels] };
    const out = tf.getKernel(tf.FusedDepthwiseConv2D, 'wasm')!.kernelFunc({
      inputs: { x: asImage, filter, bias },
      attrs: { strides: 1, pad: 'valid', dilations: 1, dataFormat: 'NHWC', activation: 'linear' } as unknown as tf.NamedAttrMap,
      backend,
    }) as tf.TensorInfo;
    return x.shape.length === 4 ? out : { ...out, shape: x.shape };
  } finally {
    backend.disposeData(filter.dataId);
    backend.disposeData(bias.dataId);
  }
}, [tf.FusedDepthwiseConv2D]);

/** Replaces the WASM FusedBatchNorm kernel (once); a no-op where the WASM backend lacks it or FusedDepthwiseConv2D. */
export const registerFastWasmBatchNorm = batchNormOverride.register;

/** Puts the stock kernel back (for a test to compare, or to time it). */
export const restoreStockWasmBatchNorm = batchNormOverride.restoreStock;
