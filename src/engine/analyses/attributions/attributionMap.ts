// What every attribution method returns: one relevance value per input pixel.

export type AttributionMethod = 'saliency' | 'smoothgrad' | 'integrated-gradients' | 'guided-backprop' | 'guided-grad-cam' | 'occlusion';

/**
 * How a method's per-channel values become one per pixel: `max-abs` the largest |value| over
 * channels, `sum` their sum (signed), `none` where the method works on whole pixels.
 */
export type ChannelReduction = 'max-abs' | 'sum' | 'none';

export interface AttributionMap {
  method: AttributionMethod;
  width: number;
  height: number;
  /** Row-major [height × width]: each pixel's relevance, larger meaning more relevant (signed for `sum` and occlusion). */
  map: Float32Array;
  reduction: ChannelReduction;
  /** Row-major [height, width, channels], before the reduction (not for occlusion). */
  perChannel?: Float32Array;
  /** The explained score on the image itself. */
  scoreValue: number;
}
