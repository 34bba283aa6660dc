import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../shared/errors';

/**
 * Resolves a path named inside a model file against the model's folder, refusing anything that
 * could read elsewhere: URLs, absolute paths, `..` and symlinks leading out of the folder.
 */
export async function resolveInsideFolder(folder: string, relativePath: string, namedIn: string): Promise<string> {
  if (typeof relativePath !== 'string' || relativePath.length === 0) {
    throw new InputError(namedIn, `names an empty or non-text file path (${JSON.stringify(relativePath)})`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(relativePath) && !/^[a-z]:[\\/]/i.test(relativePath)) {
    throw new InputError(namedIn, `names a URL (${relativePath}); Convscope only reads files beside the model`);
  }
  if (path.isAbsolute(relativePath) || /^[a-z]:[\\/]/i.test(relativePath)) {
    throw new InputError(namedIn, `names an absolute path (${relativePath}); weight files must be beside the model`);
  }
  const resolved = path.resolve(folder, relativePath);
  if (!isInside(folder, resolved)) {
    throw new InputError(namedIn, `names a path outside the model's folder (${relativePath})`);
  }
  let real: string;
  try {
    real = await realpath(resolved);
  } catch {
    // Missing files are reported by the reader with the file's own name.
    return resolved;
  }
  if (!isInside(await realpath(folder), real)) {
    throw new InputError(namedIn, `names a file that links outside the model's folder (${relativePath})`);
  }
  return resolved;
}

function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(folder), candidate);
  return relative.length > 0 && !relative.startsWith('..') && !path.isAbsolute(relative);
}
