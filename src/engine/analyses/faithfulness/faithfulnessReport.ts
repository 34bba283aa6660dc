// A map's faithfulness scores beside those of the two trivial maps (seeded random relevance, the
// image's Sobel edges), so that a user sees whether the explanation beats a trivial one.
import type { BatchHooks, ImageShape } from '../attributions/batches';
import type { ClassScorer } from '../attributions/classScorer';
import { randomMap, sobelMap } from './baselineMaps';
import { DEFAULT_CURVE_STEPS, deletionInsertion, type DeletionInsertion, type DeletionInsertionOptions } from './deletionInsertion';
import { road, type RoadOptions, type RoadScores } from './road';

export interface FaithfulnessScores extends DeletionInsertion {
  road: RoadScores;
}

export interface FaithfulnessOptions {
  curves?: Partial<DeletionInsertionOptions>;
  road?: RoadOptions;
  /** The random map's seed. */
  randomSeed?: number;
  batchSize?: number;
}

/** Per measure: does the explanation do better than the baseline map (lower deletion AUC, higher insertion AUC, larger ROAD gap)? */
export interface Verdict {
  deletion: boolean;
  insertion: boolean;
  road: boolean;
}

export interface FaithfulnessReport {
  explanation: FaithfulnessScores;
  random: FaithfulnessScores;
  edges: FaithfulnessScores;
  beatsRandom: Verdict;
  beatsEdges: Verdict;
}

/** Every measure of one map. */
export async function faithfulnessScores(
  scorer: ClassScorer,
  input: Float32Array,
  inputShape: ImageShape,
  map: Float32Array,
  options: FaithfulnessOptions = {},
  hooks: BatchHooks = {},
): Promise<FaithfulnessScores> {
  const curveOptions = { steps: DEFAULT_CURVE_STEPS, batchSize: options.batchSize, ...options.curves };
  const roadOptions = { batchSize: options.batchSize, ...options.road };
  const curveImages = 2 * (curveOptions.steps + 1);
  const total = curveImages + 2 * (roadOptions.fractions?.length ?? 4);
  const curves = await deletionInsertion(scorer, input, inputShape, map, curveOptions, { ...hooks, onProgress: (done) => hooks.onProgress?.(done, total) });
  const roadScores = await road(scorer, input, inputShape, map, roadOptions, { ...hooks, onProgress: (done) => hooks.onProgress?.(curveImages + done, total) });
  return { ...curves, road: roadScores };
}

function verdict(explanation: FaithfulnessScores, baseline: FaithfulnessScores): Verdict {
  return {
    deletion: explanation.deletion.auc < baseline.deletion.auc,
    insertion: explanation.insertion.auc > baseline.insertion.auc,
    road: explanation.road.gap > baseline.road.gap,
  };
}

/** The map's measures, the random and edge maps' measures, and how the map compares; progress counts all three. */
export async function faithfulnessReport(
  scorer: ClassScorer,
  input: Float32Array,
  inputShape: ImageShape,
  map: Float32Array,
  options: FaithfulnessOptions = {},
  hooks: BatchHooks = {},
): Promise<FaithfulnessReport> {
  const [height, width] = inputShape;
  const maps = [map, randomMap(height, width, options.randomSeed ?? 0), sobelMap(input, inputShape)];
  const results: FaithfulnessScores[] = [];
  for (const [index, each] of maps.entries()) {
    const progress = (done: number, total: number) => hooks.onProgress?.(index * total + done, maps.length * total);
    results.push(await faithfulnessScores(scorer, input, inputShape, each, options, { ...hooks, onProgress: progress }));
  }
  const [explanation, random, edges] = results;
  return { explanation, random, edges, beatsRandom: verdict(explanation, random), beatsEdges: verdict(explanation, edges) };
}
