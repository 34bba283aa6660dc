// Makes back-propagation on TF.js 4.22's WASM backend give the cpu backend's results.
// test/unit/wasmGradientKernels.unit.test.ts compares the two on every kernel a gradient runs
// through; what it found is fixed here:
// - kernels the WASM backend lacks run the cpu backend's own, with the tensors copied across
//   (wasmCpuKernel.ts): the filter gradients of convolutions (which a backward pass computes only
//   where it asks for them: lazyFusedConvolutionGradients.ts; stride-1 ones run as a forward
//   convolution, wasmFastFilterGradient.ts), and UnsortedSegmentSum (the gradient of gather);
// - the input gradient of depthwise convolutions, which the WASM backend lacks too, runs as a
//   forward depthwise convolution (wasmFastDepthwiseGradients.ts);
// - stock kernels that give wrong values are replaced: MaxPoolGrad, which passes no gradient
//   through windows of values ≤ 0 (wasmFastMaxPoolGrad.ts); the two resize gradients, which
//   ignore halfPixelCenters (wasmResizeGradients.ts); _FusedMatMul, whose bias lands on the wrong
//   elements unless the product is a plain Dense one (wasmFusedMatMul.ts); 3D max pooling and 2D
//   dilation, forward and gradient, which start their maximum at FLT_MIN too, and the 3D
//   convolution's gradients (NaN or wrong values), which run the cpu backend's kernels;
// - Conv2DBackpropInput runs as a forward convolution (wasmFastInputGradient.ts);
// - on WASM only (the cpu backend keeps TF.js's own), the gradients of ClipByValue and Relu6 run
//   as one-pass kernels (wasmFastActivationGradients.ts) and FusedBatchNorm's input derivative
//   as a 1×1 depthwise convolution (wasmBatchNormGradient.ts);
// - FusedBatchNorm itself runs as a 1×1 depthwise convolution with a bias (wasmFastBatchNorm.ts);
// - Slice (the gradient of padding) moves whole runs within the heap (wasmFastSlice.ts), and
//   Identity (the engine's copy of every tensor a gradient keeps) and a Cast to the same dtype (in
//   every ReLU's gradient) share the values instead of copying them, and a Cast to bool gives the
//   cpu backend's values (the stock kernel's byte copy made -2 true as 254, 0.5 false)
//   (wasmSharedIdentity.ts);
// - a product with a transposed second operand (a Dense layer's input gradient) runs without the
//   transpose, on XNNPACK (wasmFastTransposedMatMul.ts).
// (The fused convolutions' gradients, computed lazily on WASM, are lazyFusedConvolutionGradients.ts,
// installed by installTfjsPatches.)
import * as tf from '@tensorflow/tfjs';
import { registerWasmBatchNormGradient } from './wasmBatchNormGradient';
import { cpuHasKernel, runOnCpu } from './wasmCpuKernel';
import { registerFastWasmActivationGradients } from './wasmFastActivationGradients';
import { registerFastWasmBatchNorm } from './wasmFastBatchNorm';
import { registerFastWasmDepthwiseInputGradient } from './wasmFastDepthwiseGradients';
import { filterGradientAsConvolution } from './wasmFastFilterGradient';
import { registerFastWasmInputGradient } from './wasmFastInputGradient';
import { registerFastWasmMaxPoolGrad } from './wasmFastMaxPoolGrad';
import { registerFastWasmSlice } from './wasmFastSlice';
import { registerFastWasmTransposedMatMul } from './wasmFastTransposedMatMul';
import { registerSharedWasmCast, registerSharedWasmIdentity } from './wasmSharedIdentity';
import { registerWasmFusedMatMul } from './wasmFusedMatMul';
import { wasmKernelOverride } from './wasmKernelOverride';
import { registerWasmResizeGradients } from './wasmResizeGradients';

/** Kernels the WASM backend of TF.js 4.22 lacks, on the gradients of ops it has. */
const MISSING_KERNELS = [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput, tf.UnsortedSegmentSum];

/** Missing kernels computed on WASM where the case allows (the cpu backend's kernel elsewhere). */
const FAST_PATHS: Partial<Record<string, (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | undefined>> = {
  [tf.Conv2DBackpropFilter]: filterGradientAsConvolution,
};

/** Stock WASM kernels that differ from the cpu backend's, and are rare enough in convnets to run on cpu. */
const WRONG_KERNELS = [tf.MaxPool3D, tf.MaxPool3DGrad, tf.Dilation2D, tf.Dilation2DBackpropInput, tf.Dilation2DBackpropFilter, tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2];

const cpuReplacements = WRONG_KERNELS.map((kernelName) => wasmKernelOverride(kernelName, (args) => runOnCpu(kernelName, args)));

/** Registers the missing kernels once (a no-op for kernels the WASM backend has, in a later TF.js). */
function registerMissingKernels(): void {
  for (const kernelName of MISSING_KERNELS) {
    if (tf.getKernel(kernelName, 'wasm') || !cpuHasKernel(kernelName)) continue;
    const fastPath = FAST_PATHS[kernelName];
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => fastPath?.(args) ?? runOnCpu(kernelName, args) });
  }
}

/** Replaces the stock WASM kernels that give wrong values, forward ones included (once). */
export function registerWasmKernelFixes(): void {
  registerFastWasmMaxPoolGrad();
  registerWasmResizeGradients();
  registerWasmFusedMatMul();
  for (const replacement of cpuReplacements) replacement.register();
}

/**
 * Registers the missing kernels (the depthwise input gradient as a forward convolution where it
 * can, the rest from cpu), the fixes of wrong ones (registerWasmKernelFixes), the fast stride-1
 * input gradient, the WASM-only gradients of ReLU6 and batch normalisation, the fast batch
 * normalisation, Slice and transposed product, and the sharing Identity and Cast, once each.
 */
export function registerMissingWasmGradientKernels(): void {
  registerFastWasmInputGradient();
  registerWasmKernelFixes();
  registerFastWasmDepthwiseInputGradient();
  registerMissingKernels();
  registerFastWasmActivationGradients();
  registerWasmBatchNormGradient();
  registerFastWasmBatchNorm();
  registerFastWasmSlice();
  registerSharedWasmIdentity();
  registerSharedWasmCast();
  registerFastWasmTransposedMatMul();
}
