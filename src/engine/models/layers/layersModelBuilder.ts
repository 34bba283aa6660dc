// Builds a TF.js LayersModel from a Keras model config and fills its variables from a file's stored
// weights: the one path every model format (model.json, HDF5, .keras) goes through. The config is
// normalised first (kerasTopology.ts) and the weights are matched by our own rules
// (weightMatching.ts), because TF.js alone reads neither Keras 3 configs nor weight names that
// differ from its own.
import * as tf from '@tensorflow/tfjs';
import { installTfjsPatches } from '../../tfjs/installTfjsPatches';
import { checkingVariables, type VariableCheck } from '../../tfjs/variableCheck';
import { InputError, describeError } from '../../../shared/errors';
import { MAX_OUTPUT_ELEMENTS_PER_IMAGE } from '../../../shared/defaults';
import { TopologyError, normaliseKerasTopology, type Json } from './kerasTopology';
import { WeightMatchError, describeWeightMatch, matchWeights, type LayerSlots, type MatchRule, type ModelLayout, type StoredWeight } from './weightMatching';

/** A file's weights: what they are, and each one's values on demand. */
export interface WeightSource {
  weights: StoredWeight[];
  /** The stored weight's values as a float32 tensor of its shape; the caller disposes it. */
  read(index: number): tf.Tensor;
  /** Matching rules to try, the file format's own first (a match by it is not worth a note). */
  rules: MatchRule[];
}

export interface BuiltModel {
  model: tf.LayersModel;
  /** What the user should know about how the file was read (converted config, matched weights). */
  notes: string[];
}

export async function buildLayersModel(file: string, modelConfig: unknown, source: WeightSource): Promise<BuiltModel> {
  let normalised;
  try {
    normalised = normaliseKerasTopology(modelConfig);
  } catch (error) {
    if (error instanceof TopologyError) throw new InputError(file, error.message);
    throw error;
  }
  checkLayerClasses(normalised.topology, file);
  let model: tf.LayersModel;
  const { building, variables: created } = withWeightBudget(weightBudgetBytes(source.weights), () =>
    tf.models.modelFromJSON({ modelTopology: forInferenceOnly(normalised.topology) as tf.serialization.ConfigDict }),
  );
  try {
    model = await building;
  } catch (error) {
    // The layers built before the one that failed hold variables no model owns.
    const live = tf.engine().registeredVariables;
    for (const name of created) live[name]?.dispose();
    if (error instanceof WeightBudgetError) throw new InputError(file, error.message);
    // TF.js messages can run over several lines; the first says what is wrong, the rest goes to the log via `cause`.
    throw new InputError(file, `TF.js could not build the model from it: ${describeError(error).split('\n')[0]}`, { cause: error });
  }
  try {
    checkOutputShapes(model, file);
    const { variables, layout } = modelLayout(model);
    const match = matchWeights(layout, source.weights, source.rules);
    variables.forEach((variable, v) => {
      const values = source.read(match.storedIndexOf[v]);
      try {
        if (values.dtype !== variable.dtype) {
          throw new InputError(file, `its weight "${source.weights[match.storedIndexOf[v]].name}" holds ${values.dtype} values, but the model's "${variable.originalName}" is ${variable.dtype}`);
        }
        variable.write(values);
      } finally {
        values.dispose();
      }
    });
    return { model, notes: [...normalised.notes, ...describeWeightMatch(match, layout.variables, source.weights, source.rules[0])] };
  } catch (error) {
    disposeModel(model);
    if (error instanceof WeightMatchError) throw new InputError(file, `its weights do not fit the model: the file ${error.message}`);
    throw error;
  }
}

/**
 * Disposes a model and every variable of it. TF.js counts a layer's calls and frees its weights
 * only when `dispose` has been called as often, so a layer called twice (shared) would keep them.
 */
export function disposeModel(model: tf.LayersModel): void {
  const weights = model.weights;
  model.dispose();
  const live = tf.engine().registeredVariables;
  for (const weight of weights) if (live[weight.name]) weight.dispose();
}

/** Thrown while TF.js builds a model whose config asks for variables the file cannot fill. */
class WeightBudgetError extends Error {
  override readonly name = 'WeightBudgetError';
}

/**
 * What the model's variables may take while it is built: the file's weights as float32 (every
 * variable must take one of them, of its shape), plus room for a config that is only a little off,
 * so that weight matching can say which variable has no value.
 */
function weightBudgetBytes(weights: StoredWeight[]): number {
  return weights.reduce((sum, weight) => sum + weight.shape.reduce((product, dim) => product * dim, 1) * 4, 0) + WEIGHT_BUDGET_SLACK_BYTES;
}

const WEIGHT_BUDGET_SLACK_BYTES = 64 * 1024 * 1024;

/**
 * Starts `build` under a weight budget. It must build synchronously, as modelFromJSON does before
 * its first await: the budget holds only until it returns its promise. Also returns the names of
 * the variables made meanwhile, which are the model's (nothing else runs in between).
 */
function withWeightBudget<T>(totalBytes: number, build: () => Promise<T>): { building: Promise<T>; variables: string[] } {
  installTfjsPatches();
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  let bytesLeft = totalBytes;
  const checkVariable: VariableCheck = (layerName, weightName, shape) => {
    if (!Array.isArray(shape) || !shape.every((dim) => typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0)) {
      throw new WeightBudgetError(`layer "${layerName}" would need a weight "${weightName}" of shape ${JSON.stringify(shape)}, which is not a list of whole numbers`);
    }
    bytesLeft -= (shape as number[]).reduce((product, dim) => product * dim, 1) * 4;
    if (bytesLeft < 0) {
      throw new WeightBudgetError(
        `layer "${layerName}" would need a weight "${weightName}" of shape [${shape.join(', ')}], far more weight data than the file stores (the model's variables would pass ${formatSize(totalBytes)}): the config does not fit the weights`,
      );
    }
  };
  const building = checkingVariables(checkVariable, build);
  return { building, variables: Object.keys(tf.engine().registeredVariables).filter((name) => !before.has(name)) };
}

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Every layer's output shape must be whole numbers (or unknown, `null`), and not too large for
 * one image: TF.js computes shapes from the config without checking them, and a tensor of an
 * impossible size corrupts the WASM backend's memory instead of failing. Free dimensions count as
 * 1 here; every job checks again with the image size it uses (layerOutputSizes.ts).
 */
function checkOutputShapes(model: tf.LayersModel, file: string): void {
  const visit = (container: tf.LayersModel) => {
    for (const layer of container.layers) {
      let shapes: unknown;
      try {
        shapes = layer.outputShape;
      } catch {
        continue; // A layer called more than once has no single output shape; each call's shape comes from its inputs.
      }
      const list = (Array.isArray(shapes) && Array.isArray(shapes[0]) ? shapes : [shapes]) as unknown[];
      for (const shape of list) {
        const dims = Array.isArray(shape) ? shape.slice(1) : [];
        if (!Array.isArray(shape) || !dims.every((dim) => dim === null || (Number.isSafeInteger(dim) && dim >= 0))) {
          throw new InputError(file, `layer "${layer.name}" has an impossible output shape ${JSON.stringify(shape)}`);
        }
        const elements = (dims as (number | null)[]).reduce<number>((product, dim) => product * (dim ?? 1), 1);
        if (elements > MAX_OUTPUT_ELEMENTS_PER_IMAGE) {
          throw new InputError(file, `layer "${layer.name}" has an output of ${elements.toExponential(2)} values per image ${JSON.stringify(shape)}, over the limit of ${MAX_OUTPUT_ELEMENTS_PER_IMAGE}`);
        }
      }
      if (layer instanceof tf.LayersModel) visit(layer);
    }
  };
  visit(model);
}

/** Names the first layer whose class TF.js does not have (a custom layer, or one TF.js lacks). */
function checkLayerClasses(topology: Json, file: string): void {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  const visit = (layer: Json) => {
    if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) return;
    const className = String(layer.class_name);
    const config = layer.config as { name?: unknown; layers?: Json[] } | null;
    if (!(className in known)) {
      throw new InputError(file, `layer "${String(config?.name ?? layer.name)}" is a ${className}, a layer class TF.js does not have (custom or not supported)`);
    }
    config?.layers?.forEach(visit);
  };
  visit(topology);
}

/**
 * Every variable is overwritten from the file, so initializers only cost time (and Keras 3 names
 * some that TF.js lacks): all become zeros. Regularizers only matter in training: dropped.
 */
function forInferenceOnly(value: Json): Json {
  if (Array.isArray(value)) return value.map(forInferenceOnly);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, Json> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('_initializer') && inner !== null) result[key] = { class_name: 'Zeros', config: {} };
    else if (key.endsWith('_regularizer')) result[key] = null;
    else result[key] = forInferenceOnly(inner);
  }
  return result;
}

/** The model's variables, layer by layer (nested models' layers in place), and how tools list them. */
function modelLayout(model: tf.LayersModel): { variables: tf.LayerVariable[]; layout: ModelLayout } {
  const variables: tf.LayerVariable[] = [];
  const indexOf = new Map<tf.LayerVariable, number>();
  const layers: LayerSlots[] = [];
  const visit = (container: tf.LayersModel, prefix: string[]) => {
    for (const layer of container.layers) {
      const path = [...prefix, layer.name];
      if (layer instanceof tf.LayersModel) visit(layer, path);
      for (const variable of layer.weights) {
        if (indexOf.has(variable)) continue;
        indexOf.set(variable, variables.length);
        variables.push(variable);
      }
      layers.push({ path, variables: layer.weights.map((variable) => indexOf.get(variable)!) });
    }
  };
  visit(model, []);
  const slots = variables.map((variable) => ({ name: variable.originalName, shape: variable.shape as number[] }));
  const layerOrder = variables.map((_, v) => v);
  const trainableFirst = model.weights.map((variable) => indexOf.get(variable)!);
  return { variables, layout: { variables: slots, layers, orders: [trainableFirst, layerOrder] } };
}
