// Replacing TF.js's gradient of one op on the WASM backend only. Gradients are registered for all
// backends at once; this one hands every other backend (the cpu backend, which the tests take as
// the oracle, among them) the stock gradient, so that a replacement is always checked against it.
import * as tf from '@tensorflow/tfjs';

export type GradConfig = ReturnType<typeof tf.getGradient>;
type GradFunc = GradConfig['gradFunc'];

/** The gradient on WASM: given what the stock one is given, and the stock one for the cases it leaves to it. */
export type WasmGradFunc = (dy: Parameters<GradFunc>[0], saved: Parameters<GradFunc>[1], attrs: Parameters<GradFunc>[2], stock: GradConfig) => ReturnType<GradFunc>;

export interface WasmGradientOverride {
  /** Replaces the gradient (once); a no-op where TF.js has none for the op. */
  register(): void;
  restoreStock(): void;
}

export function wasmGradientOverride(kernelName: string, wasmGradFunc: WasmGradFunc): WasmGradientOverride {
  let stockGradient: GradConfig | undefined;
  return {
    register() {
      if (stockGradient) return;
      const stock = tf.getGradient(kernelName);
      if (!stock) return;
      stockGradient = stock;
      tf.registerGradient({
        ...stock,
        gradFunc: (dy, saved, attrs) => (tf.getBackend() === 'wasm' ? wasmGradFunc(dy, saved, attrs, stock) : stock.gradFunc(dy, saved, attrs)),
      });
    },
    restoreStock() {
      if (!stockGradient) return;
      tf.registerGradient(stockGradient);
      stockGradient = undefined;
    },
  };
}
