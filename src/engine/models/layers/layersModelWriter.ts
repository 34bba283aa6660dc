// Writes a LayersModel to disk in the TF.js layers format (model.json + one weights shard), the same
// layout `tf.loadLayersModel('file://…')` and tfjs-node's `file://` saver use. Needs no tfjs-node.
import * as tf from '@tensorflow/tfjs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const MODEL_JSON_FILE_NAME = 'model.json';
export const DEFAULT_WEIGHTS_FILE_NAME = 'group1-shard1of1.bin';

export interface SaveLayersModelOptions {
  /** Name of the weights file written next to model.json. */
  weightsFileName?: string;
  /** Replace an existing model.json (and its weights file); refused by default. */
  overwrite?: boolean;
}

export async function saveLayersModelToDirectory(
  model: tf.LayersModel,
  directory: string,
  options: SaveLayersModelOptions = {},
): Promise<void> {
  const weightsFileName = options.weightsFileName ?? DEFAULT_WEIGHTS_FILE_NAME;
  if (weightsFileName !== path.basename(weightsFileName) || weightsFileName === MODEL_JSON_FILE_NAME) {
    throw new Error(`Invalid weights file name "${weightsFileName}": it must be a plain file name other than ${MODEL_JSON_FILE_NAME}.`);
  }
  const modelJsonPath = path.join(directory, MODEL_JSON_FILE_NAME);
  if (!options.overwrite && (await exists(modelJsonPath))) {
    throw new Error(`${modelJsonPath} already exists; pass { overwrite: true } to replace it.`);
  }
  await mkdir(directory, { recursive: true });

  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFileName], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first: a model.json on disk then always has its weights next to it.
      await writeFile(path.join(directory, weightsFileName), new Uint8Array(weightData));
      // 'wx' closes the race between the existence check above and this write.
      await writeFile(modelJsonPath, JSON.stringify(modelJson), { flag: options.overwrite ? 'w' : 'wx' });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await access(filePath);
    return true;
  } catch {
    return false;
  }
}
