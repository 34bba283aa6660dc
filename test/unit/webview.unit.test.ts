// The activations panel's webview, end to end in jsdom: the real bundle (built here with esbuild,
// as esbuild.mjs builds it) runs against a fake `acquireVsCodeApi` and receives host messages.
// The filter-pattern and Grad-CAM panels are tested in webviewPanels.unit.test.ts.
import assert from 'node:assert/strict';
import type { ChannelDetail, LayerActivationImage, LayerInfo } from '../../src/shared/types';
import type { PanelSession, WebviewPersistedState } from '../../src/shared/protocol';
import { HOSTILE_NAME, buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

const HOSTILE_CLASS = '</script><b>bold</b>';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

type Panel = WebviewPage;

/** Loads the panel the way the host's HTML does: an empty `<div id="app">`, then the bundle. */
function loadPanel(initialState?: WebviewPersistedState | Record<string, unknown>, dataView?: string): Panel {
  return loadWebview(bundle, { view: dataView, initialState });
}

const png = fakePng;

function layerInfo(index: number, name: string, className = 'Conv2D'): LayerInfo {
  return {
    index,
    depth: 0,
    name,
    className,
    outputShape: [null, 12, 10, 32],
    paramCount: 896,
    trainableParamCount: 896,
    hasSpatialOutput: true,
  };
}

function makeSession(overrides: Partial<PanelSession> = {}): PanelSession {
  return {
    runId: 7,
    modelPath: '/work/models/cats_and_dogs/model.json',
    modelName: 'cats_and_dogs_small',
    imagePath: '/work/images/cat.1700.jpg',
    imageThumbnail: { bytes: png(24), mimeType: 'image/png' },
    preprocess: 'rescale',
    preprocessReason: 'no metadata.json, scaling layer or known backbone says otherwise: the study notes’ pixels ÷ 255',
    colormap: 'viridis',
    imagesPerRow: 8,
    layers: [layerInfo(0, 'conv2d_1'), layerInfo(1, 'max_pooling2d_1', 'MaxPooling2D'), layerInfo(2, 'conv2d_2')],
    ...overrides,
  };
}

/** A grid of 8 × 4 tiles of 10 × 12 pixels (80 × 48), 32 channels, channels 3, 7 and 30 dead. */
function makeLayer(overrides: Partial<LayerActivationImage> = {}): LayerActivationImage {
  return {
    layerIndex: 0,
    layerName: 'conv2d_1',
    className: 'Conv2D',
    shape: [1, 12, 10, 32],
    stats: { min: 0, max: 4.5, mean: 0.3125, channelCount: 32, deadChannelCount: 3, deadFraction: 3 / 32 },
    grid: { columns: 8, rows: 4, tileWidth: 10, tileHeight: 12, width: 80, height: 48 },
    deadChannels: [3, 7, 30],
    colormap: 'viridis',
    png: png(40),
    ...overrides,
  };
}

function makeChannel(overrides: Partial<ChannelDetail> = {}): ChannelDetail {
  return {
    layerIndex: 0,
    layerName: 'conv2d_1',
    channel: 19,
    width: 10,
    height: 12,
    min: -0.5,
    max: 2.25,
    mean: 0.75,
    dead: false,
    colormap: 'viridis',
    png: png(30),
    ...overrides,
  };
}

function section(panel: Panel, layerIndex: number): HTMLElement {
  return panel.$(`section[data-layer-index="${layerIndex}"]`);
}

/** Pretends the grid image of a layer is displayed at the given box (jsdom does no layout). */
function placeImage(panel: Panel, layerIndex: number, box: { left: number; top: number; width: number; height: number }): HTMLImageElement {
  const image = section(panel, layerIndex).querySelector<HTMLImageElement>('img.channel-grid-image');
  assert.ok(image, 'the layer has a grid image');
  image.getBoundingClientRect = () =>
    ({ ...box, x: box.left, y: box.top, right: box.left + box.width, bottom: box.top + box.height, toJSON: () => box }) as DOMRect;
  return image;
}

function click(panel: Panel, target: Element, clientX: number, clientY: number): void {
  target.dispatchEvent(new panel.window.MouseEvent('click', { bubbles: true, clientX, clientY }));
}

function key(panel: Panel, target: EventTarget, keyName: string): void {
  target.dispatchEvent(new panel.window.KeyboardEvent('keydown', { key: keyName, bubbles: true, cancelable: true }));
}

function requests(panel: Panel): Record<string, unknown>[] {
  return panel.posted.filter((message) => message.type === 'requestChannel');
}

function statsRequests(panel: Panel): Record<string, unknown>[] {
  return panel.posted.filter((message) => message.type === 'requestChannelStats');
}

/** Polls until `ready` (file reads in the page finish on a later turn). */
async function waitFor(ready: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !ready(); attempt++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(ready(), 'the page did it');
}

function text(element: Element | null | undefined): string {
  return (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

describe('webview panel', () => {
  let panel: Panel;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('acquires the VS Code API once and posts ready on load', () => {
    panel = loadPanel();
    assert.equal(panel.acquireCount(), 1);
    assert.deepEqual(panel.posted, [{ type: 'ready' }]);
    assert.match(text(panel.$('.session-header')), /Waiting for the extension/);
    assert.equal(panel.$$('section.layer-section').length, 0);
  });

  it('says what it restores when VS Code kept a state from before a reload', () => {
    panel = loadPanel({ view: 'activations', modelPath: '/m/model.json', imagePath: '/i/dog.png' });
    assert.match(text(panel.$('.session-header')), /Restoring \/m\/model\.json with \/i\/dog\.png/);
    assert.deepEqual(panel.posted, [{ type: 'ready' }]);
    assert.deepEqual(panel.errors, []);
    panel.window.close();

    // A state written before there were several panel kinds has no `view`: it is an activations state.
    panel = loadPanel({ modelPath: '/m/old.json', imagePath: '/i/cat.png' });
    assert.match(text(panel.$('.session-header')), /Restoring \/m\/old\.json with \/i\/cat\.png/);
    assert.deepEqual(panel.errors, []);
    panel.window.close();

    // Another panel kind's state is not this panel's to restore.
    panel = loadPanel({ view: 'gradcam', modelPath: '/m/model.json', imagePath: '/i/dog.png' });
    assert.match(text(panel.$('.session-header')), /Waiting for the extension/);
  });

  it('renders a session: header, toolbar, one waiting section per layer, and persists the paths', () => {
    panel = loadPanel();
    const session = makeSession();
    panel.send({ type: 'session', session });

    assert.equal(text(panel.$('h1.model-name')), 'cats_and_dogs_small');
    assert.equal(text(panel.$('.model-path')), session.modelPath);
    assert.equal(text(panel.$('.image-path')), session.imagePath);
    assert.match(text(panel.$('.preprocess-mode')), /^rescale/);
    assert.equal(text(panel.$('.preprocess-reason')), session.preprocessReason, 'the header says why this preprocessing');
    const thumbnail = panel.$<HTMLImageElement>('img.input-thumbnail');
    assert.equal(thumbnail.alt, 'Input image cat.1700.jpg');
    const thumbnailBlob = panel.blobs.get(thumbnail.src);
    assert.ok(thumbnailBlob, 'the thumbnail is shown from a blob URL');
    assert.equal(thumbnailBlob.type, 'image/png');
    assert.equal(thumbnailBlob.size, 24);

    const sections = panel.$$('section.layer-section');
    assert.deepEqual(sections.map((s) => text(s.querySelector('h2'))), ['conv2d_1', 'max_pooling2d_1', 'conv2d_2']);
    for (const s of sections) assert.equal(text(s.querySelector('.placeholder')), 'waiting…');
    assert.equal(text(sections[1].querySelector('.layer-meta')), 'MaxPooling2D · (None, 12, 10, 32)');

    const buttons = panel.$$<HTMLButtonElement>('.toolbar button').map((b) => text(b));
    assert.deepEqual(buttons, ['Change Image…', 'Layers…', 'Cancel', 'Export…']);
    const select = panel.$<HTMLSelectElement>('.toolbar select');
    assert.deepEqual([...select.options].map((o) => o.value), ['rescale', 'none', 'caffe', 'tf', 'torch']);
    assert.equal(select.value, 'rescale');
    assert.equal(panel.$<HTMLLabelElement>('label[for="preprocess-select"]').control, select);
    const colormap = panel.$<HTMLSelectElement>('#colormap-select');
    assert.deepEqual([...colormap.options].map((o) => o.value), ['viridis', 'magma', 'inferno', 'plasma', 'gray', 'jet']);
    assert.equal(colormap.value, 'viridis', 'the session’s colormap is selected');
    assert.equal(panel.$<HTMLLabelElement>('label[for="colormap-select"]').control, colormap);
    assert.equal(panel.$<HTMLButtonElement>('[data-action="cancelRun"]').hidden, false, 'Cancel shows while the run is in progress');
    assert.equal(panel.$<HTMLButtonElement>('[data-action="exportActivations"]').disabled, true, 'nothing to export yet');

    assert.deepEqual(panel.states, [{ view: 'activations', modelPath: session.modelPath, imagePath: session.imagePath }]);
  });

  it('fills a layer section with its heading, stats, dead channels and the grid image', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    const layer = makeLayer();
    panel.send({ type: 'layer', runId: 7, layer });

    const s = section(panel, 0);
    assert.equal(text(s.querySelector('h2')), 'conv2d_1');
    assert.equal(text(s.querySelector('.layer-meta')), 'Conv2D · (None, 12, 10, 32)', 'Keras’ notation, as the summary writes it');
    assert.equal(text(s.querySelector('.layer-stats')), 'min 0 · max 4.5 · mean 0.3125 · dead channels 3 of 32 (9%)');
    assert.match(text(s.querySelector('.layer-dead-list')), /3, 7, 30$/);
    assert.equal(s.querySelector('.placeholder'), null);
    assert.equal(s.getAttribute('aria-labelledby'), s.querySelector('h2')?.id);

    const image = s.querySelector<HTMLImageElement>('img.channel-grid-image');
    assert.ok(image);
    assert.equal(image.alt, 'Activation grid of conv2d_1');
    assert.equal(image.getAttribute('width'), '80', 'the intrinsic size stays the PNG size');
    assert.equal(image.getAttribute('height'), '48');
    assert.equal(panel.$('.channel-grid').style.width, '480px', 'a small grid is shown scaled up by a whole factor');
    assert.ok(image.classList.contains('pixelated'));
    const blob = panel.blobs.get(image.src);
    assert.ok(blob, 'the grid is shown from a blob URL');
    assert.equal(blob.type, 'image/png');
    assert.equal(blob.size, 40);

    const deadMarks = panel.$$('.dead-mark');
    assert.deepEqual(deadMarks.map((mark) => mark.dataset.channel), ['3', '7', '30']);
    // Channel 30 sits at column 6, row 3 of the 8 × 4 grid.
    assert.equal(deadMarks[2].style.left, '75%');
    assert.equal(deadMarks[2].style.top, '75%');
    assert.equal(deadMarks[2].style.width, '12.5%');

    // The other sections still wait.
    assert.equal(text(section(panel, 1).querySelector('.placeholder')), 'waiting…');
  });

  it('does not scale up a grid that is already wide', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({
      type: 'layer',
      runId: 7,
      layer: makeLayer({ grid: { columns: 8, rows: 4, tileWidth: 100, tileHeight: 100, width: 800, height: 400 } }),
    });
    const image = panel.$<HTMLImageElement>('img.channel-grid-image');
    assert.equal(panel.$('.channel-grid').style.width, '800px');
    assert.equal(image.classList.contains('pixelated'), false);
  });

  it('revokes a grid URL when the layer is replaced and all URLs on a new session', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const first = panel.$<HTMLImageElement>('img.channel-grid-image').src;
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const second = panel.$<HTMLImageElement>('img.channel-grid-image').src;
    assert.notEqual(first, second);
    assert.ok(panel.revoked.includes(first));
    assert.equal(panel.$$('img.channel-grid-image').length, 1);

    const thumbnail = panel.$<HTMLImageElement>('img.input-thumbnail').src;
    panel.send({ type: 'session', session: makeSession({ runId: 8 }) });
    assert.ok(panel.revoked.includes(second));
    assert.ok(panel.revoked.includes(thumbnail));
    assert.equal(panel.$$('img.channel-grid-image').length, 0);
  });

  it('shows names and paths from the model as text, never as markup', () => {
    panel = loadPanel();
    panel.send({
      type: 'session',
      session: makeSession({
        modelName: HOSTILE_NAME,
        modelPath: `/m/${HOSTILE_CLASS}/model.json`,
        imagePath: `/i/${HOSTILE_NAME}.png`,
        imageThumbnail: undefined,
        layers: [layerInfo(0, HOSTILE_NAME, HOSTILE_CLASS)],
      }),
    });
    assert.equal(text(panel.$('h1.model-name')), HOSTILE_NAME);
    assert.equal(text(panel.$('section h2')), HOSTILE_NAME);

    panel.send({ type: 'layer', runId: 7, layer: makeLayer({ layerName: HOSTILE_NAME, className: HOSTILE_CLASS }) });
    assert.equal(text(panel.$('section h2')), HOSTILE_NAME);
    assert.match(text(panel.$('.layer-meta')), /^<\/script><b>bold<\/b> · \(None, 12, 10, 32\)$/);
    assert.equal(panel.$<HTMLImageElement>('img.channel-grid-image').alt, `Activation grid of ${HOSTILE_NAME}`);

    placeImage(panel, 0, { left: 0, top: 0, width: 80, height: 48 });
    click(panel, panel.$('img.channel-grid-image'), 5, 5);
    assert.equal(text(panel.$('.channel-dialog-title')), `${HOSTILE_NAME} — channel 0`);
    panel.send({ type: 'channelFailed', requestId: 1, message: `${HOSTILE_CLASS} failed` });
    assert.equal(text(panel.$('.channel-dialog .error-box')), `${HOSTILE_CLASS} failed`);

    // The only images are the grid: nothing was parsed out of the names.
    assert.deepEqual(panel.$$('img').map((img) => img.classList.contains('channel-grid-image')), [true]);
    assert.equal(panel.$$('b').length, 0);
    assert.equal(panel.$$('script').length, 0);
    assert.ok(panel.document.body.innerHTML.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the name is a text node, escaped when serialized');
  });

  it('requests the channel under a click, scaled from the displayed size to the grid layout', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer({ layerIndex: 2, layerName: 'conv2d_2' }) });

    // Shown 6× (480 × 288) at (100, 50): column 3, row 2 → channel 2 × 8 + 3 = 19.
    const image = placeImage(panel, 2, { left: 100, top: 50, width: 480, height: 288 });
    click(panel, image, 100 + (3 * 10 + 9) * 6, 50 + (2 * 12 + 1) * 6);
    assert.deepEqual(requests(panel), [{ type: 'requestChannel', requestId: 1, runId: 7, layerIndex: 2, channel: 19 }]);
    assert.equal(panel.$('.channel-dialog-backdrop').hidden, false);
    assert.equal(text(panel.$('.channel-dialog-title')), 'conv2d_2 — channel 19');
    assert.match(text(panel.$('.channel-dialog-body')), /Loading channel 19/);

    // Shrunk by the container to 120 × 72 at (0, 0): the last tile of the first row is channel 7.
    placeImage(panel, 2, { left: 0, top: 0, width: 120, height: 72 });
    click(panel, image, 119, 17);
    assert.deepEqual(requests(panel)[1], { type: 'requestChannel', requestId: 2, runId: 7, layerIndex: 2, channel: 7 });
  });

  it('ignores clicks outside every tile, including the empty tiles after the last channel', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({
      type: 'layer',
      runId: 7,
      layer: makeLayer({ shape: [1, 12, 10, 30], stats: { ...makeLayer().stats, channelCount: 30 }, deadChannels: [] }),
    });
    const image = placeImage(panel, 0, { left: 0, top: 0, width: 80, height: 48 });
    click(panel, image, 75, 45); // channel 31: past the 30 channels
    click(panel, image, 81, 10); // right of the image
    click(panel, image, -1, 10); // left of it
    assert.deepEqual(requests(panel), []);
    assert.equal(panel.$('.channel-dialog-backdrop').hidden, true);
    click(panel, image, 55, 45); // channel 29, the last one
    assert.equal(requests(panel)[0].channel, 29);
  });

  it('highlights the hovered tile and shows a channel tooltip', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const image = placeImage(panel, 0, { left: 0, top: 0, width: 480, height: 288 });
    const highlight = panel.$('.tile-highlight');
    const tooltip = panel.$('.tile-tooltip');
    assert.equal(highlight.hidden, true);

    image.dispatchEvent(new panel.window.MouseEvent('mousemove', { bubbles: true, clientX: 3 * 60 + 1, clientY: 2 * 72 + 1 }));
    assert.equal(highlight.hidden, false);
    assert.equal(highlight.style.left, '37.5%');
    assert.equal(highlight.style.top, '50%');
    assert.equal(highlight.style.width, '12.5%');
    assert.equal(highlight.style.height, '25%');
    assert.equal(tooltip.hidden, false);
    assert.equal(text(tooltip), 'channel 19', 'the index at once, the numbers once the host sends them');
    assert.deepEqual(statsRequests(panel), [{ type: 'requestChannelStats', requestId: 1, runId: 7, layerIndex: 0, channel: 19 }]);
    panel.send({ type: 'channelStats', requestId: 1, stats: { layerIndex: 0, channel: 19, min: -0.25, max: 3.5, mean: 0.5, dead: false } });
    assert.equal(text(tooltip), 'channel 19 · min −0.25 · max 3.5 · mean 0.5');
    image.dispatchEvent(new panel.window.MouseEvent('mousemove', { bubbles: true, clientX: 3 * 60 + 2, clientY: 2 * 72 + 2 }));
    assert.equal(statsRequests(panel).length, 1, 'a channel’s numbers are asked for once');

    image.dispatchEvent(new panel.window.MouseEvent('mousemove', { bubbles: true, clientX: 7 * 60 + 1, clientY: 1 }));
    assert.equal(text(tooltip), 'channel 7 · dead (constant)');
    panel.send({ type: 'channelStats', requestId: 2, stats: { layerIndex: 0, channel: 7, min: 0, max: 0, mean: 0, dead: true } });
    assert.equal(text(tooltip), 'channel 7 · dead (constant 0)');

    panel.$('.channel-grid').dispatchEvent(new panel.window.MouseEvent('mouseleave'));
    assert.equal(highlight.hidden, true);
    assert.equal(tooltip.hidden, true);
  });

  it('lets the keyboard move a selected tile and open it with Enter', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const grid = panel.$('.channel-grid');
    assert.equal(grid.tabIndex, 0, 'the grid is focusable');
    grid.focus();
    assert.equal(panel.document.activeElement, grid);
    assert.equal(panel.$('.tile-highlight').hidden, false, 'focus shows the selection');

    key(panel, grid, 'ArrowRight'); // 0 (first press selects the first tile)
    key(panel, grid, 'ArrowRight'); // 1
    key(panel, grid, 'ArrowRight'); // 2
    key(panel, grid, 'ArrowDown'); // 10
    key(panel, grid, 'ArrowLeft'); // 9
    assert.equal(text(panel.$('.tile-tooltip')), 'channel 9');
    assert.equal(text(panel.$('[aria-live][aria-atomic]')), 'channel 9', 'the selection is announced');
    key(panel, grid, 'Enter');
    assert.deepEqual(requests(panel), [{ type: 'requestChannel', requestId: 1, runId: 7, layerIndex: 0, channel: 9 }]);

    key(panel, panel.document, 'Escape');
    assert.equal(panel.document.activeElement, grid, 'closing the dialog gives focus back to the grid');
    key(panel, grid, 'End');
    key(panel, grid, 'ArrowDown');
    key(panel, grid, 'Enter');
    assert.equal(requests(panel)[1].channel, 31);
  });

  it('ignores layers and statuses of another run', () => {
    panel = loadPanel();
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    assert.equal(panel.$$('section').length, 0, 'nothing before a session');

    panel.send({ type: 'session', session: makeSession({ runId: 8 }) });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    panel.send({ type: 'status', runId: 7, status: { state: 'failed', message: 'old run failed' } });
    assert.equal(text(section(panel, 0).querySelector('.placeholder')), 'waiting…');
    assert.equal(panel.$$('img.channel-grid-image').length, 0);
    assert.equal(panel.$('.run-status .error-box').hidden, true);

    panel.send({ type: 'layer', runId: 8, layer: makeLayer() });
    assert.equal(panel.$$('img.channel-grid-image').length, 1);
  });

  it('posts the toolbar actions', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession({ preprocess: 'tf' }) });
    panel.posted.length = 0;
    panel.$<HTMLButtonElement>('[data-action="chooseImage"]').click();
    panel.$<HTMLButtonElement>('[data-action="chooseLayers"]').click();
    const select = panel.$<HTMLSelectElement>('select');
    assert.equal(select.value, 'tf');
    select.value = 'caffe';
    select.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    assert.deepEqual(panel.posted, [{ type: 'chooseImage' }, { type: 'chooseLayers' }, { type: 'setPreprocess', preprocess: 'caffe' }]);
  });

  it('posts setColormap when another colormap is picked, and shows the session’s', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession({ colormap: 'magma' }) });
    const colormap = panel.$<HTMLSelectElement>('#colormap-select');
    assert.equal(colormap.value, 'magma');
    assert.equal(colormap.disabled, false);
    assert.equal(text(panel.$('.colormap-name')), 'magma');
    panel.posted.length = 0;
    colormap.value = 'gray';
    colormap.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    assert.deepEqual(panel.posted, [{ type: 'setColormap', colormap: 'gray' }]);

    // The host's new run comes with the new colormap.
    panel.send({ type: 'session', session: makeSession({ runId: 8, colormap: 'gray' }) });
    assert.equal(colormap.value, 'gray');
    assert.equal(text(panel.$('.colormap-name')), 'gray');
  });

  it('offers Export once a grid is drawn and the run is over', () => {
    panel = loadPanel();
    const exportButton = panel.$<HTMLButtonElement>('[data-action="exportActivations"]');
    assert.equal(exportButton.disabled, true, 'disabled before any session');
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    assert.equal(exportButton.disabled, true, 'disabled while the run is in progress');
    panel.send({ type: 'status', runId: 7, status: { state: 'finished', backend: 'cpu', timings: [], details: [] } });
    assert.equal(exportButton.disabled, false);
    panel.posted.length = 0;
    exportButton.click();
    assert.deepEqual(panel.posted, [{ type: 'exportActivations' }]);

    // A new run starts with nothing to export; a cancelled run exports what it drew.
    panel.send({ type: 'session', session: makeSession({ runId: 8 }) });
    assert.equal(exportButton.disabled, true);
    panel.send({ type: 'status', runId: 8, status: { state: 'cancelled', done: 0, total: 3, unit: 'layers' } });
    assert.equal(exportButton.disabled, true, 'no grid was drawn');
    panel.send({ type: 'session', session: makeSession({ runId: 9 }) });
    panel.send({ type: 'layer', runId: 9, layer: makeLayer() });
    panel.send({ type: 'status', runId: 9, status: { state: 'cancelled', done: 1, total: 3, unit: 'layers' } });
    assert.equal(exportButton.disabled, false);
  });

  it('cancels the run and keeps the layers already shown', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'status', runId: 7, status: { state: 'running', done: 0, total: 3, unit: 'layers', message: '' } });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const cancel = panel.$<HTMLButtonElement>('[data-action="cancelRun"]');
    assert.equal(cancel.hidden, false);
    assert.equal(cancel.getAttribute('type'), 'button');
    cancel.click();
    assert.deepEqual(panel.posted.at(-1), { type: 'cancelRun', runId: 7 });

    panel.send({ type: 'status', runId: 7, status: { state: 'cancelled', done: 1, total: 3, unit: 'layers' } });
    assert.equal(cancel.hidden, true);
    assert.equal(text(panel.$('.status-text')), 'Cancelled — 1 of 3 layers shown');
    assert.equal(panel.$$('img.channel-grid-image').length, 1, 'the finished layer stays');
    assert.match(text(section(panel, 1).querySelector('.placeholder')), /cancelled/);
  });

  it('shows progress while running, the backend and timings when finished', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    assert.equal(panel.$('.status-text').getAttribute('aria-live'), 'polite');
    panel.send({ type: 'status', runId: 7, status: { state: 'running', done: 1, total: 3, unit: 'layers', message: 'conv2d_2' } });
    assert.equal(text(panel.$('.status-text')), '1 / 3 layers · conv2d_2');
    const bar = panel.$('[role="progressbar"]');
    assert.equal(bar.hidden, false);
    assert.equal(bar.getAttribute('aria-valuenow'), '1');
    assert.equal(bar.getAttribute('aria-valuemax'), '3');
    assert.match(panel.$('.progress-bar-fill').style.width, /^33\.33/);

    panel.send({
      type: 'status',
      runId: 7,
      status: {
        state: 'finished',
        backend: 'wasm',
        timings: [
          { label: 'model load', ms: 310.4 },
          { label: 'image read', ms: 12 },
          { label: 'forward', ms: 120.2 },
          { label: 'render', ms: 44.6 },
        ],
        details: ['input 150 × 150 × 3', '3 layers'],
      },
    });
    assert.equal(text(panel.$('.status-text')), 'wasm · model load 310 ms · image read 12 ms · forward 120 ms · render 45 ms');
    assert.equal(text(panel.$('.status-detail')), 'input 150 × 150 × 3 · 3 layers');
    assert.equal(panel.$('.status-detail').hidden, false);
    assert.equal(bar.hidden, true);
    assert.equal(panel.$<HTMLButtonElement>('[data-action="cancelRun"]').hidden, true);
  });

  it('shows a failed run’s message as text in an error box', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'status', runId: 7, status: { state: 'failed', message: `Could not read ${HOSTILE_NAME}` } });
    const box = panel.$('.run-status .error-box');
    assert.equal(box.hidden, false);
    assert.equal(box.getAttribute('role'), 'alert');
    assert.equal(text(box), `Could not read ${HOSTILE_NAME}`);
    assert.equal(panel.$$('img').length, 1, 'only the thumbnail');
    assert.equal(panel.$<HTMLButtonElement>('[data-action="cancelRun"]').hidden, true);
  });

  it('opens the channel view with the image, colour bar and stats, and closes it with Esc', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const image = placeImage(panel, 0, { left: 0, top: 0, width: 480, height: 288 });
    click(panel, image, 3 * 60 + 30, 2 * 72 + 30);
    const [request] = requests(panel);
    assert.equal(request.channel, 19);

    // An answer to another request changes nothing.
    panel.send({ type: 'channel', requestId: 99, channel: makeChannel({ channel: 5 }) });
    assert.match(text(panel.$('.channel-dialog-body')), /Loading channel 19/);

    panel.send({ type: 'channel', requestId: request.requestId as number, channel: makeChannel() });
    const dialog = panel.$('[role="dialog"]');
    assert.equal(dialog.getAttribute('aria-modal'), 'true');
    assert.equal(panel.document.getElementById(dialog.getAttribute('aria-labelledby') ?? '')?.textContent, 'conv2d_1 — channel 19');
    const channelImage = panel.$<HTMLImageElement>('img.channel-image');
    assert.equal(channelImage.alt, 'Channel 19 of conv2d_1');
    assert.ok(channelImage.classList.contains('pixelated'));
    assert.equal(channelImage.style.width, '320px');
    const blob = panel.blobs.get(channelImage.src);
    assert.ok(blob);
    assert.equal(blob.type, 'image/png');
    assert.equal(blob.size, 30);
    assert.match(panel.$('.colorbar-gradient').style.backgroundImage, /^linear-gradient\(to right, rgb\(68, 1, 84\) 0%/);
    assert.equal(text(panel.$('.channel-dialog .colorbar-min')), '−0.5');
    assert.equal(text(panel.$('.channel-dialog .colorbar-max')), '2.25');
    assert.match(text(panel.$('.channel-stats')), /mean 0\.75/);
    assert.match(text(panel.$('.channel-stats')), /· 10 × 12 values \(width × height\), shown enlarged$/, 'the channel’s own size, not the enlarged image’s');
    assert.equal(panel.$$('.dead-note').length, 0);
    assert.equal(panel.document.activeElement, panel.$('.channel-dialog-close'), 'focus moves into the dialog');

    key(panel, panel.document.body, 'Escape');
    assert.equal(panel.$('.channel-dialog-backdrop').hidden, true);
    assert.ok(panel.revoked.includes(channelImage.src));
    assert.equal(panel.$$('img.channel-image').length, 0);
  });

  it('says when a channel is dead, shows failures, and closes with its button', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const image = placeImage(panel, 0, { left: 0, top: 0, width: 80, height: 48 });
    click(panel, image, 35, 5); // channel 3
    panel.send({ type: 'channel', requestId: 1, channel: makeChannel({ channel: 3, dead: true, min: 0, max: 0, mean: 0 }) });
    assert.equal(text(panel.$('.dead-note')), 'dead (constant) for this input');

    click(panel, image, 5, 5); // channel 0
    panel.send({ type: 'channelFailed', requestId: 2, message: 'The engine stopped.' });
    assert.equal(text(panel.$('.channel-dialog .error-box')), 'The engine stopped.');
    assert.equal(panel.$$('img.channel-image').length, 0);

    panel.$<HTMLButtonElement>('.channel-dialog-close').click();
    assert.equal(panel.$('.channel-dialog-backdrop').hidden, true);
    // A late answer to a closed dialog does not reopen it.
    panel.send({ type: 'channel', requestId: 2, channel: makeChannel() });
    assert.equal(panel.$('.channel-dialog-backdrop').hidden, true);
  });

  it('draws a colour bar per layer: each channel from its mean − 2σ to mean + 2σ, and the layer’s value range', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    const scale = section(panel, 0).querySelector<HTMLElement>('.layer-scale');
    assert.ok(scale);
    assert.equal(scale.hidden, true, 'no bar before the grid');
    panel.send({ type: 'layer', runId: 7, layer: makeLayer({ colormap: 'magma' }) });
    assert.equal(scale.hidden, false);
    assert.match(scale.querySelector<HTMLElement>('.colorbar-gradient')?.style.backgroundImage ?? '', /^linear-gradient\(to right, rgb\(0, 0, 4\) 0%/, 'the layer’s colormap');
    assert.equal(text(scale.querySelector('.colorbar-min')), 'mean − 2σ');
    assert.equal(text(scale.querySelector('.colorbar-max')), 'mean + 2σ');
    assert.equal(text(scale.querySelector('.colorbar-caption')), 'each channel from its own mean − 2σ to + 2σ · layer values 0 to 4.5');
  });

  it('zooms a grid with its buttons, the keyboard and Ctrl+wheel, and back to fit', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    const grid = panel.$('.channel-grid');
    const viewport = panel.$('.grid-viewport');
    const level = panel.$('.zoom-level');
    const zoomIn = panel.$<HTMLButtonElement>('.zoom-in');
    const zoomOut = panel.$<HTMLButtonElement>('.zoom-out');
    assert.equal(text(level), '100%', 'the panel’s width');
    assert.ok(grid.classList.contains('fit'));
    assert.equal(zoomOut.disabled, true, 'fit is the smallest');

    zoomIn.click();
    assert.equal(text(level), '150%');
    assert.equal(grid.classList.contains('fit'), false, 'a zoomed grid may be wider than the panel: its viewport scrolls');
    assert.equal(grid.style.width, '720px', '1.5 × the 480 px it had');
    assert.ok(viewport.classList.contains('zoomed'));
    key(panel, grid, '+');
    assert.equal(text(level), '200%');
    key(panel, grid, '-');
    assert.equal(text(level), '150%');
    viewport.dispatchEvent(new panel.window.WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: -100, ctrlKey: true }));
    assert.equal(text(level), '200%');
    viewport.dispatchEvent(new panel.window.WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: -100 }));
    assert.equal(text(level), '200%', 'a plain wheel scrolls, it does not zoom');
    // Zoomed, the viewport clips: the tooltip sits on the tile (row 3 of 4), not below or above it.
    const zoomedImage = placeImage(panel, 0, { left: 0, top: 0, width: 960, height: 576 });
    zoomedImage.dispatchEvent(new panel.window.MouseEvent('mousemove', { bubbles: true, clientX: 1, clientY: 3 * 144 + 1 }));
    const tooltip = panel.$('.tile-tooltip');
    assert.equal(tooltip.style.top, '75%');
    assert.equal(tooltip.classList.contains('above'), false);
    panel.$<HTMLButtonElement>('.zoom-fit').click();
    assert.equal(text(level), '100%');
    assert.equal(grid.style.width, '480px');
    assert.ok(grid.classList.contains('fit'));

    // The overlays follow the zoom: they are placed in fractions of the grid.
    const image = placeImage(panel, 0, { left: 0, top: 0, width: 960, height: 576 });
    click(panel, image, 3 * 120 + 1, 2 * 144 + 1);
    assert.equal(requests(panel)[0].channel, 19);
  });

  it('pans a zoomed grid by dragging, without opening the channel under the release', () => {
    panel = loadPanel();
    panel.send({ type: 'session', session: makeSession() });
    panel.send({ type: 'layer', runId: 7, layer: makeLayer() });
    panel.$<HTMLButtonElement>('.zoom-in').click();
    const grid = panel.$('.channel-grid');
    const viewport = panel.$('.grid-viewport');
    placeImage(panel, 0, { left: 0, top: 0, width: 720, height: 432 });
    viewport.scrollLeft = 0;
    const mouse = (type: string, clientX: number, buttons = 1) => grid.dispatchEvent(new panel.window.MouseEvent(type, { bubbles: true, clientX, clientY: 10, buttons, button: 0 }));
    mouse('mousedown', 200);
    mouse('mousemove', 150);
    panel.document.dispatchEvent(new panel.window.MouseEvent('mouseup', { bubbles: true }));
    mouse('click', 150, 0);
    assert.deepEqual(requests(panel), [], 'the drag’s release opened nothing');
  });

  it('takes an image dropped or pasted onto the panel: its URI, else its bytes', async () => {
    panel = loadPanel();
    const drop = (data: { uris?: string; files?: File[] }) => {
      const event = new panel.window.Event('drop', { bubbles: true, cancelable: true });
      const transfer = { types: [...(data.uris ? ['text/uri-list'] : []), ...(data.files ? ['Files'] : [])], files: data.files ?? [], getData: (type: string) => (type === 'text/uri-list' ? (data.uris ?? '') : '') };
      Object.defineProperty(event, 'dataTransfer', { value: transfer });
      panel.$('main').dispatchEvent(event);
      return event;
    };
    drop({ uris: 'file:///work/images/dog.png' });
    assert.equal(panel.posted.filter((message) => message.type === 'useImageFile').length, 0, 'nothing is taken before a session');

    panel.send({ type: 'session', session: makeSession() });
    panel.posted.length = 0;
    const event = drop({ uris: '# from the Explorer\r\nfile:///work/images/dog.png\r\nfile:///work/images/cat.png' });
    assert.equal(event.defaultPrevented, true, 'the webview does not open the file itself');
    assert.deepEqual(panel.posted, [{ type: 'useImageFile', uri: 'file:///work/images/dog.png' }]);

    panel.posted.length = 0;
    const file = new panel.window.File([new Uint8Array([137, 80, 78, 71])], 'screenshot.png', { type: 'image/png' });
    drop({ files: [file] });
    await waitFor(() => panel.posted.length > 0);
    assert.deepEqual(panel.posted, [{ type: 'useImageBytes', name: 'screenshot.png', image: { bytes: { 0: 137, 1: 80, 2: 78, 3: 71 }, mimeType: 'image/png' } }]);

    panel.posted.length = 0;
    drop({ files: [new panel.window.File(['notes'], 'notes.txt', { type: 'text/plain' })] });
    assert.equal(panel.posted.length, 0);
    assert.equal(text(panel.$('.image-note')), 'The dropped item is not an image.');

    const paste = new panel.window.Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(paste, 'clipboardData', { value: { files: [file], getData: () => '' } });
    panel.document.body.dispatchEvent(paste);
    await waitFor(() => panel.posted.length > 0);
    assert.equal(panel.posted[0].type, 'useImageBytes');
    assert.equal(panel.$('.image-note').hidden, true, 'the note goes with the next image taken');
  });
});
