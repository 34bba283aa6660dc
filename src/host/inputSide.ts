// The side images are resized to for models whose input takes any height or width. No vscode
// import: the host asks, this decides what the answer means.
import type { ModelSummary } from '../shared/types';

/** A side beyond this would make one input of tens of millions of values. */
export const MAX_INPUT_SIDE = 4096;

/** The side typed by the user, or undefined when it is not a whole number of pixels in range. */
export function parseInputSide(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const side = Number(trimmed);
  return side >= 1 && side <= MAX_INPUT_SIDE ? side : undefined;
}

/** True when the model's input has a free (`None`) height or width. */
export function takesAnySize(summary: Pick<ModelSummary, 'inputShape'>): boolean {
  return summary.inputShape.length === 3 && (summary.inputShape[0] === null || summary.inputShape[1] === null);
}
