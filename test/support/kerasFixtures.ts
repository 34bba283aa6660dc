// Model files in the forms real tools write them, made from TF.js models the tests build: model.json
// as Keras 3's converter and older converters write it, Keras 2 HDF5 files and Keras 3 `.keras`
// archives. Each writer follows the layout of the real files in ../shared/realmodels/.
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

type JsonObject = Record<string, unknown>;
type LayerJson = { class_name: string; name?: string; config: JsonObject; inbound_nodes?: unknown[][][] };

/**
 * A small Functional convnet with the layers of real CNNs, named as Keras 2 names them:
 * ZeroPadding2D, Conv2D without bias, BatchNormalization, ReLU6, SeparableConv2D,
 * DepthwiseConv2D, Add, Concatenate, MaxPooling2D, GlobalAveragePooling2D, Dropout, Dense.
 * 12×16 grayscale input (not square). Every weight is random, BatchNormalization's too, so a
 * weight put in the wrong place changes the output.
 */
export function buildKerasStyleConvnet(seed = 3): tf.LayersModel {
  const input = tf.input({ shape: [12, 16, 1], name: 'input_1' });
  const apply = (layer: tf.layers.Layer, inputs: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(inputs) as tf.SymbolicTensor;
  const padded = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'zero_padding2d_1' }), input);
  const conv = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false, name: 'conv2d_1' }), padded);
  const normalised = apply(tf.layers.batchNormalization({ name: 'batch_normalization_1' }), conv);
  const activated = apply(tf.layers.activation({ activation: 'relu6', name: 'activation_1' }), normalised);
  const separable = apply(tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'separable_conv2d_1' }), activated);
  const depthwise = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'depthwise_conv2d_1' }), activated);
  const added = apply(tf.layers.add({ name: 'add_1' }), [separable, depthwise]);
  const joined = apply(tf.layers.concatenate({ name: 'concatenate_1' }), [added, activated]);
  const pooled = apply(tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }), joined);
  const averaged = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d_1' }), pooled);
  const dropped = apply(tf.layers.dropout({ rate: 0.5, name: 'dropout_1' }), averaged);
  const output = apply(tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions' }), dropped);
  const model = tf.model({ inputs: input, outputs: output, name: 'model_1' });
  randomizeWeights(model, seed);
  return model;
}

/** Random values for every weight; scales and variances stay positive. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((weight, i) => {
    const [low, high] = /gamma|variance/.test(weight.originalName) ? [0.5, 1.5] : [-0.5, 0.5];
    const values = tf.randomUniform(weight.shape as number[], low, high, 'float32', seed * 1000 + i);
    weight.write(values);
    values.dispose();
  });
}

/** The model's Keras 2 config (what TF.js and Keras 2 write), as plain JSON. */
export function keras2Config(model: tf.LayersModel): { class_name: string; config: JsonObject & { layers: LayerJson[] } } {
  return model.toJSON(null, false) as never;
}

const dtypePolicy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

/**
 * The same config as Keras 3 writes it: `batch_shape`, DTypePolicy objects, `module` /
 * `registered_name` / `build_config` keys, the new `inbound_nodes` form, a single input and output
 * as one triple, and a Sequential's input as an InputLayer of its own.
 */
export function keras3Config(model: tf.LayersModel): JsonObject {
  const { class_name: className, config } = keras2Config(model);
  if (className === 'Sequential') {
    const layers = config.layers.map(keras3Layer);
    const first = layers[0].config;
    delete first.batch_input_shape;
    const input = { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: model.inputs[0].shape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' }, registered_name: null };
    return { module: 'keras', class_name: 'Sequential', config: { name: config.name, trainable: true, dtype: dtypePolicy('float32'), layers: [input, ...layers] }, registered_name: null };
  }
  const single = (list: unknown) => (Array.isArray(list) && list.length === 1 ? list[0] : list);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: config.name, trainable: true, layers: config.layers.map(keras3Layer), input_layers: single(config.input_layers), output_layers: single(config.output_layers) },
    registered_name: 'Functional',
  };
}

/** A Sequential inside another, as Keras 3 writes it: its input shape as `build_input_shape`, not on a layer. */
function keras3NestedSequential(config: JsonObject & { layers: LayerJson[] }): JsonObject {
  const layers = config.layers.map(keras3Layer);
  const buildInputShape = layers[0].config.batch_input_shape;
  delete layers[0].config.batch_input_shape;
  return { name: config.name, trainable: true, dtype: dtypePolicy('float32'), layers, build_input_shape: buildInputShape };
}

function keras3Layer(layer: LayerJson): { config: JsonObject } & JsonObject {
  if (layer.class_name === 'Sequential') return { module: 'keras', class_name: 'Sequential', config: keras3NestedSequential(layer.config as JsonObject & { layers: LayerJson[] }), registered_name: null };
  const config: JsonObject = {};
  for (const [key, value] of Object.entries(layer.config)) {
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    config[key] = isObject && 'class_name' in value ? { module: 'keras.initializers', ...value, registered_name: null } : value;
  }
  if (layer.class_name === 'InputLayer') {
    config.batch_shape = config.batch_input_shape;
    delete config.batch_input_shape;
  } else {
    config.dtype = dtypePolicy(String(config.dtype ?? 'float32'));
  }
  const result = { module: 'keras.layers', class_name: layer.class_name, config, registered_name: null, build_config: { input_shape: null } } as { config: JsonObject } & JsonObject;
  if (layer.inbound_nodes) {
    result.name = layer.name;
    result.inbound_nodes = layer.inbound_nodes.map((node) => {
      const tensors = node.map(([name, nodeIndex, tensorIndex]) => ({ class_name: '__keras_tensor__', config: { shape: [], dtype: 'float32', keras_history: [name, nodeIndex, tensorIndex] } }));
      return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
    });
  }
  return result;
}

export interface NamedWeight {
  name: string;
  tensor: tf.Tensor;
}

/** The model's weights under the names TF.js gives them, in model order. */
export function namedWeights(model: tf.LayersModel): NamedWeight[] {
  return model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read() }));
}

/** Writes a model.json and one weights file as a converter would, with the topology and weight names given. */
export async function writeModelJson(
  folder: string,
  modelTopology: unknown,
  weights: NamedWeight[],
  options: { format?: string; weightsFile?: string; extra?: JsonObject } = {},
): Promise<string> {
  await mkdir(folder, { recursive: true });
  const weightsFile = options.weightsFile ?? 'group1-shard1of1.bin';
  const { data, specs } = await tf.io.encodeWeights(weights);
  await writeFile(path.join(folder, weightsFile), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
  const json: JsonObject = { ...(options.format ? { format: options.format } : {}), ...options.extra, modelTopology, weightsManifest: [{ paths: [weightsFile], weights: specs }] };
  const modelPath = path.join(folder, 'model.json');
  await writeFile(modelPath, JSON.stringify(json));
  return modelPath;
}

async function h5wasm() {
  const { default: module } = await import('h5wasm/node');
  await module.ready;
  return module;
}

/**
 * A Keras 2 HDF5 model file: `model_config`, and each layer's weights at
 * `model_weights/<layer>/<layer>_1/<weight>:0` (the numbered scope Keras 2 gives a model rebuilt
 * in a session) or, for a nested model, `model_weights/<model>/<inner layer>/<weight>:0`, listed
 * by `weight_names`; optimizer state beside them.
 */
export async function writeKerasH5(file: string, model: tf.LayersModel, modelConfig: unknown = keras2Config(model), options: { nestedLayerByLayer?: boolean } = {}): Promise<void> {
  const h5 = await h5wasm();
  const out = new h5.File(file, 'w');
  try {
    out.create_attribute('keras_version', '2.1.6');
    out.create_attribute('backend', 'tensorflow');
    out.create_attribute('model_config', JSON.stringify(modelConfig));
    out.create_attribute('training_config', JSON.stringify({ optimizer_config: { class_name: 'Adam', config: { lr: 0.001 } }, loss: 'categorical_crossentropy' }));
    const weightsGroup = out.create_group('model_weights');
    weightsGroup.create_attribute('layer_names', model.layers.map((layer) => layer.name));
    const optimizerGroup = out.create_group('optimizer_weights');
    for (const layer of model.layers) {
      const group = weightsGroup.create_group(layer.name);
      // A nested model is one group: its layers' weights under their own names, in its `weights` order
      // (trainable first, as Keras 2 lists them) unless `nestedLayerByLayer` asks for its layers' order.
      const nested = layer instanceof tf.LayersModel;
      const weights = nested && options.nestedLayerByLayer ? layer.layers.flatMap((inner) => inner.weights) : layer.weights;
      const names = weights.map((weight) => (nested ? weight.originalName : `${layer.name}_1/${weight.originalName.split('/').at(-1)}`) + ':0');
      group.create_attribute('weight_names', names);
      for (const scope of new Set(names.map((name) => name.split('/')[0]))) group.create_group(scope);
      for (const [i, weight] of weights.entries()) {
        const values = weight.read().dataSync() as Float32Array;
        group.create_dataset({ name: names[i], data: values, shape: weight.shape as number[], dtype: '<f' });
        optimizerGroup.create_dataset({ name: `${layer.name}_${i}_m`, data: new Float32Array(values.length), shape: weight.shape as number[], dtype: '<f' });
      }
    }
  } finally {
    out.close();
  }
}

/** An HDF5 file of weights only (`model.save_weights`): layer groups at the root, no model config. */
export async function writeKerasWeightsOnlyH5(file: string, model: tf.LayersModel): Promise<void> {
  const h5 = await h5wasm();
  const out = new h5.File(file, 'w');
  try {
    out.create_attribute('layer_names', model.layers.map((layer) => layer.name));
    for (const layer of model.layers) out.create_group(layer.name).create_attribute('weight_names', []);
  } finally {
    out.close();
  }
}

/**
 * A Keras 3 `.keras` archive: config.json, metadata.json and model.weights.h5 with each layer's
 * variables at `layers/<layer>/vars/<position>` (nested models' layers under
 * `layers/<model>/layers/…`), the model's own empty `vars` and optimizer state beside them.
 */
export async function writeKerasArchive(file: string, model: tf.LayersModel, config: unknown = keras3Config(model)): Promise<void> {
  const h5 = await h5wasm();
  const weightsFile = `${file}.weights.h5`;
  const out = new h5.File(weightsFile, 'w');
  try {
    const writeLayers = (group: ReturnType<typeof out.create_group>, container: tf.LayersModel) => {
      const layersGroup = group.create_group('layers');
      for (const layer of container.layers) {
        if (layer.getClassName() === 'InputLayer') continue;
        const layerGroup = layersGroup.create_group(layer.name);
        if (layer instanceof tf.LayersModel) {
          writeLayers(layerGroup, layer);
          continue;
        }
        const vars = layerGroup.create_group('vars');
        layer.weights.forEach((weight, i) => vars.create_dataset({ name: String(i), data: weight.read().dataSync() as Float32Array, shape: weight.shape as number[], dtype: '<f' }));
      }
    };
    writeLayers(out, model);
    out.create_group('vars');
    out.create_group('optimizer').create_group('vars').create_dataset({ name: '0', data: new Float32Array([1]), shape: [], dtype: '<f' });
  } finally {
    out.close();
  }
  const weights = new Uint8Array(await readFile(weightsFile));
  await rm(weightsFile);
  const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  await writeFile(file, zipSync({ 'metadata.json': text({ keras_version: '3.10.0' }), 'config.json': text(config), 'model.weights.h5': weights }));
}
