// Text for numbers and timings shown in the panel (shapes: src/shared/shapes.ts). Pure functions: no DOM.
import type { PreprocessMode } from '../src/shared/types';

const MINUS = '\u2212';

/** An activation value: up to 4 significant digits, exponent form for very large or small values. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : `${MINUS}∞`;
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  const text =
    magnitude >= 1e5 || magnitude < 1e-3
      ? magnitude.toExponential(2).replace(/\.?0+e/, 'e')
      : String(Number(magnitude.toPrecision(4)));
  return value < 0 ? `${MINUS}${text}` : text;
}

/** A count with thousands separators, as Keras prints parameter counts: `3,453,121`. */
export function formatCount(count: number): string {
  return Number.isFinite(count) ? Math.round(count).toLocaleString('en-US') : '?';
}

/** A fraction as a percentage: whole numbers, `<1%` for small non-zero fractions. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction) || fraction <= 0) return '0%';
  if (fraction < 0.01) return '<1%';
  if (fraction > 0.99 && fraction < 1) return '>99%';
  return `${Math.round(fraction * 100)}%`;
}

/** `3 of 32 (9%)` */
export function formatDeadChannels(dead: number, total: number): string {
  return `${dead} of ${total} (${formatPercent(total > 0 ? dead / total : 0)})`;
}

/** A duration in milliseconds, rounded: `120 ms`, `2.4 s` from ten seconds on one decimal. */
export function formatMilliseconds(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

/** What each preprocessing mode does, for the header and the toolbar's select. */
export const PREPROCESS_LABELS: Readonly<Record<PreprocessMode, string>> = {
  rescale: 'rescale (÷ 255 → 0…1)',
  none: 'none (raw 0…255)',
  caffe: 'caffe (BGR, mean subtracted)',
  tf: 'tf (−1…1)',
  torch: 'torch (ImageNet mean / std)',
};

/** The last path segment, for alt text and titles. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A class score that is a probability (softmax or sigmoid output): `87.3%`, `<0.1%` for tiny ones. */
export function formatProbability(score: number): string {
  if (!Number.isFinite(score)) return formatValue(score);
  if (score <= 0) return '0%';
  if (score < 0.001) return '<0.1%';
  if (score > 0.999 && score < 1) return '>99.9%';
  return `${Number((score * 100).toFixed(1))}%`;
}

/** `filter 12 · mean activation 0.01 → 4.5`: a filter pattern's loss on the starting noise and at the end. */
export function describeFilterLoss(filter: number, lossStart: number, lossEnd: number): string {
  return `filter ${filter} · mean activation ${formatValue(lossStart)} → ${formatValue(lossEnd)}`;
}
