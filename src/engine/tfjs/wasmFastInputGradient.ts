// The WASM backend's Conv2DBackpropInput kernel is a naive loop, several times slower than its
// forward convolution (XNNPACK). The input gradient *is* a forward convolution: of `dy` (spread
// out with zeros for strides above 1) with the kernel flipped spatially and its in/out channels
// swapped (wasmInputGradientAsConvolution.ts). Gradient ascent (filter patterns) and Grad-CAM at
// early layers spend most of their time here, so the kernel is replaced by that identity where it
// holds and falls back to the stock kernel elsewhere (dilations, channels-first). The flipped
// kernel is written in one pass over the WASM heap: TF.js's Reverse and Transpose kernels took
// longer on a deep layer's weights than the convolution itself.
import * as tf from '@tensorflow/tfjs';
import { inputGradientConvolution, spreadWithZeros, type InputGradientConvolution } from './wasmInputGradientAsConvolution';
import type { WasmHeapBackend } from './wasmHeap';
import { wasmKernelOverride, type FastKernelFunc } from './wasmKernelOverride';

/** The forward convolution that gives this input gradient, or undefined where there is none. */
export function planInputGradient(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: tf.Conv2DBackpropInputAttrs,
): InputGradientConvolution | undefined {
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast') return undefined;
  return inputGradientConvolution(tf.backend_util.computeConv2DInfo(inputShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, dataFormat));
}

/** Conv2DBackpropInput as a forward convolution where the identity holds, else the stock kernel. */
const fastInputGradient: FastKernelFunc = (args, stock) => {
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const plan = planInputGradient(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
  if (!plan || filter.dtype !== 'float32' || dy.dtype !== 'float32') return stock.kernelFunc(args);
  const backend = args.backend as tf.KernelBackend & WasmHeapBackend;
  const made: tf.TensorInfo[] = [];
  try {
    const flipped = flippedFilter(backend, filter);
    made.push(flipped);
    const x = plan.spread ? spreadWithZeros(backend, dy, plan) : dy;
    if (x !== dy) made.push(x);
    return tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc({
      inputs: { x, filter: flipped },
      attrs: { strides: 1, pad: plan.spread ? 'valid' : plan.padding, dilations: 1, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap,
      backend,
    });
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
  }
};

const inputGradientOverride = wasmKernelOverride(tf.Conv2DBackpropInput, fastInputGradient, [tf.Conv2D]);

/** Replaces the WASM Conv2DBackpropInput kernel (once); a no-op where a kernel it needs is missing. */
export const registerFastWasmInputGradient = inputGradientOverride.register;

/** Puts the stock kernel back (for tests comparing the two). */
export const restoreStockWasmInputGradient = inputGradientOverride.restoreStock;

/** [h, w, in, out] → [h, w, out, in], flipped in h and w: the forward convolution's kernel for the input gradient. */
function flippedFilter(backend: WasmHeapBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const [height, width, inChannels, outChannels] = filter.shape;
  const flipped = backend.makeOutput([height, width, outChannels, inChannels], 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const source = backend.typedArrayFromHeap(filter) as Float32Array;
  const target = backend.typedArrayFromHeap(flipped) as Float32Array;
  for (let h = 0; h < height; h++) {
    for (let w = 0; w < width; w++) {
      const from = ((height - 1 - h) * width + (width - 1 - w)) * inChannels * outChannels;
      const to = (h * width + w) * outChannels * inChannels;
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++) target[to + o * inChannels + i] = source[from + i * outChannels + o];
      }
    }
  }
  return flipped;
}
