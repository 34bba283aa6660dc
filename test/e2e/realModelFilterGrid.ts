// For the e2e scenario "a filter grid on a real trained model": the model copied into the temporary
// workspace at run time (never into the repository), and a measure of whether tiles are noise.
import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import type { Locator } from 'playwright-core';

/** The real models beside the project (../shared/realmodels from the repository root; CONVSCOPE_REAL_MODELS elsewhere). */
export const REAL_MODELS_DIR = process.env.CONVSCOPE_REAL_MODELS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'realmodels');

/** mini-Xception trained on FER2013 (Keras 2 HDF5, 64×64 gray), with two photos of faces beside it. */
export const REAL_MODEL = {
  folder: 'fer-minixception-h5',
  file: 'fer2013_mini_XCEPTION.102-0.66.hdf5',
  /** A middle layer of 32 filters, past the first edges: all its firing filters beat the best real image (bench/README.md). */
  layer: 'separable_conv2d_4',
  image: 'test_image.jpg',
};

/** Copies the real model's folder into `workspace/<folder>`; undefined (with the reason) when ../shared/realmodels is absent. */
export async function copyRealModel(workspace: string): Promise<{ modelPath: string } | { skipped: string }> {
  const source = path.join(REAL_MODELS_DIR, REAL_MODEL.folder);
  if (!existsSync(path.join(source, REAL_MODEL.file))) return { skipped: `${source} is absent (the real models sit beside the project, in ../shared/realmodels)` };
  const target = path.join(workspace, REAL_MODEL.folder);
  await cp(source, target, { recursive: true });
  return { modelPath: path.join(target, REAL_MODEL.file) };
}

export interface TileTexture {
  /** Mean |difference| between neighbouring pixels ÷ the pixels' standard deviation: about 1.13 for white noise, far less for structure. */
  roughness: number;
  /** The pixels' standard deviation (0–255): near 0 for a flat tile. */
  spread: number;
}

/**
 * Each loaded tile image's texture, read back through a canvas. Gray noise (the study notes' start,
 * and what their ascent leaves on a trained model) has neighbours as different as any two pixels;
 * a pattern has regions, strokes and gradients, so its neighbours are close.
 */
export async function readTileTextures(images: Locator): Promise<TileTexture[]> {
  return images.evaluateAll((elements) =>
    (elements as HTMLImageElement[])
      .filter((image) => image.complete && image.naturalWidth > 1)
      .map((image) => {
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        if (!context) return { roughness: NaN, spread: NaN };
        context.drawImage(image, 0, 0);
        const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
        // No named helper functions in here: the test runner's transpiler wraps them in a `__name`
        // call that does not exist in the page.
        const grays = new Float32Array(width * height);
        for (let i = 0; i < grays.length; i++) grays[i] = (data[4 * i] + data[4 * i + 1] + data[4 * i + 2]) / 3;
        let sum = 0;
        let squares = 0;
        let differences = 0;
        let pairs = 0;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const value = grays[y * width + x];
            sum += value;
            squares += value * value;
            if (x + 1 < width) {
              differences += Math.abs(value - grays[y * width + x + 1]);
              pairs++;
            }
            if (y + 1 < height) {
              differences += Math.abs(value - grays[(y + 1) * width + x]);
              pairs++;
            }
          }
        }
        const count = width * height;
        const spread = Math.sqrt(Math.max(0, squares / count - (sum / count) ** 2));
        return { roughness: spread > 0 ? differences / pairs / spread : 0, spread };
      }),
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
