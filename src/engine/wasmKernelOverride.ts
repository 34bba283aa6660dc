// Replacing one of the WASM backend's kernels by a faster path that hands back to the stock kernel
// wherever its identity does not hold; the stock kernel can be put back (tests compare the two).
import * as tf from '@tensorflow/tfjs';

/** The fast path: its result, or the stock kernel's where it declines. */
export type FastKernelFunc = (args: Parameters<tf.KernelFunc>[0], stock: tf.KernelConfig) => ReturnType<tf.KernelFunc>;

export interface WasmKernelOverride {
  /** Replaces the kernel (once); a no-op where the WASM backend lacks it or a kernel in `requires`. */
  register(): void;
  restoreStock(): void;
}

export function wasmKernelOverride(kernelName: string, fastPath: FastKernelFunc, requires: string[] = []): WasmKernelOverride {
  let stockKernel: tf.KernelConfig | undefined;
  return {
    register() {
      if (stockKernel) return;
      const stock = tf.getKernel(kernelName, 'wasm');
      if (!stock || requires.some((name) => !tf.getKernel(name, 'wasm'))) return;
      stockKernel = stock;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: (args) => fastPath(args, stock) });
    },
    restoreStock() {
      if (!stockKernel) return;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel(stockKernel);
      stockKernel = undefined;
    },
  };
}
