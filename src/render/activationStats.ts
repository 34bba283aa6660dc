// Whole-layer statistics shown beside a channel grid.
import type { ActivationStats } from '../shared/types';

/** min, max and float64-accumulated mean over every value, with how many channels were constant. */
export function activationStats(activation: Float32Array, channelCount: number, deadChannelCount: number): ActivationStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of activation) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return {
    min,
    max,
    mean: sum / activation.length,
    channelCount,
    deadChannelCount,
    deadFraction: deadChannelCount / channelCount,
  };
}
