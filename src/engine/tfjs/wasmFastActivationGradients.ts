// The gradients of ReLU6 on the WASM backend, each in one pass over the heap. TF.js builds them
// from elementwise ops: ClipByValue's (what Keras' ReLU(max_value=6) layer runs after its ReLU, in
// every MobileNet block) from GreaterEqual, LessEqual, LogicalAnd, ZerosLike and Select; Relu6's
// from LessEqual, Step, Multiply and Cast: four or five passes over the activation, the
// comparisons on one thread with boolean tensors between them (about 13 ms each on a 4×112×112×48
// activation, where these loops take 4–8 ms). Relu's own gradient (Step, Cast, Multiply) stays
// TF.js's: those kernels are SIMD and together faster than a loop in JavaScript. Each kernel here
// gives exactly what the cpu backend's ops give, NaN included: ClipByValue passes dy where
// min ≤ x ≤ max and +0 elsewhere (NaN fails both comparisons); Relu6 multiplies dy by
// (x ≤ 6) · step(x), where step(NaN) is NaN. The loops are branch-free: a branch on the sign of an
// activation is mispredicted half the time, which made them several times slower.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmGradientOverride, type WasmGradFunc } from './wasmGradientOverride';

/** Kernels of our own (TF.js has no such kernels), registered on the WASM backend only. */
export const CLIP_BY_VALUE_GRAD = 'ConvscopeClipByValueGrad';
export const RELU6_GRAD = 'ConvscopeRelu6Grad';

/** dx, and views of dy, x and dx on the heap (taken after the allocation, which may have grown the heap). */
function heapViews(args: Parameters<tf.KernelFunc>[0]): { dx: tf.TensorInfo; gradient: Float32Array; input: Float32Array; out: Float32Array } {
  const { dy, x } = args.inputs as unknown as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  const dx = backend.makeOutput(x.shape, 'float32');
  return { dx, gradient: backend.typedArrayFromHeap(dy) as Float32Array, input: backend.typedArrayFromHeap(x) as Float32Array, out: backend.typedArrayFromHeap(dx) as Float32Array };
}

const bitsOf = (values: Float32Array) => new Uint32Array(values.buffer, values.byteOffset, values.length);

/** NaN where x is NaN, else 0: added to a 0/1 mask, it makes step(NaN) NaN without a branch on the common path. */
const nanOf = (value: number) => (value !== value ? NaN : 0);

function relu6Grad(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dx, gradient, input, out } = heapViews(args);
  for (let i = 0; i < out.length; i++) {
    const value = input[i];
    out[i] = gradient[i] * (Number(value > 0) * Number(value <= 6) + nanOf(value));
  }
  return dx;
}

/** dy's bits where min ≤ x ≤ max, else those of +0: Select's result, bit for bit. */
function clipByValueGrad(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { clipValueMin: min, clipValueMax: max } = args.attrs as unknown as tf.ClipByValueAttrs;
  const { dx, gradient, input, out } = heapViews(args);
  const gradientBits = bitsOf(gradient);
  const outBits = bitsOf(out);
  for (let i = 0; i < outBits.length; i++) {
    const value = input[i];
    outBits[i] = gradientBits[i] & -(Number(value >= min) & Number(value <= max));
  }
  return dx;
}

/** The one-pass kernel where dy and x are float32 tensors of one shape, else the stock gradient. */
const onePass =
  (kernelName: string): WasmGradFunc =>
  (dy, saved, attrs, stock) => {
    const [x] = saved;
    const gradient = dy as tf.Tensor;
    if (x.dtype !== 'float32' || gradient.dtype !== 'float32' || !tf.util.arraysEqual(x.shape, gradient.shape)) return stock.gradFunc(dy, saved, attrs);
    return { x: () => tf.engine().runKernel(kernelName, { dy: gradient, x }, attrs) as tf.Tensor };
  };

const clipByValueOverride = wasmGradientOverride(tf.ClipByValue, onePass(CLIP_BY_VALUE_GRAD));
const relu6Override = wasmGradientOverride(tf.Relu6, onePass(RELU6_GRAD));

let kernelsRegistered = false;

/** Registers the kernels on the WASM backend and the gradients that use them there (once). */
export function registerFastWasmActivationGradients(): void {
  if (!kernelsRegistered) {
    tf.registerKernel({ kernelName: CLIP_BY_VALUE_GRAD, backendName: 'wasm', kernelFunc: clipByValueGrad });
    tf.registerKernel({ kernelName: RELU6_GRAD, backendName: 'wasm', kernelFunc: relu6Grad });
    kernelsRegistered = true;
  }
  clipByValueOverride.register();
  relu6Override.register();
}

/** Puts TF.js's gradients back (for a test to compare, or to time them). */
export function restoreStockActivationGradients(): void {
  clipByValueOverride.restoreStock();
  relu6Override.restoreStock();
}
