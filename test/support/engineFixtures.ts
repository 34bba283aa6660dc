// Models and images the tests make themselves, written in the real on-disk formats.
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initializeBackend } from '../../src/engine/tfjs/backend';
import { saveLayersModelToDirectory } from '../../src/engine/models/layers/layersModelWriter';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const WASM_DIRECTORY = path.join(REPO_ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

/** Starts the WASM backend once for the test process (the one most users run). */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() !== 'wasm') await initializeBackend('wasm', { wasmDirectory: WASM_DIRECTORY });
}

export async function makeTempDir(prefix = 'convscope-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The study notes' cats-vs-dogs convnet (Chollet 5.2): 150×150×3, Conv2D 32/64/128/128 (3×3, relu)
 * each followed by 2×2 max pooling, Flatten, Dropout 0.5, Dense 512 relu, Dense 1 sigmoid.
 * Weights are seeded so every run builds the same model.
 */
export function buildCatsVsDogsConvnet(seed = 1): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 100 + offset });
  const model = tf.sequential({ name: 'cats_and_dogs_small' });
  [32, 64, 128, 128].forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(i),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [150, 150, 3] } : {}),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.5 }));
  model.add(tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(10) }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(11) }));
  return model;
}

/** A small convnet (fast in tests) with a Dense head: 32×32×3 → conv 8 → pool → conv 4 → flatten → dense 3. */
export function buildTinyConvnet(options: { seed?: number; inputChannels?: number; name?: string } = {}): tf.Sequential {
  const seed = options.seed ?? 7;
  const model = tf.sequential({ name: options.name ?? 'tiny_convnet' });
  model.add(tf.layers.conv2d({ inputShape: [32, 32, options.inputChannels ?? 3], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
  return model;
}

/** Writes `model` as model.json + weights into a new folder under `parent`; returns the model.json path. */
export async function writeModel(model: tf.LayersModel, parent: string, folderName = 'model'): Promise<string> {
  const folder = path.join(parent, folderName);
  await saveLayersModelToDirectory(model, folder);
  return path.join(folder, 'model.json');
}

/** A PNG of smooth gradients and a bright square, so activations are not all alike. */
export async function writeTestImage(file: string, width = 96, height = 80, channels: 1 | 3 | 4 = 3): Promise<string> {
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare = x > width / 3 && x < (2 * width) / 3 && y > height / 3 && y < (2 * height) / 3;
      for (let c = 0; c < channels; c++) {
        const value = c === 3 ? 255 : inSquare ? 240 - c * 60 : (x * 255) / width / (c + 1) + (y * 128) / height;
        pixels[(y * width + x) * channels + c] = Math.min(255, Math.round(value));
      }
    }
  }
  await sharp(pixels, { raw: { width, height, channels } }).png().toFile(file);
  return file;
}
