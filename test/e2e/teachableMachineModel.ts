// A Teachable Machine-style image model for the end-to-end test, made here with TF.js: a small
// convnet saved as a layers-format model.json with its weights, the metadata.json Teachable Machine
// writes beside it (its labels, its image library), and a sample image at the model's input size.
// The reference predictions are computed here too, on the image as Teachable Machine's library
// feeds it (pixels / 127.5 - 1), and as the study notes' ÷ 255 would, to show the two differ.
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export const TM_LABELS = ['Cat', 'Dog', 'Bird'];
const SIDE = 32;

export interface TeachableMachineModel {
  folder: string;
  modelPath: string;
  imageName: string;
  /** Class probabilities for the image preprocessed to [-1, 1], as Teachable Machine does. */
  reference: number[];
  /** The same for pixels ÷ 255 (what `auto` picked before it read metadata.json). */
  rescaled: number[];
}

function buildModel(): tf.Sequential {
  const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
  const bias = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.5 });
  return tf.sequential({
    name: 'tm-my-image-model',
    layers: [
      tf.layers.conv2d({ name: 'conv2d_1', inputShape: [SIDE, SIDE, 3], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1), biasInitializer: bias(2) }),
      tf.layers.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2d_2', filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(3), biasInitializer: bias(4) }),
      tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d_1' }),
      tf.layers.dense({ name: 'dense_1', units: TM_LABELS.length, activation: 'softmax', kernelInitializer: tf.initializers.randomNormal({ seed: 5, stddev: 3 }) }),
    ],
  });
}

/** A picture with the whole 0–255 range in every channel: gradients and a bright square. */
function samplePixels(): Uint8Array {
  const pixels = new Uint8Array(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const inSquare = x >= 8 && x < 20 && y >= 10 && y < 22;
      const offset = (y * SIDE + x) * 3;
      pixels[offset] = inSquare ? 250 : Math.round((x / (SIDE - 1)) * 255);
      pixels[offset + 1] = inSquare ? 230 : Math.round((y / (SIDE - 1)) * 255);
      pixels[offset + 2] = inSquare ? 20 : 255 - Math.round(((x + y) / (2 * SIDE - 2)) * 255);
    }
  }
  return pixels;
}

function predict(model: tf.LayersModel, pixels: Uint8Array, scale: (value: number) => number): number[] {
  return tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(pixels, scale), [1, SIDE, SIDE, 3]);
    return [...(model.predict(input) as tf.Tensor).dataSync()];
  });
}

/** Writes the model, its metadata.json and its sample image into `folder`. */
export async function writeTeachableMachineModel(folder: string): Promise<TeachableMachineModel> {
  await tf.setBackend('cpu');
  const model = buildModel();
  await mkdir(folder, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      if (!weightData) throw new Error('the model has no weights to save');
      const bytes = Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData;
      await writeFile(path.join(folder, 'weights.bin'), new Uint8Array(bytes));
      const manifest = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(path.join(folder, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // What Teachable Machine's image export writes beside model.json.
  const metadata = {
    tfjsVersion: '1.3.1',
    tmVersion: '2.4.7',
    packageVersion: '0.8.4',
    packageName: '@teachablemachine/image',
    timeStamp: '2024-01-01T00:00:00.000Z',
    userMetadata: {},
    modelName: 'tm-my-image-model',
    labels: TM_LABELS,
    imageSize: SIDE,
  };
  await writeFile(path.join(folder, 'metadata.json'), JSON.stringify(metadata));
  const imageName = 'tm-sample.png';
  const pixels = samplePixels();
  await sharp(Buffer.from(pixels), { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toFile(path.join(folder, imageName));
  const reference = predict(model, pixels, (value) => value / 127.5 - 1);
  const rescaled = predict(model, pixels, (value) => value / 255);
  model.dispose();
  return { folder, modelPath: path.join(folder, 'model.json'), imageName, reference, rescaled };
}
