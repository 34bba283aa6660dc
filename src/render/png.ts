// PNG encoding of rendered pixels. The only render module that needs native code (sharp).
import sharp from 'sharp';

/** Encodes row-major 8-bit pixels (`channels` per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) as a PNG. */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4 = 3): Promise<Uint8Array> {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`${width}×${height} pixels with ${channels} channels need ${width * height * channels} bytes, got ${pixels.length}`);
  }
  const image = sharp(pixels, { raw: { width, height, channels } });
  // sharp writes sRGB unless told otherwise, which would triple the size of a gray image.
  if (channels <= 2) image.toColourspace('b-w');
  const png = await image.png({ compressionLevel: 6 }).toBuffer();
  // A copy, not a view: a Buffer may share a larger pooled ArrayBuffer, which postMessage would send whole.
  return new Uint8Array(png);
}
