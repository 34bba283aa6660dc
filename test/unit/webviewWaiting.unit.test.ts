// A run whose engine job waits behind another, in the real webview bundle (jsdom): the panel says
// what it waits for before its session arrives, its Cancel cancels that run, and the session's
// arrival (or the run's end) takes the line over.
import assert from 'node:assert/strict';
import type { LayerInfo } from '../../src/shared/types';
import type { PanelSession } from '../../src/shared/protocol';
import { buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

const BEHIND = 'the filter grid of conv2d_3 (shapes/model.json)';

function layerInfo(index: number, name: string): LayerInfo {
  return { index, depth: 0, name, className: 'Conv2D', outputShape: [null, 12, 10, 32], paramCount: 896, trainableParamCount: 896, hasSpatialOutput: true };
}

function session(runId: number): PanelSession {
  return {
    runId,
    modelPath: '/work/models/shapes/model.json',
    modelName: 'shapes',
    imagePath: '/work/images/circle.png',
    imageThumbnail: { bytes: fakePng(24), mimeType: 'image/png' },
    preprocess: 'rescale',
    preprocessReason: 'the model’s default',
    colormap: 'viridis',
    imagesPerRow: 8,
    layers: [layerInfo(0, 'conv2d_1'), layerInfo(1, 'conv2d_2')],
  };
}

const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('a run waiting behind another engine job, in the webview', () => {
  let panel: WebviewPage;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  const waitCancel = () => panel.$<HTMLButtonElement>('.run-status button.wait-cancel');

  it('says what the first run waits for, with a Cancel that cancels it, before any session', () => {
    panel = loadWebview(bundle, {});
    assert.equal(waitCancel().hidden, true);
    panel.send({ type: 'status', runId: 1, status: { state: 'waiting', behind: BEHIND } });
    assert.equal(text(panel.$('.status-text')), `Waiting for ${BEHIND} to finish`);
    assert.equal(waitCancel().hidden, false);
    waitCancel().click();
    assert.deepEqual(panel.posted.at(-1), { type: 'cancelRun', runId: 1 });
    panel.send({ type: 'status', runId: 1, status: { state: 'cancelled', done: 0, total: 0, unit: '' } });
    assert.equal(text(panel.$('.status-text')), 'Cancelled before it started');
    assert.equal(waitCancel().hidden, true);
  });

  it('keeps the previous run’s picture while the next one waits, then shows the next one’s session', () => {
    panel = loadWebview(bundle, {});
    panel.send({ type: 'session', session: session(1) });
    panel.send({ type: 'status', runId: 1, status: { state: 'finished', backend: 'wasm', timings: [], details: [] } });
    panel.send({ type: 'status', runId: 2, status: { state: 'waiting', behind: BEHIND } });
    assert.equal(text(panel.$('.status-text')), `Waiting for ${BEHIND} to finish`);
    assert.equal(panel.$$('.layer-section').length, 2, 'the previous run’s sections stay');
    // Statuses of the finished run no longer replace the line.
    panel.send({ type: 'status', runId: 1, status: { state: 'failed', message: 'late' } });
    assert.equal(text(panel.$('.status-text')), `Waiting for ${BEHIND} to finish`);
    // The job starts: the line says so, then the session takes over.
    panel.send({ type: 'status', runId: 2, status: { state: 'running', done: 0, total: 0, unit: '', message: 'Starting…' } });
    assert.equal(text(panel.$('.status-text')), 'Starting…');
    assert.equal(waitCancel().hidden, true);
    panel.send({ type: 'session', session: session(2) });
    panel.send({ type: 'status', runId: 2, status: { state: 'running', done: 1, total: 2, unit: 'layers', message: 'Rendered conv2d_1' } });
    assert.equal(text(panel.$('.status-text')), '1 / 2 layers · Rendered conv2d_1');
  });

  it('shows the failure of a run that failed after waiting', () => {
    panel = loadWebview(bundle, {});
    panel.send({ type: 'status', runId: 3, status: { state: 'waiting', behind: BEHIND } });
    panel.send({ type: 'status', runId: 3, status: { state: 'failed', message: '/work/models/broken/model.json: its weights are truncated' } });
    assert.equal(text(panel.$('.run-status .error-box')), '/work/models/broken/model.json: its weights are truncated');
  });
});
