// A convolution's output where image i of a batch meets only its own filter f_i. A full convolution
// is one depthwise convolution over the images laid side by side along the channels, each image's
// channels with its filter's kernel, summed per image; a separable one keeps its depthwise part and
// takes, per image, its filter's column of the pointwise part (one product with a block matrix). A
// batch of filter patterns scores image i by filter f_i alone, so the layer's other filters were
// computed, activated, masked and back-propagated for nothing: with 16 images, 15 of every 16
// values. Layers models (layers/convolutionOwnFilters.ts) and graph models
// (graph/graphOwnFilters.ts) say where their convolution reads and what follows it.
import * as tf from '@tensorflow/tfjs';
import { ConstantProduct } from '../tfjs/constantProduct';

/** Image i's output for its own filter: [batch, height, width, 1]. */
export interface OwnFilterLayer {
  apply(input: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** A 2-D convolution, channels last, followed by a bias and an activation that act value by value. */
export interface ConvolutionSpec {
  /** From the model's input to the convolution's input. */
  toInput(input: tf.Tensor): tf.Tensor;
  /** A full convolution's kernel, [kh, kw, channels, filters]; or a separable one's depthwise [kh, kw, channels, multiplier] and pointwise [1, 1, channels·multiplier, filters] kernels. */
  kernel: { full: tf.Tensor4D } | { depthwise: tf.Tensor4D; pointwise: tf.Tensor4D };
  bias: tf.Tensor1D | undefined;
  strides: [number, number];
  padding: 'valid' | 'same';
  dilations: [number, number];
  /** Applied to a batch-first tensor: redirected ReLU gradients act image by image along the first axis. */
  activation(x: tf.Tensor): tf.Tensor;
}

export function ownFilterLayer(spec: ConvolutionSpec, filters: number[]): OwnFilterLayer {
  return 'full' in spec.kernel ? ownFilterConvolution(spec, spec.kernel.full, filters) : ownFilterSeparable(spec, spec.kernel.depthwise, spec.kernel.pointwise, filters);
}

function ownFilterConvolution(spec: ConvolutionSpec, full: tf.Tensor4D, filters: number[]): OwnFilterLayer {
  const [kernelHeight, kernelWidth, inputChannels, filterCount] = full.shape;
  // Kept: the first call may come inside a caller's tidy, and the layer lives as long as its objective.
  const kernel = tf.keep(tf.tensor4d(sideBySideKernels(full.dataSync<'float32'>(), inputChannels, filterCount, filters), [kernelHeight, kernelWidth, filters.length * inputChannels, 1]));
  const bias = ownBias(spec, filters);
  // Each image's group of channels summed by a product with a constant: a sum's gradient broadcasts
  // through a tensor of ones as large as the convolution's output, made afresh every step.
  const groupSum = new ConstantProduct(blockColumns(filters.length, inputChannels, () => 1));
  return {
    apply: (input) =>
      tf.tidy(() => {
        const x = spec.toInput(input) as tf.Tensor4D;
        const [batch, height, width] = x.shape;
        // [batch, h, w, c] → [1, h, w, batch·c]: image i's channels side by side, i-th group.
        const sideBySide = x.transpose([1, 2, 0, 3]).reshape([1, height, width, batch * inputChannels]) as tf.Tensor4D;
        const convolved = tf.depthwiseConv2d(sideBySide, kernel, spec.strides, spec.padding, 'NHWC', spec.dilations);
        const [, outHeight, outWidth] = convolved.shape;
        return perImage(groupSum.apply(convolved.reshape([outHeight * outWidth, batch * inputChannels])), bias, [batch, outHeight, outWidth], spec);
      }),
    dispose: () => {
      kernel.dispose();
      bias?.dispose();
      groupSum.dispose();
    },
  };
}

function ownFilterSeparable(spec: ConvolutionSpec, depthwise: tf.Tensor4D, pointwise: tf.Tensor4D, filters: number[]): OwnFilterLayer {
  const [, , channels, filterCount] = pointwise.shape;
  const pointwiseValues = pointwise.dataSync<'float32'>();
  // The pointwise part for the images side by side: image i's block of rows holds its filter's
  // column. As a batch of products (image i's pixels times its column) it ran on TF.js's WASM
  // batched kernel, whose gradient is a plain loop: 1–2 ms a step on FER's separable layers,
  // against a fifth of that as one product of two matrices.
  const pointwiseBlocks = new ConstantProduct(blockColumns(filters.length, channels, (image, channel) => pointwiseValues[channel * filterCount + filters[image]]));
  const bias = ownBias(spec, filters);
  return {
    apply: (input) =>
      tf.tidy(() => {
        const spread = tf.depthwiseConv2d(spec.toInput(input) as tf.Tensor4D, depthwise, spec.strides, spec.padding, 'NHWC', spec.dilations);
        const [batch, height, width] = spread.shape;
        // [batch, h, w, c] → [h·w, batch·c]: image i's channels side by side, i-th group.
        return perImage(pointwiseBlocks.apply(spread.transpose([1, 2, 0, 3]).reshape([height * width, batch * channels])), bias, [batch, height, width], spec);
      }),
    dispose: () => {
      pointwiseBlocks.dispose();
      bias?.dispose();
    },
  };
}

/** [images]: each image's filter's bias (kept, as the kernels are), or undefined without one. */
function ownBias(spec: ConvolutionSpec, filters: number[]): tf.Tensor1D | undefined {
  const biasValues = spec.bias?.dataSync<'float32'>();
  return biasValues && tf.keep(tf.tensor1d(Float32Array.from(filters, (filter) => biasValues[filter])));
}

/** [h·w, images], one column per image, biased and activated as [images, h, w, 1]. */
function perImage(columns: tf.Tensor2D, bias: tf.Tensor1D | undefined, [batch, height, width]: number[], spec: ConvolutionSpec): tf.Tensor {
  const biased = bias ? columns.add(bias) : columns;
  return spec.activation(biased.transpose().reshape([batch, height, width, 1]));
}

/** [images·c, images]: row j of column i is `value(i, j − i·c)` for j in i·c … i·c + c − 1 (image i's channels), 0 elsewhere. */
function blockColumns(images: number, channels: number, value: (image: number, channel: number) => number): tf.Tensor2D {
  const blocks = new Float32Array(images * channels * images);
  for (let image = 0; image < images; image++) {
    for (let channel = 0; channel < channels; channel++) blocks[(image * channels + channel) * images + image] = value(image, channel);
  }
  return tf.tensor2d(blocks, [images * channels, images]);
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
