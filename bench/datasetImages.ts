// The folder Explain Folder's workloads read: generated shapes (the example model's generator) at
// 128×128, distinct, in no class subfolders. Written once to bench/tmp and reused; a child process
// writes them (datasetImagesMain.ts), so the measured process never holds them.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { generateShapeImages } from '../scripts/example-data/shapesDataset';

export function datasetFolderFor(root: string, count: number): string {
  return path.join(root, `dataset-${count}`);
}

export async function writeDatasetImages(folder: string, count: number): Promise<void> {
  if (existsSync(folder) && (await readdir(folder)).filter((name) => name.endsWith('.png')).length === count) return;
  await mkdir(folder, { recursive: true });
  for (const [i, image] of generateShapeImages(count, 2024, 2).entries()) {
    const png = await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
    await writeFile(path.join(folder, `${String(i).padStart(4, '0')}-${image.label}.png`), png);
  }
}
