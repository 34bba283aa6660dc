// The SHA-256 of what a model is — its file and, for a model.json, each weights file its manifest
// names (by name and content) — for caches keyed by content rather than by path. Every file is
// opened as a regular file only (a FIFO or device named as a shard would otherwise hold one of the
// few threads of libuv's pool that the extension host shares) and hashed in chunks, never held
// whole. Remembered per file sizes and modification times, so an unchanged model is not read again.
import { createHash, type Hash } from 'node:crypto';
import path from 'node:path';
import { resolveInsideFolder } from './confinedPath';
import { fileStamp } from './fileStamp';
import { openRegularFile, readRegularFile } from './regularFile';

const CHUNK_BYTES = 1 << 20;
/** A model.json is configuration: anything larger is not one the engine would load either. */
const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

const remembered = new Map<string, { stamp: string; hash: string }>();

export async function modelContentHash(modelPath: string): Promise<string> {
  const files = await modelFiles(modelPath);
  const stamp = (await Promise.all(files.map(async (file) => `${file}:${await fileStamp(file)}`))).join('|');
  const known = remembered.get(modelPath);
  if (known?.stamp === stamp) return known.hash;
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${path.basename(file)}\0`);
    // A shard that cannot be read fails the model's load, not its hash.
    await hashFile(hash, file).catch(() => hash.update('unreadable\0'));
  }
  const digest = hash.digest('hex');
  remembered.set(modelPath, { stamp, hash: digest });
  return digest;
}

/** The model's file, and for a model.json the weights files inside its folder that its manifest names. */
async function modelFiles(modelPath: string): Promise<string[]> {
  if (path.extname(modelPath).toLowerCase() !== '.json') return [modelPath];
  try {
    const json = await readRegularFile(modelPath, 'model file', { maxBytes: MAX_MODEL_JSON_BYTES, tooLarge: () => 'is too large for a model.json' });
    const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths?: unknown[] }[] }).weightsManifest ?? [];
    const shards = manifest.flatMap((group) => (Array.isArray(group.paths) ? group.paths.filter((file): file is string => typeof file === 'string') : []));
    return [modelPath, ...(await Promise.all(shards.map((shard) => resolveInsideFolder(path.dirname(modelPath), shard, modelPath))))];
  } catch {
    // The engine says what is wrong with the file; the cache key is then the file alone.
    return [modelPath];
  }
}

async function hashFile(hash: Hash, file: string): Promise<void> {
  const { handle } = await openRegularFile(file, 'model file');
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return;
      hash.update(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}
