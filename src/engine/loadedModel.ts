// The one seam for the kind of model: a layers model (from model.json, .h5 or .keras) or a TF.js
// graph model answers the same questions here, so the jobs never ask which kind they hold. A new
// model kind implements LoadedModel and is chosen in openLoadedModel.
import type * as tf from '@tensorflow/tfjs';
import type { GradCamLayerChoice, ModelFileLimits, ModelSummary } from '../shared/types';
import { computeActivations, type LayerActivation } from './analyses/activations';
import type { PatternModel } from './analyses/filterPatterns';
import type { CamSource } from './analyses/cam/camSource';
import { computeGradCam, describeClassifierOutput, openLayersCamSource, listTargetLayers, type ClassifierOutput, type GradCamMap, type GradCamOptions } from './analyses/gradCam';
import { computeGraphActivations } from './models/graph/graphActivations';
import { computeGraphGradCam, describeGraphClassifierOutput, listGraphTargetNodes, openGraphCamSource } from './models/graph/graphGradCam';
import type { GraphNetwork } from './models/graph/graphNetwork';
import { summarizeGraphModel } from './models/graph/graphSummary';
import { disposeModel } from './models/layers/layersModelBuilder';
import { openModelFile } from './models/modelLoader';
import { summarizeModel } from './models/modelSummary';

type ImageShape = [number, number, number];

export interface LoadedModel {
  readonly summary: ModelSummary;
  /** What filter patterns ascend through (analyses/filterPatterns.ts takes either kind). */
  readonly patternModel: PatternModel;
  /** The outputs of the layers (indices into `summary.layers`) for one preprocessed image. */
  activations(input: Float32Array, inputShape: ImageShape, layerIndices: number[]): Promise<LayerActivation[]>;
  /** The output Grad-CAM explains, and its class count. */
  classifierOutput(): ClassifierOutput;
  /** Every layer or node a heatmap can be computed at. */
  gradCamLayerChoices(): GradCamLayerChoice[];
  gradCam(input: Float32Array, inputShape: ImageShape, options: GradCamOptions): GradCamMap;
  /** What every CAM method is computed from (analyses/cam/): disposed by the caller. */
  camSource(input: Float32Array, inputShape: ImageShape, options: GradCamOptions): CamSource;
  /** Frees the weights: the model must not be used after. */
  dispose(): void;
}

function layersLoadedModel(model: tf.LayersModel, modelPath: string, notes: string[]): LoadedModel {
  return {
    summary: summarizeModel(model, modelPath, notes),
    patternModel: model,
    activations: (input, inputShape, layerIndices) => computeActivations(model, modelPath, input, inputShape, layerIndices),
    classifierOutput: () => describeClassifierOutput(model, modelPath),
    gradCamLayerChoices: () => listTargetLayers(model),
    gradCam: (input, inputShape, options) => computeGradCam(model, modelPath, input, inputShape, options),
    camSource: (input, inputShape, options) => openLayersCamSource(model, modelPath, input, inputShape, options),
    dispose: () => disposeModel(model),
  };
}

function graphLoadedModel(network: GraphNetwork): LoadedModel {
  const summary = summarizeGraphModel(network);
  return {
    summary,
    patternModel: network,
    activations: (input, inputShape, layerIndices) => computeGraphActivations(network, summary, input, inputShape, layerIndices),
    classifierOutput: () => describeGraphClassifierOutput(network),
    gradCamLayerChoices: () => listGraphTargetNodes(network),
    gradCam: (input, inputShape, options) => computeGraphGradCam(network, input, inputShape, options),
    camSource: (input, inputShape, options) => openGraphCamSource(network, input, inputShape, options),
    dispose: () => network.model.dispose(),
  };
}

/** Opens any model file Convscope reads; every problem is an InputError naming the file. */
export async function openLoadedModel(modelPath: string, limits: ModelFileLimits): Promise<LoadedModel> {
  const opened = await openModelFile(modelPath, limits);
  return opened.kind === 'graph' ? graphLoadedModel(opened.model) : layersLoadedModel(opened.model, modelPath, opened.notes);
}
