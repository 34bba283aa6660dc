import path from 'node:path';
import { BACKEND_PREFERENCES, COLORMAP_NAMES, EXIF_ORIENTATION_MODES, GRAD_CAM_SCORES, PREPROCESS_MODES, type BackendPreference, type ColormapName, type ExifOrientationMode, type GradCamScore, type PreprocessMode } from '../shared/types';
import { encodeNpy } from '../render/npy';
import { runGradCamJob } from '../jobs/gradCamJob';
import { UsageError, oneOf, positiveInteger, requirePositionals, startBackend, stringOption, type CliCommand, writeOut, writeError, reportReading } from './cliSupport';
import { OutputFolder } from './outputFolder';
import { DEFAULT_FREE_INPUT_SIDE, DEFAULT_GRAD_CAM_INTENSITY, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS, SETTING_DEFAULTS } from '../shared/defaults';


export const gradcamCommand: CliCommand = {
  name: 'gradcam',
  usage: `convscope gradcam <model.json> <image> [--class IDX|NAME] [--layer NAME] [--preprocess MODE] [--size N]
                  [--exif MODE] [--score output|logit] [--alpha A] [--colormap C] [--labels FILE]
                  [--backend B] [--out DIR] [--raw]
  --class IDX|NAME    the class to explain, by index or name (default: the top prediction)
  --layer NAME        target layer, nested ones as outer/inner (default: the last convolution,
                      with the BatchNormalization / activation layers right after it)
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --size N            for models that take any image size: resize images to N × N (default: 224)
  --exif MODE         apply: turn photos upright by their EXIF orientation (default) | ignore: as
                      stored, exactly as Keras' load_img reads them
  --score S           output: the model's output for the class (default) | logit: its value before the
                      last layer's softmax or sigmoid
  --alpha A           heatmap intensity in the overlay (default: ${DEFAULT_GRAD_CAM_INTENSITY})
  --colormap C        ${COLORMAP_NAMES.join(' | ')} (default: jet)
  --labels FILE       class names (default: labels.txt, metadata.json, class_names.json or labels.json
                      beside the model; ImageNet's names for 1000 classes)
  --backend B         ${BACKEND_PREFERENCES.join(' | ')} (default: auto)
  --out DIR           output folder (default: convscope-out)
  --raw               also write the heatmap before resizing as float32 heatmap.npy`,
  options: {
    class: { type: 'string' },
    layer: { type: 'string' },
    preprocess: { type: 'string' },
    size: { type: 'string' },
    exif: { type: 'string' },
    score: { type: 'string' },
    alpha: { type: 'string' },
    colormap: { type: 'string' },
    labels: { type: 'string' },
    backend: { type: 'string' },
    out: { type: 'string' },
    raw: { type: 'boolean' },
  },
  async run(positionals, values) {
    const [modelPath, imagePath] = requirePositionals('gradcam', positionals, ['model.json', 'image']);
    const inputSide = positiveInteger(stringOption(values, 'size'), 'size', DEFAULT_FREE_INPUT_SIDE);
    const exifOrientation = oneOf<ExifOrientationMode>(stringOption(values, 'exif'), EXIF_ORIENTATION_MODES, 'exif', 'apply');
    const preprocessOption = stringOption(values, 'preprocess');
    const preprocess = preprocessOption === undefined ? undefined : oneOf<PreprocessMode>(preprocessOption, PREPROCESS_MODES, 'preprocess', 'rescale');
    const score = oneOf<GradCamScore>(stringOption(values, 'score'), GRAD_CAM_SCORES, 'score', SETTING_DEFAULTS['gradCam.score']);
    const colormap = oneOf<ColormapName>(stringOption(values, 'colormap'), COLORMAP_NAMES, 'colormap', SETTING_DEFAULTS['gradCam.colormap']);
    const intensity = nonNegativeNumber(stringOption(values, 'alpha'), 'alpha', DEFAULT_GRAD_CAM_INTENSITY);
    const backendPreference = oneOf<BackendPreference>(stringOption(values, 'backend'), BACKEND_PREFERENCES, 'backend', 'auto');
    const labelsOption = stringOption(values, 'labels');
    const outDir = path.resolve(stringOption(values, 'out') ?? 'convscope-out');

    // Named from the start: a run past its deadline while the engine starts is about this file too.
    reportReading(modelPath);
    await startBackend(backendPreference);
    const result = await runGradCamJob(
      {
        modelPath,
        imagePath,
        preprocess,
        layer: stringOption(values, 'layer'),
        targetClass: stringOption(values, 'class'),
        score,
        intensity,
        colormap,
        labelsPath: labelsOption === undefined ? undefined : path.resolve(labelsOption),
        limits: { model: DEFAULT_MODEL_LIMITS, image: { ...DEFAULT_IMAGE_LIMITS, exifOrientation } },
        inputSide,
      },
      { checkCancelled: async () => {}, onReading: reportReading },
    );

    // The folder is made only once everything has been computed, so bad input leaves nothing behind.
    const output = await OutputFolder.open(outDir);
    const info = result.info;
    let files: { heatmap: string; overlay: string; npy?: string };
    try {
      files = {
        heatmap: await output.write('heatmap.png', result.heatmapPng),
        overlay: await output.write('overlay.png', result.overlayPng),
        npy: values.raw ? await output.write('heatmap.npy', encodeNpy(result.heatmap, info.heatmapSize)) : undefined,
      };
      await output.writeResult({ ...info, files });
    } finally {
      // The folder's lock goes also when the run fails.
      await output.close();
    }

    for (const note of info.classNames.notes) writeError(`convscope: ${note}\n`);
    const lines = info.predictions.map((p, rank) => `${String(rank + 1).padStart(2)}. ${p.name.padEnd(28)} ${p.score.toFixed(4)}  (class ${p.index})`);
    const t = info.timings;
    writeOut(
      [
        ...lines,
        `Heatmap for "${info.targetClass.name}" (class ${info.targetClass.index}, score ${info.score}) at ${info.layer.name} (${info.heatmapSize.join('×')})`,
        ...(info.message ? [info.message] : []),
        `${info.backend} backend · model ${t.loadModelMs.toFixed(0)} ms · image ${t.readImageMs.toFixed(0)} ms · grad-cam ${t.gradCamMs.toFixed(0)} ms · render ${t.renderMs.toFixed(0)} ms`,
        `Wrote ${[files.heatmap, files.overlay, files.npy].filter(Boolean).join(', ')} and result.json to ${outDir}`,
      ].join('\n') + '\n',
    );
  },
};

function nonNegativeNumber(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new UsageError(`--${option} must be a number ≥ 0 (got "${value}")`);
  return parsed;
}
