// The layout of one layer's activation for one input: channel-last, batch dimension dropped.

/** `activation[(y * width + x) * channels + c]` is channel c at row y, column x. */
export interface ActivationShape {
  height: number;
  width: number;
  channels: number;
}

/** Throws unless the shape has positive integer sides and describes exactly `activation.length` values. */
export function assertActivationShape(activation: Float32Array, shape: ActivationShape): void {
  const { height, width, channels } = shape;
  for (const side of ['height', 'width', 'channels'] as const) {
    const size = shape[side];
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Activation ${side} must be a positive integer, got ${size}`);
  }
  const expected = height * width * channels;
  if (activation.length !== expected) {
    throw new RangeError(`Activation has ${activation.length} values; ${height}×${width}×${channels} needs ${expected}`);
  }
}

export function assertChannelIndex(shape: ActivationShape, channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel >= shape.channels) {
    throw new RangeError(`Channel ${channel} is out of range: the activation has ${shape.channels} channels`);
  }
}
