// MaxPoolGrad for the WASM backend, replacing the stock kernel for every geometry. TF.js 4.22's
// WASM kernel is wrong: it starts each window's running maximum at FLT_MIN, so a window whose
// values are all ≤ 0 (common after a ReLU) passes no gradient at all, where TF, PyTorch and the
// TF.js cpu backend send it to the window's first maximum; Grad-CAM, which differentiates at a
// ReLU's output, got wrong heatmaps from it. It is also slow: it visits every window of `dy` for
// every input pixel. This kernel makes one pass over the windows on the WASM heap and sends each
// window's dy to the first position holding its maximum, exactly as the cpu backend's
// maxPoolPositions chooses it: row-major order within the window, strictly greater than the
// maximum so far, starting at -Infinity, padding excluded (a window of NaN or -Infinity only
// passes nothing). Overlapping windows add their gradients up. Whole 2×2 windows, the usual
// pooling, take an unrolled path: 7.3 → 5.2 ms on a 16×60×60×16 input (`npm run bench:kernels`);
// other windows keep each channel's maximum in locals, not in arrays reset for every window (3×3 /
// 2 "same" on the same input, FER's pooling: 10.5 → 9.8 ms).
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
  const undilated = dilationHeight === 1 && dilationWidth === 1;
  const rowStride = inWidth * channels;
  const rowStep = dilationHeight * rowStride;
  const colStep = dilationWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowCorner = outRow * strideHeight - padInfo.top;
      let rowStart = rowCorner;
      while (rowStart < 0) rowStart += dilationHeight;
      const rowEnd = Math.min(inHeight, rowCorner + effectiveFilterHeight);
      const rows = Math.ceil((rowEnd - rowStart) / dilationHeight);
      for (let outCol = 0; outCol < outWidth; outCol++) {
        const colCorner = outCol * strideWidth - padInfo.left;
        let colStart = colCorner;
        while (colStart < 0) colStart += dilationWidth;
        const colEnd = Math.min(inWidth, colCorner + effectiveFilterWidth);
        const corner = ((b * inHeight + rowStart) * inWidth + colStart) * channels;
        const dyPixel = ((b * outHeight + outRow) * outWidth + outCol) * channels;
        if (undilated && rowEnd - rowStart === 2 && colEnd - colStart === 2) {
          sendToFirstMaximum2x2(x, gradient, out, corner, rowStride, channels, dyPixel);
          continue;
        }
        // Channel by channel, the window read with the channel's stride: the maximum and where it
        // is stay in locals (per-channel arrays, reset for every window, took longer than the work).
        const cols = Math.ceil((colEnd - colStart) / dilationWidth);
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let at = -1;
          for (let row = 0, rowAt = corner + c; row < rows; row++, rowAt += rowStep) {
            for (let col = 0, p = rowAt; col < cols; col++, p += colStep) {
              const value = x[p];
              if (value > best) {
                best = value;
                at = p;
              }
            }
          }
          if (at >= 0) out[at] += gradient[dyPixel + c];
        }
      }
    }
  }
  return dx;
}

/** A whole 2×2 window (the usual pooling), unrolled: the same first maximum in row-major order, strictly greater than -Infinity. */
function sendToFirstMaximum2x2(x: Float32Array, gradient: Float32Array, out: Float32Array, corner: number, rowStride: number, channels: number, dyPixel: number): void {
  for (let c = 0; c < channels; c++) {
    const p0 = corner + c;
    const p1 = p0 + channels;
    const p2 = p0 + rowStride;
    const p3 = p2 + channels;
    let best = -Infinity;
    let at = -1;
    if (x[p0] > best) {
      best = x[p0];
      at = p0;
    }
    if (x[p1] > best) {
      best = x[p1];
      at = p1;
    }
    if (x[p2] > best) {
      best = x[p2];
      at = p2;
    }
    if (x[p3] > best) at = p3;
    if (at >= 0) out[at] += gradient[dyPixel + c];
  }
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
