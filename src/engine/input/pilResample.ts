// Pillow's nearest-neighbour resize and RGB → L conversion, redone in plain code so that the pixels
// fed to a model equal Keras' `img_to_array(load_img(path, target_size=…))` bit for bit. Pure pixel
// code (no sharp), so it is testable on its own; checked against Pillow in test/unit/imageInput.unit.test.ts.

/**
 * For each of `outSize` output pixels, the source pixel Pillow's NEAREST resize copies (Pillow's
 * ImagingScaleAffine in Geometry.c): the position starts at `scale / 2`, with `scale = inSize / outSize`,
 * grows by `scale` each pixel and is truncated. Accumulated, not `scale * (i + 0.5)`: the running sum's
 * rounding decides positions that fall on a whole number, and differs for about one size pair in five.
 */
export function nearestSourceIndices(inSize: number, outSize: number): Int32Array {
  const indices = new Int32Array(outSize);
  const scale = inSize / outSize;
  let position = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    // Never outside the source: the last position is inSize − scale / 2.
    indices[i] = Math.trunc(position);
    position += scale;
  }
  return indices;
}

/** Row-major, channels-last 8-bit pixels. */
export interface PixelImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** `image.resize((width, height), Image.NEAREST)` as Pillow does it; the same size is a copy, as in Pillow. */
export function resizeNearestLikePil(image: PixelImage, width: number, height: number): PixelImage {
  const { channels } = image;
  if (width === image.width && height === image.height) return { ...image, pixels: image.pixels.slice() };
  const columns = nearestSourceIndices(image.width, width);
  const rows = nearestSourceIndices(image.height, height);
  const pixels = new Uint8Array(width * height * channels);
  const sourceRowLength = image.width * channels;
  let out = 0;
  for (let y = 0; y < height; y++) {
    const rowStart = rows[y] * sourceRowLength;
    for (let x = 0; x < width; x++) {
      const from = rowStart + columns[x] * channels;
      for (let c = 0; c < channels; c++) pixels[out++] = image.pixels[from + c];
    }
  }
  return { pixels, width, height, channels };
}

/**
 * `convert("L")` of RGB pixels as Pillow does it: ITU-R 601-2 luma in 16-bit fixed point (Convert.c's
 * L24), `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`. The weights sum to 65536, so gray stays gray.
 */
export function rgbToLumaLikePil(rgb: Uint8Array): Uint8Array {
  const luma = new Uint8Array(rgb.length / 3);
  for (let i = 0, j = 0; i < luma.length; i++, j += 3) {
    luma[i] = (rgb[j] * 19595 + rgb[j + 1] * 38470 + rgb[j + 2] * 7471 + 0x8000) >>> 16;
  }
  return luma;
}

/** `convert("RGB")` of L pixels: the level copied into all three channels. */
export function grayToRgbLikePil(gray: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3);
  for (let i = 0, j = 0; i < gray.length; i++, j += 3) {
    rgb[j] = rgb[j + 1] = rgb[j + 2] = gray[i];
  }
  return rgb;
}
