// The images whose crops show what excites each filter (and that each pattern is compared with):
// those beside the model first, then the workspace's, or those of a folder the user chose.
import * as vscode from 'vscode';
import { readdir } from 'node:fs/promises';
import { fileStamp } from '../../files/fileStamp';
import path from 'node:path';
import { IMAGE_EXTENSIONS, isImageFile } from './imageFiles';

/** Images searched at most: each is one forward pass before the first tile. */
export const MAX_FILTER_EXAMPLE_IMAGES = 64;

const IMAGE_GLOB = `**/*.{${IMAGE_EXTENSIONS.join(',')}}`;
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';

export interface FilterExampleImages {
  images: string[];
  /** Where they come from, in words: "the workspace's images", "images in photos/". */
  description: string;
}

/** Image files under `folder` (subfolders too, hidden ones skipped), sorted by path, at most `limit`. */
async function imagesUnder(folder: string, limit: number): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (found.length >= limit) return;
      const full = path.join(dir, entry.name);
      if (entry.isFile() && isImageFile(entry.name)) found.push(full);
      else if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') await visit(full);
    }
  };
  await visit(folder);
  return found;
}

/** The images beside the model, then the chosen folder's (or the workspace's), without repeats, at most MAX_FILTER_EXAMPLE_IMAGES. */
export async function filterExampleImages(modelPath: string, folder: string | undefined): Promise<FilterExampleImages> {
  const beside = (await readdir(path.dirname(modelPath)).catch(() => [] as string[])).filter(isImageFile).sort().map((name) => path.join(path.dirname(modelPath), name));
  const more = folder
    ? await imagesUnder(folder, MAX_FILTER_EXAMPLE_IMAGES)
    : (await vscode.workspace.findFiles(IMAGE_GLOB, EXCLUDE_GLOB, MAX_FILTER_EXAMPLE_IMAGES)).map((uri) => uri.fsPath).sort();
  const images = [...new Set([...beside, ...more])].slice(0, MAX_FILTER_EXAMPLE_IMAGES);
  const description = folder ? `images in ${vscode.workspace.asRelativePath(vscode.Uri.file(folder), true)}` : "the workspace's images";
  return { images, description };
}

/** Each image's path, size and modification time: a cached run applies only while its images are unchanged. */
export async function imageSetStamp(images: string[]): Promise<string> {
  const stamps = await Promise.all(images.map(async (image) => `${image}:${(await fileStamp(image)) ?? 'absent'}`));
  return stamps.join('|');
}
