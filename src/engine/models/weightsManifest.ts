// Validation of a layers model's `weightsManifest` before any weight file is read.
import { InputError } from '../../shared/errors';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
  /** `optimizer` for optimizer state saved beside the model's weights. */
  group?: string;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
/** What a weight's values are (TF.js decodes to these). */
const VALUE_DTYPES = new Set(['float32', 'int32', 'bool']);
/** How a quantized weight is stored. */
const QUANTIZED_DTYPES = new Set(['uint8', 'uint16', 'float16']);

export function parseWeightsManifest(value: unknown, modelPath: string): WeightsManifestGroup[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InputError(modelPath, '"weightsManifest" is not a list of weight groups');
  return value.map((group, groupIndex) => {
    const where = `weightsManifest[${groupIndex}]`;
    if (group === null || typeof group !== 'object') throw new InputError(modelPath, `${where} is not an object`);
    const { paths, weights } = group as Record<string, unknown>;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) {
      throw new InputError(modelPath, `${where}.paths is not a list of file names`);
    }
    if (!Array.isArray(weights)) throw new InputError(modelPath, `${where}.weights is not a list`);
    return { paths: paths as string[], weights: weights.map((spec, i) => parseWeightSpec(spec, `${where}.weights[${i}]`, modelPath)) };
  });
}

function parseWeightSpec(value: unknown, where: string, modelPath: string): WeightSpec {
  if (value === null || typeof value !== 'object') throw new InputError(modelPath, `${where} is not an object`);
  const spec = value as Record<string, unknown>;
  if (typeof spec.name !== 'string') throw new InputError(modelPath, `${where} has no name`);
  if (!Array.isArray(spec.shape) || spec.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    throw new InputError(modelPath, `${where} (${spec.name}) has an invalid shape ${JSON.stringify(spec.shape)}`);
  }
  const quantization = spec.quantization as WeightSpec['quantization'] | undefined;
  // The dtype is what the weight decodes to; the stored width, when smaller, is the quantization's.
  if (typeof spec.dtype !== 'string' || !VALUE_DTYPES.has(spec.dtype)) {
    const hint = typeof spec.dtype === 'string' && spec.dtype in BYTES_PER_DTYPE ? ' without a "quantization" entry saying how to decode it' : '';
    throw new InputError(modelPath, `${where} (${spec.name}) has an unsupported dtype ${JSON.stringify(spec.dtype)}${hint}`);
  }
  if (quantization != null && (typeof quantization !== 'object' || !QUANTIZED_DTYPES.has(quantization.dtype))) {
    throw new InputError(modelPath, `${where} (${spec.name}) has an unsupported quantization ${JSON.stringify(quantization)}`);
  }
  if (quantization) checkQuantization(spec, quantization, `${where} (${spec.name})`, modelPath);
  return spec as unknown as WeightSpec;
}

/** Quantized weights decode to float32 or int32, and uint8/uint16 codes need their scale and offset (TF.js fails part-way through decoding otherwise). */
function checkQuantization(spec: Record<string, unknown>, quantization: NonNullable<WeightSpec['quantization']>, what: string, modelPath: string): void {
  if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new InputError(modelPath, `${what} is quantized to dtype ${JSON.stringify(spec.dtype)}; expected float32 or int32`);
  if (quantization.dtype === 'float16') return;
  if (!Number.isFinite(quantization.scale) || !Number.isFinite(quantization.min)) {
    throw new InputError(modelPath, `${what} is quantized to ${quantization.dtype} without a finite "scale" and "min"`);
  }
}

/** Bytes one weight takes in the weight data, as TF.js reads it. */
export function weightByteLength(spec: WeightSpec): number {
  const elements = spec.shape.reduce((product, dim) => product * dim, 1);
  return elements * BYTES_PER_DTYPE[spec.quantization?.dtype ?? spec.dtype];
}

/** Bytes the weight data must hold for these specs. */
export function expectedWeightBytes(groups: WeightsManifestGroup[]): number {
  return groups.reduce((total, group) => total + group.weights.reduce((sum, spec) => sum + weightByteLength(spec), 0), 0);
}
