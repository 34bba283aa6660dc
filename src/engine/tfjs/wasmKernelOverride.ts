// Replacing one of the WASM backend's kernels by our own: a faster path, or a correct one where the
// stock kernel gives wrong values. The replacement is handed the stock kernel for the cases it
// leaves to it (if any), and the stock kernel can be put back (for a test that shows how it differs).
import * as tf from '@tensorflow/tfjs';

/** The replacement: its result, or the stock kernel's where it declines. */
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
