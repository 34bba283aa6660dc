// Turns one channel of a channel-last activation into 8-bit gray values. Channels are read in place
// with a stride of `channels`, never copied out.
import { type ActivationShape, assertActivationShape, assertChannelIndex } from './activationShape';

export interface ChannelSummary {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (ddof = 0, numpy's default). */
  std: number;
}

/** One channel as row-major height×width gray values; `dead` when it was constant and so drawn flat at 0. */
export interface GrayChannel {
  gray: Uint8Array;
  dead: boolean;
}

/** Statistics of one channel, accumulated in float64 so that large float32 maps do not lose precision. */
export function summarizeChannel(activation: Float32Array, shape: ActivationShape, channel: number): ChannelSummary {
  assertActivationShape(activation, shape);
  assertChannelIndex(shape, channel);
  const stride = shape.channels;
  const count = shape.height * shape.width;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = channel; i < activation.length; i += stride) {
    const value = activation[i];
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = sum / count;
  // A second pass over the deviations: sum(x²) - n·mean² would cancel catastrophically.
  let squaredDeviations = 0;
  for (let i = channel; i < activation.length; i += stride) {
    const deviation = activation[i] - mean;
    squaredDeviations += deviation * deviation;
  }
  return { min, max, mean, std: Math.sqrt(squaredDeviations / count) };
}

/**
 * The study notes' post-processing: `x -= mean; x /= std; x *= 64; x += 128`, clipped to 0..255 and
 * truncated like numpy's `astype('uint8')`. A constant channel (std 0: all zero after a ReLU) has
 * nothing to standardise; it is drawn flat at 0 instead of dividing by zero.
 */
export function standardizeChannel(
  activation: Float32Array,
  shape: ActivationShape,
  channel: number,
  gray: Uint8Array = new Uint8Array(shape.height * shape.width),
): GrayChannel {
  const { mean, std } = summarizeChannel(activation, shape, channel);
  assertGrayLength(gray, shape);
  // Exact for a constant channel: under 2^29 equal float32 values sum exactly in float64, so the mean
  // equals them and std is exactly 0.
  if (std === 0) return { gray: gray.fill(0), dead: true };
  const stride = shape.channels;
  for (let pixel = 0, i = channel; i < activation.length; pixel++, i += stride) {
    const scaled = ((activation[i] - mean) / std) * 64 + 128;
    gray[pixel] = Math.trunc(Math.min(255, Math.max(0, scaled)));
  }
  return { gray, dead: false };
}

/**
 * The enlarged view's scaling (the study notes' `matshow`): the channel's min becomes 0 and its max 255,
 * a normalised value t indexing the 256-entry colormap at floor(256 t) as matplotlib does. A constant
 * channel is drawn flat at 0.
 */
export function minMaxScaleChannel(
  activation: Float32Array,
  shape: ActivationShape,
  channel: number,
  gray: Uint8Array = new Uint8Array(shape.height * shape.width),
): GrayChannel & Omit<ChannelSummary, 'std'> {
  const { min, max, mean } = summarizeChannel(activation, shape, channel);
  assertGrayLength(gray, shape);
  if (min === max) return { gray: gray.fill(0), dead: true, min, max, mean };
  const range = max - min;
  const stride = shape.channels;
  for (let pixel = 0, i = channel; i < activation.length; pixel++, i += stride) {
    gray[pixel] = Math.min(255, Math.floor(((activation[i] - min) / range) * 256));
  }
  return { gray, dead: false, min, max, mean };
}

function assertGrayLength(gray: Uint8Array, shape: ActivationShape): void {
  if (gray.length !== shape.height * shape.width) {
    throw new RangeError(`A gray buffer for a ${shape.height}×${shape.width} channel needs ${shape.height * shape.width} bytes, got ${gray.length}`);
  }
}
