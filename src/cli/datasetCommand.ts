// `convscope dataset <model> <folder>`: Explain Folder on the command line. Writes predictions.csv
// (one row per image), confusion.json (accuracy, the matrix, the folder mapping, the skipped files)
// and report.html (self-contained: images inlined, no script), then result.json.
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { runDatasetJob } from '../jobs/datasetJob';
import { loadModelCached } from '../jobs/modelCache';
import { loadClassNames, resolveClass } from '../engine/analyses/classNames';
import { renderDatasetReport } from '../render/datasetReport';
import { BACKEND_PREFERENCES, COLORMAP_NAMES, PREPROCESS_MODES, type BackendPreference, type ColormapName, type DatasetImageResult, type DatasetRunSummary, type PreprocessMode } from '../shared/types';
import { DATASET_DEFAULTS, DEFAULT_FREE_INPUT_SIDE, DEFAULT_GRAD_CAM_INTENSITY, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../shared/defaults';
import { UsageError, oneOf, positiveInteger, reportReading, requirePositionals, startBackend, stringOption, writeError, writeOut, type CliCommand } from './cliSupport';
import { OutputFolder } from './outputFolder';
import { predictionsCsv } from './datasetCsv';

/** The report shows at most this many images besides the errors (predictions.csv lists them all). */
const REPORT_GALLERY_LIMIT = 400;

export const datasetCommand: CliCommand = {
  name: 'dataset',
  usage: `convscope dataset <model.json> <folder> [--out DIR] [--labels FILE] [--map FOLDER=CLASS[,…]]
                  [--preprocess MODE] [--size N] [--batch N] [--cache DIR] [--colormap C]
                  [--alpha A] [--backend B]
  <folder>            every image under it (JPEG, PNG, WebP, GIF, TIFF, AVIF); with one subfolder per
                      class (flow_from_directory's layout) each image's true label is its folder's
  --map F=C[,…]       the class (index or name) of folder F; folders named like a class match it, and a
                      sigmoid model's two folders are classes 0 and 1 in sorted order
  --labels FILE       class names (default: labels.txt, metadata.json, class_names.json or labels.json
                      beside the model)
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --size N            for models that take any image size: resize images to N × N (default: ${DEFAULT_FREE_INPUT_SIDE})
  --batch N           images per forward pass (default: ${DATASET_DEFAULTS.batchSize})
  --cache DIR         predictions, thumbnails and heatmaps, reused by the next run (default: in the
                      system's temporary folder)
  --alpha A           heatmap intensity in the error overlays (default: ${DEFAULT_GRAD_CAM_INTENSITY})
  --colormap C        ${COLORMAP_NAMES.join(' | ')} (default: jet)
  --backend B         ${BACKEND_PREFERENCES.join(' | ')} (default: auto)
  --out DIR           output folder (default: convscope-out)`,
  options: {
    out: { type: 'string' },
    labels: { type: 'string' },
    map: { type: 'string' },
    preprocess: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    cache: { type: 'string' },
    alpha: { type: 'string' },
    colormap: { type: 'string' },
    backend: { type: 'string' },
  },
  async run(positionals, values) {
    const [modelPath, folder] = requirePositionals('dataset', positionals, ['model.json', 'folder']);
    const preprocessOption = stringOption(values, 'preprocess');
    const preprocess = preprocessOption === undefined ? undefined : oneOf<PreprocessMode>(preprocessOption, PREPROCESS_MODES, 'preprocess', 'rescale');
    const inputSide = positiveInteger(stringOption(values, 'size'), 'size', DEFAULT_FREE_INPUT_SIDE);
    const batchSize = positiveInteger(stringOption(values, 'batch'), 'batch', DATASET_DEFAULTS.batchSize);
    const colormap = oneOf<ColormapName>(stringOption(values, 'colormap'), COLORMAP_NAMES, 'colormap', 'jet');
    const intensity = intensityOption(stringOption(values, 'alpha'));
    const backendPreference = oneOf<BackendPreference>(stringOption(values, 'backend'), BACKEND_PREFERENCES, 'backend', 'auto');
    const labelsOption = stringOption(values, 'labels');
    const labelsPath = labelsOption === undefined ? undefined : path.resolve(labelsOption);
    const folderMap = stringOption(values, 'map');
    const outDir = path.resolve(stringOption(values, 'out') ?? 'convscope-out');
    const cacheRoot = path.resolve(stringOption(values, 'cache') ?? path.join(os.tmpdir(), 'convscope-dataset-cache'));

    reportReading(modelPath);
    await startBackend(backendPreference);
    const results: DatasetImageResult[] = [];
    let classNames: string[] = [];
    const summary = await runDatasetJob(
      {
        modelPath,
        folder,
        labelsPath,
        preprocess,
        inputSide,
        cacheRoot,
        batchSize,
        maxImages: DATASET_DEFAULTS.maxImages,
        thumbnailSize: DATASET_DEFAULTS.thumbnailSize,
        colormap,
        intensity,
        limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS },
        folderToClass: folderMap === undefined ? undefined : await parseFolderMap(folderMap, modelPath, labelsPath),
      },
      {
        checkCancelled: async () => {},
        onReading: reportReading,
        onStarted: (start) => {
          classNames = start.classNames;
          if (start.mapping.needsConfirmation) {
            const guessed = Object.entries(start.mapping.folderToClass).map(([name, index]) => `${name}/ → ${start.classNames[index]}`);
            writeError(
              `convscope: ${start.mapping.unmapped.length ? `folders with no class: ${start.mapping.unmapped.join(', ')}; ` : ''}${
                guessed.length ? `folders mapped by sorted order: ${guessed.join(', ')}; ` : ''
              }give --map FOLDER=CLASS to set them\n`,
            );
          }
        },
        onImages: (images) => {
          results.push(...images);
        },
      },
    );

    const output = await OutputFolder.open(outDir);
    try {
      await output.write('predictions.csv', predictionsCsv(results, classNames));
      await output.write('confusion.json', JSON.stringify(confusionJson(summary), null, 2) + '\n');
      await output.write('report.html', await datasetReportHtml(summary, results));
      await output.writeResult({ modelPath, folder: summary.folder, cacheFolder: summary.cacheFolder, imageCount: summary.imageCount, accuracy: summary.accuracy ?? null });
    } finally {
      await output.close();
    }
    for (const skip of summary.skipped) writeError(`convscope: skipped ${skip.relativePath}: ${skip.reason}\n`);
    const errors = results.filter((result) => result.correct === false).length;
    writeOut(
      [
        `${summary.predictedCount} of ${summary.imageCount} images predicted (${summary.cachedCount} from the cache), ${summary.skipped.length} skipped, ${summary.imagesPerSecond.toFixed(1)} images/s`,
        summary.accuracy === undefined ? 'No class subfolders: no accuracy' : `Accuracy ${(100 * summary.accuracy).toFixed(2)}% (${summary.correctCount} of ${summary.labelledCount}), ${errors} errors`,
        `Wrote predictions.csv, confusion.json, report.html and result.json to ${outDir}`,
      ].join('\n') + '\n',
    );
  },
};

function intensityOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GRAD_CAM_INTENSITY;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new UsageError(`--alpha must be a number ≥ 0 (got "${value}")`);
  return parsed;
}

/** `--map cats=0,dogs=1` or class names: resolved against the model's classes (the model is loaded once, for the job too). */
async function parseFolderMap(value: string, modelPath: string, labelsPath: string | undefined): Promise<Record<string, number>> {
  const pairs = value.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--map takes FOLDER=CLASS pairs, comma-separated (got "${pair}")`);
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  });
  const { classCount } = (await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS)).classifierOutput();
  const classNames = await loadClassNames(modelPath, classCount, labelsPath);
  return Object.fromEntries(pairs.map(([folder, target]) => [folder, resolveClass(target, classNames, classCount, modelPath)]));
}

function confusionJson(summary: DatasetRunSummary) {
  return {
    classNames: summary.classNames,
    rows: 'true class',
    columns: 'predicted class',
    confusion: summary.confusion,
    accuracy: summary.accuracy ?? null,
    labelled: summary.labelledCount,
    correct: summary.correctCount,
    imageCount: summary.imageCount,
    mapping: summary.mapping,
    skipped: summary.skipped,
    meanErrorHeatmaps: summary.meanErrorHeatmaps.map(({ classIndex, errorCount }) => ({ classIndex, errorCount })),
  };
}

/** The report, with the images it shows (and only those: a large dataset's thumbnails are not all read) inlined from the cache folder. */
async function datasetReportHtml(summary: DatasetRunSummary, results: DatasetImageResult[]): Promise<string> {
  const shown = new Set<string>();
  renderDatasetReport({ summary, results, galleryLimit: REPORT_GALLERY_LIMIT, imageUri: (name) => (name === undefined ? undefined : (shown.add(name), name)) });
  const uris = new Map<string, string>();
  for (const name of shown) {
    const bytes = await readFile(path.join(summary.cacheFolder, name)).catch(() => undefined);
    if (bytes) uris.set(name, `data:image/png;base64,${bytes.toString('base64')}`);
  }
  return renderDatasetReport({ summary, results, galleryLimit: REPORT_GALLERY_LIMIT, imageUri: (name) => (name === undefined ? undefined : uris.get(name)) });
}
