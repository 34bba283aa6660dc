// Keras-style `model.summary()` text for the terminal.
import { ownLayerName } from '../shared/layerNames';
import { formatShape } from '../shared/shapes';
import type { ModelSummary } from '../shared/types';

const formatCount = (count: number) => count.toLocaleString('en-US');

export function formatSummaryTable(summary: ModelSummary): string {
  // Layers of nested models are indented under their model's row (Keras' `expand_nested`).
  const rows = summary.layers.map((layer) => [`${'  '.repeat(layer.depth)}${ownLayerName(layer)} (${layer.className})`, formatShape(layer.outputShape), formatCount(layer.paramCount)]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)) + 2);
  const line = (cells: string[]) => cells.map((cell, column) => (column === 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('').trimEnd();
  const rule = (char: string) => char.repeat(widths.reduce((a, b) => a + b, 0));
  return [
    `Model: "${summary.modelName}"  (${summary.modelPath})`,
    rule('_'),
    line(header),
    rule('='),
    ...rows.flatMap((row, i) => (i === 0 ? [line(row)] : [rule('_'), line(row)])),
    rule('='),
    `Total params: ${formatCount(summary.totalParams)}`,
    `Trainable params: ${formatCount(summary.trainableParams)}`,
    `Non-trainable params: ${formatCount(summary.nonTrainableParams)}`,
  ].join('\n');
}
