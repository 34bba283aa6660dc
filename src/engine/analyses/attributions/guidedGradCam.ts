// Selvaraju et al.'s Guided Grad-CAM: guided backpropagation's per-channel gradient times the
// Grad-CAM heatmap upsampled to the input size (bilinear, pixel centres aligned as PyTorch's
// interpolate with align_corners=False and TF's half_pixel_centers do), then |·|, the largest over
// channels.
import * as tf from '@tensorflow/tfjs';
import type { AttributionMap } from './attributionMap';
import { maxAbsOverChannels } from './batches';

/** A Grad-CAM heatmap (GradCamMap's fields): row-major [height × width], 0..1. */
export interface HeatmapGrid {
  width: number;
  height: number;
  heatmap: Float32Array;
}

/** The heatmap resized to `height` × `width`. */
export function upsampleHeatmap(grid: HeatmapGrid, height: number, width: number): Float32Array {
  return tf.tidy(() => {
    const map = tf.tensor4d(grid.heatmap, [1, grid.height, grid.width, 1]);
    return tf.image.resizeBilinear(map, [height, width], false, true).dataSync() as Float32Array;
  }).slice();
}

/** Combines a guided-backprop map (with its per-channel values) and a Grad-CAM heatmap of the same class. */
export function guidedGradCam(guided: AttributionMap, gradCam: HeatmapGrid): AttributionMap {
  if (guided.method !== 'guided-backprop' || !guided.perChannel) throw new Error('Guided Grad-CAM needs a guided-backprop map with its channels');
  const channels = guided.perChannel.length / (guided.width * guided.height);
  const cam = upsampleHeatmap(gradCam, guided.height, guided.width);
  const perChannel = guided.perChannel.map((value, i) => value * cam[Math.floor(i / channels)]);
  return { ...guided, method: 'guided-grad-cam', map: maxAbsOverChannels(perChannel, channels), perChannel };
}
