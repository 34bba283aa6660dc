// The filter-pattern and Grad-CAM panels' webview, end to end in jsdom: the real bundle (built here
// with esbuild, as esbuild.mjs builds it) runs in a page whose `<div id="app" data-view=…>` picks the
// panel kind, against a fake `acquireVsCodeApi`, and receives host messages.
import assert from 'node:assert/strict';
import {
  COLORMAP_NAMES,
  type ClassPrediction,
  type FilterPatternImage,
  type FilterPatternParameters,
  type GradCamRunInfo,
} from '../../src/shared/types';
import { filterGridLayout } from '../../src/shared/filterGridLayout';
import type {
  FilterPanelSession,
  GradCamPanelSession,
  GradCamResultView,
  WebviewPersistedState,
} from '../../src/shared/protocol';
import { HOSTILE_NAME, buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

type Panel = WebviewPage;

/** Loads a panel the way the host's HTML does: `<div id="app" data-view=…>`, then the bundle. */
function loadPanel(view: string | undefined, initialState?: WebviewPersistedState): Panel {
  return loadWebview(bundle, { view, initialState });
}

const png = fakePng;

function text(element: Element | null | undefined): string {
  return (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function key(panel: Panel, target: EventTarget, keyName: string): void {
  target.dispatchEvent(new panel.window.KeyboardEvent('keydown', { key: keyName, bubbles: true, cancelable: true }));
}

function change(panel: Panel, control: HTMLInputElement | HTMLSelectElement, value: string, type: 'change' | 'input' = 'change'): void {
  control.value = value;
  control.dispatchEvent(new panel.window.Event(type, { bubbles: true }));
}

// ---------------------------------------------------------------------------------------------
// Filter patterns

function filterParameters(overrides: Partial<FilterPatternParameters> = {}): FilterPatternParameters {
  return {
    preset: 'chollet',
    size: 64,
    steps: 40,
    stepSize: 1,
    seed: 1,
    clear: { octaves: 3, octaveScale: 1.4, jitter: 4, scaleJitter: 0.05, rotationDegrees: 5, tvWeight: 0.1 },
    ...overrides,
  };
}

/** The study notes' grid: the first 64 filters of a 128-filter layer, tiles of 64 px. */
function makeFilterSession(overrides: Partial<FilterPanelSession> = {}): FilterPanelSession {
  const filters = overrides.filters ?? Array.from({ length: 64 }, (_, i) => i);
  const size = overrides.parameters?.size ?? 64;
  return {
    runId: 5,
    modelPath: '/work/models/vgg16/model.json',
    modelName: 'vgg16',
    layerIndex: 3,
    layerName: 'block3_conv1',
    filterCount: 128,
    filters,
    grid: filterGridLayout(filters.length, size),
    parameters: filterParameters(),
    preprocess: 'caffe',
    ...overrides,
  };
}

function makeTile(tile: number, overrides: Partial<FilterPatternImage> = {}): FilterPatternImage {
  return {
    layerIndex: 3,
    layerName: 'block3_conv1',
    filter: tile,
    tile,
    size: 64,
    lossStart: 0.0125,
    lossEnd: 4.5,
    steps: 40,
    dead: false,
    png: png(20 + tile),
    ...overrides,
  };
}

function tileButton(panel: Panel, tile: number): HTMLButtonElement {
  return panel.$<HTMLButtonElement>(`.filter-tile[data-tile="${tile}"]`);
}

function percentOf(value: string): number {
  assert.match(value, /^-?[\d.]+%$/, `${value} is a percentage`);
  return Number.parseFloat(value);
}

describe('webview filter-pattern panel', () => {
  let panel: Panel;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('renders a session: header, toolbar, an 8 × 8 grid of waiting tiles, and persists the layer', () => {
    panel = loadPanel('filters');
    assert.deepEqual(panel.posted, [{ type: 'ready' }]);
    panel.send({ type: 'filterSession', session: makeFilterSession() });

    assert.equal(text(panel.$('h1.model-name')), 'vgg16');
    assert.equal(text(panel.$('.model-path')), '/work/models/vgg16/model.json');
    assert.equal(text(panel.$('.layer-name-detail')), 'block3_conv1');
    assert.equal(text(panel.$('.filter-count')), '64 of 128 filters');
    assert.equal(text(panel.$('.filter-preset')), 'chollet');
    assert.equal(text(panel.$('.filter-size-detail')), '64 × 64 px');
    assert.equal(text(panel.$('.filter-steps-detail')), '40, step size 1');
    assert.deepEqual(panel.states, [{ view: 'filters', modelPath: '/work/models/vgg16/model.json', layerName: 'block3_conv1', preset: 'chollet' }]);

    const tiles = panel.$$<HTMLButtonElement>('.filter-tile');
    assert.equal(tiles.length, 64);
    assert.ok(tiles.every((tile) => tile.classList.contains('waiting') && tile.querySelector('img') === null));
    assert.equal(tiles[5].getAttribute('aria-label'), 'filter 5 · waiting');
    assert.deepEqual(
      tiles.map((tile) => tile.tabIndex).filter((index) => index === 0),
      [0],
      'one tile is in the tab order (roving focus)',
    );
    // 8 × 64 px + 7 × 5 px of margin = 547 px: wide enough to show at natural size.
    const frame = panel.$('.filter-grid');
    assert.equal(frame.style.aspectRatio, '547 / 547');
    assert.equal(frame.style.width, '547px');

    const presets = panel.$$<HTMLButtonElement>('[data-preset]');
    assert.deepEqual(presets.map((button) => [button.dataset.preset, button.getAttribute('aria-pressed')]), [
      ['lucid', 'false'],
      ['chollet', 'true'],
      ['clear', 'false'],
    ]);
    assert.equal(panel.$<HTMLButtonElement>('[data-action="cancelRun"]').hidden, false, 'Cancel shows while the run is in progress');
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportFilterGrid"]').disabled, true);
    assert.equal(text(panel.$('.filter-summary')), '0 of 64 filters done');
  });

  it('places the tiles row by row (filter 1 beside filter 0), 8 to a row, with the study notes’ margins', () => {
    panel = loadPanel('filters');
    const session = makeFilterSession();
    panel.send({ type: 'filterSession', session });
    for (const tile of [0, 1, 9, 63]) panel.send({ type: 'filterTile', runId: 5, tile: makeTile(tile) });

    // 8 × 64 px + 7 × 5 px = 547 px each way; a tile's step is 64 + 5 = 69 px.
    const step = (69 / 547) * 100;
    const expected: Record<number, [number, number]> = { 0: [0, 0], 1: [step, 0], 9: [step, step], 63: [7 * step, 7 * step] };
    for (const tile of [0, 1, 9, 63]) {
      const button = tileButton(panel, tile);
      const [left, top] = expected[tile];
      assert.ok(Math.abs(percentOf(button.style.left) - left) < 1e-3, `tile ${tile} left`);
      assert.ok(Math.abs(percentOf(button.style.top) - top) < 1e-3, `tile ${tile} top`);
      assert.ok(Math.abs(percentOf(button.style.width) - (64 / 547) * 100) < 1e-3, `tile ${tile} width`);
      assert.ok(Math.abs(percentOf(button.style.height) - (64 / 547) * 100) < 1e-3, `tile ${tile} height`);
      const image = button.querySelector<HTMLImageElement>('img.filter-tile-image');
      assert.ok(image, `tile ${tile} has its image`);
      assert.ok(image.classList.contains('pixelated'));
      const blob = panel.blobs.get(image.src);
      assert.ok(blob, 'the tile is shown from a blob URL');
      assert.equal(blob.type, 'image/png');
      assert.equal(blob.size, 20 + tile);
    }
    assert.equal(panel.$$('img.filter-tile-image').length, 4);
    assert.equal(text(panel.$('.filter-summary')), '4 of 64 filters done');
    assert.equal(tileButton(panel, 1).getAttribute('aria-label'), 'filter 1 · mean activation 0.0125 → 4.5');
    assert.match(panel.$('[data-action="exportFilterGrid"]').title, /study notes’ layout \(8 filters to a column\)/, 'Export says its image keeps the notes’ layout');
  });

  it('shows a few filters in one row at a sensible size, and one filter not wider than 320 px', () => {
    panel = loadPanel('filters');
    const filters = [0, 1, 2, 3, 4, 5, 6, 7];
    panel.send({ type: 'filterSession', session: makeFilterSession({ filters }) });
    const frame = panel.$('.filter-grid');
    assert.equal(frame.style.aspectRatio, '547 / 64', 'eight filters: one row, not one column of eight');
    assert.equal(frame.style.width, '547px');
    assert.equal(percentOf(tileButton(panel, 7).style.top), 0);
    panel.window.close();

    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession({ filters: [3], parameters: filterParameters({ size: 150 }), grid: filterGridLayout(1, 150) }) });
    assert.equal(panel.$('.filter-grid').style.width, '300px', 'scaled up by a whole factor, but no tile wider than 320 px');
  });

  it('keeps the aspect ratio of a grid that is not square, scaled up when small', () => {
    panel = loadPanel('filters');
    const filters = [3, 7, 11, 12, 13, 20, 21, 22, 30, 31, 40, 41];
    // 12 tiles of 20 px: 2 rows × 8 columns, 195 × 45 px.
    panel.send({ type: 'filterSession', session: makeFilterSession({ filters, parameters: filterParameters({ size: 20 }), grid: filterGridLayout(12, 20) }) });
    const frame = panel.$('.filter-grid');
    assert.equal(frame.style.aspectRatio, '195 / 45');
    assert.equal(frame.style.width, '585px', 'a small grid is shown scaled up by a whole factor (3×)');
    assert.equal(panel.$$('.filter-tile').length, 12);
    // Tile 9 (filter 31) sits in row 1, column 1.
    assert.equal(tileButton(panel, 9).dataset.filter, '31');
    assert.ok(Math.abs(percentOf(tileButton(panel, 9).style.left) - (25 / 195) * 100) < 1e-3);
    assert.ok(Math.abs(percentOf(tileButton(panel, 9).style.top) - (25 / 45) * 100) < 1e-3);
    assert.equal(text(panel.$('.filter-count')), '12 of 128 filters');
  });

  it('ignores tiles and statuses of another run, and tiles outside the grid', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    assert.equal(panel.$$('.filter-tile').length, 0, 'nothing before a session');

    panel.send({ type: 'filterSession', session: makeFilterSession({ runId: 6 }) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    panel.send({ type: 'status', runId: 5, status: { state: 'finished', backend: 'cpu', timings: [], details: [] } });
    panel.send({ type: 'filterTile', runId: 6, tile: makeTile(64) });
    assert.equal(panel.$$('img.filter-tile-image').length, 0);
    assert.equal(tileButton(panel, 0).classList.contains('waiting'), true);
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportFilterGrid"]').disabled, true, 'the old run finishing does not enable Export');

    panel.send({ type: 'filterTile', runId: 6, tile: makeTile(0) });
    assert.equal(panel.$$('img.filter-tile-image').length, 1);
  });

  it('says in words when nothing raised a filter (a tile cached before verdicts: only `dead`), never "dead"', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(2) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(3, { dead: true, lossStart: 0, lossEnd: 0 }) });

    const flat = tileButton(panel, 3);
    assert.ok(flat.classList.contains('not-raised') && flat.classList.contains('flat'));
    assert.equal(text(flat.querySelector('.filter-tile-badge')), 'not raised');
    assert.equal(flat.getAttribute('aria-label'), 'filter 3 · mean activation 0 → 0 · not raised');
    const alive = tileButton(panel, 2);
    assert.equal(alive.classList.contains('not-raised'), false);
    assert.equal(alive.querySelector('.filter-tile-badge'), null);
    assert.match(text(panel.$('.filter-summary')), /^2 of 64 filters done · 1 not raised/);
    assert.doesNotMatch(text(panel.$('.filter-grid-area')) + text(panel.$('.filter-summary')), /dead/i);
  });

  it('shows the filter and its loss on hover and on focus', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(12, { lossStart: -0.25, lossEnd: 3.125 }) });
    const tooltip = panel.$('.filter-grid .tile-tooltip');
    assert.equal(tooltip.hidden, true);

    const tile = tileButton(panel, 12);
    tile.dispatchEvent(new panel.window.MouseEvent('mouseenter'));
    assert.equal(tooltip.hidden, false);
    assert.equal(text(tooltip), 'filter 12 · mean activation −0.25 → 3.125');
    tile.dispatchEvent(new panel.window.MouseEvent('mouseleave'));
    assert.equal(tooltip.hidden, true);

    tileButton(panel, 0).focus();
    assert.equal(text(tooltip), 'filter 0 · waiting');
    key(panel, tileButton(panel, 0), 'ArrowDown'); // row 1, column 0: tile 8
    key(panel, panel.document.activeElement as Element, 'ArrowRight'); // tile 9
    key(panel, panel.document.activeElement as Element, 'ArrowRight'); // tile 10
    key(panel, panel.document.activeElement as Element, 'ArrowLeft'); // tile 9
    key(panel, panel.document.activeElement as Element, 'ArrowRight'); // tile 10
    key(panel, panel.document.activeElement as Element, 'ArrowRight'); // tile 11
    key(panel, panel.document.activeElement as Element, 'ArrowRight'); // tile 12
    assert.equal(panel.document.activeElement, tile, 'the arrow keys move between tiles row by row');
    assert.equal(tile.tabIndex, 0);
    assert.equal(tileButton(panel, 0).tabIndex, -1);
    assert.equal(text(tooltip), 'filter 12 · mean activation −0.25 → 3.125');
    tile.blur();
    assert.equal(tooltip.hidden, true);
  });

  it('enlarges a tile on click or Enter with its loss values, and closes with Esc', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(7, { filter: 7, lossStart: 0.0125, lossEnd: 4.5, steps: 40 }) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(8, { dead: true, lossStart: 0, lossEnd: 0 }) });

    tileButton(panel, 20).click();
    assert.equal(panel.$('.filter-dialog-backdrop').hidden, true, 'a waiting tile does not open');

    const tile = tileButton(panel, 7);
    tile.focus();
    tile.click();
    const backdrop = panel.$('.filter-dialog-backdrop');
    assert.equal(backdrop.hidden, false);
    const dialog = panel.$('[role="dialog"]');
    assert.equal(dialog.getAttribute('aria-modal'), 'true');
    assert.equal(panel.document.getElementById(dialog.getAttribute('aria-labelledby') ?? '')?.textContent, 'block3_conv1 — filter 7');
    assert.equal(text(panel.$('.filter-index')), '7');
    assert.equal(text(panel.$('.filter-loss-start')), '0.0125');
    assert.equal(text(panel.$('.filter-loss-end')), '4.5 (×360)');
    assert.equal(text(panel.$('.filter-steps')), '40');
    assert.equal(panel.$$('.filter-dialog .filter-verdict-note').length, 0);
    const image = panel.$<HTMLImageElement>('img.filter-image');
    assert.equal(image.src, tile.querySelector('img')?.src, 'the enlarged view shows the tile image');
    assert.ok(image.classList.contains('pixelated'));
    assert.equal(image.style.width, '320px', '64 px scaled up 5×');
    assert.equal(image.alt, 'Pattern that maximally activates filter 7 of block3_conv1');

    key(panel, panel.document.body, 'Escape');
    assert.equal(backdrop.hidden, true);
    assert.equal(panel.document.activeElement, tile, 'closing gives focus back to the tile');
    assert.equal(panel.revoked.includes(image.src), false, 'the tile keeps its image');

    const deadTile = tileButton(panel, 8);
    deadTile.focus();
    key(panel, deadTile, 'Enter');
    assert.equal(backdrop.hidden, false);
    assert.match(text(panel.$('.filter-dialog .filter-verdict-note')), /^Not raised: the gradient was zero from the start/);
    panel.$<HTMLButtonElement>('.filter-dialog-close').click();
    assert.equal(backdrop.hidden, true);
  });

  it('switches the preset', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.posted.length = 0;
    const chollet = panel.$<HTMLButtonElement>('[data-preset="chollet"]');
    const clear = panel.$<HTMLButtonElement>('[data-preset="clear"]');
    chollet.click();
    assert.deepEqual(panel.posted, [], 'the current preset posts nothing');
    clear.click();
    assert.deepEqual(panel.posted, [{ type: 'setFilterPreset', preset: 'clear' }]);
    assert.equal(clear.getAttribute('aria-pressed'), 'true');
    assert.equal(chollet.getAttribute('aria-pressed'), 'false');

    // The host answers with a new run of the other preset.
    panel.send({ type: 'filterSession', session: makeFilterSession({ runId: 6, parameters: filterParameters({ preset: 'clear', steps: 20 }) }) });
    assert.equal(text(panel.$('.filter-preset')), 'clear');
    assert.equal(text(panel.$('.filter-steps-detail')), '20 per octave × 3 octaves, step size 1');
    assert.deepEqual(panel.states.at(-1), { view: 'filters', modelPath: '/work/models/vgg16/model.json', layerName: 'block3_conv1', preset: 'clear' });
  });

  it('shows step progress, cancels, and keeps the finished tiles', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.send({ type: 'status', runId: 5, status: { state: 'running', done: 3, total: 40, unit: 'steps', message: 'step 3/40 · 0/64 filters done' } });
    assert.equal(text(panel.$('.status-text')), '3 / 40 steps · step 3/40 · 0/64 filters done');
    assert.equal(panel.$('[role="progressbar"]').getAttribute('aria-valuenow'), '3');
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(1) });

    const cancel = panel.$<HTMLButtonElement>('[data-action="cancelRun"]');
    assert.equal(cancel.hidden, false);
    cancel.click();
    assert.deepEqual(panel.posted.at(-1), { type: 'cancelRun', runId: 5 });
    assert.equal(cancel.disabled, true);

    panel.send({ type: 'status', runId: 5, status: { state: 'cancelled', done: 20, total: 40, unit: 'steps' } });
    assert.equal(cancel.hidden, true);
    assert.equal(text(panel.$('.status-text')), 'Cancelled — 2 of 64 filters shown');
    assert.equal(panel.$$('img.filter-tile-image').length, 2, 'the finished tiles stay');
    assert.equal(tileButton(panel, 2).getAttribute('aria-label'), 'filter 2 · not computed');
    assert.ok(tileButton(panel, 2).classList.contains('missing'));
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportFilterGrid"]').disabled, true, 'an incomplete grid is not exported');
  });

  it('enables Export Grid once the run has finished', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession({ filters: [0, 1] }) });
    const exportButton = panel.$<HTMLButtonElement>('[data-action="exportFilterGrid"]');
    assert.equal(exportButton.disabled, true);
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(1) });
    assert.equal(exportButton.disabled, true, 'not before the run says it finished');

    panel.send({
      type: 'status',
      runId: 5,
      status: {
        state: 'finished',
        backend: 'tensorflow',
        timings: [
          { label: 'model load', ms: 210 },
          { label: 'optimize', ms: 1520.4 },
        ],
        details: ['2 filters', 'batch 2'],
      },
    });
    assert.equal(exportButton.disabled, false);
    assert.equal(text(panel.$('.status-text')), 'tensorflow · model load 210 ms · optimize 1520 ms');
    assert.equal(text(panel.$('.status-detail')), '2 filters · batch 2');
    assert.equal(panel.$<HTMLButtonElement>('[data-action="cancelRun"]').hidden, true);
    panel.posted.length = 0;
    exportButton.click();
    assert.deepEqual(panel.posted, [{ type: 'exportFilterGrid' }]);

    panel.send({ type: 'filterSession', session: makeFilterSession({ runId: 6 }) });
    assert.equal(exportButton.disabled, true, 'a new run disables it again');
    assert.equal(panel.$$('img.filter-tile-image').length, 0);
  });

  it('revokes the tile URLs when a new run starts', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession() });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    const first = panel.$<HTMLImageElement>('img.filter-tile-image').src;
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0) });
    const second = panel.$<HTMLImageElement>('img.filter-tile-image').src;
    assert.ok(panel.revoked.includes(first), 'a replaced tile frees its URL');
    tileButton(panel, 0).click();
    assert.equal(panel.$('.filter-dialog-backdrop').hidden, false);

    panel.send({ type: 'filterSession', session: makeFilterSession({ runId: 6 }) });
    assert.ok(panel.revoked.includes(second));
    assert.equal(panel.$('.filter-dialog-backdrop').hidden, true, 'the dialog of the old run closes');
  });

  it('shows a failed run’s message and names from the model as text', () => {
    panel = loadPanel('filters');
    panel.send({ type: 'filterSession', session: makeFilterSession({ layerName: HOSTILE_NAME, modelName: HOSTILE_NAME }) });
    panel.send({ type: 'filterTile', runId: 5, tile: makeTile(0, { layerName: HOSTILE_NAME }) });
    assert.equal(text(panel.$('h1.model-name')), HOSTILE_NAME);
    assert.equal(text(panel.$('.layer-name-detail')), HOSTILE_NAME);
    panel.send({ type: 'status', runId: 5, status: { state: 'failed', message: `Layer ${HOSTILE_NAME} has no filters` } });
    const box = panel.$('.run-status .error-box');
    assert.equal(box.hidden, false);
    assert.equal(text(box), `Layer ${HOSTILE_NAME} has no filters`);
    assert.equal(panel.$$('img').length, 1, 'only the tile: nothing was parsed out of the names');
    assert.equal(panel.$$('img.filter-tile-image').length, 1, 'the finished tile stays');
  });

  it('says what it restores and ignores the other panels’ messages', () => {
    panel = loadPanel('filters', { view: 'filters', modelPath: '/m/model.json', layerName: 'conv2d_1', preset: 'clear' });
    assert.match(text(panel.$('.session-header')), /Restoring \/m\/model\.json with layer conv2d_1 \(clear\)/);
    panel.send({
      type: 'session',
      session: {
        runId: 5,
        modelPath: '/m/model.json',
        modelName: 'm',
        imagePath: '/i/cat.png',
        preprocess: 'rescale',
        preprocessReason: 'the model’s default',
        colormap: 'viridis',
        imagesPerRow: 8,
        layers: [],
      },
    });
    panel.send({ type: 'gradCamSession', session: makeGradCamSession({ runId: 5 }) });
    assert.equal(panel.$$('section.layer-section, .gradcam-controls, .filter-tile').length, 0);
    assert.match(text(panel.$('.session-header')), /Restoring/);
    assert.deepEqual(panel.posted, [{ type: 'ready' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Grad-CAM

function makeGradCamSession(overrides: Partial<GradCamPanelSession> = {}): GradCamPanelSession {
  return {
    runId: 11,
    modelPath: '/work/models/vgg16/model.json',
    modelName: 'vgg16',
    imagePath: '/work/images/elephant.jpg',
    imageThumbnail: { bytes: png(24), mimeType: 'image/jpeg' },
    preprocess: 'caffe',
    preprocessReason: 'VGG layers: Keras’ VGG preprocess_input (BGR minus the ImageNet means)',
    layerChoices: [
      { name: 'block4_conv3', className: 'Conv2D', outputShape: [null, 14, 14, 512] },
      { name: 'block5_conv3', className: 'Conv2D', outputShape: [null, 14, 14, 512] },
      { name: 'block5_pool', className: 'MaxPooling2D', outputShape: [null, 7, 7, 512] },
    ],
    intensity: 0.4,
    colormap: 'jet',
    score: 'output',
    ...overrides,
  };
}

const PREDICTIONS: ClassPrediction[] = [
  { index: 386, name: 'African elephant', score: 0.873 },
  { index: 101, name: 'tusker', score: 0.094 },
  { index: 385, name: 'Indian elephant', score: 0.031 },
  { index: 7, name: HOSTILE_NAME, score: 0.0004 },
  { index: 346, name: 'water buffalo', score: 0.00002 },
];

function makeInfo(overrides: Partial<GradCamRunInfo> = {}): GradCamRunInfo {
  return {
    backend: 'wasm',
    modelPath: '/work/models/vgg16/model.json',
    imagePath: '/work/images/elephant.jpg',
    preprocess: 'caffe',
    inputSize: [224, 224, 3],
    imageSize: [600, 900],
    layer: { name: 'block5_conv3', className: 'Conv2D', outputShape: [null, 14, 14, 512] },
    score: 'output',
    outputActivation: 'softmax',
    targetClass: PREDICTIONS[0],
    scoreValue: 0.873,
    predictions: PREDICTIONS,
    heatmapSize: [14, 14],
    noPositiveEvidence: false,
    colormap: 'jet',
    intensity: 0.4,
    classNames: { source: 'imagenet', notes: [] },
    timings: { loadModelMs: 800.2, readImageMs: 14, gradCamMs: 231.6, renderMs: 40 },
    ...overrides,
  };
}

function makeResult(info: Partial<GradCamRunInfo> = {}): GradCamResultView {
  return { info: makeInfo(info), heatmapPng: png(33), overlayPng: png(44) };
}

describe('webview Grad-CAM panel', () => {
  let panel: Panel;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('renders a session: header with the image, and controls with the layer choices', () => {
    panel = loadPanel('gradcam');
    assert.deepEqual(panel.posted, [{ type: 'ready' }]);
    const layer = panel.$<HTMLSelectElement>('#gradcam-layer');
    assert.equal(layer.disabled, true, 'controls wait for a session');

    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    assert.equal(text(panel.$('h1.model-name')), 'vgg16');
    assert.equal(text(panel.$('.model-path')), '/work/models/vgg16/model.json');
    assert.equal(text(panel.$('.image-path')), '/work/images/elephant.jpg');
    const thumbnail = panel.$<HTMLImageElement>('img.input-thumbnail');
    assert.equal(thumbnail.alt, 'Input image elephant.jpg');
    assert.equal(panel.blobs.get(thumbnail.src)?.size, 24);
    assert.equal(panel.blobs.get(thumbnail.src)?.type, 'image/jpeg', 'the image file itself, with its own type');
    assert.match(text(panel.$('.preprocess-mode')), /^caffe/);
    assert.match(text(panel.$('.preprocess-reason')), /^VGG layers/);
    const chooseImage = panel.$<HTMLButtonElement>('.gradcam-controls [data-action="chooseImage"]');
    assert.equal(text(chooseImage), 'Change Image…');
    panel.posted.length = 0;
    chooseImage.click();
    assert.deepEqual(panel.posted, [{ type: 'chooseImage' }]);

    assert.equal(layer.disabled, false);
    const layerOptions = [...layer.options];
    assert.deepEqual(layerOptions.slice(1).map((option) => option.value), ['block4_conv3', 'block5_conv3', 'block5_pool']);
    assert.equal(text(layerOptions[3]), 'block5_pool — MaxPooling2D (None, 7, 7, 512)');
    assert.equal(layerOptions[0].disabled, true, 'before a result the host picks the layer');
    assert.equal(layer.value, '');

    const intensity = panel.$<HTMLInputElement>('#gradcam-intensity');
    assert.deepEqual([intensity.type, intensity.min, intensity.max, intensity.step, intensity.value], ['range', '0', '1', '0.05', '0.4']);
    assert.equal(text(panel.$('.range-value')), '0.40');
    const colormap = panel.$<HTMLSelectElement>('#gradcam-colormap');
    assert.deepEqual([...colormap.options].map((option) => option.value), [...COLORMAP_NAMES]);
    assert.equal(colormap.value, 'jet');
    const score = panel.$<HTMLSelectElement>('#gradcam-score');
    assert.deepEqual([...score.options].map((option) => option.value), ['output', 'logit']);
    assert.equal(score.value, 'output');
    for (const id of ['gradcam-layer', 'gradcam-intensity', 'gradcam-colormap', 'gradcam-score', 'gradcam-class']) {
      const label = panel.$<HTMLLabelElement>(`label[for="${id}"]`);
      assert.equal(label.control, panel.document.getElementById(id), `${id} has a label`);
    }
    assert.equal(text(panel.$('button[data-action="explain"]')), 'Explain');
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportGradCam"]').disabled, true);
    assert.match(text(panel.$('.gradcam-result')), /Computing the heatmap/);
    assert.deepEqual(panel.states, [{ view: 'gradcam', modelPath: '/work/models/vgg16/model.json', imagePath: '/work/images/elephant.jpg' }]);
  });

  it('explains an image dropped onto the panel', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.posted.length = 0;
    const main = panel.$('main');
    const transfer = { types: ['text/uri-list'], files: [], getData: (type: string) => (type === 'text/uri-list' ? 'file:///work/images/zebra.png' : '') };
    const dragEnter = new panel.window.Event('dragenter', { bubbles: true, cancelable: true });
    Object.defineProperty(dragEnter, 'dataTransfer', { value: transfer });
    main.dispatchEvent(dragEnter);
    assert.equal(panel.$('.drop-overlay').hidden, false, 'the panel shows it takes the drop');
    const drop = new panel.window.Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', { value: transfer });
    main.dispatchEvent(drop);
    assert.equal(panel.$('.drop-overlay').hidden, true);
    assert.deepEqual(panel.posted, [{ type: 'useImageFile', uri: 'file:///work/images/zebra.png' }]);
  });

  it('shows the top 5 predictions as text, the target highlighted, and the two images side by side', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.send({ type: 'gradCamResult', runId: 11, result: makeResult() });

    const predictions = panel.$$<HTMLButtonElement>('.predictions button.prediction');
    assert.equal(predictions.length, 5);
    assert.deepEqual(
      predictions.map((button) => text(button.querySelector('.prediction-name'))),
      PREDICTIONS.map((prediction) => prediction.name),
    );
    assert.deepEqual(
      predictions.map((button) => button.getAttribute('aria-pressed')),
      ['true', 'false', 'false', 'false', 'false'],
    );
    assert.deepEqual(
      predictions.map((button) => text(button.querySelector('.prediction-score'))),
      ['87.3%', '9.4%', '3.1%', '<0.1%', '<0.1%'],
    );
    assert.equal(predictions[1].querySelector<HTMLElement>('.prediction-bar-fill')?.style.width, '9.4%');
    assert.equal(text(predictions[3].querySelector('.prediction-index')), '#7');
    assert.match(text(panel.$('.gradcam-target')), /^Explaining African elephant \(class 386\) · output 0\.873$/);

    // The hostile class name is text: no element was made from it.
    assert.deepEqual(
      panel.$$<HTMLImageElement>('img').map((img) => img.className),
      ['input-thumbnail', 'gradcam-overlay', 'gradcam-heatmap pixelated'],
    );
    assert.equal(panel.$$('img[src="x"]').length, 0);
    assert.ok(panel.document.body.innerHTML.includes('&lt;img src=x onerror=alert(1)&gt;'));

    const overlay = panel.$<HTMLImageElement>('img.gradcam-overlay');
    assert.equal(overlay.getAttribute('width'), '900', 'the overlay keeps the original image size');
    assert.equal(overlay.getAttribute('height'), '600');
    assert.equal(panel.blobs.get(overlay.src)?.size, 44);
    assert.equal(panel.blobs.get(overlay.src)?.type, 'image/png');
    assert.equal(overlay.alt, 'Heatmap for African elephant over elephant.jpg');
    const heatmap = panel.$<HTMLImageElement>('img.gradcam-heatmap');
    assert.equal(heatmap.getAttribute('width'), '14');
    assert.equal(panel.blobs.get(heatmap.src)?.size, 33);
    assert.equal(heatmap.alt, 'Class heatmap for African elephant at layer block5_conv3');
    assert.deepEqual(
      panel.$$('.gradcam-figure figcaption').map((caption) => text(caption)),
      ['Heatmap over the image · 900 × 600 px · intensity 0.4', 'Class heatmap at block5_conv3 · 14 × 14'],
    );
    assert.match(panel.$('.gradcam-figure .colorbar-gradient').style.backgroundImage, /^linear-gradient\(to right, rgb\(0, 0, 128\) 0%/);

    assert.equal(text(panel.$('.status-text')), 'wasm · model load 800 ms · image read 14 ms · Grad-CAM 232 ms · render 40 ms');
    assert.equal(text(panel.$('.status-detail')), 'layer block5_conv3 · score output · heatmap 14 × 14');
    assert.match(text(panel.$('.gradcam-notes')), /input \(None, 224, 224, 3\)/);
    assert.equal(panel.$<HTMLSelectElement>('#gradcam-layer').value, 'block5_conv3', 'the layer the host picked is selected');
    assert.deepEqual(panel.states.at(-1), {
      view: 'gradcam',
      modelPath: '/work/models/vgg16/model.json',
      imagePath: '/work/images/elephant.jpg',
      targetClass: 386,
      layer: 'block5_conv3',
    });
  });

  it('enlarges a small image’s overlay by a whole factor, and the class heatmap beside it to match', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.send({ type: 'gradCamResult', runId: 11, result: makeResult({ imageSize: [32, 32], heatmapSize: [13, 13] }) });
    const overlay = panel.$<HTMLImageElement>('img.gradcam-overlay');
    assert.equal(overlay.getAttribute('width'), '32');
    assert.equal(overlay.style.width, '256px', '32 px × 8');
    assert.ok(overlay.classList.contains('pixelated'));
    assert.equal(panel.$<HTMLImageElement>('img.gradcam-heatmap').style.maxWidth, '256px');
  });

  it('re-targets the heatmap when another prediction is clicked', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.send({ type: 'gradCamResult', runId: 11, result: makeResult() });
    panel.posted.length = 0;
    const predictions = panel.$$<HTMLButtonElement>('button.prediction');
    predictions[0].click();
    assert.deepEqual(panel.posted, [], 'the current target posts nothing');
    predictions[2].focus();
    predictions[2].click();
    assert.deepEqual(panel.posted, [{ type: 'explain', targetClass: 385 }]);

    // The host's new run: the old result stays, dimmed, until the new one replaces it.
    panel.send({ type: 'gradCamSession', session: makeGradCamSession({ runId: 12 }) });
    assert.ok(panel.$('.gradcam-result').classList.contains('stale'));
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportGradCam"]').disabled, true);
    assert.equal(panel.$<HTMLSelectElement>('#gradcam-layer').value, 'block5_conv3', 'the layer stays selected');
    panel.send({ type: 'gradCamResult', runId: 11, result: makeResult({ targetClass: PREDICTIONS[1] }) });
    assert.equal(text(panel.$('button.prediction[aria-pressed="true"] .prediction-name')), 'African elephant', 'a result of the old run is ignored');

    panel.send({ type: 'gradCamResult', runId: 12, result: makeResult({ targetClass: PREDICTIONS[2], scoreValue: 0.031 }) });
    assert.equal(panel.$('.gradcam-result').classList.contains('stale'), false);
    assert.deepEqual(
      panel.$$('button.prediction').map((button) => button.getAttribute('aria-pressed')),
      ['false', 'false', 'true', 'false', 'false'],
    );
    assert.equal((panel.states.at(-1) as { targetClass?: number }).targetClass, 385);
    assert.equal((panel.document.activeElement as HTMLElement | null)?.dataset.classIndex, '385', 'the clicked prediction keeps focus in the new list');
  });

  it('posts explain with only the control that changed', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.posted.length = 0;

    change(panel, panel.$<HTMLSelectElement>('#gradcam-layer'), 'block4_conv3');
    const intensity = panel.$<HTMLInputElement>('#gradcam-intensity');
    change(panel, intensity, '0.65', 'input');
    assert.equal(text(panel.$('.range-value')), '0.65', 'the label follows the slider');
    assert.equal(panel.posted.length, 1, 'dragging posts nothing');
    change(panel, intensity, '0.65');
    change(panel, panel.$<HTMLSelectElement>('#gradcam-colormap'), 'viridis');
    change(panel, panel.$<HTMLSelectElement>('#gradcam-score'), 'logit');

    const classInput = panel.$<HTMLInputElement>('#gradcam-class');
    const explain = panel.$<HTMLButtonElement>('button[data-action="explain"]');
    classInput.value = ' 386 ';
    explain.click();
    classInput.value = 'tabby cat';
    // Enter in the field submits the form (jsdom does not do implicit submission: dispatch it).
    panel.$('form.class-form').dispatchEvent(new panel.window.Event('submit', { bubbles: true, cancelable: true }));

    assert.deepEqual(panel.posted, [
      { type: 'explain', layer: 'block4_conv3' },
      { type: 'explain', intensity: 0.65 },
      { type: 'explain', colormap: 'viridis' },
      { type: 'explain', score: 'logit' },
      { type: 'explain', targetClass: 386 },
      { type: 'explain', targetClass: 'tabby cat' },
    ]);

    classInput.value = '   ';
    explain.click();
    assert.equal(panel.posted.length, 6, 'an empty class posts nothing');
    assert.equal(panel.$('.field-error').hidden, false);
    assert.equal(classInput.getAttribute('aria-invalid'), 'true');
  });

  it('says when there is no positive evidence instead of showing a map', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    const message = 'No positive evidence for tusker at layer block5_conv3: the heatmap is zero everywhere.';
    panel.send({
      type: 'gradCamResult',
      runId: 11,
      result: makeResult({ targetClass: PREDICTIONS[1], noPositiveEvidence: true, message }),
    });
    const notice = panel.$('.no-evidence');
    assert.equal(text(notice.querySelector('.notice-title')), message);
    assert.equal(notice.getAttribute('role'), 'status');
    assert.equal(panel.$$('img.gradcam-heatmap, img.gradcam-overlay').length, 0);
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportGradCam"]').disabled, true);
    assert.equal(panel.$$('button.prediction').length, 5, 'the predictions stay, to pick another class');
  });

  it('exports once a result is shown, and cancels a run in progress', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    panel.send({ type: 'status', runId: 11, status: { state: 'running', done: 1, total: 3, unit: 'stages', message: 'Computing gradients' } });
    assert.equal(text(panel.$('.status-text')), '1 / 3 stages · Computing gradients');
    const cancel = panel.$<HTMLButtonElement>('[data-action="cancelRun"]');
    assert.equal(cancel.hidden, false);
    cancel.click();
    assert.deepEqual(panel.posted.at(-1), { type: 'cancelRun', runId: 11 });
    panel.send({ type: 'status', runId: 11, status: { state: 'cancelled', done: 1, total: 3, unit: 'stages' } });
    assert.equal(cancel.hidden, true);
    assert.match(text(panel.$('.gradcam-result')), /cancelled/);

    panel.send({ type: 'gradCamSession', session: makeGradCamSession({ runId: 12 }) });
    const exportButton = panel.$<HTMLButtonElement>('[data-action="exportGradCam"]');
    assert.equal(exportButton.disabled, true);
    panel.send({ type: 'status', runId: 12, status: { state: 'finished', backend: 'tensorflow', timings: [{ label: 'total', ms: 90 }], details: ['classes from labels.txt'] } });
    panel.send({ type: 'gradCamResult', runId: 12, result: makeResult() });
    assert.equal(exportButton.disabled, false);
    assert.equal(text(panel.$('.status-text')), 'tensorflow · total 90 ms', 'the host’s timings when it sends them');
    assert.equal(text(panel.$('.status-detail')), 'layer block5_conv3 · score output · heatmap 14 × 14 · classes from labels.txt');
    panel.posted.length = 0;
    exportButton.click();
    assert.deepEqual(panel.posted, [{ type: 'exportGradCam' }]);
  });

  it('shows a failed run’s message as text, and paths from the session as text', () => {
    panel = loadPanel('gradcam');
    panel.send({ type: 'gradCamSession', session: makeGradCamSession({ imagePath: `/i/${HOSTILE_NAME}.png`, imageThumbnail: undefined }) });
    assert.equal(text(panel.$('.image-path')), `/i/${HOSTILE_NAME}.png`);
    panel.send({ type: 'status', runId: 11, status: { state: 'failed', message: `Class ${HOSTILE_NAME} is not one of the model's classes` } });
    assert.equal(text(panel.$('.run-status .error-box')), `Class ${HOSTILE_NAME} is not one of the model's classes`);
    assert.equal(panel.$$('img').length, 0);
    assert.match(text(panel.$('.gradcam-result')), /the run failed/);
  });

  it('says what it restores after a reload', () => {
    panel = loadPanel('gradcam', { view: 'gradcam', modelPath: '/m/model.json', imagePath: '/i/dog.png', targetClass: 3, layer: 'conv2d_2' });
    assert.match(text(panel.$('.session-header')), /Restoring \/m\/model\.json with \/i\/dog\.png/);
    // Until the restored run's result arrives, the state keeps the class and layer to restore.
    panel.send({ type: 'gradCamSession', session: makeGradCamSession({ modelPath: '/m/model.json', imagePath: '/i/dog.png' }) });
    assert.deepEqual(panel.states, [{ view: 'gradcam', modelPath: '/m/model.json', imagePath: '/i/dog.png', targetClass: 3, layer: 'conv2d_2' }]);
  });
});

describe('webview panel kinds', () => {
  let panel: Panel;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('builds the activations panel when data-view is absent or unknown', () => {
    for (const view of [undefined, 'activations', 'something-else']) {
      panel = loadPanel(view);
      assert.equal(panel.$$('[data-action="chooseLayers"]').length, 1, `data-view=${String(view)}`);
      assert.equal(panel.$$('.gradcam-controls, [data-preset]').length, 0);
      if (view !== 'something-else') panel.window.close();
    }
  });

  it('routes Grad-CAM messages only to the Grad-CAM panel', () => {
    panel = loadPanel('gradcam');
    assert.equal(panel.$$('[data-action="chooseLayers"], [data-preset]').length, 0);
    panel.send({ type: 'filterSession', session: makeFilterSession({ runId: 11 }) });
    panel.send({ type: 'filterTile', runId: 11, tile: makeTile(0) });
    panel.send({ type: 'layer', runId: 11, layer: {} as never });
    assert.equal(panel.$$('.filter-tile, section.layer-section').length, 0);
    assert.match(text(panel.$('.session-header')), /Waiting for the extension/);
    panel.send({ type: 'gradCamSession', session: makeGradCamSession() });
    assert.equal(text(panel.$('h1.model-name')), 'vgg16');
  });
});
