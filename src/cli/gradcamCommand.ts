import path from 'node:path';
import { BACKEND_PREFERENCES, COLORMAP_NAMES, EXIF_ORIENTATION_MODES, GRAD_CAM_SCORES, PREPROCESS_MODES, type BackendPreference, type ColormapName, type ExifOrientationMode, type FaithfulnessSummary, type GradCamScore, type PreprocessMode } from '../shared/types';
import { encodeNpy } from '../render/npy';
import { runGradCamJob } from '../jobs/gradCamJob';
import { UsageError, oneOf, positiveInteger, requirePositionals, startBackend, stringOption, type CliCommand, writeOut, writeError, reportReading } from './cliSupport';
import { OutputFolder, fileNameForLayer } from './outputFolder';
import { EXPLAIN_METHODS, EXPLAIN_METHOD_IDS, camMethodInfo, isExplainMethod, type ExplainMethod } from '../shared/camMethods';
import type { CamMapImages } from '../shared/engineProtocol';
import { DEFAULT_FREE_INPUT_SIDE, DEFAULT_GRAD_CAM_INTENSITY, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS, SETTING_DEFAULTS } from '../shared/defaults';


export const gradcamCommand: CliCommand = {
  name: 'gradcam',
  usage: `convscope gradcam <model.json> <image> [--method M[,M…]] [--class IDX|NAME[,…]] [--layer NAME[,NAME…]]
                  [--preprocess MODE] [--size N] [--exif MODE] [--score output|logit] [--alpha A]
                  [--colormap C] [--labels FILE] [--batch N] [--faithfulness] [--backend B]
                  [--out DIR] [--raw]
  --method M[,M…]     one of these (default: gradcam); several, comma-separated, are mapped side
                      by side (the first eight at the layer, the others on the input pixels):
${EXPLAIN_METHODS.map((method) => `                        ${method.id.padEnd(20)} ${method.summary}`).join('\n')}
  --class IDX|NAME    the class to explain, by index or name (default: the top prediction);
                      several, comma-separated, side by side (name classes with commas by index)
  --layer NAME        target layer, nested ones as outer/inner (default: the last convolution,
                      with the BatchNormalization / activation layers right after it); several,
                      comma-separated, side by side
  --batch N           channels per model run for scorecam and ablationcam (default: 32)
  --faithfulness      also score each map: deletion and insertion AUC and the ROAD gap, beside a
                      seeded random map and the image's Sobel edges (many more model runs)
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
    method: { type: 'string' },
    batch: { type: 'string' },
    faithfulness: { type: 'boolean' },
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
    const methods = camMethodsOption(stringOption(values, 'method'));
    const [layer, ...compareLayers] = listOption(stringOption(values, 'layer'));
    const [targetClass, ...compareClasses] = listOption(stringOption(values, 'class'));
    const rescoringBatch = positiveInteger(stringOption(values, 'batch'), 'batch', 32);

    // Named from the start: a run past its deadline while the engine starts is about this file too.
    reportReading(modelPath);
    await startBackend(backendPreference);
    const result = await runGradCamJob(
      {
        modelPath,
        imagePath,
        preprocess,
        layer,
        targetClass,
        methods,
        compareLayers,
        compareClasses,
        rescoringBatch,
        faithfulness: Boolean(values.faithfulness),
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
    const mapFiles: MapFiles[] = [];
    try {
      files = {
        heatmap: await output.write('heatmap.png', result.heatmapPng),
        overlay: await output.write('overlay.png', result.overlayPng),
        npy: values.raw ? await output.write('heatmap.npy', encodeNpy(result.heatmap, info.heatmapSize)) : undefined,
      };
      // Side by side: every map under its own name too (the first is also heatmap.png and overlay.png).
      if (result.maps.length > 1) {
        for (const [index, map] of result.maps.entries()) mapFiles.push(await writeMapFiles(output, index, map, Boolean(values.raw)));
      }
      const maps = info.maps?.map((map, index) => ({ ...map, ...(mapFiles[index] ? { files: mapFiles[index] } : {}) }));
      await output.writeResult({ ...info, maps, files });
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
        ...result.maps.map(
          (map) =>
            // One Grad-CAM map keeps the line it always had; otherwise each line names its method.
            `${result.maps.length === 1 && map.info.method === 'gradcam' ? 'Heatmap' : camMethodInfo(map.info.method).label} for "${map.info.targetClass.name}" (class ${map.info.targetClass.index}, score ${info.score}) ${camMethodInfo(map.info.method).resolution === 'layer' ? `at ${map.info.layer.name}` : 'on the input'} (${map.info.heatmapSize.join('×')})` +
            (result.maps.length > 1 ? `, ${map.info.ms.toFixed(0)} ms` : '') +
            (map.info.faithfulness ? `\n  ${describeFaithfulness(map.info.faithfulness)}` : '') +
            (map.info.message ? `\n${result.maps.length > 1 ? '  ' : ''}${map.info.message}` : ''),
        ),
        `${info.backend} backend · model ${t.loadModelMs.toFixed(0)} ms · image ${t.readImageMs.toFixed(0)} ms · grad-cam ${t.gradCamMs.toFixed(0)} ms · render ${t.renderMs.toFixed(0)} ms`,
        `Wrote ${[files.heatmap, files.overlay, files.npy].filter(Boolean).join(', ')}${mapFiles.length ? `, ${mapFiles.length} maps side by side (map-*.png)` : ''} and result.json to ${outDir}`,
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

/** `--method a,b`: known methods, each once, in the order given. */
function camMethodsOption(value: string | undefined): ExplainMethod[] {
  const names = listOption(value);
  if (names.length === 0) return ['gradcam'];
  const unknown = names.find((name) => !isExplainMethod(name));
  if (unknown !== undefined) throw new UsageError(`--method must be one or more of ${EXPLAIN_METHOD_IDS.join(', ')}, comma-separated (got "${unknown}")`);
  return [...new Set(names as ExplainMethod[])];
}

/** Deletion ↓, insertion ↑ and the ROAD gap ↑, each with the random and edge maps' values. */
function describeFaithfulness(f: FaithfulnessSummary): string {
  const mark = (beats: boolean) => (beats ? '' : ' (not better)');
  return [
    `deletion AUC ${f.map.deletion.auc.toFixed(3)} (random ${f.random.deletion.auc.toFixed(3)}, edges ${f.edges.deletion.auc.toFixed(3)})${mark(f.beatsRandom.deletion && f.beatsEdges.deletion)}`,
    `insertion AUC ${f.map.insertion.auc.toFixed(3)} (random ${f.random.insertion.auc.toFixed(3)}, edges ${f.edges.insertion.auc.toFixed(3)})${mark(f.beatsRandom.insertion && f.beatsEdges.insertion)}`,
    `ROAD gap ${f.map.roadGap.toFixed(3)} (random ${f.random.roadGap.toFixed(3)}, edges ${f.edges.roadGap.toFixed(3)})${mark(f.beatsRandom.road && f.beatsEdges.road)}`,
  ].join(' · ');
}

function listOption(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

interface MapFiles {
  heatmap: string;
  overlay: string;
  npy?: string;
}

/** map-NN-method-layer-classK-heatmap.png and …-overlay.png (and .npy with --raw). */
async function writeMapFiles(output: OutputFolder, index: number, map: CamMapImages, raw: boolean): Promise<MapFiles> {
  const stem = `map-${fileNameForLayer(index + 1, `${map.info.method}-${map.info.layer.name}-class${map.info.targetClass.index}`)}`;
  return {
    heatmap: await output.write(`${stem}-heatmap.png`, map.heatmapPng),
    overlay: await output.write(`${stem}-overlay.png`, map.overlayPng),
    ...(raw ? { npy: await output.write(`${stem}-heatmap.npy`, encodeNpy(map.heatmap, map.info.heatmapSize)) } : {}),
  };
}
