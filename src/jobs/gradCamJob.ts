// The Grad-CAM job, shared by the worker and the CLI: load the model, read the image twice (at the
// model's input size to run it, at its own size for the overlay), one differentiated run, then the
// top predictions with their names, the heatmap and the overlay as PNGs.
import sharp from 'sharp';
import { currentBackend } from '../engine/tfjs/backend';
import { classNameOf, loadClassNames, resolveClass } from '../engine/analyses/classNames';
import { InputError, describeError } from '../shared/errors';
import { assertFiniteOutput } from '../engine/analyses/nonFinite';
import { withoutStrandedTensors } from '../engine/tfjs/strandedGradientTensors';
import { noEvidenceMessage, type GradCamMap } from '../engine/analyses/gradCam';
import { readImageForModel } from '../engine/input/imageInput';
import { preprocessPixels } from '../engine/input/preprocess';
import type { ClassPrediction, GradCamLayerChoice, ModelSummary } from '../shared/types';
import { overlayHeatmap, renderHeatmap, type RgbImage } from '../render/heatmapOverlay';
import { encodePng } from '../render/png';
import { loadModelCached } from './modelCache';
import { modelInputSize } from './modelInputSize';
import { checkImageFormat } from './imageFormat';
import { checkOutputSizesForInput } from '../engine/models/outputSizes';
import { asModelRunFailure } from './modelRunFailure';
import type { GradCamJobRequest, GradCamJobResult } from '../shared/engineProtocol';
import type { ImageReadOptions } from '../shared/types';

export interface GradCamJobHooks {
  /** Once the model is loaded, before the image is read. */
  onStarted?(summary: ModelSummary, layerChoices: GradCamLayerChoice[]): void | Promise<void>;
  onProgress?(done: number, total: number, message: string): void;
  /** Called before each file is read: a job that never ends is reported with the file it was reading. */
  onReading?(file: string): void;
  /** Called between steps; throws JobCancelledError to stop the job there. */
  checkCancelled(): Promise<void>;
}

const TOP_PREDICTIONS = 5;
const STEPS = 3;
const now = () => performance.now();

export async function runGradCamJob(request: GradCamJobRequest, hooks: GradCamJobHooks): Promise<GradCamJobResult> {
  let started = now();
  hooks.onReading?.(request.modelPath);
  const loaded = await loadModelCached(request.modelPath, request.limits.model);
  const { summary } = loaded;
  const loadModelMs = now() - started;
  const [height, width, channels] = summary.inputShape;
  if (summary.inputShape.length !== 3 || channels === null) {
    throw new InputError(request.modelPath, `takes input of shape ${JSON.stringify(summary.inputShape)}; Convscope needs an image input (height, width, channels)`);
  }
  const size = modelInputSize(request.modelPath, { height, width, channels, freeSide: request.inputSide }, request.limits.image);
  checkOutputSizesForInput(loaded.patternModel, request.modelPath, size);
  const output = loaded.classifierOutput();
  if (request.labelsPath !== undefined) hooks.onReading?.(request.labelsPath);
  const classNames = await loadClassNames(request.modelPath, output.classCount, request.labelsPath);
  const classIndex = typeof request.targetClass === 'string' ? resolveClass(request.targetClass, classNames, output.classCount, request.modelPath) : request.targetClass;
  const layerChoices = loaded.gradCamLayerChoices();
  const preprocess = request.preprocess ?? summary.defaultPreprocess;
  await hooks.onStarted?.(summary, layerChoices);
  hooks.onProgress?.(0, STEPS, 'Reading the image');
  await hooks.checkCancelled();

  started = now();
  hooks.onReading?.(request.imagePath);
  await checkImageFormat(request.imagePath);
  const image = await readImageForModel(request.imagePath, { height, width, channels, freeSide: request.inputSide }, request.limits.image);
  const original = await readOriginalRgb(request.imagePath, request.limits.image);
  const input = preprocessPixels(image.pixels, image.channels, preprocess);
  const readImageMs = now() - started;
  hooks.onProgress?.(1, STEPS, 'Computing the class heatmap');
  await hooks.checkCancelled();

  started = now();
  const inputShape: [number, number, number] = [image.height, image.width, image.channels];
  const options = { layer: request.layer, classIndex, score: request.score };
  let map: GradCamMap;
  try {
    map = withoutStrandedTensors(() => loaded.gradCam(input, inputShape, options));
  } catch (error) {
    throw asModelRunFailure(request.modelPath, error);
  }
  const gradCamMs = now() - started;
  assertFiniteOutput(map.classScores, request.modelPath, 'in its predictions');
  assertFiniteOutput(map.heatmap, request.modelPath, `in the class heatmap at layer "${map.layer.name}"`);
  hooks.onProgress?.(2, STEPS, 'Rendering');
  await hooks.checkCancelled();

  started = now();
  const heatmapImage = renderHeatmap(map.heatmap, map.width, map.height, request.colormap);
  const heatmapPng = await encodePng(heatmapImage.rgb, heatmapImage.width, heatmapImage.height);
  const overlay = overlayHeatmap(map.heatmap, map.width, map.height, original, { intensity: request.intensity, colormap: request.colormap });
  const overlayPng = await encodePng(overlay, original.width, original.height);
  const renderMs = now() - started;
  hooks.onProgress?.(STEPS, STEPS, 'Done');

  const prediction = (index: number): ClassPrediction => ({ index, name: classNameOf(classNames, index), score: map.classScores[index] });
  const ranked = Array.from(map.classScores.keys()).sort((a, b) => map.classScores[b] - map.classScores[a]);
  const { names: _names, ...classNamesInfo } = classNames;
  return {
    summary,
    layerChoices,
    heatmap: map.heatmap,
    heatmapPng,
    overlayPng,
    info: {
      backend: currentBackend(),
      modelPath: request.modelPath,
      imagePath: request.imagePath,
      preprocess,
      inputSize: [image.height, image.width, image.channels],
      imageSize: [original.height, original.width],
      exif: image.exif,
      layer: map.layer,
      score: request.score,
      outputActivation: map.activation,
      ...(output.outputName !== undefined ? { outputName: output.outputName } : {}),
      targetClass: prediction(map.classIndex),
      scoreValue: map.scoreValue,
      predictions: ranked.slice(0, TOP_PREDICTIONS).map(prediction),
      heatmapSize: [map.height, map.width],
      noPositiveEvidence: map.noPositiveEvidence,
      message: map.noPositiveEvidence ? noEvidenceMessage(map) : undefined,
      colormap: request.colormap,
      intensity: request.intensity,
      classNames: classNamesInfo,
      timings: { loadModelMs, readImageMs, gradCamMs, renderMs },
    },
  };
}

/** The image at its own size for the overlay (the study notes' `cv2.imread`), RGB, turned by EXIF as the model's input was. */
async function readOriginalRgb(imagePath: string, options: ImageReadOptions): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(imagePath, { limitInputPixels: options.maxImagePixels, failOn: 'error', autoOrient: options.exifOrientation !== 'ignore' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels where 3 were expected`);
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    throw new InputError(imagePath, `cannot be decoded as an image (${describeError(error)})`);
  }
}
