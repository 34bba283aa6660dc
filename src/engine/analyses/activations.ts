// The study notes' `activation_model`: one forward pass, in inference mode, returning the outputs
// of the chosen layers.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../shared/errors';
import { layerSites } from '../models/layers/layerSites';
import { checkSingleInput, layerNamed } from '../models/modelSummary';
import { replaceProperty, type Restore } from '../tfjs/propertyPatch';
import type { ModelSummary } from '../../shared/types';
import { DEFAULT_LAYER_COUNT } from '../../shared/defaults';
import { LayerSelection } from '../../shared/types';



export interface LayerActivation {
  layerIndex: number;
  /** [1, height, width, channels] */
  shape: number[];
  data: Float32Array;
}

/** Resolves a selection to layer indices, in model order; only 4-D outputs have channel grids. */
export function selectLayers(summary: ModelSummary, selection: LayerSelection): number[] {
  // A nested model's output is its last layer's, which is listed (and shown) on its own.
  const spatial = summary.layers.filter((layer) => layer.hasSpatialOutput && layer.className !== 'InputLayer' && !layer.isModel);
  if (spatial.length === 0) {
    throw new InputError(summary.modelPath, 'has no layer with a 4-D (height × width × channels) output, so there are no feature maps to show');
  }
  if (selection.names && selection.names.length > 0) {
    const wanted = new Set(selection.names);
    for (const name of wanted) {
      const layer = layerNamed(summary, name);
      if (layer.isModel) throw new InputError(summary.modelPath, `layer "${name}" is a nested model: choose one of its layers`);
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
 * back the chosen layers' outputs (indices into the summary's layers, nested models' layers
 * included). Every tensor made here is disposed before returning.
 */
export async function computeActivations(model: tf.LayersModel, modelPath: string, input: Float32Array, inputShape: [number, number, number], layerIndices: number[]): Promise<LayerActivation[]> {
  checkSingleInput(model, modelPath);
  const sites = layerSites(model);
  const recorded = new Map<tf.layers.Layer, tf.Tensor>();
  const restores = layerIndices.map((index) => recordOutput(sites[index].layer, recorded));
  try {
    tf.tidy(() => {
      model.apply(tf.tensor4d(input, [1, ...inputShape]), { training: false });
    });
  } catch (error) {
    tf.dispose([...recorded.values()]);
    throw error;
  } finally {
    restores.reverse().forEach((restore) => restore());
  }
  const outputs = layerIndices.map((index) => recorded.get(sites[index].layer));
  try {
    const missing = layerIndices.find((_, i) => outputs[i] === undefined);
    if (missing !== undefined) throw new Error(`Layer ${sites[missing].name} did not run for the model's output`);
    const data = await Promise.all(outputs.map((tensor) => tensor!.data<'float32'>()));
    return outputs.map((tensor, i) => ({ layerIndex: layerIndices[i], shape: tensor!.shape, data: data[i] }));
  } finally {
    tf.dispose([...recorded.values()]);
  }
}

/**
 * Wraps the layer's `call` for one run to keep a copy of its output. One run of the whole model
 * reaches every layer, inside nested models too, where a sub-model of the outer graph cannot.
 */
function recordOutput(layer: tf.layers.Layer, recorded: Map<tf.layers.Layer, tf.Tensor>): Restore {
  const originalCall = layer.call;
  return replaceProperty(layer, 'call', (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => {
    const output = originalCall.call(layer, inputs, kwargs);
    if (!Array.isArray(output) && !recorded.has(layer)) recorded.set(layer, tf.keep(output.clone()));
    return output;
  });
}
