// Images that reach a panel other than through the picker: a file dropped on it (its URI), or the
// bytes of a pasted or dropped image, kept in the extension's own storage (never in the user's
// folders); and the header's thumbnail of the chosen image. No vscode import: tested in plain Node.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeUnderFreeName } from '../../files/wholeFileWrite';
import type { ImageBytes } from '../../shared/protocol';

/** The image files Convscope reads (see engine/input/imageInput.ts). */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'];

/** Media types a pasted image may have, and the extension its stored copy gets. */
const EXTENSION_OF_MEDIA_TYPE: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/tiff': 'tif',
  'image/avif': 'avif',
};

/** Types a webview can show in an `<img>` (TIFF is not one), for the header's thumbnail. */
const BROWSER_MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

/** Pasted images larger than this are refused (a screenshot is a few megabytes). */
export const MAX_PASTED_IMAGE_BYTES = 64 * 2 ** 20;
/** The header shows the file itself as its thumbnail up to this size; a larger one gets none. */
export const MAX_THUMBNAIL_FILE_BYTES = 4 * 2 ** 20;

export function isImageFile(filePath: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(filePath).slice(1).toLowerCase());
}

/**
 * The local path of a URI dropped on a panel (`file:`, or `vscode-remote:` when VS Code runs the
 * extension beside the files, as code-server does), or a reason it cannot be used.
 */
export function droppedImagePath(uri: string): { path: string } | { refused: string } {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    return { refused: `“${uri.slice(0, 200)}” is not a file URI` };
  }
  let filePath: string;
  if (url.protocol === 'file:') filePath = fileURLToPath(url);
  else if (url.protocol === 'vscode-remote:') filePath = decodeURIComponent(url.pathname);
  else return { refused: `${url.protocol.slice(0, -1)} URIs cannot be read; drop a file from this machine` };
  if (!isImageFile(filePath)) return { refused: `${filePath} is not an image Convscope reads (${IMAGE_EXTENSIONS.join(', ')})` };
  return { path: filePath };
}

/**
 * Keeps a pasted or dropped image's bytes in `folder` (the extension's global storage) under its own
 * name (made safe) and their hash, so the same image pasted twice is one file; resolves to its path.
 */
export async function storePastedImage(folder: string, name: string, image: ImageBytes): Promise<string> {
  const extension = EXTENSION_OF_MEDIA_TYPE[image.mimeType];
  if (!extension) throw new Error(`a pasted ${image.mimeType || 'file'} is not an image Convscope reads (PNG, JPEG, WebP, GIF, TIFF, AVIF)`);
  if (image.bytes.byteLength === 0) throw new Error('the pasted image is empty');
  if (image.bytes.byteLength > MAX_PASTED_IMAGE_BYTES) throw new Error(`the pasted image is ${image.bytes.byteLength} bytes, more than ${MAX_PASTED_IMAGE_BYTES / 2 ** 20} MB`);
  const hash = createHash('sha256').update(image.bytes).digest('hex').slice(0, 12);
  const stem = path.parse(name).name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'pasted';
  const file = path.join(folder, `${stem}-${hash}.${extension}`);
  await mkdir(folder, { recursive: true });
  // A file of that name holds these very bytes already.
  await writeUnderFreeName([file], image.bytes);
  return file;
}

/** The image file itself as the header's thumbnail (scaled down by the webview), when it is small enough and a browser shows it. */
export async function readImageThumbnail(imagePath: string): Promise<ImageBytes | undefined> {
  const mimeType = BROWSER_MEDIA_TYPES[path.extname(imagePath).slice(1).toLowerCase()];
  if (!mimeType) return undefined;
  try {
    if ((await stat(imagePath)).size > MAX_THUMBNAIL_FILE_BYTES) return undefined;
    // A plain Uint8Array: VS Code passes those to the webview as bytes, but a Buffer as JSON.
    return { bytes: new Uint8Array(await readFile(imagePath)), mimeType };
  } catch {
    // The run reports a missing or unreadable image in words; the header just has no thumbnail.
    return undefined;
  }
}
