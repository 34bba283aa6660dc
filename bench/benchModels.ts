// The benchmark's models, built in TF.js with seeded random weights (nothing is downloaded) and
// written in the layers format the engine reads: VGG16's convolutional base, VGG16 with its
// 1000-class classifier, and the study notes' 150×150 cats-vs-dogs convnet (Chollet 5.2).
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { saveLayersModelToDirectory, MODEL_JSON_FILE_NAME } from '../src/engine/models/layers/layersModelWriter';

export type BenchModelName = 'vgg16Base' | 'vgg16' | 'cholletConvnet';

/** VGG16's blocks: convolutions per block and their filters. */
export const VGG16_BLOCKS: ReadonlyArray<{ convolutions: number; filters: number }> = [
  { convolutions: 2, filters: 64 },
  { convolutions: 2, filters: 128 },
  { convolutions: 3, filters: 256 },
  { convolutions: 3, filters: 512 },
  { convolutions: 3, filters: 512 },
];

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Keras' `VGG16(include_top=…)` at 224×224×3, layer names as Keras gives them. */
function buildVgg16(includeTop: boolean): tf.Sequential {
  const model = tf.sequential({ name: includeTop ? 'vgg16' : 'vgg16_base' });
  let seed = 1;
  VGG16_BLOCKS.forEach(({ convolutions, filters }, blockIndex) => {
    const block = `block${blockIndex + 1}`;
    for (let conv = 1; conv <= convolutions; conv++) {
      model.add(
        tf.layers.conv2d({
          name: `${block}_conv${conv}`,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: seeded(seed++),
          ...(model.layers.length === 0 ? { inputShape: [224, 224, 3] } : {}),
        }),
      );
    }
    model.add(tf.layers.maxPooling2d({ name: `${block}_pool`, poolSize: 2, strides: 2 }));
  });
  if (includeTop) {
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(tf.layers.dense({ name: 'fc1', units: 4096, activation: 'relu', kernelInitializer: seeded(seed++) }));
    model.add(tf.layers.dense({ name: 'fc2', units: 4096, activation: 'relu', kernelInitializer: seeded(seed++) }));
    model.add(tf.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: seeded(seed++) }));
  }
  return model;
}

/** Chollet 5.2: Conv32-MaxPool-Conv64-MaxPool-Conv128-MaxPool-Conv128-MaxPool-Flatten-Dense512-Dense1 sigmoid, 150×150×3. */
function buildCholletConvnet(): tf.Sequential {
  const model = tf.sequential({ name: 'cats_and_dogs_small' });
  [32, 64, 128, 128].forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        name: `conv2d_${i + 1}`,
        filters,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: seeded(100 + i),
        ...(i === 0 ? { inputShape: [150, 150, 3] } : {}),
      }),
    );
    model.add(tf.layers.maxPooling2d({ name: `max_pooling2d_${i + 1}`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'dense_1', units: 512, activation: 'relu', kernelInitializer: seeded(110) }));
  model.add(tf.layers.dense({ name: 'dense_2', units: 1, activation: 'sigmoid', kernelInitializer: seeded(111) }));
  return model;
}

const BUILDERS: Record<BenchModelName, () => tf.Sequential> = {
  vgg16Base: () => buildVgg16(false),
  vgg16: () => buildVgg16(true),
  cholletConvnet: buildCholletConvnet,
};

export function benchModelPath(directory: string, name: BenchModelName): string {
  return path.join(directory, name, MODEL_JSON_FILE_NAME);
}

/** Writes the models not yet in `directory` (they are the same for every run: the weights are seeded). */
export async function writeBenchModels(directory: string, names: BenchModelName[]): Promise<void> {
  for (const name of names) {
    if (existsSync(benchModelPath(directory, name))) continue;
    const model = BUILDERS[name]();
    try {
      await saveLayersModelToDirectory(model, path.dirname(benchModelPath(directory, name)));
    } finally {
      model.dispose();
    }
  }
}
