// Every default value in one place: the engine, the CLI and the host read them here, and a test
// checks that package.json's settings declare the same defaults.
import type { FilterPatternParameters } from './types';
import type { ImageLimits, ModelFileLimits } from './types';

/** The study notes' `model.layers[:8]`. */
export const DEFAULT_LAYER_COUNT = 8;
/** The study notes' `images_per_row = 16`. */
export const DEFAULT_IMAGES_PER_ROW = 16;

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxImagePixels: 100_000_000 };
/** Keras' usual `target_size` for models that take any size (the ImageNet models' 224). */
export const DEFAULT_FREE_INPUT_SIDE = 224;

/** How long one HDF5 read (open, an attribute, a group's names, a dataset) may take before the file is taken as damaged. */
export const DEFAULT_HDF5_TIMEOUT_MS = 20_000;

/** Values one layer or graph node may output per image (1 GiB as float32), checked for the real input size before the model runs. */
export const MAX_OUTPUT_ELEMENTS_PER_IMAGE = 2 ** 28;

/**
 * How long each kind of engine job may take in all, loading the model included, before its worker
 * is ended (and a fresh one serves the next job): far beyond what real models need on the slowest
 * backend, short enough that a file built to hang is given up on.
 */
export const JOB_DEADLINES_MS = {
  summarize: 120_000,
  activations: 180_000,
  gradCam: 180_000,
  filterPatterns: 900_000,
  channel: 60_000,
  memory: 60_000,
  // A folder of 10,000 photos with a few hundred errors to explain, on the slowest backend.
  dataset: 3_600_000,
} as const;

/** Explain Folder: images per forward pass, the most images one run reads, the gallery's thumbnail side. */
export const DATASET_DEFAULTS = { batchSize: 32, maxImages: 100_000, thumbnailSize: 128 } as const;

/** The WASM backend's memory grows and never shrinks: a worker holding more than this after a job is replaced by a fresh one. */
export const MAX_WORKER_WASM_HEAP_BYTES = 2 * 1024 ** 3;

/**
 * An idle engine worker holding more WASM memory than this (a large model's run grew it; VGG16's
 * Grad-CAM leaves about 2 GB) is stopped so the memory goes back; the next job starts a fresh one.
 */
export const IDLE_WORKER_WASM_HEAP_BYTES = 1024 ** 3;

/** How long an engine worker stays idle before the bound above is checked. */
export const WORKER_IDLE_CHECK_MS = 30_000;

/** How long the worker for filter grids stays idle before it is stopped, with its model and memory. */
export const LONG_LANE_IDLE_STOP_MS = 60_000;

export const DEFAULT_MODEL_LIMITS: ModelFileLimits = {
  maxModelJsonBytes: 64 * 1024 * 1024,
  maxWeightBytes: 2 * 1024 * 1024 * 1024,
};

/**
 * 40 steps on a 64-pixel image, seeded (the study notes' `generate_pattern` for `chollet`), with the
 * `lucid` preset by default. `lucid`'s transformations are Lucent's standard ones (jitter 8 then 4
 * on 128-pixel images, scale 0.9–1.1, rotation ±10°) with the jitter scaled to 64 pixels; Lucid
 * redirects ReLU gradients for 16 of its 512 steps, here for the first quarter of the 40.
 */
export const DEFAULT_FILTER_PATTERN_PARAMETERS: FilterPatternParameters = {
  preset: 'lucid',
  size: 64,
  steps: 40,
  stepSize: 1,
  seed: 0,
  clear: { octaves: 3, octaveScale: 1.4, jitter: 4, scaleJitter: 0.05, rotationDegrees: 5, tvWeight: 0.05 },
  lucid: { jitter: 4, scaleJitter: 0.1, rotationDegrees: 10, redirectedReluSteps: 10 },
};

/** A range of a filter-pattern parameter: `min` to `max` inclusive (above `min` when `aboveMin`). */
export interface ParameterRange {
  min: number;
  max: number;
  aboveMin?: boolean;
  integer?: boolean;
}

/**
 * What the engine, the CLI and the settings accept for each filter-pattern parameter; the engine
 * refuses anything else, saying the range. Every value in range gives finite images: `chollet`
 * and `clear` move each pixel by at most `stepSize` RMS per step (clear's smoothing is implicit),
 * `lucid`'s pixels are clipped to 0–255.
 */
export const FILTER_PATTERN_RANGES = {
  size: { min: 1, max: 1024, integer: true },
  steps: { min: 1, max: 2000, integer: true },
  /** Pixel units for `chollet` and `clear`. */
  stepSize: { min: 0, aboveMin: true, max: 100 },
  /** A factor on the tuned Adam learning rate. */
  lucidStepSize: { min: 0, aboveMin: true, max: 10 },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  clear: {
    octaves: { min: 1, max: 8, integer: true },
    octaveScale: { min: 1, max: 4 },
    jitter: { min: 0, max: 64 },
    scaleJitter: { min: 0, max: 0.5 },
    rotationDegrees: { min: 0, max: 180 },
    tvWeight: { min: 0, max: 10 },
  },
  lucid: {
    jitter: { min: 0, max: 64 },
    scaleJitter: { min: 0, max: 0.5 },
    rotationDegrees: { min: 0, max: 180 },
    redirectedReluSteps: { min: 0, max: 2000, integer: true },
  },
} as const satisfies Record<string, ParameterRange | Record<string, ParameterRange>>;

/** Real images compared with the patterns when none are named: the image files in the model's folder, at most this many. */
export const DEFAULT_REAL_IMAGE_COUNT = 32;
/** Image crops kept per filter by the "what excites this filter in your images" search. */
export const DEFAULT_FILTER_EXAMPLE_COUNT = 4;
/** The study notes' grid shows the first 64 filters. */
export const DEFAULT_FILTER_COUNT = 64;
/** A single filter's pattern is drawn larger than a grid tile (the notes' 150-pixel `generate_pattern`). */
export const DEFAULT_SINGLE_FILTER_SIZE = 150;
export const DEFAULT_FILTER_CACHE_MEGABYTES = 200;

/** The study notes' `heatmap * 0.4 + img`. */
export const DEFAULT_GRAD_CAM_INTENSITY = 0.4;

/** The default of every `convscope.*` setting, by its key after `convscope.`. */
export const SETTING_DEFAULTS = {
  backend: 'auto',
  'activations.layerCount': DEFAULT_LAYER_COUNT,
  'activations.imagesPerRow': DEFAULT_IMAGES_PER_ROW,
  preprocessing: 'auto',
  colormap: 'viridis',
  'image.exifOrientation': 'apply',
  'limits.maxImageMegapixels': DEFAULT_IMAGE_LIMITS.maxImagePixels / 1e6,
  'limits.maxWeightMegabytes': DEFAULT_MODEL_LIMITS.maxWeightBytes / 2 ** 20,
  'limits.hdf5ReadSeconds': DEFAULT_HDF5_TIMEOUT_MS / 1000,
  'filters.preset': DEFAULT_FILTER_PATTERN_PARAMETERS.preset,
  'filters.gridSize': DEFAULT_FILTER_PATTERN_PARAMETERS.size,
  'filters.singleSize': DEFAULT_SINGLE_FILTER_SIZE,
  'filters.steps': DEFAULT_FILTER_PATTERN_PARAMETERS.steps,
  'filters.stepSize': DEFAULT_FILTER_PATTERN_PARAMETERS.stepSize,
  'filters.seed': DEFAULT_FILTER_PATTERN_PARAMETERS.seed,
  'filters.cacheMegabytes': DEFAULT_FILTER_CACHE_MEGABYTES,
  'gradCam.intensity': DEFAULT_GRAD_CAM_INTENSITY,
  'gradCam.colormap': 'jet',
  'gradCam.score': 'output',
  'gradCam.labelsFile': '',
} as const;
