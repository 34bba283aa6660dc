// MaxPoolGrad for the WASM backend, replacing the stock kernel for every geometry. TF.js 4.22's
// WASM kernel is wrong: it starts each window's running maximum at FLT_MIN, so a window whose
// values are all ≤ 0 (common after a ReLU) passes no gradient at all, where TF, PyTorch and the
// TF.js cpu backend send it to the window's first maximum; Grad-CAM, which differentiates at a
// ReLU's output, got wrong heatmaps from it. It is also slow: it visits every window of `dy` for
// every input pixel. This kernel makes one pass over the windows on the WASM heap and sends each
// window's dy to the first position holding its maximum, exactly as the cpu backend's
// maxPoolPositions chooses it: row-major order within the window, strictly greater than the
// maximum so far, starting at -Infinity, padding excluded (a window of NaN or -Infinity only
// passes nothing). Overlapping windows add their gradients up.
import * as tf from '@tensorflow/tfjs';
import { runOnCpu } from './wasmCpuKernel';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride } from './wasmKernelOverride';

/** dx of max pooling: for each window and channel, dy added at the window's first maximum. */
function maxPoolGrad(backend: WasmHeapBackend, input: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const gradient = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, effectiveFilterHeight, effectiveFilterWidth, padInfo } = info;
  // Per channel of the current window: its maximum so far, and where (-1: none yet). Channels are
  // innermost so that the window is read in the order the heap holds it.
  const best = new Float32Array(channels);
  const position = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowCorner = outRow * strideHeight - padInfo.top;
      let rowStart = rowCorner;
      while (rowStart < 0) rowStart += dilationHeight;
      const rowEnd = Math.min(inHeight, rowCorner + effectiveFilterHeight);
      for (let outCol = 0; outCol < outWidth; outCol++) {
        const colCorner = outCol * strideWidth - padInfo.left;
        let colStart = colCorner;
        while (colStart < 0) colStart += dilationWidth;
        const colEnd = Math.min(inWidth, colCorner + effectiveFilterWidth);
        best.fill(-Infinity);
        position.fill(-1);
        for (let row = rowStart; row < rowEnd; row += dilationHeight) {
          for (let col = colStart; col < colEnd; col += dilationWidth) {
            const pixel = ((b * inHeight + row) * inWidth + col) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[pixel + c];
              if (value > best[c]) {
                best[c] = value;
                position[c] = pixel + c;
              }
            }
          }
        }
        const dyPixel = ((b * outHeight + outRow) * outWidth + outCol) * channels;
        for (let c = 0; c < channels; c++) {
          if (position[c] >= 0) out[position[c]] += gradient[dyPixel + c];
        }
      }
    }
  }
  return dx;
}

const maxPoolGradOverride = wasmKernelOverride(tf.MaxPoolGrad, (args) => {
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  // Other dtypes never reach here from tf.maxPool's gradient; the cpu kernel takes them all the same.
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return runOnCpu(tf.MaxPoolGrad, args);
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return maxPoolGrad(args.backend as tf.KernelBackend & WasmHeapBackend, input, dy, info);
});

/** Replaces the WASM MaxPoolGrad kernel (once); a no-op where the WASM backend has none. */
export const registerFastWasmMaxPoolGrad = maxPoolGradOverride.register;

/** Puts the stock kernel back (for a test to show it differs, or to time it). */
export const restoreStockWasmMaxPoolGrad = maxPoolGradOverride.restoreStock;
