// Every layer of a model, the layers of nested models included, and how to reach a layer's output
// from the outer model's input in one graph. TF.js (like Keras) keeps a nested model's layers in
// the nested model's own graph, so `tf.model({inputs: outer.inputs, outputs: inner.output})` fails
// with "Graph disconnected"; here the path is a chain of sub-models, each inside one graph.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../shared/errors';

export interface LayerSite {
  layer: tf.layers.Layer;
  /** `outer/inner` for layers of nested models; the layer's own name at the top level. */
  name: string;
  /** 0 at the top level, 1 inside a nested model, … */
  depth: number;
  /** The model whose graph holds the layer. */
  container: tf.LayersModel;
  /** The nested model's own site, for a layer inside one. */
  parent?: LayerSite;
  /** The layer is itself a model; its layers follow it in the list. */
  isModel: boolean;
}

/** Every layer in model order; a nested model is listed, then its layers (depth first). */
export function layerSites(model: tf.LayersModel, parent?: LayerSite): LayerSite[] {
  const prefix = parent ? `${parent.name}/` : '';
  const depth = parent ? parent.depth + 1 : 0;
  return model.layers.flatMap((layer) => {
    const isModel = layer instanceof tf.LayersModel;
    const site: LayerSite = { layer, name: prefix + layer.name, depth, container: model, parent, isModel };
    return isModel ? [site, ...layerSites(layer, site)] : [site];
  });
}

/** A chain of sub-models that maps the outer model's input to one layer's output. */
export interface LayerOutputPath {
  apply(input: tf.Tensor): tf.Tensor;
  /** The output's shape for an input of `inputShape` (batch included). */
  computeOutputShape(inputShape: number[]): number[];
  /** The layers run on the way, in order. */
  layers: tf.layers.Layer[];
}

/**
 * The sub-models from the outer input to `site`'s output. The sub-models share the model's layers
 * and weights and own no tensors, so they are never disposed.
 */
export function layerOutputPath(site: LayerSite, modelPath: string): LayerOutputPath {
  return chain(pathTo(site.layer.output as tf.SymbolicTensor | tf.SymbolicTensor[], site.container, site.parent, site.name, modelPath));
}

/** The same to `site`'s input (none: the layer reads the model's input); undefined where the layer is applied more than once. */
export function layerInputPath(site: LayerSite, modelPath: string): LayerOutputPath | undefined {
  if (site.layer.inboundNodes.length !== 1) return undefined;
  return chain(pathTo(site.layer.input as tf.SymbolicTensor | tf.SymbolicTensor[], site.container, site.parent, site.name, modelPath));
}

function chain(stages: tf.LayersModel[]): LayerOutputPath {
  return {
    apply: (input) => stages.reduce((x, stage) => stage.apply(x, { training: false }) as tf.Tensor, input),
    computeOutputShape: (inputShape) => stages.reduce((shape, stage) => stage.computeOutputShape(shape) as number[], inputShape),
    layers: stages.flatMap((stage) => stage.layers),
  };
}

function pathTo(
  output: tf.SymbolicTensor | tf.SymbolicTensor[],
  container: tf.LayersModel,
  containerSite: LayerSite | undefined,
  layerName: string,
  modelPath: string,
): tf.LayersModel[] {
  if (Array.isArray(output)) throw new InputError(modelPath, `layer "${layerName}" has several outputs; choose a layer with one`);
  const before = containerSite ? pathToInputOf(containerSite, layerName, modelPath) : [];
  if (container.inputs.includes(output)) return before;
  return [...before, tf.model({ inputs: container.inputs, outputs: output })];
}

/** The sub-models from the outer input to the input of the nested model at `site`. */
function pathToInputOf(site: LayerSite, layerName: string, modelPath: string): tf.LayersModel[] {
  const model = site.layer as tf.LayersModel;
  // A nested model's first node is its own graph; a second is its use in the outer graph (a nested
  // Sequential inside tf.sequential shares the outer input and has only the first).
  if (model.inboundNodes.length > 2) {
    throw new InputError(modelPath, `layer "${layerName}" is inside "${site.name}", which the model applies more than once, so it has no single output`);
  }
  const use = model.inboundNodes[model.inboundNodes.length - 1];
  if (use.inputTensors.length !== 1) {
    throw new InputError(modelPath, `layer "${layerName}" is inside "${site.name}", which takes ${use.inputTensors.length} inputs; only single-input nested models can be followed`);
  }
  return pathTo(use.inputTensors[0], site.container, site.parent, layerName, modelPath);
}

/** A site by its full name (`outer/inner`) or, when that is unambiguous, its own name. */
export function findLayerSite(sites: LayerSite[], name: string, modelPath: string): LayerSite {
  const exact = sites.find((site) => site.name === name);
  if (exact) return exact;
  const matches = sites.filter((site) => site.layer.name === name);
  if (matches.length === 0) throw new InputError(modelPath, `has no layer named "${name}"`);
  if (matches.length > 1) throw new InputError(modelPath, `has several layers named "${name}" in nested models: use one of ${matches.map((site) => site.name).join(', ')}`);
  return matches[0];
}
