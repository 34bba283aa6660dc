// A Conv2D layer's output where image i of a batch is convolved with its own filter f_i only: the
// path to the layer's input, then one depthwise convolution over the images laid side by side
// along the channels, each image's channels with its filter's kernel, summed per image. A batch of
// filter patterns scores image i by filter f_i alone, so the layer's other filters were computed,
// activated, masked and back-propagated for nothing: with 16 images, 15 of every 16 values.
import * as tf from '@tensorflow/tfjs';
import { layerInputPath, type LayerSite } from './layerSites';

/** Image i's output for its own filter: [batch, height, width, 1]. */
export interface OwnFilterLayer {
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

/** Activations that mix a position's channels: a filter's output then depends on the others. */
const ACROSS_CHANNELS = new Set(['softmax', 'logSoftmax']);

/** For a channels-last Conv2D applied once, with an activation per value; undefined for any other layer. */
export function convolutionOwnFilters(site: LayerSite, modelPath: string): ((filters: number[]) => OwnFilterLayer) | undefined {
  if (site.layer.getClassName() !== 'Conv2D') return undefined;
  const layer = site.layer as unknown as Conv2DInternals;
  if (layer.dataFormat !== 'channelsLast' || layer.padding === 'causal' || ACROSS_CHANNELS.has(layer.activation.getClassName())) return undefined;
  const toInput = layerInputPath(site, modelPath);
  if (!toInput) return undefined;
  return (filters) => {
    const [kernelHeight, kernelWidth, inputChannels, filterCount] = layer.kernel.read().shape;
    // Kept: the first call may come inside a caller's tidy, and the layer lives as long as its objective.
    const kernel = tf.keep(tf.tensor4d(sideBySideKernels(layer.kernel.read().dataSync<'float32'>(), inputChannels, filterCount, filters), [kernelHeight, kernelWidth, filters.length * inputChannels, 1]));
    const biasValues = layer.bias?.read().dataSync<'float32'>();
    const bias = biasValues && tf.keep(tf.tensor1d(Float32Array.from(filters, (filter) => biasValues[filter])));
    return {
      apply: (input) =>
        tf.tidy(() => {
          const x = toInput.apply(input) as tf.Tensor4D;
          const [batch, height, width] = x.shape;
          // [batch, h, w, c] → [1, h, w, batch·c]: image i's channels side by side, i-th group.
          const sideBySide = x.transpose([1, 2, 0, 3]).reshape([1, height, width, batch * inputChannels]) as tf.Tensor4D;
          const convolved = tf.depthwiseConv2d(sideBySide, kernel, layer.strides as [number, number], layer.padding as 'valid' | 'same', 'NHWC', layer.dilationRate as number | [number, number]);
          const [, outHeight, outWidth] = convolved.shape;
          const summed = convolved.reshape([outHeight, outWidth, batch, inputChannels]).sum(3);
          const biased = bias ? summed.add(bias) : summed;
          // Batch first before the activation: redirected ReLU gradients act image by image along the first axis.
          return layer.activation.apply(biased.transpose([2, 0, 1]).reshape([batch, outHeight, outWidth, 1]));
        }),
      dispose: () => {
        kernel.dispose();
        bias?.dispose();
      },
    };
  };
}

/** [kh, kw, c, filterCount] row-major → [kh, kw, images·c, 1]: image i's group of c channels holds filter filters[i]'s kernel. */
function sideBySideKernels(kernel: Float32Array, inputChannels: number, filterCount: number, filters: number[]): Float32Array {
  const spatial = kernel.length / (inputChannels * filterCount);
  const out = new Float32Array(spatial * filters.length * inputChannels);
  for (let position = 0; position < spatial; position++) {
    filters.forEach((filter, image) => {
      for (let channel = 0; channel < inputChannels; channel++) {
        out[(position * filters.length + image) * inputChannels + channel] = kernel[(position * inputChannels + channel) * filterCount + filter];
      }
    });
  }
  return out;
}
