// A Conv2D layer's output for some of its filters only: the path to the layer's input, then the
// layer's own convolution with just those filters' kernels and biases. A batch of filter patterns
// scores image i by filter f_i alone, so the layer's other filters are computed (and
// back-propagated) for nothing; with 16 images and 64 filters, that was three quarters of the
// layer's work in every step.
import * as tf from '@tensorflow/tfjs';
import { layerInputPath, type LayerSite } from './layerSites';

/** The layer's output for `filters`, in their order: [batch, height, width, filters.length]. */
export interface FilterSubsetLayer {
  apply(input: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** What a tfjs-layers Conv2D keeps (not in its public types). */
interface Conv2DInternals {
  kernel: { read(): tf.Tensor4D };
  bias: { read(): tf.Tensor1D } | null;
  strides: number[];
  padding: 'valid' | 'same' | 'causal';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: number | number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

/** The activations tfjs-layers fuses into the convolution (its `mapActivationToFusedKernel`), so that the subset runs the kernels the layer runs. */
const FUSED_ACTIVATIONS = new Set(['relu', 'linear', 'elu']);

/** For a channels-last Conv2D applied once; undefined for any other layer. */
export function convolutionFilterSubset(site: LayerSite, modelPath: string): ((filters: number[]) => FilterSubsetLayer) | undefined {
  if (site.layer.getClassName() !== 'Conv2D') return undefined;
  const layer = site.layer as unknown as Conv2DInternals;
  if (layer.dataFormat !== 'channelsLast' || layer.padding === 'causal') return undefined;
  const toInput = layerInputPath(site, modelPath);
  if (!toInput) return undefined;
  const activationName = layer.activation.getClassName();
  const fused = FUSED_ACTIVATIONS.has(activationName) ? (activationName as tf.fused.Activation) : undefined;
  return (filters) => {
    // Built from their values, not with tf.gather: WASM's Gather stores its output as 4-D, and its
    // FusedConv2D (a linear convolution's, under a gradient) refuses a bias so stored. Kept: the
    // first call may come inside a caller's tidy, and the subset lives as long as its objective.
    const kernelShape = layer.kernel.read().shape;
    const kernel = tf.keep(tf.tensor4d(lastAxisEntries(layer.kernel.read().dataSync<'float32'>(), kernelShape[3], filters), [...kernelShape.slice(0, 3), filters.length] as [number, number, number, number]));
    const bias = layer.bias && tf.keep(tf.tensor1d(lastAxisEntries(layer.bias.read().dataSync<'float32'>(), layer.bias.read().shape[0], filters)));
    return {
      apply: (input) =>
        tf.tidy(() => {
          const convolved = tf.fused.conv2d({
            x: toInput.apply(input) as tf.Tensor4D,
            filter: kernel,
            strides: layer.strides as [number, number],
            pad: layer.padding as 'valid' | 'same',
            dilations: layer.dilationRate as number | [number, number],
            dataFormat: 'NHWC',
            bias: bias ?? undefined,
            activation: fused,
          });
          return fused ? convolved : layer.activation.apply(convolved);
        }),
      dispose: () => {
        kernel.dispose();
        bias?.dispose();
      },
    };
  };
}

/** The entries `indices` of the last axis (of length `length`) of row-major `values`, in their order. */
function lastAxisEntries(values: Float32Array, length: number, indices: number[]): Float32Array {
  const rows = values.length / length;
  const picked = new Float32Array(rows * indices.length);
  for (let row = 0; row < rows; row++) indices.forEach((index, k) => (picked[row * indices.length + k] = values[row * length + index]));
  return picked;
}
