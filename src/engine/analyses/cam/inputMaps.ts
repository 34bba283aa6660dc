// The attribution methods (analyses/attributions/) as maps beside the CAM methods: one relevance per
// input pixel, put through the ReLU and the division by the maximum every map shares; and any map's
// faithfulness (analyses/faithfulness/), read at the input's size.
import type { AttributionMethodId } from '../../../shared/camMethods';
import type { FaithfulnessMeasures, FaithfulnessSummary, GradCamScore } from '../../../shared/types';
import {
  DEFAULT_INTEGRATED_GRADIENTS_STEPS,
  DEFAULT_SMOOTHGRAD,
  guidedBackprop,
  guidedGradCam,
  integratedGradients,
  occlusion,
  saliency,
  smoothGrad,
  upsampleHeatmap,
  type AttributionMap,
  type BatchHooks,
  type ModelScorer,
} from '../attributions';
import { faithfulnessReport, type FaithfulnessScores } from '../faithfulness';
import { heatmapOf, normalizeHeatmap } from '../gradCam';
import type { CamHeatmap } from './camMap';
import { gradientOf, type CamSource } from './camSource';

type ImageShape = [number, number, number];

/** Occlusion's window: an eighth of the image's shorter side, moved by half of it. */
function occlusionWindow([height, width]: ImageShape): { window: number; stride: number } {
  const window = Math.max(1, Math.round(Math.min(height, width) / 8));
  return { window, stride: Math.max(1, Math.round(window / 2)) };
}

async function attributionOf(method: AttributionMethodId, model: ModelScorer, source: CamSource, score: GradCamScore, input: Float32Array, shape: ImageShape, hooks: BatchHooks, modelPath: string): Promise<AttributionMap> {
  const target = { classIndex: source.classIndex, score };
  switch (method) {
    case 'saliency':
      return saliency(model, target, input, shape);
    case 'smoothgrad':
      return smoothGrad(model, target, input, shape, DEFAULT_SMOOTHGRAD, hooks);
    case 'integrated-gradients':
      return integratedGradients(model, target, input, shape, { steps: DEFAULT_INTEGRATED_GRADIENTS_STEPS }, hooks);
    case 'guided-backprop':
      return guidedBackprop(model, target, input, shape);
    case 'guided-grad-cam':
      return guidedGradCam(await guidedBackprop(model, target, input, shape), heatmapOf(source.featureMap, gradientOf(source), modelPath, source.where));
    case 'occlusion':
      return occlusion(model, target, input, shape, occlusionWindow(shape), hooks);
  }
}

/** An attribution method's map for the source's class, at the input's size, 0..1. */
export async function attributionHeatmap(
  method: AttributionMethodId,
  model: ModelScorer,
  source: CamSource,
  score: GradCamScore,
  input: Float32Array,
  shape: ImageShape,
  hooks: BatchHooks,
  modelPath: string,
): Promise<CamHeatmap> {
  const attribution = await attributionOf(method, model, source, score, input, shape, hooks, modelPath);
  const { heatmap, max } = normalizeHeatmap(attribution.map);
  return { width: attribution.width, height: attribution.height, heatmap, noPositiveEvidence: max === 0, zeroGradient: false };
}

function measures(scores: FaithfulnessScores): FaithfulnessMeasures {
  const curve = ({ fractions, scores: values, auc }: FaithfulnessScores['deletion']) => ({ fractions, scores: values, auc });
  return { deletion: curve(scores.deletion), insertion: curve(scores.insertion), roadGap: scores.road.gap };
}

/** The map's faithfulness on the class's output, the map upsampled (bilinear) to the input's size. */
export async function mapFaithfulness(map: CamHeatmap, model: ModelScorer, classIndex: number, input: Float32Array, shape: ImageShape, hooks: BatchHooks): Promise<FaithfulnessSummary> {
  const started = performance.now();
  const [height, width] = shape;
  const relevance = map.width === width && map.height === height ? map.heatmap : upsampleHeatmap(map, height, width);
  const report = await faithfulnessReport(model.scorer(classIndex, 'output'), input, shape, relevance, {}, hooks);
  return {
    map: measures(report.explanation),
    random: measures(report.random),
    edges: measures(report.edges),
    beatsRandom: report.beatsRandom,
    beatsEdges: report.beatsEdges,
    ms: performance.now() - started,
  };
}
