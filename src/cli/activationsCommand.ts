import path from 'node:path';
import { BACKEND_PREFERENCES, COLORMAP_NAMES, EXIF_ORIENTATION_MODES, PREPROCESS_MODES, type BackendPreference, type ColormapName, type ExifOrientationMode, type PreprocessMode } from '../shared/types';
import { encodeNpy } from '../render/npy';
import { formatShape } from '../shared/shapes';
import { runActivationJob } from '../jobs/activationJob';
import { UsageError, oneOf, positiveInteger, requirePositionals, startBackend, stringOption, type CliCommand, writeOut, reportReading } from './cliSupport';
import { OutputFolder, fileNameForLayer } from './outputFolder';
import { DEFAULT_FREE_INPUT_SIDE, DEFAULT_IMAGES_PER_ROW, DEFAULT_IMAGE_LIMITS, DEFAULT_LAYER_COUNT, DEFAULT_MODEL_LIMITS, SETTING_DEFAULTS } from '../shared/defaults';
import type { LayerSelection } from '../shared/types';

export const activationsCommand: CliCommand = {
  name: 'activations',
  usage: `convscope activations <model.json> <image> [--layers a,b | --first N] [--preprocess MODE] [--size N]
                      [--exif MODE] [--backend B] [--colormap C] [--per-row N] [--out DIR] [--raw]
  --layers a,b        layers to show, by name (default: the first ${DEFAULT_LAYER_COUNT} with 4-D outputs)
  --first N           the first N layers with 4-D outputs
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --size N            for models that take any image size: resize images to N × N (default: 224)
  --exif MODE         apply: turn photos upright by their EXIF orientation (default) | ignore: as
                      stored, exactly as Keras' load_img reads them
  --backend B         ${BACKEND_PREFERENCES.join(' | ')} (default: auto)
  --colormap C        ${COLORMAP_NAMES.join(' | ')} (default: viridis)
  --per-row N         channel tiles per row (default: ${DEFAULT_IMAGES_PER_ROW})
  --out DIR           output folder (default: convscope-out)
  --raw               also write each activation as a float32 .npy file`,
  options: {
    layers: { type: 'string' },
    first: { type: 'string' },
    preprocess: { type: 'string' },
    size: { type: 'string' },
    exif: { type: 'string' },
    backend: { type: 'string' },
    colormap: { type: 'string' },
    'per-row': { type: 'string' },
    out: { type: 'string' },
    raw: { type: 'boolean' },
  },
  async run(positionals, values) {
    const [modelPath, imagePath] = requirePositionals('activations', positionals, ['model.json', 'image']);
    const layerNames = stringOption(values, 'layers');
    const first = stringOption(values, 'first');
    if (layerNames !== undefined && first !== undefined) throw new UsageError('use either --layers or --first, not both');
    const layers: LayerSelection = layerNames
      ? { names: layerNames.split(',').map((name) => name.trim()).filter(Boolean) }
      : { first: positiveInteger(first, 'first', DEFAULT_LAYER_COUNT) };
    const inputSide = positiveInteger(stringOption(values, 'size'), 'size', DEFAULT_FREE_INPUT_SIDE);
    const exifOrientation = oneOf<ExifOrientationMode>(stringOption(values, 'exif'), EXIF_ORIENTATION_MODES, 'exif', 'apply');
    const preprocessOption = stringOption(values, 'preprocess');
    const preprocess = preprocessOption === undefined ? undefined : oneOf<PreprocessMode>(preprocessOption, PREPROCESS_MODES, 'preprocess', 'rescale');
    const colormap = oneOf<ColormapName>(stringOption(values, 'colormap'), COLORMAP_NAMES, 'colormap', SETTING_DEFAULTS.colormap);
    const imagesPerRow = positiveInteger(stringOption(values, 'per-row'), 'per-row', DEFAULT_IMAGES_PER_ROW);
    const backendPreference = oneOf<BackendPreference>(stringOption(values, 'backend'), BACKEND_PREFERENCES, 'backend', 'auto');
    const outDir = path.resolve(stringOption(values, 'out') ?? 'convscope-out');

    // Named from the start: a run past its deadline while the engine starts is about this file too.
    reportReading(modelPath);
    await startBackend(backendPreference);
    let output: OutputFolder | undefined;
    const layerFiles: object[] = [];
    let result: Awaited<ReturnType<typeof runActivationJob>>;
    try {
      result = await runActivationJob(
        { modelPath, imagePath, layers, preprocess, colormap, imagesPerRow, limits: { model: DEFAULT_MODEL_LIMITS, image: { ...DEFAULT_IMAGE_LIMITS, exifOrientation } }, thumbnailSize: 0, inputSide },
        {
          checkCancelled: async () => {},
          onReading: reportReading,
          // The folder is made only once the model and image have been read successfully.
          onStarted: async () => {
            output = await OutputFolder.open(outDir);
          },
          onLayer: async (layer, activation) => {
            if (!output) throw new Error('output folder not open');
            const baseName = fileNameForLayer(layerFiles.length, layer.layerName);
            const png = await output.write(`${baseName}.png`, layer.png);
            const npy = values.raw ? await output.write(`${baseName}.npy`, encodeNpy(activation.data, activation.shape)) : undefined;
            const { png: _pngBytes, ...description } = layer;
            layerFiles.push({ ...description, png, npy });
            writeOut(`${layer.layerName.padEnd(24)} ${formatShape(layer.shape).padEnd(20)} dead ${layer.stats.deadChannelCount}/${layer.stats.channelCount}  → ${png}\n`);
          },
        },
      );
      await output!.writeResult({ ...result.info, layers: layerFiles });
    } finally {
      // The folder's lock goes also when the run fails.
      await output?.close();
    }
    const t = result.info.timings;
    writeOut(
      `${result.info.backend} backend · model ${t.loadModelMs.toFixed(0)} ms · image ${t.readImageMs.toFixed(0)} ms · forward ${t.forwardMs.toFixed(0)} ms · render ${t.renderMs.toFixed(0)} ms\nWrote ${layerFiles.length} layers to ${outDir}\n`,
    );
  },
};
