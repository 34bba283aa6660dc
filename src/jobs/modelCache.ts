// Keeps the most recently used model loaded, so a second run on the same file (another image,
// other layers) does not read and build it again. Only one model is kept: its weights are the only
// tensors that outlive a job.
import { openLoadedModel, type LoadedModel } from '../engine/loadedModel';
import type { ModelFileLimits } from '../shared/types';
import { fileStamp } from '../files/fileStamp';

interface CacheEntry {
  loaded: LoadedModel;
  modelPath: string;
  fingerprint: string;
}

let cached: CacheEntry | undefined;

export async function loadModelCached(modelPath: string, limits: ModelFileLimits): Promise<LoadedModel> {
  const fingerprint = (await fileStamp(modelPath)) ?? 'missing';
  if (cached && cached.modelPath === modelPath && cached.fingerprint === fingerprint) return cached.loaded;
  releaseCachedModel();
  cached = { loaded: await openLoadedModel(modelPath, limits), modelPath, fingerprint };
  return cached.loaded;
}

export function releaseCachedModel(): void {
  const entry = cached;
  cached = undefined;
  entry?.loaded.dispose();
}
