// Reads an image file with sharp into the pixels a model expects: EXIF rotation applied, alpha
// dropped, converted to the model's channel count, resized to its input size (Keras' `target_size`).
import sharp from 'sharp';
import { stat } from 'node:fs/promises';
import { InputError, describeError } from './errors';

export interface ImageLimits {
  /** Images with more pixels than this are refused before they are decoded. */
  maxImagePixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxImagePixels: 100_000_000 };

export interface ModelImageSize {
  /** `null` for models that take any size: then `freeSide` is used. */
  height: number | null;
  width: number | null;
  channels: number;
  /** The side in pixels for a free (`None`) height or width; DEFAULT_FREE_INPUT_SIDE when omitted. */
  freeSide?: number;
}

/** Keras' usual `target_size` for models that take any size (the ImageNet models' 224). */
export const DEFAULT_FREE_INPUT_SIDE = 224;

export interface ModelInputPixels {
  /** Height × width × channels, 0–255, row-major, channels last. */
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: number;
  originalWidth: number;
  originalHeight: number;
}

export async function readImageForModel(imagePath: string, size: ModelImageSize, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ModelInputPixels> {
  if (size.channels !== 1 && size.channels !== 3) {
    throw new InputError(imagePath, `cannot feed a model that expects ${size.channels} image channels (only 1 or 3 are supported)`);
  }
  try {
    await stat(imagePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(imagePath, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? describeError(error)})`);
  }
  const metadata = await sharp(imagePath, { limitInputPixels: false }).metadata().catch((error: unknown) => {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  });
  const { width: originalWidth, height: originalHeight } = orientedSize(metadata);
  if (!originalWidth || !originalHeight) throw new InputError(imagePath, 'has no readable image size');
  const pixelCount = originalWidth * originalHeight;
  if (pixelCount > limits.maxImagePixels) {
    throw new InputError(
      imagePath,
      `is ${originalWidth}×${originalHeight} pixels (${megapixels(pixelCount)}), over the ${megapixels(limits.maxImagePixels)} limit (setting convscope.limits.maxImageMegapixels)`,
    );
  }
  const target = targetSize(size);
  let pipeline = sharp(imagePath, { limitInputPixels: limits.maxImagePixels, failOn: 'error' })
    .rotate()
    .removeAlpha()
    // Keras' load_img resizes with nearest-neighbour by default; the study notes rely on it.
    .resize(target.width, target.height, { fit: 'fill', kernel: 'nearest' });
  pipeline = size.channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== size.channels) {
      throw new Error(`decoded ${info.channels} channels where ${size.channels} were expected`);
    }
    return {
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      height: info.height,
      width: info.width,
      channels: info.channels,
      originalWidth,
      originalHeight,
    };
  } catch (error) {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  }
}

function orientedSize(metadata: sharp.Metadata): { width?: number; height?: number } {
  // EXIF orientations 5–8 swap width and height once the rotation is applied.
  const swapped = metadata.orientation !== undefined && metadata.orientation >= 5;
  return swapped ? { width: metadata.height, height: metadata.width } : { width: metadata.width, height: metadata.height };
}

function targetSize(size: ModelImageSize): { width: number; height: number } {
  const side = size.freeSide ?? DEFAULT_FREE_INPUT_SIDE;
  return { width: size.width ?? side, height: size.height ?? side };
}

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 1e7 ? 1 : 0)} MP`;
}

/** A small PNG of the original image for the panel's header. */
export async function renderImageThumbnail(imagePath: string, maxSide: number, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Uint8Array> {
  try {
    // The same tolerance as the model's pixels: an image readImageForModel accepts gets a thumbnail.
    const png = await sharp(imagePath, { limitInputPixels: limits.maxImagePixels, failOn: 'error' })
      .rotate()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  } catch (error) {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  }
}
