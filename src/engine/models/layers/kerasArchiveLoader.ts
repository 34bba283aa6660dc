// Opens a Keras `.keras` archive (Keras 3, and tf.keras 2.13–2.15): a zip holding `config.json`
// (the model config) and `model.weights.h5`, whose weights sit at `layers/<layer>/vars/<position>`
// (`_layer_checkpoint_dependencies/…` in tf.keras 2.x), nested models' layers below their own.
// Members are decompressed as a stream and refused as soon as they grow past their limit, so an
// archive cannot make us inflate more than the limits allow.
import * as tf from '@tensorflow/tfjs';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, describeError } from '../../../shared/errors';
import { ZIP_SIGNATURE, fileStartsWith } from '../fileSignature';
import { Hdf5Reader, type Hdf5Dataset } from './hdf5Reader';
import { buildLayersModel, type BuiltModel } from './layersModelBuilder';
import { checkWeightBytes, formatBytes, statModelFile } from './layersModelLoader';
import type { StoredWeight } from './weightMatching';
import type { ModelFileLimits } from '../../../shared/types';

const CONFIG_MEMBER = 'config.json';
const WEIGHTS_MEMBER = 'model.weights.h5';
/** model.weights.h5 may also hold optimizer state (Adam keeps two values per weight). */
const WEIGHTS_MEMBER_LIMIT_FACTOR = 3;
/** Groups whose children are layers, named after them. */
const LAYER_LIST_GROUPS = new Set(['layers', '_layer_checkpoint_dependencies']);

export async function loadKerasArchive(file: string, limits: ModelFileLimits): Promise<BuiltModel> {
  await statModelFile(file, 'Keras archive');
  if (!(await fileStartsWith(file, ZIP_SIGNATURE))) throw new InputError(file, 'is not a .keras archive (not a zip file)');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'convscope-keras-'));
  try {
    const weightsFile = path.join(scratch, WEIGHTS_MEMBER);
    const configText = await extractMembers(file, weightsFile, limits);
    let modelConfig: unknown;
    try {
      modelConfig = JSON.parse(configText);
    } catch (error) {
      throw new InputError(file, `has a ${CONFIG_MEMBER} that is not valid JSON (${describeError(error)})`);
    }
    const reader = await Hdf5Reader.open(weightsFile, file, limits.hdf5TimeoutMs);
    try {
      const { weights, datasets } = layerVariables(reader);
      checkWeightBytes(file, datasets, limits);
      return await buildLayersModel(file, modelConfig, {
        weights,
        read: (index) => tf.tensor(datasets[index].readFloat32(), datasets[index].shape, 'float32'),
        rules: ['layer-position', 'order'],
      });
    } finally {
      reader.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A member we extract: where its bytes go, and how many it may have. */
interface Target {
  limit: number;
  limitText: string;
  write(chunk: Uint8Array): void;
  complete: boolean;
}

/** Streams the archive once: returns config.json's text and writes model.weights.h5 to `weightsFile`. */
async function extractMembers(file: string, weightsFile: string, limits: ModelFileLimits): Promise<string> {
  const configChunks: Uint8Array[] = [];
  const weightsFd = openSync(weightsFile, 'wx', 0o600);
  const targets = new Map<string, Target>([
    [CONFIG_MEMBER, { limit: limits.maxModelJsonBytes, limitText: 'limit for a model config', write: (chunk) => configChunks.push(chunk), complete: false }],
    [
      WEIGHTS_MEMBER,
      {
        limit: limits.maxWeightBytes * WEIGHTS_MEMBER_LIMIT_FACTOR,
        limitText: `limit (${WEIGHTS_MEMBER_LIMIT_FACTOR}× the weight limit, room for optimizer state)`,
        write: (chunk) => writeSync(weightsFd, chunk),
        complete: false,
      },
    ],
  ]);
  let failure: InputError | undefined;
  const tooLarge = (name: string, target: Target) => new InputError(file, `member ${name} decompresses to more than ${formatBytes(target.limit)}, over the ${target.limitText}`);
  const unzip = new Unzip((member: UnzipFile) => {
    const target = targets.get(member.name);
    // Members not started are skipped without being inflated.
    if (!target || failure) return;
    if (member.originalSize !== undefined && member.originalSize > target.limit) {
      failure = tooLarge(member.name, target);
      return;
    }
    let size = 0;
    member.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = new InputError(file, `member ${member.name} cannot be decompressed (${error.message})`, { cause: error });
        return;
      }
      size += chunk.length;
      // The size in the zip's header is the archive's word; the stream's own length is checked too.
      if (size > target.limit) {
        failure = tooLarge(member.name, target);
        member.terminate();
        return;
      }
      target.write(chunk);
      target.complete = final;
    };
    try {
      member.start();
    } catch (error) {
      failure = new InputError(file, `member ${member.name} uses a compression Convscope cannot read (${describeError(error)})`);
    }
  });
  unzip.register(UnzipInflate);
  const allComplete = () => [...targets.values()].every((target) => target.complete);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      unzip.push(chunk as Uint8Array);
      if (failure || allComplete()) break;
    }
    if (!failure && !allComplete()) unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure ??= new InputError(file, `is not a readable zip archive (${describeError(error)})`, { cause: error });
  } finally {
    closeSync(weightsFd);
  }
  if (failure) throw failure;
  for (const [name, target] of targets) {
    if (!target.complete) throw new InputError(file, `is not a complete Keras archive: it holds no ${name}`);
  }
  return Buffer.concat(configChunks).toString('utf8');
}

/** Every layer's `vars`, depth first, tagged with the layer's path and each variable's position. */
function layerVariables(reader: Hdf5Reader): { weights: StoredWeight[]; datasets: Hdf5Dataset[] } {
  const weights: StoredWeight[] = [];
  const datasets: Hdf5Dataset[] = [];
  const visit = (groupPath: string, layerPath: string[]) => {
    for (const child of reader.children(groupPath) ?? []) {
      const childPath = `${groupPath === '/' ? '' : groupPath}/${child}`;
      if (child === 'vars' && layerPath.length > 0) {
        for (const name of reader.children(childPath) ?? []) {
          const dataset = reader.dataset(`${childPath}/${name}`);
          if (!dataset || !/^\d+$/.test(name)) continue;
          weights.push({ name: `${layerPath.join('/')}/vars/${name}`, shape: dataset.shape, layer: { path: layerPath, position: Number(name) } });
          datasets.push(dataset);
        }
      } else if (LAYER_LIST_GROUPS.has(child)) {
        for (const layer of reader.children(childPath) ?? []) visit(`${childPath}/${layer}`, [...layerPath, layer]);
      }
    }
  };
  visit('/', []);
  return { weights, datasets };
}
