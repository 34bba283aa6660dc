// Slice for the WASM backend, replacing the stock kernel where a slice is not one contiguous block.
// The stock kernel copies a 4-D slice one pixel at a time through a new subarray per pixel: 10–30 ms
// for the 16×32×32×96 gradient of MobileNet's ZeroPadding2D (whose gradient is a slice), a
// twentieth of the gradient step. Here the trailing axes taken whole are merged with the innermost
// partial one into runs as long as they can be, each moved within the heap by copyWithin (no
// allocation); the values are moved bit for bit, as the stock kernel's set() does.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride } from './wasmKernelOverride';

/** Dtypes of 4-byte elements: moved as 32-bit words. */
const WORD_DTYPES = new Set<tf.DataType>(['float32', 'int32']);

/** Copies the slice `begin`/`size` of `x` into `out` (row-major, both on the heap of `words`). */
function copySlice(words: Uint32Array, xStart: number, shape: number[], outStart: number, begin: number[], size: number[]): void {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  // The innermost axis not taken whole; the axes inside it are merged into the run.
  let axis = rank - 1;
  let run = 1;
  while (axis > 0 && begin[axis] === 0 && size[axis] === shape[axis]) run *= shape[axis--];
  run *= size[axis];
  const axisStride = axis === rank - 1 ? 1 : strides[axis];
  const outer = size.slice(0, axis);
  const index = new Array<number>(axis).fill(0);
  const runs = outer.reduce((count, extent) => count * extent, 1);
  let to = outStart;
  for (let r = 0; r < runs; r++) {
    let from = xStart + begin[axis] * axisStride;
    for (let d = 0; d < axis; d++) from += (begin[d] + index[d]) * strides[d];
    words.copyWithin(to, from, from + run);
    to += run;
    // The next outer index, last axis fastest.
    for (let d = axis - 1; d >= 0 && ++index[d] === outer[d]; d--) index[d] = 0;
  }
}

const sliceOverride = wasmKernelOverride(tf.Slice, (args, stock) => {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.SliceAttrs;
  if (!WORD_DTYPES.has(x.dtype) || x.shape.length < 2) return stock.kernelFunc(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  if (size.some((extent) => extent === 0) || tf.slice_util.isSliceContinous(x.shape, begin, size)) return stock.kernelFunc(args);
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  const out = backend.makeOutput(size, x.dtype);
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(out);
  const words = new Uint32Array(input.buffer);
  copySlice(words, input.byteOffset / 4, x.shape, output.byteOffset / 4, begin, size);
  return out;
});

/** Replaces the WASM Slice kernel (once). */
export const registerFastWasmSlice = sliceOverride.register;

/** Puts the stock kernel back (for a test to compare, or to time it). */
export const restoreStockWasmSlice = sliceOverride.restoreStock;
