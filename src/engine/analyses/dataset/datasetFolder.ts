// Walks a dataset folder as Keras' `flow_from_directory` reads one: every image under it
// (recursively), and, when the images sit in one subfolder per class, each image's true label from
// the name of its top subfolder. Symbolic links are not followed (a link loop would never end).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError, describeError } from '../../../shared/errors';

/** The image files read: the formats Convscope decodes (jobs/imageFormat.ts). */
export const DATASET_IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'];

export interface DatasetImage {
  /** Absolute path. */
  file: string;
  /** Path below the dataset folder, with '/' separators: the image's name in reports. */
  relativePath: string;
  /** The top subfolder's name in the class-subfolder layout; absent otherwise. */
  folderLabel?: string;
}

export interface DatasetFolder {
  folder: string;
  images: DatasetImage[];
  /** The class subfolders in sorted order (flow_from_directory's class order); empty when the layout is not class subfolders. */
  classFolders: string[];
  /** Images directly in the folder when it has class subfolders: they have no label. */
  unlabelledCount: number;
}

export function isDatasetImage(file: string): boolean {
  return DATASET_IMAGE_EXTENSIONS.includes(path.extname(file).slice(1).toLowerCase());
}

/** Sorted as Python sorts strings (by code point), so the class order is flow_from_directory's. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lists every image under `folder`. The layout is class subfolders when at least one subfolder holds
 * images: each image below a subfolder is labelled by that subfolder's name (as flow_from_directory
 * labels `train/cats/x.jpg` "cats"); images directly in the folder are then unlabelled.
 */
export async function readDatasetFolder(folder: string, maxImages: number): Promise<DatasetFolder> {
  const root = path.resolve(folder);
  const found: string[] = [];
  await walk(root, root, found, maxImages);
  const relative = found.map((file) => path.relative(root, file).split(path.sep).join('/')).sort(byCodePoint);
  const topFolders = new Set(relative.filter((name) => name.includes('/')).map((name) => name.slice(0, name.indexOf('/'))));
  const classFolders = [...topFolders].sort(byCodePoint);
  const images = relative.map((relativePath): DatasetImage => {
    const slash = relativePath.indexOf('/');
    const file = path.join(root, ...relativePath.split('/'));
    return slash > 0 ? { file, relativePath, folderLabel: relativePath.slice(0, slash) } : { file, relativePath };
  });
  return { folder: root, images, classFolders, unlabelledCount: classFolders.length > 0 ? images.filter((image) => image.folderLabel === undefined).length : 0 };
}

async function walk(root: string, folder: string, found: string[], maxImages: number): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new InputError(folder, `cannot be read as a folder (${describeError(error)})`);
  }
  for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) await walk(root, full, found, maxImages);
    else if (entry.isFile() && isDatasetImage(entry.name)) {
      if (found.length >= maxImages) throw new InputError(root, `holds more than ${maxImages} images; explain a smaller folder (for example one of its subfolders)`);
      found.push(full);
    }
  }
}
