// A class-subfolder dataset (flow_from_directory's layout) written at test time from the example
// model's own generator: `<root>/<class>/<n>.png`, with known labels. Every `mislabelEvery`-th image
// is filed under the next class's folder, so a model that sees its shape right is wrong by the
// folder's label there; `broken` adds files that cannot be decoded.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { SHAPE_CLASSES, generateShapeImages } from '../../scripts/example-data/shapesDataset';

export interface WrittenDatasetImage {
  relativePath: string;
  /** The folder it is filed under (its label as the dataset says). */
  folderLabel: string;
  /** The shape actually drawn. */
  drawn: string;
}

export interface ShapesDatasetOptions {
  count: number;
  seed: number;
  /** 0: every image is filed under its own class. */
  mislabelEvery?: number;
  /** Files with an image extension that are not images, with these names (in the first class folder). */
  broken?: string[];
  scale?: number;
  /** The first image's number in its file name (to write a large dataset in parts). */
  firstIndex?: number;
}

export const BROKEN_IMAGE_BYTES = Buffer.from('this is not an image');

export async function writeShapesDataset(root: string, options: ShapesDatasetOptions): Promise<WrittenDatasetImage[]> {
  const images = generateShapeImages(options.count, options.seed, options.scale ?? 1);
  const written: WrittenDatasetImage[] = [];
  for (const className of SHAPE_CLASSES) await mkdir(path.join(root, className), { recursive: true });
  for (const [i, image] of images.entries()) {
    const mislabelled = options.mislabelEvery !== undefined && options.mislabelEvery > 0 && i % options.mislabelEvery === options.mislabelEvery - 1;
    const folderLabel = mislabelled ? SHAPE_CLASSES[(image.labelIndex + 1) % SHAPE_CLASSES.length] : image.label;
    const relativePath = `${folderLabel}/${String((options.firstIndex ?? 0) + i).padStart(5, '0')}.png`;
    const png = await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
    await writeFile(path.join(root, ...relativePath.split('/')), png);
    written.push({ relativePath, folderLabel, drawn: image.label });
  }
  for (const name of options.broken ?? []) await writeFile(path.join(root, SHAPE_CLASSES[0], name), BROKEN_IMAGE_BYTES);
  return written;
}
