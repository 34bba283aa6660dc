// What every filter-pattern preset maximises, and the part of the model it runs: the path from the
// model's input to the layer whose filters are shown, and each filter's mean activation on it.
import * as tf from '@tensorflow/tfjs';
import type { GraphNetwork } from '../models/graph/graphNetwork';
import { graphPatternPath } from '../models/graph/graphPatternPath';
import { layerOutputPath, layerSites } from '../models/layers/layerSites';
import { convolutionOwnFilters } from '../models/layers/convolutionOwnFilters';
import type { OwnFilterLayer } from '../models/ownFilterConvolution';
import { preprocessTensor } from '../input/preprocessTensor';
import { oneHotRows } from '../tfjs/oneHotRows';
import type { PreprocessMode, Shape } from '../../shared/types';

/** A layers model, or a graph model (engine/graphModel) whose nodes are the layers. */
export type PatternModel = tf.LayersModel | GraphNetwork;

/** The model from its input to the layer whose filters are shown. */
export interface PatternPath {
  apply(input: tf.Tensor): tf.Tensor;
  /** The layer's output shape for an input of `inputShape` (batch included). */
  computeOutputShape(inputShape: number[]): number[];
  /** The declared output shapes of the layers run on the way. */
  shapesOnTheWay(): (Shape | Shape[])[];
  /** Where the layer can compute each image's own filter alone (a Conv2D): image i's output for filter `filters[i]` only, [batch, height, width, 1]. */
  ownFilters?(filters: number[]): OwnFilterLayer;
}

export function patternPath(model: PatternModel, layer: { index: number; name: string }, modelPath: string): PatternPath {
  if (!(model instanceof tf.LayersModel)) return graphPatternPath(model, layer.name);
  const site = layerSites(model)[layer.index];
  const path = layerOutputPath(site, modelPath);
  const ownFilters = convolutionOwnFilters(site, modelPath);
  return { ...path, shapesOnTheWay: () => path.layers.map((onTheWay) => onTheWay.outputShape as Shape | Shape[]), ...(ownFilters ? { ownFilters } : {}) };
}

/** Scores image i of a batch by the mean activation of filter `filters[i]` (the notes' `K.mean(layer_output[:, :, :, f])`). */
export class FilterObjective {
  /** [batch, 1, 1, channels]: one-hot on each image's filter. */
  private readonly mask: tf.Tensor4D;

  constructor(
    private readonly patternModel: Pick<PatternPath, 'apply' | 'ownFilters'>,
    private readonly filters: number[],
    filterCount: number,
    private readonly preprocess: PreprocessMode,
  ) {
    this.mask = tf.tidy(() => oneHotRows(filters, filterCount).reshape([filters.length, 1, 1, filterCount]) as tf.Tensor4D);
  }

  /** [batch]: each image's filter's mean activation, in inference mode, with the model's preprocessing applied to the pixels. */
  scores(pixels: tf.Tensor4D): tf.Tensor1D {
    const output = this.patternModel.apply(preprocessTensor(pixels, this.preprocess)) as tf.Tensor4D;
    const [, height, width] = output.shape;
    return output.mul(this.mask).sum([1, 2, 3]).div(height * width);
  }

  /**
   * The same scores, with a cheaper gradient (the `lucid` preset's):
   * - where the layer can compute each image's own filter alone, it computes only that;
   * - the one-hot mask, already divided by height × width, is kept at the output's full shape, so
   *   neither the product nor the gradient broadcasts. TF.js's WASM kernels broadcast 5–10× slower
   *   than they multiply equal shapes, and differentiating a sum builds a tensor of ones as large as
   *   the output every step.
   */
  scoresWithFastGradient(pixels: tf.Tensor4D): tf.Tensor1D {
    const input = preprocessTensor(pixels, this.preprocess);
    if (!this.patternModel.ownFilters) return this.reduce(this.patternModel.apply(input)) as tf.Tensor1D;
    this.ownFilterLayer ??= this.patternModel.ownFilters(this.filters);
    return this.reduce(this.ownFilterLayer.apply(input)) as tf.Tensor1D;
  }

  private ownFilterLayer: OwnFilterLayer | undefined;
  private fullMask: tf.Tensor4D | undefined;

  private readonly reduce = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const output = inputs[0] as tf.Tensor4D;
    const full = this.fullMaskFor(output.shape);
    const [batch] = output.shape;
    return {
      value: output.mul(full).sum([1, 2, 3]) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor) => full.mul(dy.reshape([batch, 1, 1, 1])),
    };
  });

  /**
   * [batch, height, width, channels]: 1 / (height × width) at each image's channel, 0 elsewhere;
   * made once per output shape. The channel is the image's filter, or the only one where the layer
   * computes each image's own filter alone.
   */
  private fullMaskFor(shape: number[]): tf.Tensor4D {
    if (this.fullMask && this.fullMask.shape.every((length, axis) => length === shape[axis])) return this.fullMask;
    this.fullMask?.dispose();
    const [batch, height, width, channels] = shape;
    const values = new Float32Array(batch * height * width * channels);
    for (let image = 0; image < batch; image++) {
      const channel = this.patternModel.ownFilters ? 0 : this.filters[image];
      for (let position = 0; position < height * width; position++) values[(image * height * width + position) * channels + channel] = 1 / (height * width);
    }
    this.fullMask = tf.keep(tf.tensor4d(values, [batch, height, width, channels]));
    return this.fullMask;
  }

  async meanActivations(pixels: tf.Tensor4D): Promise<number[]> {
    const scores = tf.tidy(() => this.scores(pixels));
    try {
      return Array.from(await scores.data());
    } finally {
      scores.dispose();
    }
  }

  dispose(): void {
    this.mask.dispose();
    this.fullMask?.dispose();
    this.ownFilterLayer?.dispose();
  }
}
