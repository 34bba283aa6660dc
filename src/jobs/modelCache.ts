// Keeps the most recently used model loaded, so a second run on the same file (another image,
// other layers) does not read and build it again. Only one model is kept: its weights are the only
// tensors that outlive a job.
import { stat } from 'node:fs/promises';
import { summarizeGraphModel } from '../engine/models/graph/graphSummary';
import type { ModelFileLimits } from '../engine/models/layers/layersModelLoader';
import { disposeModel } from '../engine/models/layers/layersModelBuilder';
import { openModelFile, type ModelOfKind, type OpenedModel } from '../engine/models/modelLoader';
import { summarizeModel } from '../engine/models/modelSummary';
import type { ModelSummary } from '../shared/types';

/** A layers model (`kind: 'layers'`, a tf.LayersModel) or a graph model (`kind: 'graph'`, see engine/graphModel), with its summary. */
export type LoadedModel = ModelOfKind & { summary: ModelSummary };

type CacheEntry = LoadedModel & {
  modelPath: string;
  fingerprint: string;
};

let cached: CacheEntry | undefined;

async function fingerprintOf(modelPath: string): Promise<string> {
  const info = await stat(modelPath).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

function summarize(opened: OpenedModel, modelPath: string): ModelSummary {
  return opened.kind === 'graph' ? summarizeGraphModel(opened.model) : summarizeModel(opened.model, modelPath, opened.notes);
}

export async function loadModelCached(modelPath: string, limits: ModelFileLimits): Promise<LoadedModel> {
  const fingerprint = await fingerprintOf(modelPath);
  if (cached && cached.modelPath === modelPath && cached.fingerprint === fingerprint) return cached;
  releaseCachedModel();
  const opened = await openModelFile(modelPath, limits);
  const summary = summarize(opened, modelPath);
  cached = opened.kind === 'graph' ? { kind: 'graph', model: opened.model, summary, modelPath, fingerprint } : { kind: 'layers', model: opened.model, summary, modelPath, fingerprint };
  return cached;
}

export function releaseCachedModel(): void {
  const entry = cached;
  cached = undefined;
  if (entry?.kind === 'layers') disposeModel(entry.model);
  if (entry?.kind === 'graph') entry.model.model.dispose();
}
