// Opens a Keras `.keras` archive (Keras 3, and tf.keras 2.13–2.15): a zip holding `config.json`
// (the model config) and `model.weights.h5`, whose weights sit at `layers/<layer>/vars/<position>`
// (`_layer_checkpoint_dependencies/…` in tf.keras 2.x), nested models' layers below their own.
// Members are decompressed as a stream, a few KiB of input at a time, and refused as soon as they
// grow past their limit, so an archive cannot make us inflate much more than the limits allow; a
// member name used twice is refused.
import * as tf from '@tensorflow/tfjs';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openRegularFile } from '../../../files/regularFile';
import { InputError, describeError } from '../../../shared/errors';
import { parseConfigJson } from '../configJson';
import { ZIP_SIGNATURE, fileStartsWith } from '../fileSignature';
import { Hdf5Reader, type Hdf5Dataset } from './hdf5Reader';
import { buildLayersModel, type BuiltModel } from './layersModelBuilder';
import { checkWeightBytes, formatBytes, statModelFile } from './layersModelLoader';
import type { StoredWeight } from './weightMatching';
import type { ModelFileLimits } from '../../../shared/types';

const CONFIG_MEMBER = 'config.json';
const WEIGHTS_MEMBER = 'model.weights.h5';
/** model.weights.h5 may also hold optimizer state (Adam keeps two values per weight). */
const WEIGHTS_MEMBER_LIMIT_FACTOR = 3;
/** Groups whose children are layers, named after them. */
const LAYER_LIST_GROUPS = new Set(['layers', '_layer_checkpoint_dependencies']);

export async function loadKerasArchive(file: string, limits: ModelFileLimits): Promise<BuiltModel> {
  await statModelFile(file, 'Keras archive');
  if (!(await fileStartsWith(file, ZIP_SIGNATURE, 'Keras archive'))) throw new InputError(file, 'is not a .keras archive (not a zip file)');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'convscope-keras-')).catch((error: unknown) => {
    throw scratchProblem(file, os.tmpdir(), error);
  });
  try {
    const weightsFile = path.join(scratch, WEIGHTS_MEMBER);
    const configText = await extractMembers(file, weightsFile, limits);
    const modelConfig = parseConfigJson(configText, file, `has a ${CONFIG_MEMBER} that is not valid JSON`);
    const reader = await Hdf5Reader.open(weightsFile, file, limits.hdf5TimeoutMs);
    try {
      const { weights, datasets } = layerVariables(reader, file);
      checkWeightBytes(file, datasets, limits);
      return await buildLayersModel(file, modelConfig, {
        weights,
        read: (index) => tf.tensor(datasets[index].readFloat32(), datasets[index].shape, 'float32'),
        rules: ['layer-position', 'order'],
      });
    } finally {
      reader.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The temporary folder could not take the extracted weights: a full disk or a read-only or
 * forbidden folder is said as such (the archive is not at fault), naming the folder.
 */
function scratchProblem(file: string, folder: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'no space is left there'
      : code === 'EROFS'
        ? 'it is on a read-only file system'
        : code === 'EACCES' || code === 'EPERM'
          ? 'writing there is not permitted'
          : (code ?? describeError(error));
  return new InputError(file, `cannot be unpacked into the temporary folder ${folder}: ${reason} (set TMPDIR to another folder)`, { cause: error });
}

/** A member we extract: where its bytes go, and how many it may have. */
interface Target {
  limit: number;
  limitText: string;
  write(chunk: Uint8Array): void;
  started: boolean;
  complete: boolean;
}

/**
 * Compressed bytes handed to the decompressor at a time. Deflate expands at most about 1032 to 1,
 * and fflate inflates all it is given at once: so one push can overshoot a member's limit by at
 * most ~16 MiB before the size is checked.
 */
const INFLATE_INPUT_CHUNK = 16 * 1024;

/** Streams the archive once: returns config.json's text and writes model.weights.h5 to `weightsFile`. */
async function extractMembers(file: string, weightsFile: string, limits: ModelFileLimits): Promise<string> {
  const configChunks: Uint8Array[] = [];
  let weightsFd: number;
  try {
    weightsFd = openSync(weightsFile, 'wx', 0o600);
  } catch (error) {
    throw scratchProblem(file, path.dirname(weightsFile), error);
  }
  let failure: InputError | undefined;
  const targets = new Map<string, Target>([
    [CONFIG_MEMBER, { limit: limits.maxModelJsonBytes, limitText: 'limit for a model config', write: (chunk) => configChunks.push(chunk), started: false, complete: false }],
    [
      WEIGHTS_MEMBER,
      {
        limit: limits.maxWeightBytes * WEIGHTS_MEMBER_LIMIT_FACTOR,
        limitText: `limit (${WEIGHTS_MEMBER_LIMIT_FACTOR}× the weight limit, room for optimizer state)`,
        write: (chunk) => {
          try {
            writeSync(weightsFd, chunk);
          } catch (error) {
            failure ??= scratchProblem(file, path.dirname(weightsFile), error);
          }
        },
        started: false,
        complete: false,
      },
    ],
  ]);
  const seen = new Set<string>();
  const tooLarge = (name: string, target: Target) => new InputError(file, `member ${name} decompresses to more than ${formatBytes(target.limit)}, over the ${target.limitText}`);
  const unzip = new Unzip((member: UnzipFile) => {
    if (failure) return;
    // Python's zipfile (what Keras reads with) takes the last of two members of one name, we would
    // take the first; and a second copy would also escape the first one's size limit.
    if (seen.has(member.name)) {
      failure = new InputError(file, `holds two members named ${JSON.stringify(member.name)}; a Keras archive names each member once`);
      return;
    }
    seen.add(member.name);
    const target = targets.get(member.name);
    // Members not started are skipped without being inflated.
    if (!target) return;
    if (member.originalSize !== undefined && member.originalSize > target.limit) {
      failure = tooLarge(member.name, target);
      return;
    }
    target.started = true;
    let size = 0;
    member.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = new InputError(file, `member ${member.name} cannot be decompressed (${error.message})`, { cause: error });
        return;
      }
      size += chunk.length;
      // The size in the zip's header is the archive's word; the stream's own length is checked too.
      if (size > target.limit) {
        failure = tooLarge(member.name, target);
        member.terminate();
        return;
      }
      target.write(chunk);
      target.complete = final;
    };
    try {
      member.start();
    } catch (error) {
      failure = new InputError(file, `member ${member.name} uses a compression Convscope cannot read (${describeError(error)})`);
    }
  });
  unzip.register(UnzipInflate);
  const allComplete = () => [...targets.values()].every((target) => target.complete);
  try {
    const { handle } = await openRegularFile(file, 'Keras archive');
    try {
      const buffer = new Uint8Array(1024 * 1024);
      let position = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        for (let at = 0; at < bytesRead && !failure; at += INFLATE_INPUT_CHUNK) {
          // fflate keeps what it is given: each piece is a copy.
          unzip.push(buffer.slice(at, Math.min(at + INFLATE_INPUT_CHUNK, bytesRead)));
        }
        if (failure || allComplete()) break;
      }
    } finally {
      await handle.close();
    }
    if (!failure && !allComplete()) unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure ??= error instanceof InputError ? error : new InputError(file, `is not a readable zip archive (${describeError(error)})`, { cause: error });
  } finally {
    closeSync(weightsFd);
  }
  if (failure) throw failure;
  for (const [name, target] of targets) {
    if (!target.complete) throw new InputError(file, `is not a complete Keras archive: ${target.started ? `its ${name} ends early` : `it holds no ${name}`}`);
  }
  return Buffer.concat(configChunks).toString('utf8');
}

/** Bounds on the walk through model.weights.h5: Keras nests a few groups per nested model and lists each layer once. */
const MAX_LAYER_NESTING = 16;
const MAX_GROUPS_VISITED = 100_000;

/**
 * Every layer's `vars`, depth first, tagged with the layer's path and each variable's position.
 * Hard links can make groups their own descendants, so the walk is bounded in depth and size.
 */
function layerVariables(reader: Hdf5Reader, file: string): { weights: StoredWeight[]; datasets: Hdf5Dataset[] } {
  const weights: StoredWeight[] = [];
  const datasets: Hdf5Dataset[] = [];
  let visited = 0;
  const visit = (groupPath: string, layerPath: string[]) => {
    if (layerPath.length > MAX_LAYER_NESTING) throw new InputError(file, `its ${WEIGHTS_MEMBER} nests layers more than ${MAX_LAYER_NESTING} deep at "${groupPath}" (or its groups form a cycle)`);
    if (++visited > MAX_GROUPS_VISITED) throw new InputError(file, `its ${WEIGHTS_MEMBER} holds more than ${MAX_GROUPS_VISITED} layer groups (or its groups form a cycle)`);
    for (const child of reader.children(groupPath) ?? []) {
      const childPath = `${groupPath === '/' ? '' : groupPath}/${child}`;
      if (child === 'vars' && layerPath.length > 0) {
        for (const name of reader.children(childPath) ?? []) {
          if (!/^\d+$/.test(name)) continue;
          const dataset = reader.dataset(`${childPath}/${name}`);
          if (!dataset) continue;
          weights.push({ name: `${layerPath.join('/')}/vars/${name}`, shape: dataset.shape, layer: { path: layerPath, position: Number(name) } });
          datasets.push(dataset);
        }
      } else if (LAYER_LIST_GROUPS.has(child)) {
        for (const layer of reader.children(childPath) ?? []) visit(`${childPath}/${layer}`, [...layerPath, layer]);
      }
    }
  };
  visit('/', []);
  return { weights, datasets };
}
