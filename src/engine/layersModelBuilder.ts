// Builds a TF.js LayersModel from a Keras model config and fills its variables from a file's stored
// weights: the one path every model format (model.json, HDF5, .keras) goes through. The config is
// normalised first (kerasTopology.ts) and the weights are matched by our own rules
// (weightMatching.ts), because TF.js alone reads neither Keras 3 configs nor weight names that
// differ from its own.
import * as tf from '@tensorflow/tfjs';
import { InputError, describeError } from './errors';
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
  try {
    model = await tf.models.modelFromJSON({ modelTopology: forInferenceOnly(normalised.topology) as tf.serialization.ConfigDict });
  } catch (error) {
    // TF.js messages can run over several lines; the first says what is wrong, the rest goes to the log via `cause`.
    throw new InputError(file, `TF.js could not build the model from it: ${describeError(error).split('\n')[0]}`, { cause: error });
  }
  try {
    const { variables, layout } = modelLayout(model);
    const match = matchWeights(layout, source.weights, source.rules);
    variables.forEach((variable, v) => {
      const values = source.read(match.storedIndexOf[v]);
      try {
        variable.write(values);
      } finally {
        values.dispose();
      }
    });
    return { model, notes: [...normalised.notes, ...describeWeightMatch(match, layout.variables, source.weights, source.rules[0])] };
  } catch (error) {
    model.dispose();
    if (error instanceof WeightMatchError) throw new InputError(file, `its weights do not fit the model: the file ${error.message}`);
    throw error;
  }
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
