// The study notes' `activation_model` for a graph model: one run, returning the chosen nodes' outputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerActivation } from '../../analyses/activations';
import type { ModelSummary } from '../../../shared/types';
import { runGraph, type GraphNetwork } from './graphNetwork';

/**
 * Runs `input` (preprocessed, [height, width, channels]) through the graph once and reads back the
 * outputs of the nodes at `layerIndices` of the summary. Every tensor made here is disposed before returning.
 */
export async function computeGraphActivations(
  network: GraphNetwork,
  summary: ModelSummary,
  input: Float32Array,
  inputShape: [number, number, number],
  layerIndices: number[],
): Promise<LayerActivation[]> {
  const names = layerIndices.map((index) => summary.layers[index].name);
  const outputs = tf.tidy(() => runGraph(network, tf.tensor4d(input, [1, ...inputShape]), names));
  try {
    const data = await Promise.all(outputs.map((tensor) => tensor.data<'float32'>()));
    return outputs.map((tensor, i) => ({ layerIndex: layerIndices[i], shape: tensor.shape, data: data[i] }));
  } finally {
    tf.dispose(outputs);
  }
}
