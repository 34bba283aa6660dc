// The `convscope.*` settings, read in one place.
import * as vscode from 'vscode';
import { DEFAULT_LAYER_COUNT } from '../engine/analyses/activations';
import { DEFAULT_IMAGE_LIMITS } from '../engine/input/imageInput';
import { DEFAULT_MODEL_LIMITS } from '../engine/models/layers/layersModelLoader';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../engine/analyses/filterPatterns';
import { DEFAULT_HDF5_TIMEOUT_MS } from '../engine/models/layers/hdf5Reader';
import {
  BACKEND_PREFERENCES,
  COLORMAP_NAMES,
  EXIF_ORIENTATION_MODES,
  FILTER_PATTERN_PRESETS,
  GRAD_CAM_SCORES,
  PREPROCESS_MODES,
  type BackendPreference,
  type ColormapName,
  type FilterPatternPreset,
  type GradCamScore,
  type PreprocessMode,
} from '../shared/types';
import type { EngineLimits } from '../shared/engineProtocol';

export interface ConvscopeSettings {
  backend: BackendPreference;
  layerCount: number;
  imagesPerRow: number;
  colormap: ColormapName;
  /** Undefined for `auto`: the model's own default (see ModelSummary.defaultPreprocess). */
  preprocess?: PreprocessMode;
  filters: { preset: FilterPatternPreset; gridSize: number; singleSize: number; steps: number; stepSize: number; seed: number; cacheMegabytes: number };
  gradCam: { intensity: number; colormap: ColormapName; score: GradCamScore; labelsPath?: string };
  limits: EngineLimits;
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function fraction(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 && value <= 1 ? value : fallback;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

function preprocessSetting(value: string | undefined): PreprocessMode | undefined {
  return value !== undefined && (PREPROCESS_MODES as readonly string[]).includes(value) ? (value as PreprocessMode) : undefined;
}

export function readSettings(): ConvscopeSettings {
  const config = vscode.workspace.getConfiguration('convscope');
  return {
    backend: pick(config.get<string>('backend'), BACKEND_PREFERENCES, 'auto'),
    layerCount: positive(config.get<number>('activations.layerCount'), DEFAULT_LAYER_COUNT),
    imagesPerRow: positive(config.get<number>('activations.imagesPerRow'), 16),
    colormap: pick(config.get<string>('colormap'), COLORMAP_NAMES, 'viridis'),
    preprocess: preprocessSetting(config.get<string>('preprocessing')),
    filters: {
      preset: pick(config.get<string>('filters.preset'), FILTER_PATTERN_PRESETS, 'chollet'),
      gridSize: positive(config.get<number>('filters.gridSize'), 64),
      singleSize: positive(config.get<number>('filters.singleSize'), 150),
      steps: positive(config.get<number>('filters.steps'), DEFAULT_FILTER_PATTERN_PARAMETERS.steps),
      stepSize: config.get<number>('filters.stepSize') ?? DEFAULT_FILTER_PATTERN_PARAMETERS.stepSize,
      seed: Math.floor(config.get<number>('filters.seed') ?? DEFAULT_FILTER_PATTERN_PARAMETERS.seed),
      cacheMegabytes: Math.max(0, config.get<number>('filters.cacheMegabytes') ?? 200),
    },
    gradCam: {
      intensity: fraction(config.get<number>('gradCam.intensity'), 0.4),
      colormap: pick(config.get<string>('gradCam.colormap'), COLORMAP_NAMES, 'jet'),
      score: pick(config.get<string>('gradCam.score'), GRAD_CAM_SCORES, 'output'),
      labelsPath: config.get<string>('gradCam.labelsFile') || undefined,
    },
    limits: {
      model: {
        maxModelJsonBytes: DEFAULT_MODEL_LIMITS.maxModelJsonBytes,
        maxWeightBytes: positive(config.get<number>('limits.maxWeightMegabytes'), DEFAULT_MODEL_LIMITS.maxWeightBytes / 2 ** 20) * 2 ** 20,
        hdf5TimeoutMs: positive(config.get<number>('limits.hdf5ReadSeconds'), DEFAULT_HDF5_TIMEOUT_MS / 1000) * 1000,
      },
      image: {
        maxImagePixels: positive(config.get<number>('limits.maxImageMegapixels'), DEFAULT_IMAGE_LIMITS.maxImagePixels / 1e6) * 1e6,
        // Carried with the image limits: everything that reads an image gets both.
        exifOrientation: pick(config.get<string>('image.exifOrientation'), EXIF_ORIENTATION_MODES, 'apply'),
      },
    },
  };
}
