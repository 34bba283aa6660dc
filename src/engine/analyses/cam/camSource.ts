// What every CAM method is computed from, whichever kind of model gives it: the target layer's
// feature map and the class score's gradient there from one differentiated run, and two ways to
// re-score the class in batches (Score-CAM masks the image, Ablation-CAM the feature map).
import type * as tf from '@tensorflow/tfjs';
import type { ExplainMethod } from '../../../shared/camMethods';
import type { GradCamLayerChoice, GradCamScore } from '../../../shared/types';

export interface CamSource {
  layer: GradCamLayerChoice;
  /** `node "…"` or `layer "…"`, for messages. */
  where: string;
  classIndex: number;
  /** The model's output per class (see ClassifierOutput). */
  classScores: Float32Array;
  activation: string;
  /** The differentiated score's value: the class's output, or its logit. */
  scoreValue: number;
  /** The preprocessed image, [1, height, width, channels]. */
  input: tf.Tensor4D;
  /** The target layer's output for the image, [1, h, w, k]. */
  featureMap: tf.Tensor4D;
  /** The class score's gradient with respect to `featureMap`; absent when opened `withoutGradient`. */
  gradient?: tf.Tensor4D;
  /** The class's score (output or logit) for each image of a batch [n, height, width, channels]. */
  scoreImages(images: tf.Tensor4D, score: GradCamScore): Float32Array;
  /** The class's score for each of a batch of feature maps [n, h, w, k] put in place of the layer's output (the image unchanged). */
  scoreFeatureMaps(featureMaps: tf.Tensor4D, score: GradCamScore): Float32Array;
  /** Frees the tensors above. */
  dispose(): void;
}

/** The source's gradient, which every method but Eigen-CAM, Score-CAM, Ablation-CAM and the input attributions (Guided Grad-CAM aside) needs. */
export function gradientOf(source: CamSource): tf.Tensor4D {
  if (!source.gradient) throw new Error(`The gradient at ${source.where} was not computed`);
  return source.gradient;
}

const WITHOUT_GRADIENT: ReadonlySet<string> = new Set(['eigencam', 'scorecam', 'ablationcam', 'saliency', 'smoothgrad', 'integrated-gradients', 'guided-backprop', 'occlusion']);

/** Whether a method reads the source's gradient (so the run must be differentiated). */
export function needsSourceGradient(method: ExplainMethod): boolean {
  return !WITHOUT_GRADIENT.has(method);
}
