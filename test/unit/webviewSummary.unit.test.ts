// The model summary panel's webview, end to end in jsdom: the real bundle (built here with esbuild,
// as esbuild.mjs builds it) runs in a page whose `<div id="app" data-view="summary">` picks the
// panel kind, against a fake `acquireVsCodeApi`, and receives host messages.
import assert from 'node:assert/strict';
import type { LayerInfo, ModelSummary } from '../../src/shared/types';
import type { WebviewPersistedState } from '../../src/shared/protocol';
import { HOSTILE_NAME, buildWebviewBundle, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

type Page = WebviewPage;

function loadPage(view: string, initialState?: WebviewPersistedState): Page {
  return loadWebview(bundle, { view, initialState });
}

function text(element: Element | null | undefined): string {
  return (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function layer(index: number, name: string, className: string, outputShape: LayerInfo['outputShape'], paramCount: number, trainableParamCount = paramCount): LayerInfo {
  return { index, depth: 0, name, className, outputShape, paramCount, trainableParamCount, hasSpatialOutput: !Array.isArray(outputShape[0]) && outputShape.length === 4 };
}

/** The study notes' small convnet, with a BatchNormalization for its non-trainable parameters. */
function makeSummary(overrides: Partial<ModelSummary> = {}): ModelSummary {
  return {
    modelPath: '/work/models/cats_and_dogs/model.json',
    modelName: 'cats_and_dogs_small',
    inputShape: [150, 150, 3],
    outputShape: [null, 1],
    layers: [
      layer(0, 'conv2d_1', 'Conv2D', [null, 148, 148, 32], 896),
      layer(1, 'batch_normalization', 'BatchNormalization', [null, 148, 148, 32], 128, 64),
      layer(2, 'max_pooling2d_1', 'MaxPooling2D', [null, 74, 74, 32], 0),
      layer(3, 'flatten_1', 'Flatten', [null, 175232], 0),
      layer(4, 'dense_1', 'Dense', [null, 1], 175233),
    ],
    totalParams: 176257,
    trainableParams: 176193,
    nonTrainableParams: 64,
    defaultPreprocess: 'rescale',
    ...overrides,
  };
}

describe('webview model summary panel', () => {
  let page: Page;

  afterEach(() => {
    assert.deepEqual(page.errors, [], 'the page logged no errors');
    page.window.close();
  });

  it('waits for the host, showing the run status while the model is read', () => {
    page = loadPage('summary');
    assert.deepEqual(page.posted, [{ type: 'ready' }]);
    assert.match(text(page.$('.session-header')), /Waiting for the extension/);
    assert.equal(page.$$('[data-action], .toolbar').length, 0, 'the summary has no toolbar');
    page.send({ type: 'status', runId: 1, status: { state: 'running', done: 0, total: 0, unit: '', message: 'Reading the model' } });
    assert.equal(text(page.$('.status-text')), 'Reading the model');
    assert.equal(page.$$('table').length, 0);
  });

  it('renders model.summary(): a captioned table of layer, class, Keras output shape and params, and the totals', () => {
    page = loadPage('summary');
    const summary = makeSummary();
    page.send({ type: 'summary', runId: 1, summary });
    page.send({ type: 'status', runId: 1, status: { state: 'finished', backend: 'wasm', timings: [], details: ['5 layers', '176,257 parameters'] } });

    assert.equal(text(page.$('h1.model-name')), 'cats_and_dogs_small');
    assert.equal(text(page.$('.model-path')), summary.modelPath);
    assert.equal(text(page.$('.input-shape')), '(None, 150, 150, 3)');
    assert.equal(text(page.$('.output-shape')), '(None, 1)');
    assert.equal(text(page.$('.status-text')), 'wasm');
    assert.equal(text(page.$('.status-detail')), '5 layers · 176,257 parameters');

    const table = page.$<HTMLTableElement>('table.summary-table');
    assert.equal(text(table.caption), 'Layers of cats_and_dogs_small (5)');
    const headers = [...table.tHead!.rows[0].cells];
    assert.deepEqual(headers.map((cell) => [cell.tagName, cell.getAttribute('scope'), text(cell)]), [
      ['TH', 'col', 'Layer'],
      ['TH', 'col', 'Class'],
      ['TH', 'col', 'Output shape'],
      ['TH', 'col', 'Params'],
    ]);
    const rows = [...table.tBodies[0].rows].map((row) => [...row.cells].map((cell) => text(cell)));
    assert.deepEqual(rows, [
      ['conv2d_1', 'Conv2D', '(None, 148, 148, 32)', '896'],
      ['batch_normalization', 'BatchNormalization', '(None, 148, 148, 32)', '128 (64 non-trainable)'],
      ['max_pooling2d_1', 'MaxPooling2D', '(None, 74, 74, 32)', '0'],
      ['flatten_1', 'Flatten', '(None, 175232)', '0'],
      ['dense_1', 'Dense', '(None, 1)', '175,233'],
    ]);
    for (const row of table.tBodies[0].rows) {
      assert.equal(row.cells[0].tagName, 'TH', 'the layer name heads its row');
      assert.equal(row.cells[0].getAttribute('scope'), 'row');
    }

    const totals = page.$('dl.summary-totals');
    assert.deepEqual(
      [...totals.querySelectorAll('dt')].map((term, i) => [text(term), text(totals.querySelectorAll('dd')[i])]),
      [
        ['Total params', '176,257'],
        ['Trainable params', '176,193'],
        ['Non-trainable params', '64'],
      ],
    );
    assert.deepEqual(page.states, [{ view: 'summary', modelPath: summary.modelPath }]);
  });

  it('says which preprocessing `auto` picks and why, and fits the table to the panel, long names cut with a tooltip', () => {
    page = loadPage('summary');
    const longName = 'block_16_depthwise_relu_of_a_model_whose_layer_names_go_on_and_on';
    page.send({
      type: 'summary',
      runId: 1,
      summary: makeSummary({
        defaultPreprocess: 'tf',
        preprocessReason: 'Teachable Machine image model (metadata.json beside it): its library scales pixels to [-1, 1]',
        layers: [layer(0, longName, 'DepthwiseConv2D', [null, 7, 7, 960], 8640)],
      }),
    });
    assert.match(text(page.$('.preprocess-mode')), /^tf/);
    const reason = page.$('.preprocess-reason');
    assert.match(text(reason), /^Teachable Machine image model/);
    assert.ok(reason.classList.contains('wrap'), 'the reason wraps instead of being cut');
    const table = page.$<HTMLTableElement>('table.summary-table');
    assert.deepEqual(
      [...table.querySelectorAll('col')].map((column) => column.className),
      ['summary-layer', 'summary-class', 'summary-shape', 'summary-params numeric'],
      'fixed columns (widths in styles.css)',
    );
    const nameCell = table.tBodies[0].rows[0].cells[0];
    assert.equal(nameCell.title, longName, 'the whole name in the tooltip');
    assert.equal(table.tBodies[0].rows[0].cells[1].title, 'DepthwiseConv2D');
  });

  it('writes shapes of layers with several outputs in Keras notation, and says when there are no layers', () => {
    page = loadPage('summary');
    page.send({
      type: 'summary',
      runId: 2,
      summary: makeSummary({ outputShape: [[null, 10], [null, 4]], layers: [layer(0, 'heads', 'Functional', [[null, 10], [null, 4]], 12)] }),
    });
    assert.equal(text(page.$('.output-shape')), '(None, 10), (None, 4)');
    assert.equal(text(page.$('tbody tr td.summary-shape')), '(None, 10), (None, 4)');

    page.send({ type: 'status', runId: 3, status: { state: 'running', done: 0, total: 0, unit: '', message: 'Reading the model' } });
    assert.equal(page.$$('table').length, 0, 'a new run clears the old table');
    page.send({ type: 'summary', runId: 3, summary: makeSummary({ layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 }) });
    assert.equal(text(page.$('tbody')), 'The model has no layers.');
    assert.equal(page.$('tbody td').getAttribute('colspan'), '4');

    page.send({ type: 'summary', runId: 2, summary: makeSummary() });
    assert.equal(text(page.$('tbody')), 'The model has no layers.', 'an older run’s summary is ignored');
  });

  it('indents the layers of a nested model under its row, by their own names', () => {
    page = loadPage('summary');
    const nested = (info: LayerInfo, parent: string): LayerInfo => ({ ...info, name: `${parent}/${info.name}`, depth: parent.split('/').length, parent });
    page.send({
      type: 'summary',
      runId: 1,
      summary: makeSummary({
        layers: [
          { ...layer(0, 'base', 'Functional', [null, 7, 7, 8], 40), isModel: true },
          nested(layer(1, 'conv', 'Conv2D', [null, 7, 7, 8], 40), 'base'),
          layer(2, 'head', 'Dense', [null, 2], 18),
        ],
      }),
    });
    const names = page.$$('tbody th.summary-layer');
    assert.deepEqual(names.map(text), ['base', 'conv', 'head']);
    assert.equal(names[1].getAttribute('title'), 'base/conv', 'the full name is the tooltip');
    assert.equal((names[1] as HTMLElement).style.paddingInlineStart, '1.25em');
    assert.equal((names[2] as HTMLElement).style.paddingInlineStart, '', 'top-level rows are not indented');
  });

  it('shows names from the model as text, never as markup', () => {
    page = loadPage('summary');
    page.send({
      type: 'summary',
      runId: 1,
      summary: makeSummary({ modelName: HOSTILE_NAME, layers: [layer(0, HOSTILE_NAME, `</td>${HOSTILE_NAME}`, [null, 3], 3)] }),
    });
    assert.equal(text(page.$('h1.model-name')), HOSTILE_NAME);
    assert.equal(text(page.$('tbody th')), HOSTILE_NAME);
    assert.equal(text(page.$('tbody td.summary-class')), `</td>${HOSTILE_NAME}`);
    assert.equal(page.$$('img').length, 0);
    assert.equal(page.$$('tbody td').length, 3);
  });

  it('shows a failure as text, and says what it restores after a reload', () => {
    page = loadPage('summary', { view: 'summary', modelPath: '/m/model.json' });
    assert.match(text(page.$('.session-header')), /Restoring \/m\/model\.json with its summary/);
    page.send({ type: 'status', runId: 1, status: { state: 'failed', message: `/m/model.json: ${HOSTILE_NAME} is not valid JSON` } });
    assert.equal(text(page.$('.run-status .error-box')), `/m/model.json: ${HOSTILE_NAME} is not valid JSON`);
    assert.equal(page.$$('img').length, 0);
  });

  it('ignores the other panel kinds’ messages, and other panels ignore its', () => {
    page = loadPage('summary');
    page.send({ type: 'layer', runId: 1, layer: {} as never });
    page.send({ type: 'gradCamResult', runId: 1, result: {} as never });
    assert.match(text(page.$('.session-header')), /Waiting for the extension/);
    page.window.close();

    page = loadPage('activations');
    page.send({ type: 'summary', runId: 1, summary: makeSummary() });
    assert.equal(page.$$('table').length, 0);
    assert.match(text(page.$('.session-header')), /Waiting for the extension/);
  });
});
