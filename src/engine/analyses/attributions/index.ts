// Attributions on the input image: which pixels the explained class score depends on.
//
// API (every method takes a ModelScorer, the explained class and score, one preprocessed image as
// the jobs hold it, Float32Array [height, width, channels] row-major, and its shape; each returns
// an AttributionMap: `map`, one relevance per pixel, row-major [height × width], larger meaning
// more relevant, with `perChannel` values where the method has them):
//
//   const model = modelScorerOf(loaded.patternModel, modelPath);   // any LoadedModel
//   const target = { classIndex, score: 'logit' };                  // or 'output'
//   await saliency(model, target, input, shape)                     // |∂score/∂x|, max over channels
//   await smoothGrad(model, target, input, shape, { samples, noiseLevel, seed }, hooks)
//   await integratedGradients(model, target, input, shape, { steps, baseline? }, hooks)
//   await guidedBackprop(model, target, input, shape)
//   guidedGradCam(await guidedBackprop(…), loaded.gradCam(input, shape, { classIndex, score }))
//   await occlusion(model, target, input, shape, { window, stride, baselineValue? }, hooks)
//
// The scorer follows Grad-CAM's rules for the explained output (a model's class-score output, one
// sigmoid unit as two classes, `logit` before the head's softmax or sigmoid); a graph model whose
// input declares a fixed batch runs batches in pieces of that size.
// `hooks` ({ onProgress(done, total), checkCancelled() }: the jobs' own) are called between
// batches of forward or backward passes (`batchSize`, 8 by default); checkCancelled throws to stop.
// Every tensor is freed before a method returns or throws. Defaults: DEFAULT_SMOOTHGRAD,
// DEFAULT_INTEGRATED_GRADIENTS_STEPS. model.classCount and classOutputsOfImage(model, input,
// shape) give the classes and the model's output per class (for the top class).
// The faithfulness of any map: ../faithfulness/index.ts.
export type { AttributionMap, AttributionMethod, ChannelReduction } from './attributionMap';
export { DEFAULT_BATCH_SIZE, type BatchHooks, type ImageShape } from './batches';
export { classOutputsOfImage, graphModelScorer, layersModelScorer, modelScorerOf, type ClassScorer, type ModelScorer } from './classScorer';
export { guidedGradCam, upsampleHeatmap, type HeatmapGrid } from './guidedGradCam';
export {
  DEFAULT_INTEGRATED_GRADIENTS_STEPS,
  DEFAULT_SMOOTHGRAD,
  guidedBackprop,
  integratedGradients,
  saliency,
  smoothGrad,
  type AttributionTarget,
  type IntegratedGradientsMap,
  type IntegratedGradientsOptions,
  type SmoothGradOptions,
} from './inputGradients';
export { occlusion, windowStarts, type OcclusionOptions } from './occlusion';
