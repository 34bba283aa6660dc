// The entry points that open a model file of any kind Convscope reads, chosen by extension and,
// for other names, by the file's first bytes; a model.json by its format.
import type * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { InputError } from '../../shared/errors';
import { HDF5_SIGNATURE, ZIP_SIGNATURE, fileStartsWith } from './fileSignature';
import { loadGraphModelFromJson } from './graph/graphModelLoader';
import type { GraphNetwork } from './graph/graphNetwork';
import { loadKerasArchive } from './layers/kerasArchiveLoader';
import { loadKerasH5File } from './layers/kerasH5Loader';
import type { BuiltModel } from './layers/layersModelBuilder';
import { isGraphModelJson, loadLayersModelFromFile, loadLayersModelFromJson, readModelJson, statModelFile } from './layers/layersModelLoader';
import { DEFAULT_MODEL_LIMITS } from '../../shared/defaults';
import type { ModelFileLimits } from '../../shared/types';

type ModelFileKind = 'layers-json' | 'keras-h5' | 'keras-archive';

const KIND_BY_EXTENSION: Record<string, ModelFileKind> = {
  '.json': 'layers-json',
  '.h5': 'keras-h5',
  '.hdf5': 'keras-h5',
  '.keras': 'keras-archive',
};

const LOADERS: Record<ModelFileKind, (file: string, limits: ModelFileLimits) => Promise<BuiltModel>> = {
  'layers-json': loadLayersModelFromFile,
  'keras-h5': loadKerasH5File,
  'keras-archive': loadKerasArchive,
};

async function modelFileKind(file: string): Promise<ModelFileKind> {
  const byExtension = KIND_BY_EXTENSION[path.extname(file).toLowerCase()];
  if (byExtension) return byExtension;
  await statModelFile(file, 'model file');
  if (await fileStartsWith(file, HDF5_SIGNATURE)) return 'keras-h5';
  if (await fileStartsWith(file, ZIP_SIGNATURE)) return 'keras-archive';
  if (await fileStartsWith(file, new TextEncoder().encode('{'))) return 'layers-json';
  throw new InputError(file, 'is not a model file Convscope reads (a TF.js model.json, a Keras .h5 / .hdf5 or a .keras archive)');
}

/** A model as the jobs run it: a layers model (from any layers format) or a graph model. */
export type ModelOfKind = { kind: 'layers'; model: tf.LayersModel } | { kind: 'graph'; model: GraphNetwork };

export type OpenedModel = ModelOfKind & { notes: string[] };

/** Opens any model file Convscope reads, graph models included; every problem is an InputError naming the file. */
export async function openModelFile(file: string, limits: ModelFileLimits = DEFAULT_MODEL_LIMITS): Promise<OpenedModel> {
  const kind = await modelFileKind(file);
  if (kind !== 'layers-json') return { kind: 'layers', ...(await LOADERS[kind](file, limits)) };
  const json = await readModelJson(file, limits);
  if (isGraphModelJson(json)) {
    const network = await loadGraphModelFromJson(file, json, limits);
    return { kind: 'graph', model: network, notes: network.notes };
  }
  return { kind: 'layers', ...(await loadLayersModelFromJson(file, json, limits)) };
}

/** Opens a TF.js layers model.json, a Keras HDF5 file or a .keras archive as a layers model; every problem is an InputError naming the file. */
export async function loadModelFromFile(file: string, limits: ModelFileLimits = DEFAULT_MODEL_LIMITS): Promise<BuiltModel> {
  return LOADERS[await modelFileKind(file)](file, limits);
}
