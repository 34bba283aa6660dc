// Explain Folder, shared by the worker and the CLI: every image under a folder predicted in
// batches, each result streamed as its batch finishes; for each misclassified image, Grad-CAM of
// the class it was taken for, where that evidence lies (evidenceLocation.ts) and its share of its
// true class's mean error heatmap. Predictions, thumbnails and heatmaps are cached on disk
// (datasetCache.ts), so a stopped run resumes where it stopped and memory stays flat: the job
// holds one batch of images at a time, and per class one running mean.
import sharp from 'sharp';
import { currentBackend } from '../engine/tfjs/backend';
import { InputError, JobCancelledError, describeError } from '../shared/errors';
import { classNameOf, loadClassNames } from '../engine/analyses/classNames';
import { argMax } from '../engine/analyses/gradCam';
import { readDatasetFolder, type DatasetImage } from '../engine/analyses/dataset/datasetFolder';
import { mapFolderLabels } from '../engine/analyses/dataset/labelMapping';
import { predictBatch } from '../engine/analyses/dataset/batchPredictions';
import { ConfusionMatrix } from '../engine/analyses/dataset/confusionMatrix';
import { MeanHeatmap, evidenceLocation } from '../engine/analyses/dataset/evidenceLocation';
import { DatasetCache, sha256, type CachedPrediction } from '../engine/analyses/dataset/datasetCache';
import { modelContentHash } from '../files/modelContentHash';
import { readImageForModel } from '../engine/input/imageInput';
import { preprocessPixels } from '../engine/input/preprocess';
import { withoutStrandedTensors } from '../engine/tfjs/strandedGradientTensors';
import { checkOutputSizesForInput } from '../engine/models/outputSizes';
import type { LoadedModel } from '../engine/loadedModel';
import { readRegularFile } from '../files/regularFile';
import { overlayHeatmap, renderHeatmap, resizeBilinear } from '../render/heatmapOverlay';
import { encodePng } from '../render/png';
import { loadModelCached } from './modelCache';
import { modelInputSize } from './modelInputSize';
import { checkImageFormat } from './imageFormat';
import { asModelRunFailure } from './modelRunFailure';
import type { DatasetJobRequest, DatasetRunStart } from '../shared/engineProtocol';
import type { DatasetImageResult, DatasetRunSummary, DatasetSkippedImage, PreprocessMode } from '../shared/types';

export interface DatasetJobHooks {
  onStarted?(start: DatasetRunStart): void | Promise<void>;
  /** Each batch's results, in folder order, with the images of the batch that could not be read. */
  onImages?(images: DatasetImageResult[], skipped: DatasetSkippedImage[]): void | Promise<void>;
  onProgress?(done: number, total: number, message: string): void;
  onReading?(file: string): void;
  /** Called between batches; throws JobCancelledError to stop the job there. */
  checkCancelled(): Promise<void>;
}

/** Side of the mean error heatmaps' PNGs. */
const MEAN_HEATMAP_SIDE = 128;
/** Image files larger than this are skipped (an image dataset's files are a few MB at most). */
const MAX_IMAGE_FILE_BYTES = 256 * 2 ** 20;

type ImageShape = [number, number, number];

interface Pending {
  image: DatasetImage;
  bytes: Buffer;
  fileHash: string;
  cached?: CachedPrediction;
  /** The preprocessed input, for images predicted (or explained) in this batch. */
  input?: Float32Array;
}

export async function runDatasetJob(request: DatasetJobRequest, hooks: DatasetJobHooks): Promise<DatasetRunSummary> {
  const started = performance.now();
  hooks.onReading?.(request.modelPath);
  const loaded = await loadModelCached(request.modelPath, request.limits.model);
  const { summary } = loaded;
  const [height, width, channels] = summary.inputShape;
  if (summary.inputShape.length !== 3 || channels === null) {
    throw new InputError(request.modelPath, `takes input of shape ${JSON.stringify(summary.inputShape)}; Convscope needs an image input (height, width, channels)`);
  }
  const modelSize = { height, width, channels, freeSide: request.inputSide };
  const imageShape = modelInputSize(request.modelPath, modelSize, request.limits.image) as ImageShape;
  checkOutputSizesForInput(loaded.patternModel, request.modelPath, imageShape);
  const output = loaded.classifierOutput();
  const classNames = await loadClassNames(request.modelPath, output.classCount, request.labelsPath);
  const names = Array.from({ length: output.classCount }, (_, index) => classNameOf(classNames, index));
  const preprocess: PreprocessMode = request.preprocess ?? summary.defaultPreprocess;

  hooks.onReading?.(request.folder);
  const dataset = await readDatasetFolder(request.folder, request.maxImages);
  if (dataset.images.length === 0) {
    throw new InputError(request.folder, `holds no images (looked in every subfolder for ${['JPEG', 'PNG', 'WebP', 'GIF', 'TIFF', 'AVIF'].join(', ')} files)`);
  }
  const mapping = mapFolderLabels(dataset.classFolders, { classCount: output.classCount, names: classNames.names, binary: output.binary }, request.folderToClass);
  const cache = await DatasetCache.open(request.cacheRoot, await modelContentHash(request.modelPath), {
    preprocess,
    imageShape,
    thumbnailSize: request.thumbnailSize,
    colormap: request.colormap,
    intensity: request.intensity,
  });
  await hooks.onStarted?.({ summary, classNames: names, classFolders: dataset.classFolders, mapping, imageCount: dataset.images.length, cacheFolder: cache.folder });

  const run: RunContext = { request, loaded, imageShape, preprocess, cache };
  const confusion = new ConfusionMatrix(output.classCount);
  const errorMeans = new Map<number, MeanHeatmap>();
  const skipped: DatasetSkippedImage[] = [];
  let heatmapLayer: string | undefined;
  let predictedCount = 0;
  let cachedCount = 0;
  let predictMs = 0;
  const total = dataset.images.length;
  const batchSize = Math.max(1, Math.floor(request.batchSize));

  for (let first = 0; first < total; first += batchSize) {
    await hooks.checkCancelled();
    const batch = dataset.images.slice(first, first + batchSize);
    const batchSkipped: DatasetSkippedImage[] = [];
    const pending = await readBatch(run, batch, batchSkipped, hooks);
    const predictStarted = performance.now();
    const scores = predictUncached(run, pending);
    predictMs += performance.now() - predictStarted;
    const results: DatasetImageResult[] = [];
    for (const [i, item] of pending.entries()) {
      try {
        const classScores = item.cached?.scores ?? Array.from(scores.get(i)!);
        const predictedClass = argMax(classScores);
        const trueClass = item.image.folderLabel === undefined ? undefined : mapping.folderToClass[item.image.folderLabel];
        const correct = trueClass === undefined ? undefined : trueClass === predictedClass;
        const entry: CachedPrediction = item.cached ?? { scores: classScores, thumbnail: `${item.fileHash}.thumb.png` };
        let changed = !item.cached;
        if (changed) await cache.writeFile(entry.thumbnail, await thumbnailPng(item.bytes, request.thumbnailSize));
        const result: DatasetImageResult = {
          relativePath: item.image.relativePath,
          ...(item.image.folderLabel !== undefined ? { folderLabel: item.image.folderLabel } : {}),
          ...(trueClass !== undefined ? { trueClass, correct } : {}),
          predictedClass,
          confidence: classScores[predictedClass],
          thumbnail: entry.thumbnail,
          cached: item.cached !== undefined,
        };
        if (trueClass !== undefined) confusion.add(trueClass, predictedClass);
        if (correct === false) {
          if (entry.heatmap?.classIndex !== predictedClass) {
            const explained = await explainError(run, item, predictedClass);
            entry.heatmap = explained.heatmap;
            heatmapLayer = explained.layer;
            changed = true;
          }
          const map = entry.heatmap!;
          const values = Float32Array.from(map.values);
          const location = evidenceLocation(values, map.width, map.height);
          result.offCentre = location.offCentre;
          result.onBorder = location.onBorder;
          result.heatmapOverlay = map.overlay;
          const mean = errorMeans.get(trueClass!) ?? new MeanHeatmap(map.width, map.height);
          mean.add(values);
          errorMeans.set(trueClass!, mean);
        }
        if (changed) await cache.write(item.fileHash, entry);
        if (item.cached) cachedCount++;
        predictedCount++;
        results.push(result);
      } catch (error) {
        if (error instanceof JobCancelledError) throw error;
        batchSkipped.push({ relativePath: item.image.relativePath, reason: reasonOf(error) });
      }
    }
    skipped.push(...batchSkipped);
    await hooks.onImages?.(results, batchSkipped);
    const done = Math.min(total, first + batch.length);
    hooks.onProgress?.(done, total, `${done} of ${total} images`);
  }

  const meanErrorHeatmaps = [];
  for (const [classIndex, mean] of [...errorMeans].sort(([a], [b]) => a - b)) {
    const enlarged = resizeBilinear(mean.mean(), mean.width, mean.height, MEAN_HEATMAP_SIDE, MEAN_HEATMAP_SIDE);
    const image = renderHeatmap(enlarged, MEAN_HEATMAP_SIDE, MEAN_HEATMAP_SIDE, request.colormap);
    const png = `mean-errors-class-${classIndex}.png`;
    await cache.writeFile(png, await encodePng(image.rgb, image.width, image.height));
    meanErrorHeatmaps.push({ classIndex, errorCount: mean.count, png });
  }
  const elapsedMs = performance.now() - started;
  return {
    modelPath: request.modelPath,
    folder: dataset.folder,
    cacheFolder: cache.folder,
    classNames: names,
    classFolders: dataset.classFolders,
    mapping,
    imageCount: total,
    predictedCount,
    cachedCount,
    skipped,
    labelledCount: confusion.labelled,
    correctCount: confusion.correct,
    ...(confusion.accuracy !== undefined ? { accuracy: confusion.accuracy } : {}),
    confusion: confusion.counts,
    meanErrorHeatmaps,
    ...(heatmapLayer !== undefined ? { heatmapLayer } : {}),
    backend: currentBackend(),
    elapsedMs,
    predictMs,
    imagesPerSecond: predictedCount / (elapsedMs / 1000),
  };
}

interface RunContext {
  request: DatasetJobRequest;
  loaded: LoadedModel;
  imageShape: ImageShape;
  preprocess: PreprocessMode;
  cache: DatasetCache;
}

/** Reads and hashes each file; looks it up in the cache; decodes the ones not found. Unreadable files are skipped with their reason. */
async function readBatch(run: RunContext, batch: DatasetImage[], skipped: DatasetSkippedImage[], hooks: DatasetJobHooks): Promise<Pending[]> {
  const pending: Pending[] = [];
  for (const image of batch) {
    try {
      hooks.onReading?.(image.file);
      const bytes = await readRegularFile(image.file, 'image', { maxBytes: MAX_IMAGE_FILE_BYTES, tooLarge: (size) => `is ${(size / 2 ** 20).toFixed(0)} MB, too large for an image` });
      const fileHash = sha256(bytes);
      const cached = await run.cache.read(fileHash);
      pending.push(cached ? { image, bytes, fileHash, cached } : { image, bytes, fileHash, input: await readInput(run, image.file) });
    } catch (error) {
      skipped.push({ relativePath: image.relativePath, reason: reasonOf(error) });
    }
  }
  return pending;
}

async function readInput(run: RunContext, file: string): Promise<Float32Array> {
  await checkImageFormat(file);
  const [height, width, channels] = run.imageShape;
  const image = await readImageForModel(file, { height, width, channels, freeSide: run.request.inputSide }, run.request.limits.image);
  return preprocessPixels(image.pixels, image.channels, run.preprocess);
}

/** One forward pass over the batch's images not in the cache; their scores by position in `pending`. */
function predictUncached(run: RunContext, pending: Pending[]): Map<number, Float32Array> {
  const positions = pending.flatMap((item, i) => (item.cached ? [] : [i]));
  const scores = new Map<number, Float32Array>();
  if (positions.length === 0) return scores;
  const imageSize = run.imageShape[0] * run.imageShape[1] * run.imageShape[2];
  const inputs = new Float32Array(positions.length * imageSize);
  positions.forEach((position, i) => inputs.set(pending[position].input!, i * imageSize));
  let rows: Float32Array[];
  try {
    rows = predictBatch(run.loaded.patternModel, run.loaded.classifierOutput(), inputs, positions.length, run.imageShape);
  } catch (error) {
    throw asModelRunFailure(run.request.modelPath, error);
  }
  positions.forEach((position, i) => scores.set(position, rows[i]));
  return scores;
}

/** Grad-CAM of the class the image was taken for, at the default layer, and its overlay on the thumbnail. */
async function explainError(run: RunContext, item: Pending, classIndex: number): Promise<{ heatmap: NonNullable<CachedPrediction['heatmap']>; layer: string }> {
  const input = item.input ?? (await readInput(run, item.image.file));
  let map;
  try {
    map = withoutStrandedTensors(() => run.loaded.gradCam(input, run.imageShape, { classIndex, score: 'output' }));
  } catch (error) {
    throw asModelRunFailure(run.request.modelPath, error);
  }
  const original = await thumbnailRgb(item.bytes, run.request.thumbnailSize);
  const overlay = overlayHeatmap(map.heatmap, map.width, map.height, original, { intensity: run.request.intensity, colormap: run.request.colormap });
  const overlayName = `${item.fileHash}.cam-${classIndex}.png`;
  await run.cache.writeFile(overlayName, await encodePng(overlay, original.width, original.height));
  return {
    heatmap: { classIndex, width: map.width, height: map.height, values: Array.from(map.heatmap, (value) => Math.round(value * 1e4) / 1e4), overlay: overlayName },
    layer: map.layer.name,
  };
}

function thumbnailPipeline(bytes: Buffer, side: number): sharp.Sharp {
  return sharp(bytes, { failOn: 'error' }).rotate().resize(side, side, { fit: 'inside', withoutEnlargement: true });
}

async function thumbnailPng(bytes: Buffer, side: number): Promise<Uint8Array> {
  return thumbnailPipeline(bytes, side).png().toBuffer();
}

async function thumbnailRgb(bytes: Buffer, side: number) {
  const { data, info } = await thumbnailPipeline(bytes, side).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

function reasonOf(error: unknown): string {
  return error instanceof InputError ? error.problem : describeError(error);
}
