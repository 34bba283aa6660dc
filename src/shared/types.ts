// Plain data shared by the engine, the renderer, the worker, the CLI and (as types) the webview.
import type { ExplainMethod } from './camMethods';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** How 0–255 RGB pixels become the model's input (see engine/input/preprocess.ts). */
export type PreprocessMode = 'rescale' | 'none' | 'caffe' | 'tf' | 'torch';
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['rescale', 'none', 'caffe', 'tf', 'torch'];

/** What is done with an image's EXIF Orientation tag: `apply` turns it upright, `ignore` is Keras' load_img. */
export type ExifOrientationMode = 'apply' | 'ignore';
export const EXIF_ORIENTATION_MODES: readonly ExifOrientationMode[] = ['apply', 'ignore'];

export interface ExifOrientationReport {
  mode: ExifOrientationMode;
  /** The file's EXIF Orientation tag (1 upright, 2–8 rotated and/or mirrored); absent when it has none. */
  tag?: number;
  /** True when the pixels were turned by the tag: mode `apply` and a tag from 2 to 8. */
  rotated: boolean;
}

export type ColormapName = 'viridis' | 'magma' | 'inferno' | 'plasma' | 'gray' | 'jet';
export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'magma', 'inferno', 'plasma', 'gray', 'jet'];

/** A Keras-style shape: `null` for a free dimension (the batch). */
export type Shape = (number | null)[];

export interface LayerInfo {
  /** Position in the summary's layer list (nested models' layers included, depth first). */
  index: number;
  /** `outer/inner` for a layer inside a nested model. */
  name: string;
  /** 0 for the model's own layers, 1 inside a nested model, … */
  depth: number;
  /** The full name of the nested model holding the layer; absent at the top level. */
  parent?: string;
  /** The layer is a nested model (its layers follow it, with `parent` set to its name). */
  isModel?: boolean;
  className: string;
  /** One shape, or one per output for layers with several outputs. */
  outputShape: Shape | Shape[];
  paramCount: number;
  trainableParamCount: number;
  /** True when the output is one 4-D (batch, height, width, channels) tensor: only those have channel grids. */
  hasSpatialOutput: boolean;
  /** A few entries of the layer's config under Keras' names (kernel_size, strides, padding, activation, …); absent when it has none. */
  config?: LayerConfig;
  /**
   * Graph models only: the op node's name scope below the scope all nodes share (`conv2d_1` for
   * `StatefulPartitionedCall/sequential_1/conv2d_1/Relu`; '' at that level). Nodes with the same
   * group belong together; the node's own label is its name's last segment.
   */
  group?: string;
}

/** A small config value: a name, a number, a flag, or a short tuple such as `[3, 3]`. */
export type LayerConfigValue = string | number | boolean | (number | null)[];
export type LayerConfig = Record<string, LayerConfigValue>;

export interface ModelSummary {
  modelPath: string;
  modelName: string;
  /** Input shape without the batch dimension: [height, width, channels]. */
  inputShape: Shape;
  outputShape: Shape | Shape[];
  /** Every layer in model order; a nested model is followed by its own layers. */
  layers: LayerInfo[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** What the model's files say its input expects (see engine/models/modelSummary.ts defaultPreprocessFor). */
  defaultPreprocess: PreprocessMode;
  /** Why `defaultPreprocess` was chosen, in words: Teachable Machine's metadata.json, a Rescaling layer, a known backbone. */
  preprocessReason?: string;
  /** How the file was read, where the user should know (a converted Keras 3 config, weights matched by layer or order). */
  loadNotes?: string[];
}

/** Statistics of one layer's activation for one input. */
export interface ActivationStats {
  min: number;
  max: number;
  mean: number;
  channelCount: number;
  /** Channels that are constant for this input (all zero after a ReLU): rendered flat. */
  deadChannelCount: number;
  deadFraction: number;
}

/** Where each channel's tile sits in a rendered grid image (tiles are packed with no gaps). */
export interface ChannelGridLayout {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  width: number;
  height: number;
}

export interface LayerActivationImage {
  layerIndex: number;
  layerName: string;
  className: string;
  /** The activation's shape as the model gives it, batch included: [1, h, w, c]. */
  shape: number[];
  stats: ActivationStats;
  grid: ChannelGridLayout;
  /** Indices of the channels rendered flat because they are constant. */
  deadChannels: number[];
  colormap: ColormapName;
  png: Uint8Array;
}

/** One channel enlarged, scaled from its own min to its max (the study notes' `matshow`). */
export interface ChannelDetail {
  layerIndex: number;
  layerName: string;
  channel: number;
  width: number;
  height: number;
  min: number;
  max: number;
  mean: number;
  dead: boolean;
  colormap: ColormapName;
  png: Uint8Array;
}

export interface ActivationTimings {
  loadModelMs: number;
  readImageMs: number;
  forwardMs: number;
  renderMs: number;
}

export interface ActivationRunInfo {
  backend: BackendName;
  modelPath: string;
  imagePath: string;
  preprocess: PreprocessMode;
  /** [height, width, channels] fed to the model. */
  inputSize: [number, number, number];
  /** How the image's EXIF orientation was treated (set by the job). */
  exif?: ExifOrientationReport;
  layerIndices: number[];
  timings: ActivationTimings;
}

/**
 * What Grad-CAM differentiates: the model's output for the class (the study notes'
 * `model.output[:, 386]`) or its pre-activation value (the Grad-CAM paper's pre-softmax logit).
 */
export type GradCamScore = 'output' | 'logit';
export const GRAD_CAM_SCORES: readonly GradCamScore[] = ['output', 'logit'];

/** A layer Grad-CAM can explain: one with a single 4-D output. Nested layers are named `outer/inner`. */
export interface GradCamLayerChoice {
  name: string;
  className: string;
  outputShape: Shape;
}

export interface ClassPrediction {
  index: number;
  name: string;
  /** The model's output for the class (for a single sigmoid unit, class 0 scores 1 − p). */
  score: number;
}

/** Where class names came from: a file beside the model, the built-in ImageNet list, or none (indices). */
export interface ClassNamesInfo {
  source: 'file' | 'imagenet' | 'index';
  /** The labels file, when `source` is `file`. */
  file?: string;
  /** Label files that were found but not used, and why. */
  notes: string[];
}

export interface GradCamTimings {
  loadModelMs: number;
  readImageMs: number;
  gradCamMs: number;
  renderMs: number;
}

export interface GradCamRunInfo {
  backend: BackendName;
  modelPath: string;
  imagePath: string;
  preprocess: PreprocessMode;
  /** [height, width, channels] fed to the model. */
  inputSize: [number, number, number];
  /** [height, width] of the original image, which the overlay has. */
  imageSize: [number, number];
  /** How the image's EXIF orientation was treated, for the model's input and the overlay alike (set by the job). */
  exif?: ExifOrientationReport;
  layer: GradCamLayerChoice;
  score: GradCamScore;
  /** The activation of the model's last layer (`softmax`, `sigmoid`, `linear`, …). */
  outputActivation: string;
  /** For a model with several outputs: the one explained (see engine/analyses/gradCam.ts). */
  outputName?: string;
  targetClass: ClassPrediction;
  /** The value Grad-CAM differentiated for the target class: its output (1 − p for class 0 of one sigmoid unit) or logit. */
  scoreValue: number;
  /** The top five classes (fewer when the model has fewer), best first. */
  predictions: ClassPrediction[];
  /** [height, width] of the heatmap: the target layer's feature-map size. */
  heatmapSize: [number, number];
  /** True when no location raises the class score (the heatmap is all zero after the ReLU). */
  noPositiveEvidence: boolean;
  /** Set with `noPositiveEvidence`: says so in words. */
  message?: string;
  colormap: ColormapName;
  intensity: number;
  classNames: ClassNamesInfo;
  timings: GradCamTimings;
  /** The method of the map above (absent in results from before there were several: Grad-CAM). */
  method?: ExplainMethod;
  /** Every map of the run, side by side, the one above first (methods, then layers, then classes). */
  maps?: CamMapInfo[];
}

/** One map of a run: which method, layer and class it explains, and what it found. */
export interface CamMapInfo {
  method: ExplainMethod;
  layer: GradCamLayerChoice;
  targetClass: ClassPrediction;
  /** The score the method explains for the class (Score-CAM weighs by the logit, whatever this is). */
  scoreValue: number;
  heatmapSize: [number, number];
  noPositiveEvidence: boolean;
  message?: string;
  /** The map's own computation, rendering excluded. */
  ms: number;
  /** When asked for: how well the map (at the input's size) predicts what the score depends on. */
  faithfulness?: FaithfulnessSummary;
}

/** One relevance map's faithfulness measures, on the class's output. */
export interface FaithfulnessMeasures {
  /** Score as the most relevant pixels are deleted (set to 0), at each fraction: lower area is better. */
  deletion: { fractions: number[]; scores: number[]; auc: number };
  /** Score as the most relevant pixels are put back into a blurred image: higher area is better. */
  insertion: { fractions: number[]; scores: number[]; auc: number };
  /** ROAD: mean score with the least relevant pixels imputed minus with the most relevant: larger is better. */
  roadGap: number;
}

/** A map's measures beside those of a seeded random map and of the image's Sobel edges. */
export interface FaithfulnessSummary {
  map: FaithfulnessMeasures;
  random: FaithfulnessMeasures;
  edges: FaithfulnessMeasures;
  beatsRandom: { deletion: boolean; insertion: boolean; road: boolean };
  beatsEdges: { deletion: boolean; insertion: boolean; road: boolean };
  ms: number;
}

/**
 * `lucid` (the default): feature visualisation as Lucid and Lucent do it — the image lives in the
 * model's own input range, drawn from a Fourier-space (and, in colour, decorrelated) parameterisation,
 * optimised by Adam under random jitter, scale and rotation, with silent filters started by Lucid's
 * redirected ReLU gradient. `chollet`: the study notes' algorithm, exactly. `clear`: the notes'
 * ascent plus jitter, octaves and smoothing.
 */
export type FilterPatternPreset = 'lucid' | 'chollet' | 'clear';
export const FILTER_PATTERN_PRESETS: readonly FilterPatternPreset[] = ['lucid', 'chollet', 'clear'];

/** Extra parameters of the `clear` preset (see engine/analyses/filterPatterns.ts). */
export interface ClearPresetParameters {
  /** Resolutions optimised in turn, smallest first; the last is `size`. */
  octaves: number;
  /** Each octave is this much larger than the one before. */
  octaveScale: number;
  /** Largest random shift per step, in pixels of the current octave. */
  jitter: number;
  /** Largest random relative change of scale per step (0.05: ±5 %). */
  scaleJitter: number;
  /** Largest random rotation per step, in degrees. */
  rotationDegrees: number;
  /** Weight of the squared total-variation smoothing (pixel units) against the normalised gradient; applied implicitly, so stable at any step. */
  tvWeight: number;
}

/** Extra parameters of the `lucid` preset (see engine/analyses/filterPatternLucid.ts). */
export interface LucidPresetParameters {
  /** Largest random shift per step (the first quarter of the steps are transformed), in whole pixels either way (Lucent's jitter(8) then jitter(4) on 128 px images). */
  jitter: number;
  /** Largest random relative change of scale per step (0.1: ±10 %, Lucent's random_scale). */
  scaleJitter: number;
  /** Largest random rotation per step, in degrees (Lucent's random_rotate ±10°). */
  rotationDegrees: number;
  /** The first steps, during which a filter whose gradient is zero (a ReLU blocks it entirely) takes its step with Lucid's redirected ReLU gradient instead; 0 turns it off. */
  redirectedReluSteps: number;
}

export interface FilterPatternParameters {
  preset: FilterPatternPreset;
  /** Side of the square image optimised, in pixels (the last octave's for `clear`). */
  size: number;
  /** Gradient-ascent steps (per octave for `clear`). */
  steps: number;
  /**
   * `chollet`, `clear`: step size in pixel units, `x += normalisedGradient × stepSize`. `lucid`: a
   * factor on the preset's Adam learning rate (1: the tuned rate).
   */
  stepSize: number;
  seed: number;
  clear: ClearPresetParameters;
  /** Omitted: DEFAULT_FILTER_PATTERN_PARAMETERS.lucid (callers written before the preset existed). */
  lucid?: LucidPresetParameters;
  /**
   * Real images each pattern is compared with (its verdict and gain); omitted: the image files in
   * the model's folder (at most 32); empty: none.
   */
  realImages?: string[];
}

/** Where each tile sits in a filter-pattern grid: the study notes' 8 per column, 5-pixel black margins between tiles. */
export interface FilterGridLayout {
  rows: number;
  columns: number;
  tileSize: number;
  margin: number;
  width: number;
  height: number;
}

/** One filter's pattern, rendered with the study notes' deprocess_image. */
export interface FilterPatternImage {
  layerIndex: number;
  layerName: string;
  filter: number;
  /** Position in the requested filter list, which is the tile's position in the grid. */
  tile: number;
  size: number;
  /** Mean activation of the filter on the starting image (the notes' gray noise; `lucid`: its near-gray start) and on the final pattern, as shown. */
  lossStart: number;
  lossEnd: number;
  steps: number;
  /** The gradient was zero from the start: nothing near the start activates the filter. Drawn flat, not as noise. */
  dead: boolean;
  /** Whether the ascent raised the filter's mean activation, and whether real images excite it at all (set on every new tile; absent on tiles cached before it existed). */
  verdict?: FilterPatternVerdict;
  /** The verdict in one sentence, with the numbers behind it. */
  verdictText?: string;
  /** The real images the pattern was compared with; absent when there were none. */
  realImages?: RealImageComparison;
  /** What excites this filter in the example images: their crops where it fires most, best first (absent when none were searched). */
  examples?: FilterExampleCrop[];
  png: Uint8Array;
}

/** One crop of an example image where a filter fires most (Lucid's dataset examples). */
export interface FilterExampleCrop {
  image: string;
  /** The filter's largest activation in the image, at the crop's centre. */
  activation: number;
  /** The receptive field of that position, in the pixels the model read (the image resized to its input). */
  crop: { x: number; y: number; width: number; height: number };
  png: Uint8Array;
}

/**
 * `raised`: the ascent raised the filter's mean activation meaningfully. `not raised`: it did not
 * (the pattern says little about the filter). `silent on real images`: the filter's mean activation
 * is 0 or less on every real image compared, so the pattern shows what could drive it, not what does.
 */
export type FilterPatternVerdict = 'raised' | 'not raised' | 'silent on real images';

/** How a pattern compares with the real images that excite its filter most. */
export interface RealImageComparison {
  /** Images compared (those that could be read). */
  count: number;
  /** The highest mean activation of the filter over those images, and the image that gave it. */
  bestActivation: number;
  bestImage: string;
  /** The pattern's mean activation (lossEnd) ÷ bestActivation; absent when bestActivation is 0 or less. */
  gain?: number;
}

export interface FilterPatternTimings {
  loadModelMs: number;
  optimizeMs: number;
  renderMs: number;
}

export interface FilterPatternRunInfo {
  backend: BackendName;
  modelPath: string;
  layerIndex: number;
  layerName: string;
  preprocess: PreprocessMode;
  parameters: FilterPatternParameters;
  /** Filter indices, in tile order. */
  filters: number[];
  /** How many filters were optimised together. */
  batchSize: number;
  inputChannels: number;
  timings: FilterPatternTimings;
}

/** What a filter-pattern job will compute, decided before it starts. */
export interface FilterPatternPlan {
  modelPath: string;
  layerIndex: number;
  layerName: string;
  /** Filters the layer has. */
  filterCount: number;
  /** Filters to show, in tile order. */
  filters: number[];
  inputChannels: 1 | 3;
  /** Filters optimised together. */
  batchSize: number;
  /** Image side per octave, smallest first (one entry for `chollet`). */
  octaveSizes: number[];
  stepsPerFilter: number;
}

/** Limits on what a model file may make Convscope read. */
export interface ModelFileLimits {
  maxModelJsonBytes: number;
  maxWeightBytes: number;
  /** How long one read of an HDF5 file may take before the file is taken as damaged (default DEFAULT_HDF5_TIMEOUT_MS). */
  hdf5TimeoutMs?: number;
}

export interface ImageLimits {
  /** Images with more pixels than this are refused before they are decoded. */
  maxImagePixels: number;
}

/** How images are read: the limits, and what is done with the EXIF Orientation tag. */
export interface ImageReadOptions extends ImageLimits {
  /** `apply` (omitted): turn the pixels upright as the tag says; `ignore`: keep them as stored, as Keras' load_img does. */
  exifOrientation?: ExifOrientationMode;
}

/** Which layers' activations to show. */
export interface LayerSelection {
  /** Layer names, in any order; they are shown in model order. */
  names?: string[];
  /** The first N layers that have a 4-D output (the study notes' `model.layers[:8]`). */
  first?: number;
}

/** How a dataset's class subfolders map to the model's classes (engine/analyses/dataset/labelMapping.ts). */
export interface DatasetLabelMapping {
  /** Folder name → class index; folders absent here are unmapped. */
  folderToClass: Record<string, number>;
  /** Why each mapped folder has its class: the user's mapping, a class name, or flow_from_directory's sorted order. */
  how: Record<string, 'given' | 'name' | 'sortedOrder'>;
  unmapped: string[];
  /** The mapping is a guess (sorted order without class names) or incomplete: the user should confirm it. */
  needsConfirmation: boolean;
}

/** One image of a dataset run. File names are inside the run's cache folder. */
export interface DatasetImageResult {
  /** Path below the dataset folder, '/' separated. */
  relativePath: string;
  folderLabel?: string;
  /** The true class, when the image's folder is mapped to one. */
  trueClass?: number;
  predictedClass: number;
  /** The predicted class's score (its softmax or sigmoid output). */
  confidence: number;
  /** Present when the true class is known. */
  correct?: boolean;
  /** For errors: the share of the heatmap outside the centre region and on the border (0–1; see evidenceLocation.ts). */
  offCentre?: number;
  onBorder?: number;
  /** Thumbnail PNG, in the cache folder. */
  thumbnail?: string;
  /** For errors: the heatmap (of the predicted class) over the image, PNG in the cache folder. */
  heatmapOverlay?: string;
  /** Read from the cache rather than computed. */
  cached: boolean;
}

export interface DatasetSkippedImage {
  relativePath: string;
  reason: string;
}

export interface DatasetErrorHeatmap {
  /** The true class whose misclassified images are averaged. */
  classIndex: number;
  errorCount: number;
  /** PNG in the cache folder. */
  png: string;
}

export interface DatasetRunSummary {
  modelPath: string;
  folder: string;
  /** Where thumbnails and heatmaps are: the file names in results are inside it. */
  cacheFolder: string;
  classNames: string[];
  classFolders: string[];
  mapping: DatasetLabelMapping;
  imageCount: number;
  /** Images predicted (read from the cache or computed). */
  predictedCount: number;
  cachedCount: number;
  skipped: DatasetSkippedImage[];
  /** Images with a known true class, and how many of them are right. */
  labelledCount: number;
  correctCount: number;
  /** `correctCount / labelledCount`; absent without labels. */
  accuracy?: number;
  /** confusion[true][predicted]: counts of labelled images. */
  confusion: number[][];
  meanErrorHeatmaps: DatasetErrorHeatmap[];
  /** The CAM layer the error heatmaps were computed at. */
  heatmapLayer?: string;
  backend: BackendName;
  elapsedMs: number;
  /** Of which in the model's batched forward passes (input upload and scores read back included; no decoding, thumbnails or heatmaps). */
  predictMs: number;
  imagesPerSecond: number;
}
