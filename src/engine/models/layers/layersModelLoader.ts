// Loads a TF.js layers-format model.json and its weight shards from disk, checking every file it
// reads (confined to the model's folder, sizes matching the manifest) so that every problem names
// the file at fault.
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { resolveInsideFolder } from '../../../files/confinedPath';
import { readRegularFile, statRegularFile } from '../../../files/regularFile';
import { InputError } from '../../../shared/errors';
import { parseConfigJson } from '../configJson';
import { buildLayersModel, type BuiltModel, type WeightSource } from './layersModelBuilder';
import { expectedWeightBytes, parseWeightsManifest, weightByteLength, type WeightSpec, type WeightsManifestGroup } from '../weightsManifest';
import { DEFAULT_MODEL_LIMITS } from '../../../shared/defaults';
import { ModelFileLimits } from '../../../shared/types';



/** Weight files one manifest may list: converters write 4 MiB shards, so 1024 of them is 4 GiB, twice the weight limit. */
export const MAX_WEIGHT_FILES = 1024;

export interface ModelJson {
  format?: unknown;
  modelTopology?: unknown;
  weightsManifest?: unknown;
  signature?: unknown;
  modelInitializer?: unknown;
}

/** A TF.js graph model (op nodes, no layers): engine/graphModel reads those. */
export function isGraphModelJson(json: ModelJson): boolean {
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  return json.format === 'graph-model' || Array.isArray(topology?.node);
}

export async function readModelJson(modelPath: string, limits: ModelFileLimits): Promise<ModelJson> {
  const bytes = await readRegularFile(modelPath, 'model file', {
    maxBytes: limits.maxModelJsonBytes,
    tooLarge: (size) => `is ${formatBytes(size)}, over the ${formatBytes(limits.maxModelJsonBytes)} limit for a model.json`,
  });
  const parsed = parseConfigJson(bytes.toString('utf8'), modelPath, 'is not valid JSON');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(modelPath, 'is not a TF.js model (expected a JSON object with "modelTopology")');
  }
  return parsed as ModelJson;
}

function checkIsLayersModel(json: ModelJson, modelPath: string): Record<string, unknown> {
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  if (isGraphModelJson(json)) {
    throw new InputError(modelPath, 'is a TF.js graph model (operations only, no layers); Convscope needs a layers model (format "layers-model")');
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new InputError(modelPath, `has format ${JSON.stringify(json.format)}; Convscope needs a TF.js layers model ("layers-model")`);
  }
  if (topology === null || typeof topology !== 'object') {
    throw new InputError(modelPath, 'is not a TF.js layers model: it has no "modelTopology" object');
  }
  const config = (topology.model_config ?? topology) as Record<string, unknown>;
  if (typeof config.class_name !== 'string' || config.config === undefined) {
    throw new InputError(modelPath, 'is not a TF.js layers model: "modelTopology" has no Keras model config (class_name, config)');
  }
  return topology;
}

/**
 * Reads every shard, after checking that the weights fit the limit both as stored and as decoded
 * (quantized weights take two or four times their stored bytes once dequantized to float32) and
 * that the regular files on disk hold exactly the bytes the manifest declares.
 */
export async function readWeightData(modelPath: string, groups: WeightsManifestGroup[], limits: ModelFileLimits): Promise<ArrayBuffer> {
  const folder = path.dirname(modelPath);
  const expected = expectedWeightBytes(groups);
  if (expected > limits.maxWeightBytes) {
    throw new InputError(modelPath, `declares ${formatBytes(expected)} of weights, over the ${formatBytes(limits.maxWeightBytes)} limit (setting convscope.limits.maxWeightMegabytes)`);
  }
  checkWeightBytes(modelPath, groups.flatMap((group) => group.weights), limits, 'declares');
  const fileCount = groups.reduce((count, group) => count + group.paths.length, 0);
  if (fileCount > MAX_WEIGHT_FILES) throw new InputError(modelPath, `lists ${fileCount} weight files, over the limit of ${MAX_WEIGHT_FILES}`);
  const shardPaths: string[] = [];
  for (const group of groups) {
    for (const relative of group.paths) shardPaths.push(await resolveInsideFolder(folder, relative, modelPath));
  }
  const what = `weight file named in ${path.basename(modelPath)}`;
  let onDisk = 0;
  for (const shard of shardPaths) onDisk += (await statModelFile(shard, what)).size;
  const sizeMismatch = (bytes: number) => {
    const shardList = shardPaths.map((p) => path.basename(p)).join(', ');
    return new InputError(
      modelPath,
      `its weight files (${shardList}) hold ${bytes} bytes but the manifest declares ${expected}: a shard is truncated, missing data or belongs to another model`,
    );
  };
  if (onDisk !== expected) throw sizeMismatch(onDisk);
  const data = new Uint8Array(expected);
  let offset = 0;
  for (const shard of shardPaths) {
    // Read as it is now, never past the declared total: a shard may change after the sizes were checked.
    const bytes = await readRegularFile(shard, what, { maxBytes: expected - offset, tooLarge: () => sizeMismatch(onDisk + 1).problem });
    data.set(bytes, offset);
    offset += bytes.byteLength;
  }
  if (offset !== expected) throw sizeMismatch(offset);
  return data.buffer;
}

/**
 * Opens a TF.js layers model.json: the topology may come from Keras 2 or 3 (any converter), and
 * weights are matched to the model by name where they can be, else by order and shape.
 */
export async function loadLayersModelFromFile(modelPath: string, limits: ModelFileLimits = DEFAULT_MODEL_LIMITS): Promise<BuiltModel> {
  return loadLayersModelFromJson(modelPath, await readModelJson(modelPath, limits), limits);
}

/** As loadLayersModelFromFile, for a model.json already read. */
export async function loadLayersModelFromJson(modelPath: string, json: ModelJson, limits: ModelFileLimits): Promise<BuiltModel> {
  const modelTopology = checkIsLayersModel(json, modelPath);
  const groups = parseWeightsManifest(json.weightsManifest, modelPath);
  const weightData = await readWeightData(modelPath, groups, limits);
  return buildLayersModel(modelPath, modelTopology, manifestWeights(groups, weightData));
}

/** The manifest's model weights (optimizer state left out), each decoded from its own bytes when read. */
function manifestWeights(groups: WeightsManifestGroup[], weightData: ArrayBuffer): WeightSource {
  const specs: WeightSpec[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const group of groups) {
    for (const spec of group.weights) {
      if (spec.group !== 'optimizer') {
        specs.push(spec);
        offsets.push(offset);
      }
      offset += weightByteLength(spec);
    }
  }
  return {
    weights: specs.map((spec) => ({ name: spec.name, shape: spec.shape })),
    read: (index) => {
      const spec = specs[index];
      const bytes = weightData.slice(offsets[index], offsets[index] + weightByteLength(spec));
      const decoded = tf.io.decodeWeights(bytes, [spec as tf.io.WeightsManifestEntry])[spec.name];
      if (decoded.dtype === 'float32') return decoded;
      // Weights stored as int32 or bool are read as the float32 values the model computes with.
      const values = tf.cast(decoded, 'float32');
      decoded.dispose();
      return values;
    },
    rules: ['exact', 'layer', 'layer-suffix', 'order'],
  };
}

/** Refuses a model whose weights, as float32 tensors, would exceed the weight limit, before any is read. */
export function checkWeightBytes(file: string, weights: { shape: number[] }[], limits: ModelFileLimits, verb = 'holds'): void {
  const bytes = weights.reduce((sum, weight) => sum + weight.shape.reduce((product, dim) => product * dim, 1) * 4, 0);
  if (bytes > limits.maxWeightBytes) throw new InputError(file, `${verb} ${formatBytes(bytes)} of weights as float32, over the ${formatBytes(limits.maxWeightBytes)} limit (setting convscope.limits.maxWeightMegabytes)`);
}

/** The file's stat, after checking it exists and is a regular file (no FIFO, device or folder); `what` says what it is in messages. */
export const statModelFile = statRegularFile;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
