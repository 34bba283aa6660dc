// Reads an image file into the pixels a model expects, as Keras' `load_img(target_size=…)` and
// `img_to_array` give them: sharp decodes, pilResample.ts converts and resizes as Pillow does.
import sharp from 'sharp';
import { statRegularFile } from '../../files/regularFile';
import { InputError, describeError } from '../../shared/errors';
import { grayToRgbLikePil, resizeNearestLikePil, rgbToLumaLikePil, type PixelImage } from './pilResample';
import type { ExifOrientationMode, ExifOrientationReport } from '../../shared/types';
import { DEFAULT_FREE_INPUT_SIDE, DEFAULT_IMAGE_LIMITS } from '../../shared/defaults';
import { ImageLimits, ImageReadOptions } from '../../shared/types';


export interface ModelImageSize {
  /** `null` for models that take any size: then `freeSide` is used. */
  height: number | null;
  width: number | null;
  channels: number;
  /** The side in pixels for a free (`None`) height or width; DEFAULT_FREE_INPUT_SIDE when omitted. */
  freeSide?: number;
}


export interface ModelInputPixels {
  /** Height × width × channels, 0–255, row-major, channels last. */
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: number;
  /** The image's size as read: after the EXIF rotation when it was applied. */
  originalWidth: number;
  originalHeight: number;
  exif: ExifOrientationReport;
}

/**
 * The pixels Keras' `img_to_array(load_img(path, color_mode, target_size))` gives (the study notes'
 * input): decoded at full size, alpha dropped (not composited), converted to RGB or L as Pillow's
 * `convert` does, then resized by Pillow's NEAREST (see pilResample.ts). sharp only decodes: its own
 * resize samples another grid, shrinks JPEGs while decoding and has another gray formula. Embedded
 * colour profiles are ignored, as Pillow does. `exifOrientation: 'ignore'` is load_img exactly;
 * the default `apply` turns photos upright first. Not matched: CMYK JPEGs and 16-bit images, which
 * Pillow converts by rules of its own (it clips a 16-bit gray PNG to 255 for RGB).
 */
export async function readImageForModel(imagePath: string, size: ModelImageSize, options: ImageReadOptions = DEFAULT_IMAGE_LIMITS): Promise<ModelInputPixels> {
  if (size.channels !== 1 && size.channels !== 3) {
    throw new InputError(imagePath, `cannot feed a model that expects ${size.channels} image channels (only 1 or 3 are supported)`);
  }
  // sharp opens the path itself: a FIFO would block a thread of libuv's pool for good, a device never end.
  await statRegularFile(imagePath, 'image');
  const metadata = await sharp(imagePath, { limitInputPixels: false }).metadata().catch((error: unknown) => {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  });
  const exif = exifReport(metadata, options.exifOrientation ?? 'apply');
  const { width: originalWidth, height: originalHeight } = sizeAsRead(metadata, exif.rotated);
  if (!originalWidth || !originalHeight) throw new InputError(imagePath, 'has no readable image size');
  const pixelCount = originalWidth * originalHeight;
  if (pixelCount > options.maxImagePixels) {
    throw new InputError(
      imagePath,
      `is ${originalWidth}×${originalHeight} pixels (${megapixels(pixelCount)}), over the ${megapixels(options.maxImagePixels)} limit (setting convscope.limits.maxImageMegapixels)`,
    );
  }
  const target = targetSize(size);
  // Gray files (with or without alpha) decode to one channel, everything else (palette included) to
  // RGB; both at 8 bits.
  const decodesToGray = metadata.channels !== undefined && metadata.channels <= 2;
  let decoded: PixelImage;
  try {
    const { data, info } = await sharp(imagePath, { limitInputPixels: options.maxImagePixels, failOn: 'error', ignoreIcc: true, autoOrient: exif.rotated })
      .removeAlpha()
      .toColourspace(decodesToGray ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== (decodesToGray ? 1 : 3)) throw new Error(`decoded ${info.channels} channels where ${decodesToGray ? 1 : 3} were expected`);
    decoded = { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  }
  // Nearest-neighbour picks whole pixels, so resizing before the pointwise colour conversion gives
  // what Pillow's convert-then-resize gives, with the conversion done on the small image only.
  const resized = resizeNearestLikePil(decoded, target.width, target.height);
  const pixels =
    resized.channels === size.channels ? resized.pixels : size.channels === 1 ? rgbToLumaLikePil(resized.pixels) : grayToRgbLikePil(resized.pixels);
  return { pixels, height: target.height, width: target.width, channels: size.channels, originalWidth, originalHeight, exif };
}

function exifReport(metadata: sharp.Metadata, mode: ExifOrientationMode): ExifOrientationReport {
  const tag = metadata.orientation;
  // Tag 1 is upright; 2–8 rotate and/or mirror.
  const rotated = mode === 'apply' && tag !== undefined && tag > 1 && tag <= 8;
  return tag === undefined ? { mode, rotated } : { mode, tag, rotated };
}

function sizeAsRead(metadata: sharp.Metadata, rotated: boolean): { width?: number; height?: number } {
  // EXIF orientations 5–8 swap width and height once the rotation is applied.
  const swapped = rotated && metadata.orientation !== undefined && metadata.orientation >= 5;
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
