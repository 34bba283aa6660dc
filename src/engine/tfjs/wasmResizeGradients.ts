// ResizeBilinearGrad and ResizeNearestNeighborGrad for the WASM backend, replacing the stock
// kernels, which in TF.js 4.22 ignore halfPixelCenters (so the gradient of such a resize is
// wrong). The cpu backend's kernels are no better: both ignore halfPixelCenters, its bilinear
// gradient labels its result [batch, width, height, channels] (an error for an image that is not
// square) and its nearest-neighbour gradient reads dy at the image's batch offset (wrong from the
// second image of a batch on). Each kernel here is the exact adjoint of the forward resize that the
// cpu and WASM backends compute alike (the same source rows, columns and weights), in one pass over
// dy on the WASM heap.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride, type FastKernelFunc } from './wasmKernelOverride';

/** Where output row (or column) `index` reads in the forward resize: the two source lines and the weight of the second. */
interface SourceLines {
  low: Int32Array;
  high: Int32Array;
  /** Weight of `high`; `low` has 1 − weight. */
  weight: Float64Array;
}

/** The forward resize's ratio of source to output size along one axis, as TF.js's kernels take it. */
function sizeRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/** Bilinear: as the forward kernel, which clamps the lower line at 0 and the upper at the last. */
function bilinearLines(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): SourceLines {
  const ratio = sizeRatio(inSize, outSize, alignCorners);
  const lines: SourceLines = { low: new Int32Array(outSize), high: new Int32Array(outSize), weight: new Float64Array(outSize) };
  for (let i = 0; i < outSize; i++) {
    const source = halfPixelCenters ? ratio * (i + 0.5) - 0.5 : ratio * i;
    const low = Math.max(0, Math.floor(source));
    lines.low[i] = low;
    lines.high[i] = Math.min(inSize - 1, Math.ceil(source));
    lines.weight[i] = source - low;
  }
  return lines;
}

/** Nearest neighbour: the one source line of each output line, as the forward kernel picks it. */
function nearestLines(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const ratio = sizeRatio(inSize, outSize, alignCorners);
  return Int32Array.from({ length: outSize }, (_, i) => {
    const source = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    const nearest = Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source));
    return halfPixelCenters ? Math.max(0, nearest) : nearest;
  });
}

interface ResizeGradArgs {
  backend: WasmHeapBackend;
  images: tf.TensorInfo;
  dy: tf.TensorInfo;
  attrs: tf.ResizeBilinearGradAttrs;
}

function resizeGradArgs(args: Parameters<tf.KernelFunc>[0]): ResizeGradArgs | undefined {
  const { images, dy } = args.inputs as unknown as { images: tf.TensorInfo; dy: tf.TensorInfo };
  if (dy.dtype !== 'float32' || images.shape.length !== 4 || dy.shape.length !== 4) return undefined;
  return { backend: args.backend as tf.KernelBackend & WasmHeapBackend, images, dy, attrs: args.attrs as unknown as tf.ResizeBilinearGradAttrs };
}

/** dx of a bilinear resize: each dy value spread over its four source pixels with the forward weights. */
function resizeBilinearGrad({ backend, images, dy, attrs }: ResizeGradArgs): tf.TensorInfo {
  const [batch, inHeight, inWidth, channels] = images.shape;
  const [, outHeight, outWidth] = dy.shape;
  const rows = bilinearLines(inHeight, outHeight, attrs.alignCorners, attrs.halfPixelCenters);
  const cols = bilinearLines(inWidth, outWidth, attrs.alignCorners, attrs.halfPixelCenters);
  const dx = backend.makeOutput(images.shape, 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const gradient = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  let dyOffset = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outHeight; r++) {
      const top = (b * inHeight + rows.low[r]) * inWidth;
      const bottom = (b * inHeight + rows.high[r]) * inWidth;
      const down = rows.weight[r];
      for (let c = 0; c < outWidth; c++) {
        const right = cols.weight[c];
        const topLeft = (top + cols.low[c]) * channels;
        const topRight = (top + cols.high[c]) * channels;
        const bottomLeft = (bottom + cols.low[c]) * channels;
        const bottomRight = (bottom + cols.high[c]) * channels;
        const topLeftWeight = (1 - down) * (1 - right);
        const topRightWeight = (1 - down) * right;
        const bottomLeftWeight = down * (1 - right);
        const bottomRightWeight = down * right;
        for (let d = 0; d < channels; d++) {
          const value = gradient[dyOffset++];
          out[topLeft + d] += value * topLeftWeight;
          out[topRight + d] += value * topRightWeight;
          out[bottomLeft + d] += value * bottomLeftWeight;
          out[bottomRight + d] += value * bottomRightWeight;
        }
      }
    }
  }
  return dx;
}

/** dx of a nearest-neighbour resize: each dy value added at its source pixel. */
function resizeNearestNeighborGrad({ backend, images, dy, attrs }: ResizeGradArgs): tf.TensorInfo {
  const [batch, inHeight, inWidth, channels] = images.shape;
  const [, outHeight, outWidth] = dy.shape;
  const rows = nearestLines(inHeight, outHeight, attrs.alignCorners, attrs.halfPixelCenters);
  const cols = nearestLines(inWidth, outWidth, attrs.alignCorners, attrs.halfPixelCenters);
  const dx = backend.makeOutput(images.shape, 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const gradient = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  let dyOffset = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outHeight; r++) {
      const row = (b * inHeight + rows[r]) * inWidth;
      for (let c = 0; c < outWidth; c++) {
        const pixel = (row + cols[c]) * channels;
        for (let d = 0; d < channels; d++) out[pixel + d] += gradient[dyOffset++];
      }
    }
  }
  return dx;
}

/** The adjoint where the tensors are ones it handles; else the stock kernel (a shape TF.js never sends it). */
const adjointOr =
  (adjoint: (args: ResizeGradArgs) => tf.TensorInfo): FastKernelFunc =>
  (args, stock) => {
    const resizeArgs = resizeGradArgs(args);
    return resizeArgs ? adjoint(resizeArgs) : stock.kernelFunc(args);
  };

const bilinearOverride = wasmKernelOverride(tf.ResizeBilinearGrad, adjointOr(resizeBilinearGrad));
const nearestOverride = wasmKernelOverride(tf.ResizeNearestNeighborGrad, adjointOr(resizeNearestNeighborGrad));

/** Replaces both WASM resize gradient kernels (once). */
export function registerWasmResizeGradients(): void {
  bilinearOverride.register();
  nearestOverride.register();
}

/** Puts the stock kernels back (for a test to show they differ). */
export function restoreStockWasmResizeGradients(): void {
  bilinearOverride.restoreStock();
  nearestOverride.restoreStock();
}
