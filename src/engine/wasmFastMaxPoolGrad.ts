// The WASM backend's MaxPoolGrad kernel visits every window of `dy` for every input pixel it could
// cover, and took a fifth of a gradient-ascent step through VGG16's first blocks. Pooling windows
// that do not overlap (stride = window, no padding: every 2×2 / 2 pooling of a convnet) need one
// pass: each window's gradient goes to the position of its maximum. That pass runs here in
// JavaScript on the WASM heap, choosing the maximum exactly as the stock kernel does: the last
// value in the window that is at least FLT_MIN; a window with none gives its gradient to flat
// position 0, which only the very first window holds (so after a ReLU, all-zero windows pass no
// gradient, which the ReLU would have zeroed anyway). Other geometries run the stock kernel.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride } from './wasmKernelOverride';

/** The stock kernel's starting maximum: C++'s std::numeric_limits<float>::min(). */
const FLT_MIN = 1.1754943508222875e-38;

/** The pooling geometry, where windows do not overlap and need no padding; else undefined. */
export function nonOverlappingPool(inputShape: number[], attrs: tf.MaxPoolGradAttrs): tf.backend_util.Conv2DInfo | undefined {
  const info = tf.backend_util.computePool2DInfo(inputShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { padInfo } = info;
  const fits = info.outHeight * info.strideHeight <= info.inHeight && info.outWidth * info.strideWidth <= info.inWidth;
  const unpadded = padInfo.top === 0 && padInfo.left === 0 && padInfo.bottom === 0 && padInfo.right === 0;
  const tiled = info.strideHeight === info.filterHeight && info.strideWidth === info.filterWidth && info.dilationHeight === 1 && info.dilationWidth === 1;
  return fits && unpadded && tiled ? info : undefined;
}

/** dx for non-overlapping windows: one pass over the windows. */
function maxPoolGrad(backend: WasmHeapBackend, input: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const gradient = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let row = 0; row < outHeight; row++) {
      for (let col = 0; col < outWidth; col++) {
        const corner = ((b * inHeight + row * filterHeight) * inWidth + col * filterWidth) * channels;
        const dyBase = ((b * outHeight + row) * outWidth + col) * channels;
        for (let c = 0; c < channels; c++) {
          let best = FLT_MIN;
          let position = 0;
          for (let r = 0; r < filterHeight; r++) {
            for (let q = 0; q < filterWidth; q++) {
              const offset = corner + (r * inWidth + q) * channels + c;
              const value = x[offset];
              if (value >= best) {
                best = value;
                position = offset;
              }
            }
          }
          const dyOffset = dyBase + c;
          if (position !== 0 || dyOffset === 0) out[position] = gradient[dyOffset];
        }
      }
    }
  }
  return dx;
}

const maxPoolGradOverride = wasmKernelOverride(tf.MaxPoolGrad, (args, stock) => {
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = nonOverlappingPool(input.shape, args.attrs as unknown as tf.MaxPoolGradAttrs);
  if (!info || input.dtype !== 'float32' || dy.dtype !== 'float32') return stock.kernelFunc(args);
  return maxPoolGrad(args.backend as tf.KernelBackend & WasmHeapBackend, input, dy, info);
});

/** Replaces the WASM MaxPoolGrad kernel (once); a no-op where the WASM backend has none. */
export const registerFastWasmMaxPoolGrad = maxPoolGradOverride.register;

/** Puts the stock kernel back (for tests comparing the two). */
export const restoreStockWasmMaxPoolGrad = maxPoolGradOverride.restoreStock;
