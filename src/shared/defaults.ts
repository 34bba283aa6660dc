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

export const DEFAULT_MODEL_LIMITS: ModelFileLimits = {
  maxModelJsonBytes: 64 * 1024 * 1024,
  maxWeightBytes: 2 * 1024 * 1024 * 1024,
};

/** The study notes' `generate_pattern`: 40 steps of 1 on a 64-pixel image, seeded noise. */
export const DEFAULT_FILTER_PATTERN_PARAMETERS: FilterPatternParameters = {
  preset: 'chollet',
  size: 64,
  steps: 40,
  stepSize: 1,
  seed: 0,
  clear: { octaves: 3, octaveScale: 1.4, jitter: 4, scaleJitter: 0.05, rotationDegrees: 5, tvWeight: 0.05 },
};
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
