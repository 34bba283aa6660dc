// The study notes' `model.summary()`: per-layer name, class, output shape and parameter counts.
import type * as tf from '@tensorflow/tfjs';
import { InputError } from '../../shared/errors';
import { layerConfigEntry } from './layers/layerConfig';
import { layerSites, type LayerSite } from './layers/layerSites';
import { isSpatialShape } from '../../shared/shapes';
import type { LayerInfo, ModelSummary, PreprocessMode, Shape } from '../../shared/types';

function countWeights(weights: tf.LayerVariable[]): number {
  return weights.reduce((sum, weight) => sum + weight.shape.reduce((product: number, dim) => product * (dim ?? 0), 1), 0);
}

export function describeLayer(site: LayerSite, index: number): LayerInfo {
  const { layer } = site;
  let outputShape: Shape | Shape[];
  try {
    outputShape = layer.outputShape as Shape | Shape[];
  } catch {
    // A layer called more than once has no single output shape.
    outputShape = [];
  }
  return {
    index,
    name: site.name,
    depth: site.depth,
    ...(site.parent ? { parent: site.parent.name } : {}),
    ...(site.isModel ? { isModel: true } : {}),
    className: layer.getClassName(),
    outputShape,
    paramCount: layer.countParams(),
    trainableParamCount: countWeights(layer.trainableWeights),
    // A layer called more than once (shared) has one output per call, so no single activation to show.
    hasSpatialOutput: isSpatialShape(outputShape) && layer.inboundNodes.length <= 1,
    ...layerConfigEntry(layer),
  };
}

/** Models with several inputs (an image and metadata, two images) are explained, not guessed at. */
export function checkSingleInput(model: tf.LayersModel, modelPath: string): void {
  if (model.inputs.length === 1) return;
  const inputs = model.inputs.map((input) => `${input.sourceLayer.name} ${JSON.stringify(input.shape)}`).join(', ');
  throw new InputError(modelPath, `has ${model.inputs.length} inputs (${inputs}); Convscope visualizes models with one image input`);
}

/** `none` when the model rescales its own input (a leading Rescaling layer), else the study notes' 1/255. */
export function defaultPreprocessFor(model: tf.LayersModel): PreprocessMode {
  const first = model.layers.find((layer) => layer.getClassName() !== 'InputLayer');
  return first?.getClassName() === 'Rescaling' ? 'none' : 'rescale';
}

export function summarizeModel(model: tf.LayersModel, modelPath: string, loadNotes: string[] = []): ModelSummary {
  const layers = layerSites(model).map(describeLayer);
  // A nested model's count already holds its layers'.
  const topLevel = layers.filter((layer) => layer.depth === 0);
  const totalParams = topLevel.reduce((sum, layer) => sum + layer.paramCount, 0);
  const trainableParams = topLevel.reduce((sum, layer) => sum + layer.trainableParamCount, 0);
  return {
    modelPath,
    modelName: model.name,
    inputShape: (model.inputs[0]?.shape ?? []).slice(1),
    outputShape: model.outputs.length === 1 ? model.outputs[0].shape : model.outputs.map((output) => output.shape),
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    defaultPreprocess: defaultPreprocessFor(model),
    ...(loadNotes.length > 0 ? { loadNotes } : {}),
  };
}
