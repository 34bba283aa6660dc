// The model summary's table, as Keras' `model.summary()` prints it: one row per layer (name, class,
// output shape, parameters) and the totals below. Every string comes from the model file and is
// inserted as text.
import { ownLayerName } from '../src/shared/layerNames';
import { formatShape } from '../src/shared/shapes';
import type { LayerInfo, ModelSummary } from '../src/shared/types';
import { el } from './dom';
import { formatCount } from './format';

const COLUMNS = [
  { title: 'Layer', className: 'summary-layer' },
  { title: 'Class', className: 'summary-class' },
  { title: 'Output shape', className: 'summary-shape' },
  { title: 'Params', className: 'summary-params numeric' },
] as const;

function paramsCell(layer: LayerInfo): HTMLTableCellElement {
  const frozen = layer.paramCount - layer.trainableParamCount;
  return el('td', { class: 'summary-params numeric' }, [
    formatCount(layer.paramCount),
    frozen > 0 ? el('span', { class: 'non-trainable-note' }, [` (${formatCount(frozen)} non-trainable)`]) : null,
  ]);
}

/**
 * The name cell; layers of nested models are indented under their model's row. A long name is cut
 * with an ellipsis (styles.css), the full name in the tooltip.
 */
function nameCell(layer: LayerInfo): HTMLTableCellElement {
  const cell = el('th', { scope: 'row', class: 'summary-layer', title: layer.name, 'data-depth': layer.depth }, [ownLayerName(layer)]);
  // Through the CSSOM: the CSP refuses inline style attributes.
  if (layer.depth > 0) cell.style.paddingInlineStart = `${layer.depth * 1.25}em`;
  return cell;
}

function layerRow(layer: LayerInfo): HTMLTableRowElement {
  return el('tr', { 'data-layer-index': layer.index }, [
    nameCell(layer),
    el('td', { class: 'summary-class', title: layer.className }, [layer.className]),
    el('td', { class: 'summary-shape' }, [formatShape(layer.outputShape)]),
    paramsCell(layer),
  ]);
}

/** The layer table, captioned with the model's name. */
export function summaryTable(summary: ModelSummary): HTMLTableElement {
  const caption = `Layers of ${summary.modelName || 'the model'} (${summary.layers.length})`;
  return el('table', { class: 'summary-table' }, [
    el('caption', {}, [caption]),
    // Fixed column widths (styles.css): the table fits the panel, long names are cut rather than widening it.
    el('colgroup', {}, COLUMNS.map((column) => el('col', { class: column.className }))),
    el('thead', {}, [el('tr', {}, COLUMNS.map((column) => el('th', { scope: 'col', class: column.className }, [column.title])))]),
    el(
      'tbody',
      {},
      summary.layers.length > 0
        ? summary.layers.map(layerRow)
        : [el('tr', {}, [el('td', { colspan: COLUMNS.length, class: 'placeholder' }, ['The model has no layers.'])])],
    ),
  ]);
}

/** Total, trainable and non-trainable parameters, as the last lines of `model.summary()`. */
export function summaryTotals(summary: ModelSummary): HTMLDListElement {
  const entries: [string, number, string][] = [
    ['Total params', summary.totalParams, 'total-params'],
    ['Trainable params', summary.trainableParams, 'trainable-params'],
    ['Non-trainable params', summary.nonTrainableParams, 'non-trainable-params'],
  ];
  return el(
    'dl',
    { class: 'summary-totals', 'aria-label': 'Parameter totals' },
    entries.flatMap(([term, count, className]) => [el('dt', {}, [term]), el('dd', { class: `${className} numeric` }, [formatCount(count)])]),
  );
}
