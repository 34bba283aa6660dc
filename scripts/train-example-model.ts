// Trains the example "shapes" CNN on synthetic images and writes it, with labels, sample images and
// a README, to examples/shapes/. Run: npx tsx scripts/train-example-model.ts
import * as tf from '@tensorflow/tfjs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { saveLayersModelToDirectory } from '../src/engine/models/layers/layersModelWriter';
import { renderExampleReadme, type LayerRow, type SampleRow } from './example-data/exampleReadme';
import { mulberry32, shuffledIndices, type Random } from './example-data/prng';
import {
  BASE_IMAGE_SIZE,
  SHAPE_CLASSES,
  generateShapeImages,
  randomShapeScene,
  renderShapeScene,
  type ShapeImage,
} from './example-data/shapesDataset';
import { heatmapMassOutsideBox, outsideBoxMasks } from './example-data/localisationTraining';
import { buildShapesModel, type GlobalPooling } from './example-data/shapesModel';
import { useTrainingBackend } from './example-data/trainingBackend';

const OUTPUT_DIRECTORY = path.resolve('examples/shapes');
const TRAIN_COUNT = 3000;
const HELD_OUT_COUNT = 600;
const TRAIN_SEED = 1;
const HELD_OUT_SEED = 2;
const SAMPLE_SEED = 3;
const MODEL_SEED = 4;
const SHUFFLE_SEED = 5;
const BATCH_SIZE = 32;
const LABEL_SMOOTHING = 0.1;

/**
 * With global average pooling the small shape's features are averaged with the background's, and
 * training from scratch stays near chance for many epochs; with global max pooling it takes off
 * within a few. So the convolutions are first trained under max pooling, then carried over to the
 * average-pooling model that ships (its heatmaps follow the shape), which is trained on and
 * finally settled with a lower learning rate.
 */
const TRAINING_STAGES: TrainingStage[] = [
  { pooling: 'max', epochs: 6, learningRate: 1e-3 },
  { pooling: 'average', epochs: 10, learningRate: 1e-3 },
  { pooling: 'average', epochs: 4, learningRate: 2e-4 },
  { pooling: 'average', epochs: 4, learningRate: 2e-4, localisationWeight: 0.5 },
];
/** The last convolution, whose maps Grad-CAM weighs, and the Dense head that weighs them. */
const FEATURE_LAYER = 'conv2d_4';
const HEAD_LAYER = 'predictions';
const FEATURE_CELLS = 8;
const SAMPLES_PER_CLASS = 3;
const SAMPLE_SCALE = 2;
const SAMPLE_FILE_PATTERN = new RegExp(`^(${SHAPE_CLASSES.join('|')})-\\d+\\.png$`);

async function main(): Promise<void> {
  const backend = await useTrainingBackend();
  console.log(`Backend: ${backend}`);

  const trainImages = generateShapeImages(TRAIN_COUNT, TRAIN_SEED);
  const train = toTensors(trainImages);
  const outsideBox = outsideBoxMasks(
    trainImages.map((image) => image.boundingBox),
    BASE_IMAGE_SIZE,
    FEATURE_CELLS,
  );
  const heldOut = toTensors(generateShapeImages(HELD_OUT_COUNT, HELD_OUT_SEED));
  const startedAt = performance.now();
  const shuffleRandom = mulberry32(SHUFFLE_SEED);

  let pooling = TRAINING_STAGES[0].pooling;
  let model = buildShapesModel(MODEL_SEED, pooling);
  for (const [i, stage] of TRAINING_STAGES.entries()) {
    console.log(`Stage ${i + 1}: global ${stage.pooling} pooling, learning rate ${stage.learningRate}`);
    if (stage.pooling !== pooling) {
      const next = buildShapesModel(MODEL_SEED, stage.pooling);
      next.setWeights(model.getWeights());
      model.dispose();
      [model, pooling] = [next, stage.pooling];
    }
    if (stage.localisationWeight === undefined) await trainEpochs(model, train, heldOut, stage, shuffleRandom);
    else await trainEpochsWithLocalisation(model, { ...train, outsideBox }, heldOut, stage, stage.localisationWeight, shuffleRandom);
  }
  const trainingSeconds = (performance.now() - startedAt) / 1000;
  model.summary();
  const finalAccuracy = heldOutAccuracy(model, heldOut);
  console.log(`Held-out accuracy ${(finalAccuracy * 100).toFixed(2)}% after ${trainingSeconds.toFixed(0)} s of training.`);
  tf.dispose([train.xs, train.ys, outsideBox, heldOut.xs, heldOut.ys]);

  await mkdir(OUTPUT_DIRECTORY, { recursive: true });
  await saveLayersModelToDirectory(model, OUTPUT_DIRECTORY, { overwrite: true });
  await writeJson('labels.json', SHAPE_CLASSES);
  const samples = await writeSamples(model);
  await writeFile(
    path.join(OUTPUT_DIRECTORY, 'README.md'),
    renderExampleReadme({
      layers: layerRows(model),
      totalParams: model.countParams(),
      trainCount: TRAIN_COUNT,
      heldOutCount: HELD_OUT_COUNT,
      trainSeed: TRAIN_SEED,
      heldOutSeed: HELD_OUT_SEED,
      sampleSeed: SAMPLE_SEED,
      modelSeed: MODEL_SEED,
      shuffleSeed: SHUFFLE_SEED,
      stages: TRAINING_STAGES,
      batchSize: BATCH_SIZE,
      labelSmoothing: LABEL_SMOOTHING,
      backend,
      trainingSeconds,
      heldOutAccuracy: finalAccuracy,
      samples,
    }),
  );
  console.log(`Wrote ${OUTPUT_DIRECTORY}`);
}

type Dataset = { xs: tf.Tensor4D; ys: tf.Tensor2D };

interface TrainingStage {
  pooling: GlobalPooling;
  epochs: number;
  learningRate: number;
  /** Adds the heatmap-outside-the-box term (see localisationTraining.ts) with this weight. */
  localisationWeight?: number;
}

async function trainEpochs(model: tf.LayersModel, train: Dataset, heldOut: Dataset, stage: TrainingStage, shuffleRandom: Random): Promise<void> {
  model.compile({ optimizer: tf.train.adam(stage.learningRate), loss: smoothedCrossEntropy, metrics: ['accuracy'] });
  for (let epoch = 1; epoch <= stage.epochs; epoch++) {
    const epochStartedAt = performance.now();
    // Our own seeded shuffle (fit's `shuffle` uses an unseeded one), one fresh order per epoch.
    const order = tf.tensor1d(shuffledIndices(TRAIN_COUNT, shuffleRandom), 'int32');
    const xs = tf.gather(train.xs, order);
    const ys = tf.gather(train.ys, order);
    const history = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH_SIZE, shuffle: false, verbose: 0 });
    tf.dispose([order, xs, ys]);
    const loss = history.history.loss[0] as number;
    const accuracy = history.history.acc[0] as number;
    console.log(
      `epoch ${epoch}/${stage.epochs}: loss ${loss.toFixed(4)}, train accuracy ${(accuracy * 100).toFixed(2)}%, ` +
        `held-out accuracy ${(heldOutAccuracy(model, heldOut) * 100).toFixed(2)}% ` +
        `(${((performance.now() - epochStartedAt) / 1000).toFixed(1)} s)`,
    );
  }
}

/**
 * The same cross-entropy plus the share of each image's class heatmap outside the shape's box,
 * in a custom loop: `fit` has no access to the last convolution's maps.
 */
async function trainEpochsWithLocalisation(
  model: tf.LayersModel,
  train: Dataset & { outsideBox: tf.Tensor3D },
  heldOut: Dataset,
  stage: TrainingStage,
  localisationWeight: number,
  shuffleRandom: Random,
): Promise<void> {
  const featuresAndProbabilities = tf.model({ inputs: model.inputs, outputs: [model.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor, model.outputs[0]] });
  const headKernel = model.getLayer(HEAD_LAYER).trainableWeights[0];
  const optimizer = tf.train.adam(stage.learningRate);
  for (let epoch = 1; epoch <= stage.epochs; epoch++) {
    const epochStartedAt = performance.now();
    const order = shuffledIndices(TRAIN_COUNT, shuffleRandom);
    let crossEntropySum = 0;
    let outsideSum = 0;
    let batches = 0;
    for (let start = 0; start < TRAIN_COUNT; start += BATCH_SIZE) {
      const batch = tf.tensor1d(order.slice(start, start + BATCH_SIZE), 'int32');
      const [xs, ys, outside] = [tf.gather(train.xs, batch), tf.gather(train.ys, batch) as tf.Tensor2D, tf.gather(train.outsideBox, batch) as tf.Tensor3D];
      optimizer.minimize(() => {
        const [features, probabilities] = featuresAndProbabilities.apply(xs, { training: true }) as [tf.Tensor4D, tf.Tensor2D];
        const crossEntropy = tf.mean(smoothedCrossEntropy(ys, probabilities)) as tf.Scalar;
        const outsideShare = heatmapMassOutsideBox(features, headKernel.read() as tf.Tensor2D, ys, probabilities, outside);
        crossEntropySum += crossEntropy.dataSync()[0];
        outsideSum += outsideShare.dataSync()[0];
        return tf.add(crossEntropy, tf.mul(outsideShare, localisationWeight)) as tf.Scalar;
      });
      batches++;
      tf.dispose([batch, xs, ys, outside]);
    }
    console.log(
      `epoch ${epoch}/${stage.epochs}: cross-entropy ${(crossEntropySum / batches).toFixed(4)}, ` +
        `heatmap outside the box ${((outsideSum / batches) * 100).toFixed(1)}%, ` +
        `held-out accuracy ${(heldOutAccuracy(model, heldOut) * 100).toFixed(2)}% ` +
        `(${((performance.now() - epochStartedAt) / 1000).toFixed(1)} s)`,
    );
  }
  optimizer.dispose();
}

/**
 * Cross-entropy against labels smoothed towards uniform. It keeps the softmax out of saturation:
 * at probabilities of 0.9999… float32 gradients of a class probability (Grad-CAM's default score)
 * are mostly rounding noise, and the heatmaps with them.
 */
function smoothedCrossEntropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Tensor {
  const smoothed = tf.add(tf.mul(labels, 1 - LABEL_SMOOTHING), LABEL_SMOOTHING / SHAPE_CLASSES.length);
  return tf.metrics.categoricalCrossentropy(smoothed, probabilities);
}

/** Inputs scaled to 0..1 (the ÷255 preprocessing the viewer applies by default) and one-hot labels. */
function toTensors(images: ShapeImage[]): Dataset {
  const pixelCount = BASE_IMAGE_SIZE * BASE_IMAGE_SIZE * 3;
  const values = new Float32Array(images.length * pixelCount);
  images.forEach((image, i) => {
    for (let j = 0; j < pixelCount; j++) {
      values[i * pixelCount + j] = image.pixels[j] / 255;
    }
  });
  return tf.tidy(() => ({
    xs: tf.tensor4d(values, [images.length, BASE_IMAGE_SIZE, BASE_IMAGE_SIZE, 3]),
    ys: tf.oneHot(tf.tensor1d(images.map((image) => image.labelIndex), 'int32'), SHAPE_CLASSES.length) as tf.Tensor2D,
  }));
}

function heldOutAccuracy(model: tf.LayersModel, data: Dataset): number {
  return tf.tidy(() => {
    const predicted = (model.predict(data.xs, { batchSize: 100 }) as tf.Tensor).argMax(-1);
    return predicted.equal(data.ys.argMax(-1)).mean().dataSync()[0];
  });
}

/** The first few scenes of each class from the sample seed, as 2× PNGs plus samples.json. */
async function writeSamples(model: tf.LayersModel): Promise<SampleRow[]> {
  for (const file of await readdir(OUTPUT_DIRECTORY)) {
    if (SAMPLE_FILE_PATTERN.test(file)) {
      await rm(path.join(OUTPUT_DIRECTORY, file));
    }
  }
  const random = mulberry32(SAMPLE_SEED);
  const countByClass = new Map<string, number>();
  const images: { file: string; image: ShapeImage }[] = [];
  while (images.length < SAMPLES_PER_CLASS * SHAPE_CLASSES.length) {
    const image = renderShapeScene(randomShapeScene(random), SAMPLE_SCALE);
    const count = (countByClass.get(image.label) ?? 0) + 1;
    if (count <= SAMPLES_PER_CLASS) {
      countByClass.set(image.label, count);
      images.push({ file: `${image.label}-${count}.png`, image });
    }
  }
  images.sort((a, b) => a.file.localeCompare(b.file));

  const rows: SampleRow[] = [];
  for (const { file, image } of images) {
    await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: 3 } })
      .png({ compressionLevel: 9 })
      .toFile(path.join(OUTPUT_DIRECTORY, file));
    const probabilities = predictSample(model, image);
    const best = probabilities.indexOf(Math.max(...probabilities));
    rows.push({ file, label: image.label, predictedLabel: SHAPE_CLASSES[best], confidence: probabilities[best] });
    console.log(`${file}: ${image.label}, predicted ${SHAPE_CLASSES[best]} (${(probabilities[best] * 100).toFixed(1)}%)`);
  }
  await writeJson(
    'samples.json',
    images.map(({ file, image }) => ({
      file,
      label: image.label,
      width: image.width,
      height: image.height,
      boundingBox: image.boundingBox,
    })),
  );
  return rows;
}

/** Class probabilities for a sample PNG as the viewer would feed it: resized to the input size, ÷255. */
function predictSample(model: tf.LayersModel, image: ShapeImage): number[] {
  return tf.tidy(() => {
    const pixels = tf.tensor3d(image.pixels, [image.height, image.width, 3], 'int32').toFloat();
    const resized = tf.image.resizeBilinear(pixels, [BASE_IMAGE_SIZE, BASE_IMAGE_SIZE], false, true);
    const output = model.predict(resized.div(255).expandDims(0)) as tf.Tensor;
    return Array.from(output.dataSync());
  });
}

function layerRows(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    outputShape: JSON.stringify(layer.outputShape).replace(/,/g, ', '),
    params: layer.countParams(),
  }));
}

async function writeJson(fileName: string, value: unknown): Promise<void> {
  await writeFile(path.join(OUTPUT_DIRECTORY, fileName), JSON.stringify(value, null, 2) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
