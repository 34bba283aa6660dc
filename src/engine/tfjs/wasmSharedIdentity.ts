// Identity for the WASM backend without a copy. TF.js runs it for every tensor a gradient keeps
// for the backward pass (the engine clones them) and for tf.clone; the stock WASM kernel copies
// the values (about 100 copies, 6% of a MobileNet gradient step), where the cpu backend's shares
// them. Tensors are immutable and no kernel writes into its inputs, so the output shares the
// input's values on the heap, counted as one more owner, as Reshape already does.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride } from './wasmKernelOverride';

const identityOverride = wasmKernelOverride(tf.Identity, (args, stock) => {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  // Strings live outside the heap; the stock kernel makes a new tensor of them.
  if (x.dtype === 'string') return stock.kernelFunc(args);
  (args.backend as tf.KernelBackend & WasmHeapBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});

/** Replaces the WASM Identity kernel (once). */
export const registerSharedWasmIdentity = identityOverride.register;

/** Puts the stock kernel back (for a test to compare, or to time it). */
export const restoreStockWasmIdentity = identityOverride.restoreStock;
