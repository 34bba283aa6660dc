// Keeps the most recently used model loaded, so a second run on the same file (another image,
// other layers) does not read and build it again. Only one model is kept: its weights are the only
// tensors that outlive a job.
import type * as tf from '@tensorflow/tfjs';
import { stat } from 'node:fs/promises';
import type { ModelFileLimits } from '../engine/layersModelLoader';
import { disposeModel } from '../engine/layersModelBuilder';
import { loadModelFromFile } from '../engine/modelLoader';
import { summarizeModel } from '../engine/modelSummary';
import type { ModelSummary } from '../engine/types';

export interface LoadedModel {
  model: tf.LayersModel;
  summary: ModelSummary;
}

interface CacheEntry extends LoadedModel {
  modelPath: string;
  fingerprint: string;
}

let cached: CacheEntry | undefined;

async function fingerprintOf(modelPath: string): Promise<string> {
  const info = await stat(modelPath).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

export async function loadModelCached(modelPath: string, limits: ModelFileLimits): Promise<LoadedModel> {
  const fingerprint = await fingerprintOf(modelPath);
  if (cached && cached.modelPath === modelPath && cached.fingerprint === fingerprint) return cached;
  releaseCachedModel();
  const { model, notes } = await loadModelFromFile(modelPath, limits);
  cached = { modelPath, fingerprint, model, summary: summarizeModel(model, modelPath, notes) };
  return cached;
}

export function releaseCachedModel(): void {
  const model = cached?.model;
  cached = undefined;
  if (model) disposeModel(model);
}
