// Identity for the WASM backend without a copy. TF.js runs it for every tensor a gradient keeps
// for the backward pass (the engine clones them) and for tf.clone; the stock WASM kernel copies
// the values (about 100 copies, 6% of a MobileNet gradient step), where the cpu backend's shares
// them. Tensors are immutable and no kernel writes into its inputs, so the output shares the
// input's values on the heap, counted as one more owner, as Reshape already does. A Cast to the
// dtype a tensor already has is the same identity (TF.js's ReLU gradient casts its float32 step to
// float32 at every ReLU: 0.2 ms a copy on a 16×60×60×16 activation, five a step on FER), and the
// cpu backend shares there too. A Cast to bool is computed here too (the stock kernel is wrong
// there, see below); other conversions stay the stock kernel's.
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

const castOverride = wasmKernelOverride(tf.Cast, (args, stock) => {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  if (x.dtype === 'string') return stock.kernelFunc(args);
  if (x.dtype === dtype) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }
  // The stock kernel copies numbers into a byte array, so -2 became 254 and 0.5 false; true is
  // anything but 0 (NaN included), as on the cpu backend.
  if (dtype === 'bool') {
    const out = backend.makeOutput(x.shape, 'bool');
    const values = backend.typedArrayFromHeap(x);
    const truths = backend.typedArrayFromHeap(out);
    for (let i = 0; i < truths.length; i++) truths[i] = values[i] !== 0 ? 1 : 0;
    return out;
  }
  return stock.kernelFunc(args);
});

/** Replaces the WASM Cast kernel where the dtype stays the same or becomes bool (once). */
export const registerSharedWasmCast = castOverride.register;

/** Puts the stock kernel back (for a test to compare, or to time it). */
export const restoreStockWasmCast = castOverride.restoreStock;
