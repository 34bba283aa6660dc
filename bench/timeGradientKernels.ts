// `npm run bench:kernels [-- --runs N]`: each WASM gradient fast path of src/engine/tfjs against
// what ran before it, on MobileNetV2's shapes (a batch of 16 at 64 px, the grid's), timed
// interleaved in one process (so that the machine's load hits both alike), median of `runs`.
// "Before" is the cpu backend's kernel through runOnCpu (the depthwise input gradient), TF.js's
// own gradient or WASM kernel (the others), or the eager fused-convolution gradient, which also
// computes the filter's gradient on cpu.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initializeBackend } from '../src/engine/tfjs/backend';
import { installLazyFusedConvolutionGradients, restoreEagerFusedConvolutionGradients } from '../src/engine/tfjs/lazyFusedConvolutionGradients';
import { registerWasmBatchNormGradient, restoreStockBatchNormGradient } from '../src/engine/tfjs/wasmBatchNormGradient';
import { runOnCpu } from '../src/engine/tfjs/wasmCpuKernel';
import { registerFastWasmActivationGradients, restoreStockActivationGradients } from '../src/engine/tfjs/wasmFastActivationGradients';
import { registerFastWasmBatchNorm, restoreStockWasmBatchNorm } from '../src/engine/tfjs/wasmFastBatchNorm';
import { registerFastWasmInputGradient, restoreStockWasmInputGradient } from '../src/engine/tfjs/wasmFastInputGradient';
import { registerFastWasmMaxPoolGrad, restoreStockWasmMaxPoolGrad } from '../src/engine/tfjs/wasmFastMaxPoolGrad';
import { registerFastWasmSlice, restoreStockWasmSlice } from '../src/engine/tfjs/wasmFastSlice';
import { registerSharedWasmIdentity, restoreStockWasmIdentity } from '../src/engine/tfjs/wasmSharedIdentity';

const WASM_DIRECTORY = path.join(__dirname, '..', 'dist', 'wasm');

interface Comparison {
  what: string;
  before: () => void;
  after: () => void;
}

const random = (shape: number[], seed: number, low = -1, high = 1) => tf.randomUniform(shape, low, high, 'float32', seed);

/** Runs `f` (which makes tensors) with a kernel or gradient switched to its earlier form, then back. */
const switched = (restore: () => void, register: () => void, f: () => void) => () => {
  restore();
  try {
    f();
  } finally {
    register();
  }
};

function comparisons(): Comparison[] {
  const backend = tf.backend();
  const depthwiseInputGradient = (input: number[], channels: number, stride: number, pad: 'same' | 'valid') => {
    const filter = random([3, 3, channels, 1], 1);
    const info = tf.backend_util.computeConv2DInfo(input as [number, number, number, number], [3, 3, channels, 1], stride, 1, pad, undefined, true);
    const dy = random(info.outShape, 2);
    const attrs = { strides: stride, pad, dilations: 1, inputShape: input } as unknown as tf.NamedAttrMap;
    return {
      before: () => backend.disposeData((runOnCpu(tf.DepthwiseConv2dNativeBackpropInput, { inputs: { dy, filter }, attrs, backend }) as tf.TensorInfo).dataId),
      after: () => tf.dispose(tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, attrs) as tf.Tensor),
    };
  };
  const activation = random([16, 32, 32, 96], 3, -2, 8);
  const gradientOf = (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor) => () => tf.dispose(tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x)));
  const clip = gradientOf((t) => tf.clipByValue(t, 0, 6), activation);
  const relu6 = gradientOf((t) => tf.relu6(t), activation);
  const perChannel = (seed: number) => random([96], seed, 0.5, 1.5);
  const [mean, variance, offset, scale] = [perChannel(4), perChannel(5), perChannel(6), perChannel(7)];
  const batchNorm = gradientOf((t) => tf.batchNorm(t, mean, variance, offset, scale, 1e-3), activation);
  const batchNormForward = () => tf.dispose(tf.batchNorm(activation, mean, variance, offset, scale, 1e-3));
  const pooled = random([16, 60, 60, 16], 13);
  const poolingGradient = random([16, 30, 30, 16], 14);
  const pooledOutput = tf.maxPool(pooled as tf.Tensor4D, 2, 2, 'valid');
  const maxPoolGrad = () =>
    tf.dispose(tf.engine().runKernel(tf.MaxPoolGrad, { dy: poolingGradient, input: pooled, output: pooledOutput }, { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor);
  const padded = random([16, 33, 33, 96], 8);
  const slice = () => tf.dispose(tf.slice(padded, [0, 0, 0, 0], [16, 32, 32, 96]));
  const clone = () => tf.dispose(tf.clone(activation));
  const image = random([16, 64, 64, 3], 9);
  const conv1 = random([3, 3, 3, 32], 10);
  const conv1Gradient = tf.conv2d(image as tf.Tensor4D, conv1 as tf.Tensor4D, 2, 'same');
  const conv1InputGradient = () =>
    tf.dispose(tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: conv1Gradient, filter: conv1 }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: image.shape } as unknown as tf.NamedAttrMap) as tf.Tensor);
  const expandInput = random([16, 32, 32, 16], 11);
  const expand = random([1, 1, 16, 96], 12);
  const fusedExpand = gradientOf((t) => tf.fused.conv2d({ x: t as tf.Tensor4D, filter: expand as tf.Tensor4D, strides: 1, pad: 'same' }), expandInput);
  const stride1 = depthwiseInputGradient([16, 32, 32, 144], 144, 1, 'same');
  const stride2 = depthwiseInputGradient([16, 33, 33, 96], 96, 2, 'valid');
  return [
    { what: 'DepthwiseConv2dNativeBackpropInput 3×3 / 1 same, x 16×32×32×144 (before: cpu kernel)', ...stride1 },
    { what: 'DepthwiseConv2dNativeBackpropInput 3×3 / 2 valid, x 16×33×33×96 (before: cpu kernel)', ...stride2 },
    { what: 'fused 1×1 conv 16 → 96, gradient of x, 16×32×32 (before: eager, filter gradient on cpu)', before: switched(restoreEagerFusedConvolutionGradients, installLazyFusedConvolutionGradients, fusedExpand), after: fusedExpand },
    { what: 'Conv2DBackpropInput Conv1 3×3×3×32 / 2 same, x 16×64×64×3 (before: stock WASM)', before: switched(restoreStockWasmInputGradient, registerFastWasmInputGradient, conv1InputGradient), after: conv1InputGradient },
    { what: 'gradient of clipByValue [0, 6] (Keras ReLU(6)), 16×32×32×96', before: switched(restoreStockActivationGradients, registerFastWasmActivationGradients, clip), after: clip },
    { what: 'gradient of relu6, 16×32×32×96', before: switched(restoreStockActivationGradients, registerFastWasmActivationGradients, relu6), after: relu6 },
    { what: 'gradient of batchNorm (inference), 16×32×32×96', before: switched(restoreStockBatchNormGradient, registerWasmBatchNormGradient, batchNorm), after: batchNorm },
    { what: 'batchNorm (inference), 16×32×32×96', before: switched(restoreStockWasmBatchNorm, registerFastWasmBatchNorm, batchNormForward), after: batchNormForward },
    { what: 'MaxPoolGrad 2×2 / 2, x 16×60×60×16 (before: stock WASM, which is also wrong)', before: switched(restoreStockWasmMaxPoolGrad, registerFastWasmMaxPoolGrad, maxPoolGrad), after: maxPoolGrad },
    { what: 'slice 16×33×33×96 → 16×32×32×96 (ZeroPadding2D gradient)', before: switched(restoreStockWasmSlice, registerFastWasmSlice, slice), after: slice },
    { what: 'clone 16×32×32×96 (Identity)', before: switched(restoreStockWasmIdentity, registerSharedWasmIdentity, clone), after: clone },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
  const runs = Number(values.runs);
  const selection = await initializeBackend('wasm', { wasmDirectory: WASM_DIRECTORY });
  const loadBefore = os.loadavg();
  const timed = comparisons();
  const tensorsBefore = tf.memory().numTensors;
  console.log(`wasm${selection.notes.length ? ` (${selection.notes.join('; ')})` : ''}; median of ${runs}, interleaved`);
  console.log('| what | before | after | speed-up |');
  console.log('| --- | --- | --- | --- |');
  for (const { what, before, after } of timed) {
    const times = { before: [] as number[], after: [] as number[] };
    before();
    after();
    for (let run = 0; run < runs; run++) {
      for (const [side, f] of [['before', before], ['after', after]] as const) {
        const started = performance.now();
        f();
        times[side].push(performance.now() - started);
      }
    }
    const [b, a] = [median(times.before), median(times.after)];
    console.log(`| ${what} | ${b.toFixed(1)} ms | ${a.toFixed(1)} ms | ${(b / a).toFixed(1)}× |`);
  }
  const load = (loads: number[]) => loads.map((value) => value.toFixed(2)).join(' ');
  console.log(`load average ${load(loadBefore)} at the start, ${load(os.loadavg())} at the end; tensors left by the timed runs: ${tf.memory().numTensors - tensorsBefore}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
