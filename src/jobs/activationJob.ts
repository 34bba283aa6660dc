// The activation job, shared by the worker and the CLI: load the model, read the image, one
// forward pass, then one rendered channel grid per layer, handed out as each is ready.
import { selectLayers, type LayerActivation } from '../engine/analyses/activations';
import { currentBackend } from '../engine/tfjs/backend';
import { readImageForModel, renderImageThumbnail } from '../engine/input/imageInput';
import { preprocessPixels } from '../engine/input/preprocess';
import type { LayerActivationImage, ModelSummary, PreprocessMode } from '../shared/types';
import { InputError, describeError } from '../shared/errors';
import { assertFiniteOutput } from '../engine/analyses/nonFinite';
import { renderChannelGrid } from '../render/channelGrid';
import { encodePng } from '../render/png';
import { loadModelCached } from './modelCache';
import { modelInputSize } from './modelInputSize';
import { checkImageFormat } from './imageFormat';
import { checkOutputSizesForInput } from '../engine/models/outputSizes';
import type { ActivationJobRequest, ActivationJobResult } from '../shared/engineProtocol';

export interface ActivationJobHooks {
  onStarted?(summary: ModelSummary, layerIndices: number[], preprocess: PreprocessMode, thumbnail?: Uint8Array): void | Promise<void>;
  onLayer(image: LayerActivationImage, activation: LayerActivation): void | Promise<void>;
  onProgress?(done: number, total: number, message: string): void;
  /** Called before each file is read: a job that never ends is reported with the file it was reading. */
  onReading?(file: string): void;
  /** Called between steps; throws JobCancelledError to stop the job there. */
  checkCancelled(): Promise<void>;
}

const now = () => performance.now();

export async function runActivationJob(request: ActivationJobRequest, hooks: ActivationJobHooks): Promise<ActivationJobResult> {
  let started = now();
  hooks.onReading?.(request.modelPath);
  const loaded = await loadModelCached(request.modelPath, request.limits.model);
  const { summary } = loaded;
  const loadModelMs = now() - started;
  const layerIndices = selectLayers(summary, request.layers);
  const [height, width, channels] = summary.inputShape;
  if (summary.inputShape.length !== 3 || channels === null) {
    throw new InputError(request.modelPath, `takes input of shape ${JSON.stringify(summary.inputShape)}; Convscope needs an image input (height, width, channels)`);
  }
  const preprocess = request.preprocess ?? summary.defaultPreprocess;
  await hooks.checkCancelled();

  const size = modelInputSize(request.modelPath, { height, width, channels, freeSide: request.inputSide }, request.limits.image);
  checkOutputSizesForInput(loaded.patternModel, request.modelPath, size);

  started = now();
  hooks.onReading?.(request.imagePath);
  await checkImageFormat(request.imagePath);
  const image = await readImageForModel(request.imagePath, { height, width, channels, freeSide: request.inputSide }, request.limits.image);
  const thumbnail = request.thumbnailSize > 0 ? await renderImageThumbnail(request.imagePath, request.thumbnailSize, request.limits.image) : undefined;
  const input = preprocessPixels(image.pixels, image.channels, preprocess);
  const readImageMs = now() - started;
  await hooks.onStarted?.(summary, layerIndices, preprocess, thumbnail);
  hooks.onProgress?.(0, layerIndices.length, 'Running the model');
  await hooks.checkCancelled();

  started = now();
  const inputShape: [number, number, number] = [image.height, image.width, image.channels];
  const forward = loaded.activations(input, inputShape, layerIndices);
  const activations = await forward.catch((error: unknown) => {
    // The model was built from the file's config, which TF.js checks only in part: a layer given two
    // inputs where it takes one, say, fails only here. The whole message and stack go to the log via `cause`.
    if (error instanceof InputError) throw error;
    throw new InputError(request.modelPath, `TF.js could not run the model on this input: ${describeError(error).split('\n')[0]}`, { cause: error });
  });
  const forwardMs = now() - started;

  started = now();
  for (const [done, activation] of activations.entries()) {
    await hooks.checkCancelled();
    const layer = summary.layers[activation.layerIndex];
    // The layers before it stay shown; this one and the rest are not drawn from NaN.
    assertFiniteOutput(activation.data, request.modelPath, `at layer "${layer.name}"`);
    const [, layerHeight, layerWidth, layerChannels] = activation.shape;
    const grid = renderChannelGrid(activation.data, { height: layerHeight, width: layerWidth, channels: layerChannels }, {
      imagesPerRow: request.imagesPerRow,
      colormap: request.colormap,
    });
    const png = await encodePng(grid.rgb, grid.layout.width, grid.layout.height);
    await hooks.onLayer(
      {
        layerIndex: layer.index,
        layerName: layer.name,
        className: layer.className,
        shape: activation.shape,
        stats: grid.stats,
        grid: grid.layout,
        deadChannels: grid.deadChannels,
        colormap: request.colormap,
        png,
      },
      activation,
    );
    hooks.onProgress?.(done + 1, activations.length, `Rendered ${layer.name}`);
  }
  const renderMs = now() - started;

  return {
    summary,
    thumbnail,
    info: {
      backend: currentBackend(),
      modelPath: request.modelPath,
      imagePath: request.imagePath,
      preprocess,
      inputSize: [image.height, image.width, image.channels],
      exif: image.exif,
      layerIndices,
      timings: { loadModelMs, readImageMs, forwardMs, renderMs },
    },
  };
}
