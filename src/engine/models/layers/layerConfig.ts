// The few entries of a layer's config worth showing beside its name (the sidebar's tooltip), under
// Keras' snake_case names. TF.js' getConfig() uses camelCase; configs read from Keras files may use
// either. Large or nested values (initializers, nested models' layer lists) are left out.
import type { LayerConfig, LayerConfigValue } from '../../../shared/types';

const SHOWN_ENTRIES: readonly (readonly [keras: string, tfjs: string])[] = [
  ['filters', 'filters'],
  ['units', 'units'],
  ['kernel_size', 'kernelSize'],
  ['pool_size', 'poolSize'],
  ['strides', 'strides'],
  ['padding', 'padding'],
  ['activation', 'activation'],
  ['rate', 'rate'],
  ['use_bias', 'useBias'],
];

const MAX_TEXT_LENGTH = 64;
const MAX_TUPLE_LENGTH = 8;

function smallValue(value: unknown): LayerConfigValue | undefined {
  if (typeof value === 'string') return value.length <= MAX_TEXT_LENGTH ? value : undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.length <= MAX_TUPLE_LENGTH && value.every((item) => item === null || (typeof item === 'number' && Number.isFinite(item)))) {
    return value as (number | null)[];
  }
  return undefined;
}

/** The shown entries of a layer config; undefined when none is there. */
export function pickLayerConfig(config: unknown): LayerConfig | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const record = config as Record<string, unknown>;
  const picked: LayerConfig = {};
  for (const [keras, tfjs] of SHOWN_ENTRIES) {
    const value = smallValue(record[tfjs] ?? record[keras]);
    if (value !== undefined) picked[keras] = value;
  }
  return Object.keys(picked).length > 0 ? picked : undefined;
}

/** `{ config }` for a layer whose config has shown entries, else `{}` (a layer whose getConfig throws has none). */
export function layerConfigEntry(layer: { getConfig(): unknown }): { config?: LayerConfig } {
  try {
    const config = pickLayerConfig(layer.getConfig());
    return config ? { config } : {};
  } catch {
    return {};
  }
}
