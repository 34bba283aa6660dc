// NaN or ±Infinity in a model's outputs is reported in words, never drawn as a silent black image.
import { InputError } from '../../shared/errors';

/** The first value that is NaN or infinite, if any. */
export function firstNonFinite(values: ArrayLike<number>): number | undefined {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return values[i];
  return undefined;
}

/** Throws an InputError on the model file when `values` (what `what` names) hold NaN or ±Infinity. */
export function assertFiniteOutput(values: ArrayLike<number>, modelPath: string, what: string): void {
  const bad = firstNonFinite(values);
  if (bad !== undefined) {
    throw new InputError(modelPath, `produced ${Number.isNaN(bad) ? 'NaN' : String(bad)} ${what} for this input (check the weights and the preprocessing)`);
  }
}
