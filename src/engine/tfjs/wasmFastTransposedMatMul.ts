// BatchMatMul for the WASM backend where the second operand is transposed: a · bᵀ runs as
// (b · aᵀ)ᵀ, which the stock kernel computes without transposes, on XNNPACK and both threads. The
// stock kernel's transposed path is a plain loop on one thread; it is what a Dense layer's input
// gradient asks for (dy · Wᵀ), so every gradient through a classifier ran on it: VGG16's first
// Dense layer (25088 × 4096) took about 370 ms there, 70–95 ms as (W · dyᵀ)ᵀ. The two small
// transposes (of a, and of the product) cost a · b's rows times their columns, not a product.
import * as tf from '@tensorflow/tfjs';
import { wasmKernelOverride } from './wasmKernelOverride';

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

const runWasmKernel = (kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, backend: tf.KernelBackend) =>
  tf.getKernel(kernelName, 'wasm')!.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo;

const transposedMatMulOverride = wasmKernelOverride(
  tf.BatchMatMul,
  (args, stock) => {
    const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    // One product of two matrices (a batch of products keeps the stock kernel).
    if (!transposeB || transposeA || a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const aTransposed = runWasmKernel(tf.Transpose, { x: a }, { perm: [1, 0] }, backend);
    let product: tf.TensorInfo;
    try {
      product = stock.kernelFunc({ ...args, inputs: { a: b, b: aTransposed }, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as tf.TensorInfo;
    } finally {
      backend.disposeData(aTransposed.dataId);
    }
    try {
      return runWasmKernel(tf.Transpose, { x: product }, { perm: [1, 0] }, backend);
    } finally {
      backend.disposeData(product.dataId);
    }
  },
  [tf.Transpose],
);

/** Replaces the WASM BatchMatMul kernel (once) for products with a transposed second operand. */
export const registerFastWasmTransposedMatMul = transposedMatMulOverride.register;

/** Puts the stock kernel back (for a test to compare, or to time it). */
export const restoreStockWasmTransposedMatMul = transposedMatMulOverride.restoreStock;
