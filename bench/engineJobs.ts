// Runs one workload as the extension does: a job sent to the engine worker through EngineClient.
// The time reported is the job's own measure of the engine work (computeActivations, the filter
// ascent, computeGradCam), excluding model loading, image decoding and PNG rendering; the job's
// wall time as the host sees it is kept beside it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EngineClient } from '../src/host/engineClient';
import type { Workload } from './workloads';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../src/shared/defaults';

const LIMITS = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

export interface JobTiming {
  engineMs: number;
  wallMs: number;
  backend: string;
  preprocess: string;
  /** Filter jobs: filters optimised together. */
  batchSize?: number;
  /** Grad-CAM: the layer the engine chose. */
  layer?: string;
  /** Dataset jobs: images predicted, and the job's own rate over everything it does (reading, thumbnails included). */
  images?: number;
  jobImagesPerSecond?: number;
}

export interface JobInputs {
  modelPath: string;
  imagePath: string;
  /** Filter jobs: gradient-ascent steps in this job. */
  steps?: number;
  /** Dataset jobs: the folder of images (see datasetImages.ts). */
  datasetFolder?: string;
}

export async function runWorkloadJob(engine: EngineClient, workload: Workload, inputs: JobInputs): Promise<JobTiming> {
  const started = performance.now();
  const wallMs = () => performance.now() - started;
  switch (workload.kind) {
    case 'activations': {
      const { info } = await engine.runActivations(
        { modelPath: inputs.modelPath, imagePath: inputs.imagePath, layers: { first: Number.MAX_SAFE_INTEGER }, colormap: 'viridis', imagesPerRow: 16, limits: LIMITS, thumbnailSize: 0 },
        {},
      );
      return { engineMs: info.timings.forwardMs, wallMs: wallMs(), backend: info.backend, preprocess: info.preprocess };
    }
    case 'filterSteps': {
      const { info } = await engine.runFilterPatterns(
        {
          modelPath: inputs.modelPath,
          layerName: workload.layer,
          filters: Array.from({ length: workload.filterCount }, (_, i) => i),
          // The study notes' algorithm, whatever the extension's default preset: PyTorch's reference mirrors it.
          parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size: workload.size, steps: inputs.steps ?? workload.steps },
          limits: { model: LIMITS.model },
        },
        {},
      );
      return { engineMs: info.timings.optimizeMs, wallMs: wallMs(), backend: info.backend, preprocess: info.preprocess, batchSize: info.batchSize };
    }
    case 'gradCam': {
      const { info } = await engine.runGradCam(
        { modelPath: inputs.modelPath, imagePath: inputs.imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits: LIMITS, methods: [workload.method ?? 'gradcam'], rescoringBatch: 32 },
        {},
      );
      return { engineMs: info.timings.gradCamMs, wallMs: wallMs(), backend: info.backend, preprocess: info.preprocess, layer: info.layer.name };
    }
    case 'dataset': {
      if (!inputs.datasetFolder) throw new Error(`${workload.id}: no dataset folder`);
      // A fresh cache each time: every run predicts every image.
      const cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'convscope-bench-dataset-'));
      try {
        const summary = await engine.runDataset(
          { modelPath: inputs.modelPath, folder: inputs.datasetFolder, cacheRoot, batchSize: workload.batchSize, maxImages: workload.images, thumbnailSize: 64, colormap: 'jet', intensity: 0.4, limits: LIMITS },
          {},
        );
        if (summary.predictedCount !== workload.images) throw new Error(`${workload.id}: ${summary.predictedCount} of ${workload.images} images predicted`);
        const preprocess = (await engine.summarize(inputs.modelPath, LIMITS)).defaultPreprocess;
        return { engineMs: summary.predictMs, wallMs: wallMs(), backend: summary.backend, preprocess, batchSize: workload.batchSize, images: summary.predictedCount, jobImagesPerSecond: summary.imagesPerSecond };
      } finally {
        await rm(cacheRoot, { recursive: true, force: true });
      }
    }
  }
}
