// Faithfulness: does a relevance map point at what the model's score depends on? Every measure
// perturbs the image in the map's order and runs the model on the results in batches.
//
// API (`scorer` is a ClassScorer, normally model.scorer(classIndex, 'output'): the measures are
// read on the class's output, as RISE and ROAD do; `input` the preprocessed image, Float32Array
// [height, width, channels]; `map` row-major [height × width], larger meaning more relevant):
//
//   await faithfulnessReport(scorer, input, shape, map, options?, hooks?)
//       → { explanation, random, edges, beatsRandom, beatsEdges }: the map's measures beside those
//         of a seeded random map and the image's Sobel edges, and whether it beats each
//   await faithfulnessScores(scorer, input, shape, map, options?, hooks?)
//       → { deletion, insertion, road } for one map
//   await deletionInsertion(scorer, input, shape, map, { steps, deletionValue?, blurSigma? }, hooks?)
//       → deletion / insertion curves (fractions k/steps, scores, auc by trapezoid)
//   await road(scorer, input, shape, map, { fractions?, noiseLevel?, seed? }, hooks?)
//       → MoRF / LeRF scores at 20/40/60/80 % and their gap
//   randomMap(height, width, seed), sobelMap(input, shape): the baseline maps
//
// `hooks` ({ onProgress(done, total), checkCancelled() }) are called between batches; the report
// counts the images of all three maps. Defaults: 16 curve steps, RISE's blur (σ 5 px at 224 px,
// scaled), deletion to 0, ROAD noise 0.002 × the image's value range.
export { randomMap, sobelMap } from './baselineMaps';
export { DEFAULT_CURVE_STEPS, deletionInsertion, gaussianBlur, trapezoidArea, type DeletionInsertion, type DeletionInsertionOptions, type PerturbationCurve } from './deletionInsertion';
export { faithfulnessReport, faithfulnessScores, type FaithfulnessOptions, type FaithfulnessReport, type FaithfulnessScores, type Verdict } from './faithfulnessReport';
export { mostRelevantFirst, pixelCount } from './pixelOrder';
export { DEFAULT_ROAD_FRACTIONS, DEFAULT_ROAD_NOISE_LEVEL, noisyLinearImputation, road, type RoadOptions, type RoadScores } from './road';
