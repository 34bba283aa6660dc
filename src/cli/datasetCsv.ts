// predictions.csv of `convscope dataset`: one row per image, RFC 4180 quoting, and no cell a
// spreadsheet would run as a formula (file names come from the user's folders).
import type { DatasetImageResult } from '../shared/types';

const csvField = (value: string | number | boolean | undefined) => {
  const text = value === undefined ? '' : String(value);
  // A leading = + - @ would be a formula in a spreadsheet: quoted and prefixed.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function predictionsCsv(results: DatasetImageResult[], classNames: string[]): string {
  const header = ['path', 'folder', 'true_class', 'true_name', 'predicted_class', 'predicted_name', 'confidence', 'correct', 'off_centre', 'on_border'];
  const rows = results.map((result) =>
    [
      result.relativePath,
      result.folderLabel,
      result.trueClass,
      result.trueClass === undefined ? undefined : classNames[result.trueClass],
      result.predictedClass,
      classNames[result.predictedClass],
      result.confidence.toFixed(6),
      result.correct,
      result.offCentre?.toFixed(4),
      result.onBorder?.toFixed(4),
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}

