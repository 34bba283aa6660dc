// The study notes' `activation_model`: one forward pass, in inference mode, returning the outputs
// of the chosen layers.
import * as tf from '@tensorflow/tfjs';
import { InputError } from './errors';
import type { ModelSummary } from './types';

export interface LayerSelection {
  /** Layer names, in any order; they are shown in model order. */
  names?: string[];
  /** The first N layers that have a 4-D output (the study notes' `model.layers[:8]`). */
  first?: number;
}

export const DEFAULT_LAYER_COUNT = 8;

export interface LayerActivation {
  layerIndex: number;
  /** [1, height, width, channels] */
  shape: number[];
  data: Float32Array;
}

/** Resolves a selection to layer indices, in model order; only 4-D outputs have channel grids. */
export function selectLayers(summary: ModelSummary, selection: LayerSelection): number[] {
  const spatial = summary.layers.filter((layer) => layer.hasSpatialOutput && layer.className !== 'InputLayer');
  if (spatial.length === 0) {
    throw new InputError(summary.modelPath, 'has no layer with a 4-D (height × width × channels) output, so there are no feature maps to show');
  }
  if (selection.names && selection.names.length > 0) {
    const wanted = new Set(selection.names);
    for (const name of wanted) {
      const layer = summary.layers.find((candidate) => candidate.name === name);
      if (!layer) throw new InputError(summary.modelPath, `has no layer named "${name}"`);
      if (!layer.hasSpatialOutput) {
        throw new InputError(summary.modelPath, `layer "${name}" has output shape ${JSON.stringify(layer.outputShape)}; only 4-D outputs can be shown as channel grids`);
      }
    }
    return summary.layers.filter((layer) => wanted.has(layer.name)).map((layer) => layer.index);
  }
  const count = selection.first ?? DEFAULT_LAYER_COUNT;
  return spatial.slice(0, Math.max(1, count)).map((layer) => layer.index);
}

/**
 * Runs `input` (already preprocessed, [height, width, channels]) through the model once and reads
 * back the chosen layers' outputs. Every tensor made here is disposed before returning.
 */
export async function computeActivations(model: tf.LayersModel, input: Float32Array, inputShape: [number, number, number], layerIndices: number[]): Promise<LayerActivation[]> {
  const layers = layerIndices.map((index) => model.layers[index]);
  // Shares the model's layers and weights; it owns no tensors, so it is not disposed (that would
  // dispose the model's weights).
  const activationModel = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => layer.output as tf.SymbolicTensor) });
  const outputs = tf.tidy(() => {
    const batch = tf.tensor4d(input, [1, ...inputShape]);
    const result = activationModel.predict(batch);
    return Array.isArray(result) ? result : [result];
  });
  try {
    const data = await Promise.all(outputs.map((tensor) => tensor.data<'float32'>()));
    return outputs.map((tensor, i) => ({ layerIndex: layerIndices[i], shape: tensor.shape, data: data[i] }));
  } finally {
    tf.dispose(outputs);
  }
}
