// The models the filter-pattern goals are measured on, and which of their layers have filters.
// No engine import, so a script can load any checkout's engine beside it (filterGridTimes.ts).
import path from 'node:path';
import type { LayerInfo } from '../src/shared/types';

const ROOT = path.resolve(__dirname, '..');
export const REAL_MODELS = path.resolve(ROOT, '..', 'shared', 'realmodels');
export const EXAMPLE_FOLDER = path.join(ROOT, 'examples', 'shapes');

export interface QualityModel {
  name: string;
  file: string;
}

/** The example model and the models of ../shared/realmodels that have convolutions. */
export const QUALITY_MODELS: QualityModel[] = [
  { name: 'shapes', file: path.join(EXAMPLE_FOLDER, 'model.json') },
  { name: 'mnist-keras', file: path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'Subhadip_Hensh_MNIST_CNN.keras') },
  { name: 'mnist-graph', file: path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'model.json') },
  { name: 'fer', file: path.join(REAL_MODELS, 'fer-minixception-h5', 'fer2013_mini_XCEPTION.102-0.66.hdf5') },
];

/** The convolution layers of a layers model, else a graph's convolution nodes. */
export function convolutionLayers(summary: { layers: Pick<LayerInfo, 'name' | 'className' | 'hasSpatialOutput'>[] }): string[] {
  const convolution = /^(Conv2D|SeparableConv2D|DepthwiseConv2D|Conv2DTranspose)$/;
  const layers = summary.layers.filter((layer) => layer.hasSpatialOutput && convolution.test(layer.className));
  if (layers.length > 0) return layers.map((layer) => layer.name);
  return summary.layers.filter((layer) => layer.hasSpatialOutput && /Conv2D/.test(layer.className)).map((layer) => layer.name);
}

/** A graph node's name without the scope every node of the MNIST graph shares. */
export function shortLayerName(layerName: string): string {
  return layerName.replace(/^StatefulPartitionedCall\/sequential_1\//, '');
}
