// A Keras Conv2D or SeparableConv2D layer as a convolution whose images each meet only their own
// filter (../ownFilterConvolution.ts): the path to the layer's input, its kernels, bias, strides,
// padding and activation.
import type * as tf from '@tensorflow/tfjs';
import { layerInputPath, type LayerSite } from './layerSites';
import { ownFilterLayer, type OwnFilterLayer } from '../ownFilterConvolution';

/** What a tfjs-layers Conv2D or SeparableConv2D keeps (not in its public types). */
interface ConvolutionInternals {
  kernel: { read(): tf.Tensor4D } | null;
  depthwiseKernel?: { read(): tf.Tensor4D };
  pointwiseKernel?: { read(): tf.Tensor4D };
  bias: { read(): tf.Tensor1D } | null;
  strides: number[];
  padding: 'valid' | 'same' | 'causal';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: number | number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

/** Activations that mix a position's channels: a filter's output then depends on the others. */
const ACROSS_CHANNELS = new Set(['softmax', 'logSoftmax']);

const CLASSES = new Set(['Conv2D', 'SeparableConv2D']);

/** For a channels-last Conv2D or SeparableConv2D applied once, with an activation per value; undefined for any other layer. */
export function convolutionOwnFilters(site: LayerSite, modelPath: string): ((filters: number[]) => OwnFilterLayer) | undefined {
  if (!CLASSES.has(site.layer.getClassName())) return undefined;
  const layer = site.layer as unknown as ConvolutionInternals;
  if (layer.dataFormat !== 'channelsLast' || layer.padding === 'causal' || ACROSS_CHANNELS.has(layer.activation.getClassName())) return undefined;
  const toInput = layerInputPath(site, modelPath);
  if (!toInput) return undefined;
  const dilations = typeof layer.dilationRate === 'number' ? [layer.dilationRate, layer.dilationRate] : layer.dilationRate;
  return (filters) =>
    ownFilterLayer(
      {
        toInput: toInput.apply,
        kernel: layer.depthwiseKernel && layer.pointwiseKernel ? { depthwise: layer.depthwiseKernel.read(), pointwise: layer.pointwiseKernel.read() } : { full: layer.kernel!.read() },
        bias: layer.bias?.read(),
        strides: layer.strides as [number, number],
        padding: layer.padding as 'valid' | 'same',
        dilations: dilations as [number, number],
        activation: (x) => layer.activation.apply(x),
      },
      filters,
    );
}
