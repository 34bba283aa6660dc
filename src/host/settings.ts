// The `convscope.*` settings, read in one place.
import * as vscode from 'vscode';
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
import { DEFAULT_MODEL_LIMITS, SETTING_DEFAULTS as D } from '../shared/defaults';

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
    backend: pick(config.get<string>('backend'), BACKEND_PREFERENCES, D.backend),
    layerCount: positive(config.get<number>('activations.layerCount'), D['activations.layerCount']),
    imagesPerRow: positive(config.get<number>('activations.imagesPerRow'), D['activations.imagesPerRow']),
    colormap: pick(config.get<string>('colormap'), COLORMAP_NAMES, D.colormap),
    preprocess: preprocessSetting(config.get<string>('preprocessing')),
    filters: {
      preset: pick(config.get<string>('filters.preset'), FILTER_PATTERN_PRESETS, D['filters.preset']),
      gridSize: positive(config.get<number>('filters.gridSize'), D['filters.gridSize']),
      singleSize: positive(config.get<number>('filters.singleSize'), D['filters.singleSize']),
      steps: positive(config.get<number>('filters.steps'), D['filters.steps']),
      stepSize: config.get<number>('filters.stepSize') ?? D['filters.stepSize'],
      seed: Math.floor(config.get<number>('filters.seed') ?? D['filters.seed']),
      cacheMegabytes: Math.max(0, config.get<number>('filters.cacheMegabytes') ?? D['filters.cacheMegabytes']),
    },
    gradCam: {
      intensity: fraction(config.get<number>('gradCam.intensity'), D['gradCam.intensity']),
      colormap: pick(config.get<string>('gradCam.colormap'), COLORMAP_NAMES, D['gradCam.colormap']),
      score: pick(config.get<string>('gradCam.score'), GRAD_CAM_SCORES, D['gradCam.score']),
      labelsPath: config.get<string>('gradCam.labelsFile') || undefined,
    },
    limits: {
      model: {
        maxModelJsonBytes: DEFAULT_MODEL_LIMITS.maxModelJsonBytes,
        maxWeightBytes: positive(config.get<number>('limits.maxWeightMegabytes'), D['limits.maxWeightMegabytes']) * 2 ** 20,
        hdf5TimeoutMs: positive(config.get<number>('limits.hdf5ReadSeconds'), D['limits.hdf5ReadSeconds']) * 1000,
      },
      image: {
        maxImagePixels: positive(config.get<number>('limits.maxImageMegapixels'), D['limits.maxImageMegapixels']) * 1e6,
        // Carried with the image limits: everything that reads an image gets both.
        exifOrientation: pick(config.get<string>('image.exifOrientation'), EXIF_ORIENTATION_MODES, D['image.exifOrientation']),
      },
    },
  };
}
