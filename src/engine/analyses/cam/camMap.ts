// One CAM method's heatmap from a CamSource: the formula (camFormulas.ts, camRescoring.ts), then
// the ReLU and the division by the maximum every method shares. Grad-CAM is the study notes' own
// computation (heatmapOf), unchanged.
import * as tf from '@tensorflow/tfjs';
import type { CamMethod } from '../../../shared/camMethods';
import { InputError } from '../../../shared/errors';
import type { GradCamScore } from '../../../shared/types';
import { heatmapOf, normalizeHeatmap, type GradCamMap } from '../gradCam';
import { eigenCamMap, gradientCamMap, isGradientCamMethod } from './camFormulas';
import { ablationCamMap, scoreCamMap, type RescoringHooks } from './camRescoring';
import { gradientOf, type CamSource } from './camSource';

export type CamHeatmap = Pick<GradCamMap, 'width' | 'height' | 'heatmap' | 'noPositiveEvidence' | 'zeroGradient'>;

export interface CamOptions {
  score: GradCamScore;
  /** Channels per model run for Score-CAM and Ablation-CAM. */
  batchSize?: number;
}

/** The method's map before the ReLU. */
async function rawMap(source: CamSource, method: Exclude<CamMethod, 'gradcam'>, options: CamOptions, hooks: RescoringHooks): Promise<Float32Array> {
  if (isGradientCamMethod(method)) return gradientCamMap(method, source.featureMap, gradientOf(source));
  if (method === 'eigencam') return eigenCamMap(source.featureMap);
  if (method === 'scorecam') return scoreCamMap(source, hooks, options.batchSize);
  return ablationCamMap(source, options.score, hooks, options.batchSize);
}

function gradientIsZero(gradient: tf.Tensor): boolean {
  const largest = tf.tidy(() => tf.max(tf.abs(gradient)));
  try {
    return largest.dataSync()[0] === 0;
  } finally {
    largest.dispose();
  }
}

export async function computeCamHeatmap(source: CamSource, method: CamMethod, options: CamOptions, hooks: RescoringHooks, modelPath: string): Promise<CamHeatmap> {
  if (method === 'gradcam') return heatmapOf(source.featureMap, gradientOf(source), modelPath, source.where);
  const raw = await rawMap(source, method, options, hooks);
  if (!raw.every(Number.isFinite)) throw new InputError(modelPath, `gives non-finite values in the ${method} map at ${source.where}`);
  const [, height, width] = source.featureMap.shape;
  const { heatmap, max } = normalizeHeatmap(raw);
  const usesGradient = method !== 'eigencam' && method !== 'scorecam' && method !== 'ablationcam';
  return { width, height, heatmap, noPositiveEvidence: max === 0, zeroGradient: usesGradient && gradientIsZero(gradientOf(source)) };
}
