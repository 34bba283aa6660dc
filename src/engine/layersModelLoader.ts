// Loads a TF.js layers-format model.json and its weight shards from disk through our own IO
// handler, so every file it reads is checked (confined to the model's folder, sizes matching the
// manifest) and every problem names the file at fault.
import * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveInsideFolder } from './confinedPath';
import { InputError, describeError } from './errors';
import { expectedWeightBytes, parseWeightsManifest, type WeightsManifestGroup } from './weightsManifest';

export interface ModelFileLimits {
  maxModelJsonBytes: number;
  maxWeightBytes: number;
}

export const DEFAULT_MODEL_LIMITS: ModelFileLimits = {
  maxModelJsonBytes: 64 * 1024 * 1024,
  maxWeightBytes: 2 * 1024 * 1024 * 1024,
};

interface ModelJson {
  format?: unknown;
  modelTopology?: unknown;
  weightsManifest?: unknown;
  generatedBy?: unknown;
  convertedBy?: unknown;
}

export async function readModelJson(modelPath: string, limits: ModelFileLimits): Promise<ModelJson> {
  const info = await statOrFail(modelPath, 'model file');
  if (info.size > limits.maxModelJsonBytes) {
    throw new InputError(modelPath, `is ${formatBytes(info.size)}, over the ${formatBytes(limits.maxModelJsonBytes)} limit for a model.json`);
  }
  const text = await readFile(modelPath, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(modelPath, `is not valid JSON (${describeError(error)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(modelPath, 'is not a TF.js model (expected a JSON object with "modelTopology")');
  }
  return parsed as ModelJson;
}

function checkIsLayersModel(json: ModelJson, modelPath: string): Record<string, unknown> {
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  if (json.format === 'graph-model' || Array.isArray(topology?.node)) {
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

/** Reads every shard, after checking that the files on disk hold exactly the bytes the manifest declares. */
async function readWeightData(modelPath: string, groups: WeightsManifestGroup[], limits: ModelFileLimits): Promise<ArrayBuffer> {
  const folder = path.dirname(modelPath);
  const expected = expectedWeightBytes(groups);
  if (expected > limits.maxWeightBytes) {
    throw new InputError(modelPath, `declares ${formatBytes(expected)} of weights, over the ${formatBytes(limits.maxWeightBytes)} limit`);
  }
  const shardPaths: string[] = [];
  for (const group of groups) {
    for (const relative of group.paths) shardPaths.push(await resolveInsideFolder(folder, relative, modelPath));
  }
  let onDisk = 0;
  for (const shard of shardPaths) onDisk += (await statOrFail(shard, `weight file named in ${path.basename(modelPath)}`)).size;
  if (onDisk !== expected) {
    const shardList = shardPaths.map((p) => path.basename(p)).join(', ');
    throw new InputError(
      modelPath,
      `its weight files (${shardList}) hold ${onDisk} bytes but the manifest declares ${expected}: a shard is truncated, missing data or belongs to another model`,
    );
  }
  const data = new Uint8Array(expected);
  let offset = 0;
  for (const shard of shardPaths) {
    const bytes = await readFile(shard);
    data.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return data.buffer;
}

export async function loadLayersModelFromFile(modelPath: string, limits: ModelFileLimits = DEFAULT_MODEL_LIMITS): Promise<tf.LayersModel> {
  const json = await readModelJson(modelPath, limits);
  const modelTopology = checkIsLayersModel(json, modelPath);
  const groups = parseWeightsManifest(json.weightsManifest, modelPath);
  const weightData = await readWeightData(modelPath, groups, limits);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology,
      format: 'layers-model',
      generatedBy: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
      convertedBy: typeof json.convertedBy === 'string' ? json.convertedBy : undefined,
      weightSpecs: groups.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[],
      weightData,
    }),
  };
  try {
    return await tf.loadLayersModel(handler);
  } catch (error) {
    // TF.js messages can run over several lines; the first says what is wrong, the rest goes to the log via `cause`.
    throw new InputError(modelPath, `TF.js could not build the model from it: ${describeError(error).split('\n')[0]}`, { cause: error });
  }
}

async function statOrFail(file: string, what: string) {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InputError(file, `is not a file (expected the ${what})`);
    return info;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(file, `does not exist (the ${what})`);
    throw new InputError(file, `cannot be read (the ${what}): ${code ?? describeError(error)}`);
  }
}

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
