// Which engine worker a job runs on, and how a job is named to one that waits behind it. Filter
// grids and batches (many filters, hundreds of gradient steps) take minutes; everything else takes
// seconds: the two run on separate workers, so that a short job never waits behind a long one.
import path from 'node:path';
import type { ExplainMethod } from '../shared/camMethods';
import { JOB_DEADLINES_MS } from '../shared/defaults';
import type { FilterPatternJobRequest, GradCamJobRequest, JobKind, JobKinds } from '../shared/engineProtocol';

/** `short`: summaries, activations, channels, Grad-CAM, one filter; `long`: filter grids and batches, many-pass explanations, dataset runs. */
export type EngineLaneName = 'short' | 'long';

export function laneOf<K extends JobKind>(kind: K, request: JobKinds[K]['request']): EngineLaneName {
  if (kind === 'dataset') return 'long';
  if (kind === 'gradCam') return needsManyPasses(request as GradCamJobRequest) ? 'long' : 'short';
  if (kind !== 'filterPatterns') return 'short';
  return (request as FilterPatternJobRequest).filters?.length === 1 ? 'short' : 'long';
}

/** Explanations that run the model once per channel, sample, step or window, or score faithfulness. */
const MANY_PASS_METHODS: ReadonlySet<ExplainMethod> = new Set(['scorecam', 'ablationcam', 'smoothgrad', 'integrated-gradients', 'occlusion']);

function needsManyPasses(request: GradCamJobRequest): boolean {
  return request.faithfulness === true || (request.methods ?? []).some((method) => MANY_PASS_METHODS.has(method));
}

/** How long the job may take: its kind's deadline, or a filter grid's for many-pass explanations. */
export function deadlineOf<K extends JobKind>(kind: K, request: JobKinds[K]['request']): number {
  if (kind === 'gradCam' && needsManyPasses(request as GradCamJobRequest)) return JOB_DEADLINES_MS.filterPatterns;
  return JOB_DEADLINES_MS[kind];
}

/** The model file as a user tells it apart: its folder and name (most are called model.json). */
export function modelLabel(modelPath: string): string {
  const folder = path.basename(path.dirname(modelPath));
  return folder && folder !== '.' && folder !== path.sep ? `${folder}/${path.basename(modelPath)}` : path.basename(modelPath);
}

/** The job as the object of "Waiting for … to finish". */
export function describeJob<K extends JobKind>(kind: K, request: JobKinds[K]['request']): string {
  switch (kind) {
    case 'summarize':
      return `reading ${modelLabel((request as JobKinds['summarize']['request']).modelPath)}`;
    case 'activations': {
      const { modelPath, imagePath } = request as JobKinds['activations']['request'];
      return `the activations of ${modelLabel(modelPath)} on ${path.basename(imagePath)}`;
    }
    case 'channel':
      return 'enlarging a channel';
    case 'filterPatterns': {
      const { modelPath, layerName, filters } = request as FilterPatternJobRequest;
      const what = filters?.length === 1 ? `filter ${filters[0]} of ${layerName}` : `the filter grid of ${layerName}`;
      return `${what} (${modelLabel(modelPath)})`;
    }
    case 'gradCam': {
      const { modelPath, imagePath } = request as GradCamJobRequest;
      return `explaining ${modelLabel(modelPath)} on ${path.basename(imagePath)}`;
    }
    case 'memory':
      return 'a memory check';
    case 'dataset': {
      const { modelPath, folder } = request as JobKinds['dataset']['request'];
      return `explaining the folder ${path.basename(folder)} (${modelLabel(modelPath)})`;
    }
  }
  return `a ${kind} job`;
}
