// The height, width and channels of the image a job gives the model: its declared size, or the side
// asked for where the model takes any size; known before the image is read, so that the model's
// outputs can be bounded for it first.
import { InputError } from '../shared/errors';
import { DEFAULT_FREE_INPUT_SIDE } from '../shared/defaults';
import type { ModelImageSize } from '../engine/input/imageInput';
import type { ImageLimits } from '../shared/types';

export function modelInputSize(modelPath: string, size: ModelImageSize, limits: ImageLimits): [number, number, number] {
  const side = size.freeSide ?? DEFAULT_FREE_INPUT_SIDE;
  const height = size.height ?? side;
  const width = size.width ?? side;
  // A free side is the user's choice, not the image's: it is held to the image limit all the same.
  if ((size.height === null || size.width === null) && height * width > limits.maxImagePixels) {
    throw new InputError(
      modelPath,
      `takes images of any size, and ${height}×${width} pixels is over the ${(limits.maxImagePixels / 1e6).toFixed(0)} MP image limit (setting convscope.limits.maxImageMegapixels)`,
    );
  }
  return [height, width, size.channels];
}
