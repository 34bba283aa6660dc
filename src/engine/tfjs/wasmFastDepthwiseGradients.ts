// DepthwiseConv2dNativeBackpropInput for the WASM backend, which TF.js 4.22 lacks (it ran the cpu
// backend's kernel, which walks `dy` channel by channel: 0.4–0.7 s for one 3×3 layer of 144
// channels on MobileNetV2's 16×32×32 grid batch, 40 times this kernel). The input gradient of a depthwise convolution is a depthwise
// convolution itself, run here by the WASM backend's forward kernel (XNNPACK, threaded):
//
//   dx[b, u, v, c] = Σ_m Σ_{p,q} dy[b, (u + top − p) / s, (v + left − q) / s, c·M + m] · w[p, q, c, m]
//
// Read with dy's C·M channels as channels of their own, that is the stride-1 depthwise convolution
// of wasmInputGradientAsConvolution.ts (dy spread out with zeros for stride 2, MobileNet's
// downsampling layers) with the kernel flipped spatially and each of its C·M taps a channel
// (multiplier 1), followed by a sum over each group of M neighbouring channels (none for
// multiplier 1, every MobileNet's). Dilated convolutions (whose gradient TF.js refuses anyway) and
// paddings wider than the kernel stay on the cpu backend's kernel. (A loop over dx in JavaScript
// that gathers only the taps that reach each pixel, a quarter of the work at stride 2, took twice
// as long as XNNPACK's convolution of the spread dy.)
import * as tf from '@tensorflow/tfjs';
import { runOnCpu } from './wasmCpuKernel';
import { inputGradientConvolution, spreadWithZeros, type InputGradientConvolution } from './wasmInputGradientAsConvolution';
import type { WasmHeapBackend } from './wasmHeap';

/** The forward convolution's geometry, or undefined for shapes the depthwise kernels never get. */
function depthwiseInfo(inputShape: number[], filterShape: number[], attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs): tf.backend_util.Conv2DInfo | undefined {
  if (inputShape.length !== 4 || filterShape.length !== 4) return undefined;
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/** The forward depthwise convolution that gives this input gradient, or undefined where there is none. */
export function planDepthwiseInputGradient(inputShape: number[], filterShape: number[], attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs): InputGradientConvolution | undefined {
  const info = depthwiseInfo(inputShape, filterShape, attrs);
  return info && inputGradientConvolution(info);
}

/** [h, w, C, M] flipped in h and w, as [h, w, C·M, 1]: one tap per channel of dy. */
function flippedDepthwiseFilter(backend: WasmHeapBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const [height, width, inChannels, multiplier] = filter.shape;
  const channels = inChannels * multiplier;
  const flipped = backend.makeOutput([height, width, channels, 1], 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const source = backend.typedArrayFromHeap(filter) as Float32Array;
  const target = backend.typedArrayFromHeap(flipped) as Float32Array;
  for (let h = 0; h < height; h++) {
    for (let w = 0; w < width; w++) {
      const from = ((height - 1 - h) * width + (width - 1 - w)) * channels;
      target.set(source.subarray(from, from + channels), (h * width + w) * channels);
    }
  }
  return flipped;
}

/** [b, h, w, C·M] → [b, h, w, C]: each group of M neighbouring channels summed. */
function sumChannelGroups(backend: WasmHeapBackend, grouped: tf.TensorInfo, multiplier: number): tf.TensorInfo {
  const [batch, height, width, channels] = grouped.shape;
  const summed = backend.makeOutput([batch, height, width, channels / multiplier], 'float32');
  const source = backend.typedArrayFromHeap(grouped) as Float32Array;
  const target = backend.typedArrayFromHeap(summed) as Float32Array;
  for (let to = 0, from = 0; to < target.length; to++) {
    let sum = 0;
    for (let m = 0; m < multiplier; m++) sum += source[from++];
    target[to] = sum;
  }
  return summed;
}

/** dx as a forward depthwise convolution on the WASM heap. */
export function depthwiseInputGradient(backend: tf.KernelBackend & WasmHeapBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, plan: InputGradientConvolution): tf.TensorInfo {
  const multiplier = filter.shape[3];
  const made: tf.TensorInfo[] = [];
  try {
    const flipped = flippedDepthwiseFilter(backend, filter);
    made.push(flipped);
    let x = dy;
    if (plan.spread) made.push((x = spreadWithZeros(backend, dy, plan)));
    const grouped = tf.getKernel(tf.DepthwiseConv2dNative, 'wasm')!.kernelFunc({
      inputs: { x, filter: flipped },
      attrs: { strides: 1, pad: plan.spread ? 'valid' : plan.padding, dilations: 1 } as unknown as tf.NamedAttrMap,
      backend,
    }) as tf.TensorInfo;
    if (multiplier === 1) return grouped;
    made.push(grouped);
    return sumChannelGroups(backend, grouped, multiplier);
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
  }
}

/** The kernel: the forward-convolution form where the plan holds (float32), else the cpu backend's. */
function depthwiseConv2dNativeBackpropInput(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const plan = dy.dtype === 'float32' && filter.dtype === 'float32' ? planDepthwiseInputGradient(attrs.inputShape, filter.shape, attrs) : undefined;
  if (!plan) return runOnCpu(tf.DepthwiseConv2dNativeBackpropInput, args);
  return depthwiseInputGradient(args.backend as tf.KernelBackend & WasmHeapBackend, dy, filter, plan);
}

let registered = false;

/** Registers the kernel on the WASM backend (once); a no-op where it has one already or lacks the forward kernel. */
export function registerFastWasmDepthwiseInputGradient(): void {
  if (registered || tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm') || !tf.getKernel(tf.DepthwiseConv2dNative, 'wasm')) return;
  tf.registerKernel({ kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: depthwiseConv2dNativeBackpropInput });
  registered = true;
}
