import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BASE_IMAGE_SIZE,
  NOISE_AMPLITUDE,
  SHAPE_CLASSES,
  generateShapeImages,
  type ShapeImage,
} from '../../scripts/example-data/shapesDataset';
import { DEFAULT_WEIGHTS_FILE_NAME, saveLayersModelToDirectory } from '../../src/engine/models/layers/layersModelWriter';

/** Summed |ΔR|+|ΔG|+|ΔB| between pixel `index` and the image's noise-free background colour. */
function distanceFromBackground(image: ShapeImage, index: number): number {
  let distance = 0;
  for (let channel = 0; channel < 3; channel++) {
    distance += Math.abs(image.pixels[index * 3 + channel] - image.backgroundColor[channel]);
  }
  return distance;
}

function isInsideBox(image: ShapeImage, x: number, y: number): boolean {
  const box = image.boundingBox;
  return x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
}

describe('synthetic shapes dataset', () => {
  const images = generateShapeImages(300, 42);

  it('gives identical images and boxes for the same seed, and different ones for another seed', () => {
    const again = generateShapeImages(20, 42);
    again.forEach((image, i) => {
      assert.deepEqual(image.pixels, images[i].pixels);
      assert.deepEqual(image.boundingBox, images[i].boundingBox);
      assert.equal(image.label, images[i].label);
    });
    const other = generateShapeImages(1, 43)[0];
    assert.notDeepEqual(other.pixels, images[0].pixels);
  });

  it('makes 64×64 RGB images with a label from the class list', () => {
    for (const image of images) {
      assert.equal(image.width, BASE_IMAGE_SIZE);
      assert.equal(image.height, BASE_IMAGE_SIZE);
      assert.equal(image.pixels.length, BASE_IMAGE_SIZE * BASE_IMAGE_SIZE * 3);
      assert.equal(SHAPE_CLASSES[image.labelIndex], image.label);
    }
  });

  it('keeps every bounding box inside the image', () => {
    for (const { boundingBox: box, width, height } of images) {
      assert.ok(box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0, JSON.stringify(box));
      assert.ok(box.x + box.width <= width && box.y + box.height <= height, JSON.stringify(box));
    }
  });

  it('draws the shape inside its box and only background (plus noise) outside it', () => {
    // Only the shape can move a pixel further from the background colour than the noise does.
    const noiseOnly = 3 * (NOISE_AMPLITUDE + 1);
    for (const image of images) {
      let shapePixelsInBox = 0;
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const distance = distanceFromBackground(image, y * image.width + x);
          if (isInsideBox(image, x, y)) {
            shapePixelsInBox += distance > noiseOnly ? 1 : 0;
          } else {
            assert.ok(distance <= noiseOnly, `pixel (${x}, ${y}) outside ${JSON.stringify(image.boundingBox)} is not background`);
          }
        }
      }
      const boxArea = image.boundingBox.width * image.boundingBox.height;
      assert.ok(shapePixelsInBox / boxArea > 0.3, `${image.label}: only ${shapePixelsInBox}/${boxArea} box pixels differ`);
    }
  });

  it('renders the same scene at 2× scale with a box twice as large', () => {
    const small = generateShapeImages(5, 7);
    const large = generateShapeImages(5, 7, 2);
    large.forEach((image, i) => {
      assert.equal(image.width, 2 * BASE_IMAGE_SIZE);
      assert.equal(image.label, small[i].label);
      assert.ok(Math.abs(image.boundingBox.x - 2 * small[i].boundingBox.x) <= 2);
      assert.ok(Math.abs(image.boundingBox.width - 2 * small[i].boundingBox.width) <= 2);
    });
  });

  it('has roughly balanced classes', () => {
    const counts = SHAPE_CLASSES.map((label) => images.filter((image) => image.label === label).length);
    for (const count of counts) {
      assert.ok(count > images.length * 0.25 && count < images.length * 0.42, `class counts ${counts.join(', ')}`);
    }
  });
});

describe('saveLayersModelToDirectory', () => {
  let directory: string;
  // Other suites share this process's TF.js engine: put their backend back afterwards.
  let previousBackend: string | null;

  before(async () => {
    previousBackend = tf.engine().backendName;
    await tf.setBackend('cpu');
  });

  after(async () => {
    if (previousBackend != null && previousBackend !== 'cpu') {
      await tf.setBackend(previousBackend);
    }
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'convscope-writer-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  function smallModel(): tf.LayersModel {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv2d_1' }));
    model.add(tf.layers.globalAveragePooling2d({ name: 'pool' }));
    model.add(tf.layers.dense({ units: 2, activation: 'softmax', name: 'predictions' }));
    return model;
  }

  it('writes model.json and a weights file that tf.loadLayersModel-style parsing accepts', async () => {
    const model = smallModel();
    await saveLayersModelToDirectory(model, directory);

    const modelJson = JSON.parse(await readFile(path.join(directory, 'model.json'), 'utf8'));
    assert.equal(modelJson.format, 'layers-model');
    assert.equal(modelJson.convertedBy, null);
    assert.match(modelJson.generatedBy, /TensorFlow\.js/);
    assert.equal(modelJson.modelTopology.class_name, 'Sequential');
    assert.equal(modelJson.weightsManifest.length, 1);
    assert.deepEqual(modelJson.weightsManifest[0].paths, [DEFAULT_WEIGHTS_FILE_NAME]);

    const specs: { name: string; shape: number[]; dtype: string }[] = modelJson.weightsManifest[0].weights;
    const expectedBytes = specs.reduce((sum, spec) => sum + 4 * spec.shape.reduce((a, b) => a * b, 1), 0);
    const weightsFile = path.join(directory, DEFAULT_WEIGHTS_FILE_NAME);
    assert.equal((await stat(weightsFile)).size, expectedBytes);
    assert.equal(expectedBytes, 4 * model.countParams());

    // Loading it back gives the same weights.
    const weightData = new Uint8Array(await readFile(weightsFile)).buffer;
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }),
    );
    const input = tf.ones([1, 8, 8, 3]);
    const expected = (model.predict(input) as tf.Tensor).dataSync();
    const actual = (loaded.predict(input) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(actual), Array.from(expected));
    tf.dispose([input]);
  });

  it('refuses to overwrite an existing model.json unless asked to', async () => {
    await saveLayersModelToDirectory(smallModel(), directory);
    const before = await readFile(path.join(directory, 'model.json'), 'utf8');
    await assert.rejects(saveLayersModelToDirectory(smallModel(), directory), /already exists/);
    assert.equal(await readFile(path.join(directory, 'model.json'), 'utf8'), before);
    await saveLayersModelToDirectory(smallModel(), directory, { overwrite: true });
  });

  it('honours a custom weights file name and rejects paths', async () => {
    await saveLayersModelToDirectory(smallModel(), directory, { weightsFileName: 'weights.bin' });
    const modelJson = JSON.parse(await readFile(path.join(directory, 'model.json'), 'utf8'));
    assert.deepEqual(modelJson.weightsManifest[0].paths, ['weights.bin']);
    assert.ok((await stat(path.join(directory, 'weights.bin'))).size > 0);
    await assert.rejects(
      saveLayersModelToDirectory(smallModel(), path.join(directory, 'other'), { weightsFileName: '../escape.bin' }),
      /plain file name/,
    );
  });
});
