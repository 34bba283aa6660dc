import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { readDatasetFolder } from '../../src/engine/analyses/dataset/datasetFolder';
import { mapFolderLabels } from '../../src/engine/analyses/dataset/labelMapping';
import { MeanHeatmap, evidenceLocation } from '../../src/engine/analyses/dataset/evidenceLocation';
import { openLoadedModel } from '../../src/engine/loadedModel';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { runDatasetJob, type DatasetJobHooks } from '../../src/jobs/datasetJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { DATASET_DEFAULTS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { DatasetJobRequest } from '../../src/shared/engineProtocol';
import { InputError, JobCancelledError } from '../../src/shared/errors';
import type { DatasetImageResult, DatasetSkippedImage } from '../../src/shared/types';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { writeShapesDataset, type WrittenDatasetImage } from '../support/datasetFixtures';

const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');
const CLASSES = ['circle', 'square', 'triangle'];

describe('dataset folder and label mapping', () => {
  let root: string;
  beforeEach(async () => {
    root = await makeTempDir('convscope-dataset-');
  });
  afterEach(() => removeDir(root));

  it('lists images recursively in code-point order and labels them by their top subfolder', async () => {
    for (const file of ['dogs/b.jpg', 'cats/deep/a.PNG', 'cats/z.webp', 'Birds/x.png', 'top.png', 'cats/notes.txt', 'cats/.hidden.png']) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), 'x');
    }
    const dataset = await readDatasetFolder(root, 100);
    assert.deepEqual(
      dataset.images.map((image) => [image.relativePath, image.folderLabel]),
      [
        ['Birds/x.png', 'Birds'],
        ['cats/deep/a.PNG', 'cats'],
        ['cats/z.webp', 'cats'],
        ['dogs/b.jpg', 'dogs'],
        ['top.png', undefined],
      ],
    );
    assert.deepEqual(dataset.classFolders, ['Birds', 'cats', 'dogs']);
    assert.equal(dataset.unlabelledCount, 1);
    await assert.rejects(readDatasetFolder(root, 3), (error: unknown) => error instanceof InputError && /more than 3 images/.test(error.message));
  });

  it('has no class folders when every image is at the top', async () => {
    await writeFile(path.join(root, 'a.png'), 'x');
    const dataset = await readDatasetFolder(root, 100);
    assert.deepEqual(dataset.classFolders, []);
    assert.equal(dataset.images[0].folderLabel, undefined);
  });

  it('maps folders by class name, ignoring case and separators', () => {
    const mapping = mapFolderLabels(['Square', 'circle', 'tri_angle', 'other'], { classCount: 3, names: ['circle', 'square', 'tri-angle'], binary: false });
    assert.deepEqual(mapping.folderToClass, { Square: 1, circle: 0, tri_angle: 2 });
    assert.deepEqual(mapping.unmapped, ['other']);
    assert.equal(mapping.needsConfirmation, true);
  });

  it("gives a single-sigmoid model the two folders in sorted order, as flow_from_directory does, without asking", () => {
    const mapping = mapFolderLabels(['cats', 'dogs'], { classCount: 2, binary: true });
    assert.deepEqual(mapping.folderToClass, { cats: 0, dogs: 1 });
    assert.equal(mapping.how.cats, 'sortedOrder');
    assert.equal(mapping.needsConfirmation, false);
  });

  it('guesses sorted order for a model without names and asks to confirm it; a given mapping wins', () => {
    const guessed = mapFolderLabels(['a', 'b', 'c'], { classCount: 3, binary: false });
    assert.deepEqual(guessed.folderToClass, { a: 0, b: 1, c: 2 });
    assert.equal(guessed.needsConfirmation, true);
    const given = mapFolderLabels(['a', 'b', 'c'], { classCount: 3, binary: false }, { a: 2, b: 0, c: 1 });
    assert.deepEqual(given.folderToClass, { a: 2, b: 0, c: 1 });
    assert.equal(given.needsConfirmation, false);
    const outOfRange = mapFolderLabels(['a'], { classCount: 3, names: ['x', 'y', 'z'], binary: false }, { a: 7 });
    assert.deepEqual(outOfRange.unmapped, ['a']);
  });
});

describe('evidence location score', () => {
  const map = (side: number, value: (x: number, y: number) => number) => Float32Array.from({ length: side * side }, (_, i) => value(i % side, Math.floor(i / side)));

  it('is 0 off-centre for evidence in the middle half, 1 on the border for evidence on the outer eighth', () => {
    const centre = evidenceLocation(map(8, (x, y) => (x >= 2 && x < 6 && y >= 2 && y < 6 ? 1 : 0)), 8, 8);
    assert.deepEqual(centre, { offCentre: 0, onBorder: 0 });
    const frame = evidenceLocation(map(8, (x, y) => (x === 0 || y === 0 || x === 7 || y === 7 ? 1 : 0)), 8, 8);
    assert.equal(frame.offCentre, 1);
    assert.ok(Math.abs(frame.onBorder - 1) < 1e-12);
  });

  it('counts straddling cells by overlap, so a uniform map gives the regions’ areas at any resolution', () => {
    for (const side of [3, 7, 14]) {
      const { offCentre, onBorder } = evidenceLocation(map(side, () => 0.5), side, side);
      assert.ok(Math.abs(offCentre - 0.75) < 1e-9, `${side}: ${offCentre}`);
      assert.ok(Math.abs(onBorder - (1 - 0.75 ** 2)) < 1e-9, `${side}: ${onBorder}`);
    }
    assert.deepEqual(evidenceLocation(new Float32Array(4), 2, 2), { offCentre: 0, onBorder: 0 });
  });

  it('averages heatmaps', () => {
    const mean = new MeanHeatmap(2, 1);
    mean.add(Float32Array.from([1, 0]));
    mean.add(Float32Array.from([0, 0.5]));
    assert.deepEqual(Array.from(mean.mean()), [0.5, 0.25]);
  });
});

describe('dataset job', function () {
  this.timeout(240_000);
  let root: string;
  let dataFolder: string;
  let written: WrittenDatasetImage[];
  /** The example model's class for each written image, predicted one image at a time, apart from the job. */
  const expected = new Map<string, { predicted: number; confidence: number }>();

  const request = (overrides: Partial<DatasetJobRequest> = {}): DatasetJobRequest => ({
    modelPath: EXAMPLE_MODEL,
    folder: dataFolder,
    cacheRoot: path.join(root, 'cache'),
    batchSize: 8,
    maxImages: DATASET_DEFAULTS.maxImages,
    thumbnailSize: 48,
    colormap: 'jet',
    intensity: 0.4,
    limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS },
    ...overrides,
  });

  interface Collected {
    images: DatasetImageResult[];
    skipped: DatasetSkippedImage[];
    batches: number;
  }
  const collecting = (collected: Collected, extra: Partial<DatasetJobHooks> = {}): DatasetJobHooks => ({
    checkCancelled: async () => {},
    onImages: (images, skipped) => {
      collected.images.push(...images);
      collected.skipped.push(...skipped);
      collected.batches++;
    },
    ...extra,
  });
  const fresh = (): Collected => ({ images: [], skipped: [], batches: 0 });

  before(async () => {
    await useWasmBackend();
    root = await makeTempDir('convscope-dataset-job-');
    dataFolder = path.join(root, 'data');
    written = await writeShapesDataset(dataFolder, { count: 30, seed: 7, mislabelEvery: 5, broken: ['broken.png', 'empty.jpg'] });
    const loaded = await openLoadedModel(EXAMPLE_MODEL, DEFAULT_MODEL_LIMITS);
    try {
      for (const image of written) {
        const pixels = await readImageForModel(path.join(dataFolder, image.relativePath), { height: 64, width: 64, channels: 3 });
        const input = preprocessPixels(pixels.pixels, 3, loaded.summary.defaultPreprocess);
        const scores = tf.tidy(() => ((loaded.patternModel as tf.LayersModel).predict(tf.tensor4d(input, [1, 64, 64, 3])) as tf.Tensor).dataSync());
        const predicted = scores.indexOf(Math.max(...scores));
        expected.set(image.relativePath, { predicted, confidence: scores[predicted] });
      }
    } finally {
      loaded.dispose();
    }
  });
  after(async () => {
    releaseCachedModel();
    await removeDir(root);
  });

  it('predicts every image in batches, with accuracy and confusion matching predictions made one by one', async () => {
    const collected = fresh();
    const summary = await runDatasetJob(request(), collecting(collected));
    assert.equal(summary.imageCount, written.length + 2);
    assert.equal(collected.images.length, written.length);
    assert.equal(collected.batches, Math.ceil((written.length + 2) / 8));
    assert.deepEqual(summary.classNames, CLASSES);
    assert.deepEqual(summary.mapping.folderToClass, { circle: 0, square: 1, triangle: 2 });

    const confusion = CLASSES.map(() => CLASSES.map(() => 0));
    let correct = 0;
    for (const image of written) {
      const result = collected.images.find((candidate) => candidate.relativePath === image.relativePath);
      assert.ok(result, image.relativePath);
      const { predicted, confidence } = expected.get(image.relativePath)!;
      const trueClass = CLASSES.indexOf(image.folderLabel);
      assert.equal(result.predictedClass, predicted, image.relativePath);
      assert.ok(Math.abs(result.confidence - confidence) < 1e-4);
      assert.equal(result.trueClass, trueClass);
      assert.equal(result.correct, predicted === trueClass);
      confusion[trueClass][predicted]++;
      if (predicted === trueClass) correct++;
    }
    assert.deepEqual(summary.confusion, confusion);
    assert.equal(summary.labelledCount, written.length);
    assert.equal(summary.correctCount, correct);
    assert.equal(summary.accuracy, correct / written.length);
    // The mislabelled sixth of the images make errors whatever the model sees.
    const errors = collected.images.filter((image) => image.correct === false);
    assert.ok(errors.length >= written.length / 5 - 1, `${errors.length} errors`);
  });

  it('lists unreadable files with their reason and goes on', async () => {
    const collected = fresh();
    const summary = await runDatasetJob(request(), collecting(collected));
    assert.deepEqual(summary.skipped.map((skip) => skip.relativePath).sort(), ['circle/broken.png', 'circle/empty.jpg']);
    for (const skip of summary.skipped) assert.match(skip.reason, /not an image|cannot be decoded|empty|format/i, skip.reason);
    assert.equal(summary.predictedCount, written.length);
  });

  it("explains each error: a heatmap overlay on disk, where its evidence lies, and its class's mean error heatmap", async () => {
    const collected = fresh();
    const summary = await runDatasetJob(request(), collecting(collected));
    const errors = collected.images.filter((image) => image.correct === false);
    assert.ok(errors.length > 0);
    for (const error of errors) {
      assert.ok(error.heatmapOverlay, error.relativePath);
      const overlay = await sharp(path.join(summary.cacheFolder, error.heatmapOverlay)).metadata();
      assert.equal(overlay.width, 48);
      assert.ok(error.offCentre! >= 0 && error.offCentre! <= 1 && error.onBorder! <= error.offCentre! + 1e-9);
    }
    for (const image of collected.images.filter((result) => result.correct)) assert.equal(image.heatmapOverlay, undefined);
    const errorsByClass = new Map<number, number>();
    for (const error of errors) errorsByClass.set(error.trueClass!, (errorsByClass.get(error.trueClass!) ?? 0) + 1);
    assert.deepEqual(
      summary.meanErrorHeatmaps.map((mean) => [mean.classIndex, mean.errorCount]),
      [...errorsByClass].sort(([a], [b]) => a - b),
    );
    for (const mean of summary.meanErrorHeatmaps) {
      const { width, height } = await sharp(path.join(summary.cacheFolder, mean.png)).metadata();
      assert.ok(width! >= 128 && width === height, `${width}×${height}`);
    }
    for (const image of collected.images) assert.equal((await sharp(path.join(summary.cacheFolder, image.thumbnail!)).metadata()).height, 48);
  });

  it('resumes a cancelled run from the cache, keyed by file content', async () => {
    const cacheRoot = path.join(root, 'resume-cache');
    const first = fresh();
    await assert.rejects(
      runDatasetJob(request({ cacheRoot }), collecting(first, { checkCancelled: async () => { if (first.batches >= 2) throw new JobCancelledError(); } })),
      JobCancelledError,
    );
    assert.equal(first.images.length + first.skipped.length, 16);
    // A renamed image is still found by its content.
    const renamed = first.images[0].relativePath;
    const movedTo = renamed.replace(/\.png$/, '-renamed.png');
    await writeFile(path.join(dataFolder, movedTo), await readFile(path.join(dataFolder, renamed)));
    try {
      const second = fresh();
      const summary = await runDatasetJob(request({ cacheRoot }), collecting(second));
      const cachedNames = second.images.filter((image) => image.cached).map((image) => image.relativePath);
      assert.deepEqual(cachedNames.sort(), [...first.images.map((image) => image.relativePath), movedTo].sort());
      assert.equal(summary.cachedCount, first.images.length + 1);
      const again = fresh();
      const rerun = await runDatasetJob(request({ cacheRoot }), collecting(again));
      assert.equal(rerun.cachedCount, rerun.predictedCount);
      assert.deepEqual(rerun.confusion, summary.confusion);
      assert.deepEqual(again.images.map((image) => image.heatmapOverlay), second.images.map((image) => image.heatmapOverlay));
    } finally {
      await removeDir(path.join(dataFolder, movedTo));
    }
  });

  it('keys the cache by the model content: another model gets its own folder', async () => {
    const cacheRoot = path.join(root, 'model-cache');
    const summary = await runDatasetJob(request({ cacheRoot, folder: path.join(dataFolder, 'square') }), collecting(fresh()));
    const otherModel = path.join(root, 'other-model');
    await mkdir(otherModel);
    for (const file of await readdir(path.dirname(EXAMPLE_MODEL))) {
      if (file.endsWith('.json') || file.endsWith('.bin')) await writeFile(path.join(otherModel, file), await readFile(path.join(path.dirname(EXAMPLE_MODEL), file)));
    }
    const weights = path.join(otherModel, 'group1-shard1of1.bin');
    const bytes = await readFile(weights);
    bytes[bytes.length - 1] ^= 0x01;
    await writeFile(weights, bytes);
    const other = await runDatasetJob(request({ cacheRoot, modelPath: path.join(otherModel, 'model.json'), folder: path.join(dataFolder, 'square') }), collecting(fresh()));
    assert.notEqual(other.cacheFolder, summary.cacheFolder);
    assert.equal(other.cachedCount, 0);
  });

  it('says so for a folder with no images', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(path.join(empty, 'sub'), { recursive: true });
    await assert.rejects(runDatasetJob(request({ folder: empty }), collecting(fresh())), (error: unknown) => error instanceof InputError && /holds no images/.test(error.message));
  });
});
