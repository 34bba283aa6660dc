// _FusedMatMul for the WASM backend where the stock kernel adds its bias wrongly. In TF.js 4.22 the
// WASM kernel's bias is right only for one product without transposes and a bias value per column
// (a Dense layer); with a transposed operand, a batch of products or a single bias value for all
// columns it lands on the wrong elements. There the product runs on the stock kernel without bias
// or activation, followed by the stock WASM Add and activation kernels, which are right.
import * as tf from '@tensorflow/tfjs';
import { wasmKernelOverride, type FastKernelFunc } from './wasmKernelOverride';

/** _FusedMatMul's attributes (TF.js does not export their type). */
interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

interface KernelCall {
  kernelName: string;
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
}

/** The call of the stock WASM kernel that applies the fused activation to its input; undefined for 'linear'. */
function activationFor(attrs: FusedMatMulAttrs, preluWeights: tf.TensorInfo | undefined): ((x: tf.TensorInfo) => KernelCall) | undefined {
  switch (attrs.activation) {
    case undefined:
    case 'linear':
      return undefined;
    case 'relu':
      return (x) => ({ kernelName: tf.Relu, inputs: { x }, attrs: {} });
    case 'relu6':
      return (x) => ({ kernelName: tf.Relu6, inputs: { x }, attrs: {} });
    case 'elu':
      return (x) => ({ kernelName: tf.Elu, inputs: { x }, attrs: {} });
    case 'sigmoid':
      return (x) => ({ kernelName: tf.Sigmoid, inputs: { x }, attrs: {} });
    case 'leakyrelu':
      return (x) => ({ kernelName: tf.LeakyRelu, inputs: { x }, attrs: { alpha: attrs.leakyreluAlpha ?? 0.2 } });
    case 'prelu':
      if (!preluWeights) throw new Error('_FusedMatMul: prelu activation without its weights');
      return (x) => ({ kernelName: tf.Prelu, inputs: { x, alpha: preluWeights }, attrs: {} });
    default:
      throw new Error(`_FusedMatMul: unknown activation ${String(attrs.activation)}`);
  }
}

const runWasmKernel = (call: KernelCall, backend: tf.KernelBackend) => tf.getKernel(call.kernelName, 'wasm')!.kernelFunc({ inputs: call.inputs, attrs: call.attrs, backend }) as tf.TensorInfo;

/** True where the stock kernel's bias is right: no bias, or one per column of one product without transposes. */
function stockBiasIsRight(inputs: { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo }, attrs: FusedMatMulAttrs): boolean {
  const { a, b, bias } = inputs;
  if (!bias) return true;
  const batches = (shape: number[]) => shape.slice(0, -2).reduce((n, d) => n * d, 1);
  const columns = b.shape[b.shape.length - 1];
  return !attrs.transposeA && !attrs.transposeB && batches(a.shape) === 1 && batches(b.shape) === 1 && bias.shape.length === 1 && bias.shape[0] === columns;
}

const fusedMatMul: FastKernelFunc = (args, stock) => {
  const inputs = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const attrs = args.attrs as unknown as FusedMatMulAttrs;
  if (stockBiasIsRight(inputs, attrs)) return stock.kernelFunc(args);
  const backend = args.backend as tf.KernelBackend;
  // Before anything is allocated: an unknown activation throws here.
  const activation = activationFor(attrs, inputs.preluActivationWeights);
  const product = stock.kernelFunc({ ...args, inputs: { a: inputs.a, b: inputs.b }, attrs: { ...args.attrs, activation: 'linear' } }) as tf.TensorInfo;
  let biased: tf.TensorInfo;
  try {
    biased = runWasmKernel({ kernelName: tf.Add, inputs: { a: product, b: inputs.bias! }, attrs: {} }, backend);
  } finally {
    backend.disposeData(product.dataId);
  }
  if (!activation) return biased;
  try {
    return runWasmKernel(activation(biased), backend);
  } finally {
    backend.disposeData(biased.dataId);
  }
};

const fusedMatMulOverride = wasmKernelOverride(tf._FusedMatMul, fusedMatMul, [tf.Add, tf.Relu, tf.Relu6, tf.Elu, tf.Sigmoid, tf.LeakyRelu, tf.Prelu]);

/** Replaces the WASM _FusedMatMul kernel (once); a no-op where a kernel it needs is missing. */
export const registerWasmFusedMatMul = fusedMatMulOverride.register;

/** Puts the stock kernel back (for a test to show it differs). */
export const restoreStockWasmFusedMatMul = fusedMatMulOverride.restoreStock;
