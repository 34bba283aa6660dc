// The Grad-CAM job, shared by the worker and the CLI: load the model, read the image twice (at the
// model's input size to run it, at its own size for the overlay), then for each layer and class
// asked one differentiated run, from which every CAM method asked is computed; the top predictions
// with their names, and each map's heatmap and overlay as PNGs, side by side.
import sharp from 'sharp';
import { currentBackend } from '../engine/tfjs/backend';
import { classNameOf, loadClassNames, resolveClass, type ClassNames } from '../engine/analyses/classNames';
import { InputError, JobCancelledError, describeError } from '../shared/errors';
import { assertFiniteOutput } from '../engine/analyses/nonFinite';
import { withoutStrandedTensors } from '../engine/tfjs/strandedGradientTensors';
import { noEvidenceMessage, type GradCamOptions } from '../engine/analyses/gradCam';
import { computeCamHeatmap, type CamHeatmap } from '../engine/analyses/cam/camMap';
import { needsSourceGradient, type CamSource } from '../engine/analyses/cam/camSource';
import type { LoadedModel } from '../engine/loadedModel';
import { DEFAULT_CAM_METHOD, EXPLAIN_METHOD_IDS, camMethodInfo, isCamMethod, isExplainMethod, type ExplainMethod } from '../shared/camMethods';
import { attributionHeatmap, mapFaithfulness } from '../engine/analyses/cam/inputMaps';
import { modelScorerOf, type ModelScorer } from '../engine/analyses/attributions';
import { readImageForModel } from '../engine/input/imageInput';
import { preprocessPixels } from '../engine/input/preprocess';
import type { ClassPrediction, FaithfulnessSummary, GradCamLayerChoice, ModelSummary } from '../shared/types';
import { overlayHeatmap, renderHeatmap, type RgbImage } from '../render/heatmapOverlay';
import { encodePng } from '../render/png';
import { loadModelCached } from './modelCache';
import { modelInputSize } from './modelInputSize';
import { checkImageFormat } from './imageFormat';
import { checkOutputSizesForInput } from '../engine/models/outputSizes';
import { asModelRunFailure } from './modelRunFailure';
import type { CamMapImages, GradCamJobRequest, GradCamJobResult } from '../shared/engineProtocol';
import type { ImageReadOptions } from '../shared/types';

export interface GradCamJobHooks {
  /** Once the model is loaded, before the image is read. */
  onStarted?(summary: ModelSummary, layerChoices: GradCamLayerChoice[]): void | Promise<void>;
  onProgress?(done: number, total: number, message: string): void;
  /** Called before each file is read: a job that never ends is reported with the file it was reading. */
  onReading?(file: string): void;
  /** Each map once rendered: map `index` of `total` side by side (they come in computation order). */
  onMap?(map: CamMapImages, index: number, total: number): void;
  /** Called between steps; throws JobCancelledError to stop the job there. */
  checkCancelled(): Promise<void>;
}

const TOP_PREDICTIONS = 5;
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
  const layerChoices = loaded.gradCamLayerChoices();
  const preprocess = request.preprocess ?? summary.defaultPreprocess;
  await hooks.onStarted?.(summary, layerChoices);
  const views = plannedViews(request, layerChoices, classNames, output.classCount);
  const totalSteps = 1 + (request.faithfulness ? 3 : 2) * views.length;
  // The class score as a function of the input, for the attribution methods and faithfulness.
  let modelScorer: ModelScorer | undefined;
  const scorer = () => (modelScorer ??= modelScorerOf(loaded.patternModel, request.modelPath));
  hooks.onProgress?.(0, totalSteps, 'Reading the image');
  await hooks.checkCancelled();

  started = now();
  hooks.onReading?.(request.imagePath);
  await checkImageFormat(request.imagePath);
  const image = await readImageForModel(request.imagePath, { height, width, channels, freeSide: request.inputSide }, request.limits.image);
  const original = await readOriginalRgb(request.imagePath, request.limits.image);
  const input = preprocessPixels(image.pixels, image.channels, preprocess);
  const readImageMs = now() - started;
  const inputShape: [number, number, number] = [image.height, image.width, image.channels];

  // One differentiated run per layer and class; every method of that pair is computed from it.
  const maps: CamMapImages[] = new Array(views.length);
  let classScores: Float32Array | undefined;
  let gradCamMs = 0;
  let renderMs = 0;
  let step = 1;
  for (const target of uniqueTargets(views)) {
    hooks.onProgress?.(step, totalSteps, `Running the model for ${target.layer ?? 'the default layer'}`);
    await hooks.checkCancelled();
    started = now();
    const ofTarget = views.filter((view) => view.layer === target.layer && view.classIndex === target.classIndex);
    // Eigen-CAM, Score-CAM, Ablation-CAM and most input attributions need no gradient here: a forward run then does.
    const withoutGradient = !ofTarget.some((view) => needsSourceGradient(view.method));
    const source = openCamSource(loaded, request.modelPath, input, inputShape, { layer: target.layer, classIndex: target.classIndex, score: request.score, withoutGradient });
    gradCamMs += now() - started;
    try {
      classScores ??= source.classScores;
      assertFiniteOutput(source.classScores, request.modelPath, 'in its predictions');
      for (const [index, view] of views.entries()) {
        if (view.layer !== target.layer || view.classIndex !== target.classIndex) continue;
        const { method } = view;
        const label = camMethodInfo(method).resolution === 'layer' ? `${camMethodInfo(method).label} at ${source.layer.name}` : camMethodInfo(method).label;
        hooks.onProgress?.(step++, totalSteps, label);
        await hooks.checkCancelled();
        started = now();
        const stepHooks = (unit: string) => ({
          checkCancelled: hooks.checkCancelled,
          onProgress: (done: number, total: number) => hooks.onProgress?.(step - 1, totalSteps, `${label}: ${done} of ${total} ${unit}`),
        });
        const heatmap = await computeOrExplain(request.modelPath, () =>
          isCamMethod(method)
            ? computeCamHeatmap(source, method, { score: request.score, batchSize: request.rescoringBatch }, stepHooks('channels'), request.modelPath)
            : attributionHeatmap(method, scorer(), source, request.score, input, inputShape, stepHooks('images'), request.modelPath),
        );
        const ms = now() - started;
        gradCamMs += ms;
        assertFiniteOutput(heatmap.heatmap, request.modelPath, `in the ${label} heatmap`);
        if (request.faithfulness) {
          hooks.onProgress?.(step++, totalSteps, `Faithfulness of ${label}`);
          await hooks.checkCancelled();
        }
        const faithfulness = request.faithfulness
          ? await computeOrExplain(request.modelPath, () => mapFaithfulness(heatmap, scorer(), source.classIndex, input, inputShape, stepHooks('images')))
          : undefined;
        hooks.onProgress?.(step++, totalSteps, `Rendering ${label}`);
        await hooks.checkCancelled();
        started = now();
        const map = await renderCamMap(method, source, heatmap, ms, original, request, classNames, faithfulness);
        renderMs += now() - started;
        maps[index] = map;
        hooks.onMap?.(map, index, views.length);
      }
    } finally {
      source.dispose();
    }
  }
  hooks.onProgress?.(totalSteps, totalSteps, 'Done');

  // Side by side in the order asked: methods, then layers, then classes.
  const [first] = maps;
  const scores = classScores!;
  const prediction = (index: number): ClassPrediction => ({ index, name: classNameOf(classNames, index), score: scores[index] });
  const ranked = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const { names: _names, ...classNamesInfo } = classNames;
  return {
    summary,
    layerChoices,
    heatmap: first.heatmap,
    heatmapPng: first.heatmapPng,
    overlayPng: first.overlayPng,
    maps,
    info: {
      backend: currentBackend(),
      modelPath: request.modelPath,
      imagePath: request.imagePath,
      preprocess,
      inputSize: [image.height, image.width, image.channels],
      imageSize: [original.height, original.width],
      exif: image.exif,
      layer: first.info.layer,
      score: request.score,
      outputActivation: output.activation,
      ...(output.outputName !== undefined ? { outputName: output.outputName } : {}),
      targetClass: first.info.targetClass,
      scoreValue: first.info.scoreValue,
      predictions: ranked.slice(0, TOP_PREDICTIONS).map(prediction),
      heatmapSize: first.info.heatmapSize,
      noPositiveEvidence: first.info.noPositiveEvidence,
      message: first.info.message,
      colormap: request.colormap,
      intensity: request.intensity,
      classNames: classNamesInfo,
      timings: { loadModelMs, readImageMs, gradCamMs, renderMs },
      method: first.info.method,
      maps: maps.map((map) => map.info),
    },
  };
}

/** Most maps one run shows side by side. */
export const MAX_SIDE_BY_SIDE = 12;

interface CamView {
  method: ExplainMethod;
  /** Undefined: the default layer. */
  layer?: string;
  /** Undefined: the top prediction. */
  classIndex?: number;
}

/** Every map asked for: each method at each layer for each class, checked before the image is read. */
function plannedViews(request: GradCamJobRequest, layerChoices: GradCamLayerChoice[], classNames: ClassNames, classCount: number): CamView[] {
  const methods = request.methods?.length ? [...new Set(request.methods)] : [DEFAULT_CAM_METHOD];
  const unknown = methods.find((method) => !isExplainMethod(method));
  if (unknown !== undefined) throw new InputError(request.modelPath, `cannot be explained by "${unknown}": the methods are ${EXPLAIN_METHOD_IDS.join(', ')}`);
  const resolve = (target: number | string | undefined) => (typeof target === 'string' ? resolveClass(target, classNames, classCount, request.modelPath) : target);
  const layers = [...new Set([request.layer, ...(request.compareLayers ?? [])])];
  const classes = [...new Set([resolve(request.targetClass), ...(request.compareClasses ?? []).map(resolve)])];
  for (const layer of request.compareLayers ?? []) {
    if (!layerChoices.some((choice) => choice.name === layer)) throw new InputError(request.modelPath, `has no layer "${layer}" with a 4-D output to compare (the layers are ${layerChoices.map((choice) => choice.name).join(', ')})`);
  }
  const views = methods.flatMap((method) => layers.flatMap((layer) => classes.map((classIndex) => ({ method, layer, classIndex }))));
  if (views.length > MAX_SIDE_BY_SIDE) {
    throw new InputError(request.modelPath, `would need ${views.length} maps side by side (${methods.length} methods × ${layers.length} layers × ${classes.length} classes); at most ${MAX_SIDE_BY_SIDE} are shown`);
  }
  return views;
}

function uniqueTargets(views: CamView[]): Pick<CamView, 'layer' | 'classIndex'>[] {
  const seen = new Map<string, Pick<CamView, 'layer' | 'classIndex'>>();
  for (const { layer, classIndex } of views) seen.set(JSON.stringify([layer ?? null, classIndex ?? null]), { layer, classIndex });
  return [...seen.values()];
}

function openCamSource(loaded: LoadedModel, modelPath: string, input: Float32Array, inputShape: [number, number, number], options: GradCamOptions): CamSource {
  try {
    return withoutStrandedTensors(() => loaded.camSource(input, inputShape, options));
  } catch (error) {
    throw asModelRunFailure(modelPath, error);
  }
}

async function computeOrExplain<T>(modelPath: string, compute: () => Promise<T>): Promise<T> {
  try {
    return await compute();
  } catch (error) {
    if (error instanceof JobCancelledError) throw error;
    throw asModelRunFailure(modelPath, error);
  }
}

async function renderCamMap(
  method: ExplainMethod,
  source: CamSource,
  map: CamHeatmap,
  ms: number,
  original: RgbImage,
  request: GradCamJobRequest,
  classNames: ClassNames,
  faithfulness: FaithfulnessSummary | undefined,
): Promise<CamMapImages> {
  const heatmapImage = renderHeatmap(map.heatmap, map.width, map.height, request.colormap);
  const heatmapPng = await encodePng(heatmapImage.rgb, heatmapImage.width, heatmapImage.height);
  const overlay = overlayHeatmap(map.heatmap, map.width, map.height, original, { intensity: request.intensity, colormap: request.colormap });
  const overlayPng = await encodePng(overlay, original.width, original.height);
  const noEvidence = { zeroGradient: map.zeroGradient, layer: source.layer };
  return {
    info: {
      method,
      layer: source.layer,
      targetClass: { index: source.classIndex, name: classNameOf(classNames, source.classIndex), score: source.classScores[source.classIndex] },
      scoreValue: source.scoreValue,
      heatmapSize: [map.height, map.width],
      noPositiveEvidence: map.noPositiveEvidence,
      message: map.noPositiveEvidence ? noEvidenceMessage(noEvidence) : undefined,
      ms,
      ...(faithfulness ? { faithfulness } : {}),
    },
    heatmap: map.heatmap,
    heatmapPng,
    overlayPng,
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
