// The host's message handling as pure functions: which webview message becomes which panel action,
// and which messages are refused because they do not fit the protocol.
import assert from 'node:assert/strict';
import { datasetActionFor } from '../../src/host/panel/datasetPanelMessages';
import {
  activationsActionFor,
  filterPatternActionFor,
  gradCamActionFor,
  imageActionFor,
  parseWebviewMessage,
  routeRunPanelMessage,
} from '../../src/host/panel/panelMessages';
import type { WebviewToHostMessage } from '../../src/shared/protocol';

/** One valid example of every message the webviews send. */
const EVERY_MESSAGE: WebviewToHostMessage[] = [
  { type: 'ready' },
  { type: 'cancelRun', runId: 3 },
  { type: 'requestChannel', requestId: 1, runId: 3, layerIndex: 2, channel: 19 },
  { type: 'requestChannelStats', requestId: 2, runId: 3, layerIndex: 2, channel: 5 },
  { type: 'chooseImage' },
  { type: 'useImageFile', uri: 'file:///work/images/cat.png' },
  { type: 'useImageBytes', name: 'screenshot.png', image: { bytes: new Uint8Array([137, 80, 78, 71]), mimeType: 'image/png' } },
  { type: 'chooseLayers' },
  { type: 'setPreprocess', preprocess: 'caffe' },
  { type: 'setColormap', colormap: 'magma' },
  { type: 'exportActivations' },
  { type: 'setFilterPreset', preset: 'clear' },
  { type: 'exportFilterGrid' },
  { type: 'chooseFilterExampleFolder' },
  { type: 'explain', targetClass: 386, layer: 'block5_conv3', intensity: 0.6, colormap: 'jet', score: 'logit' },
  { type: 'exportGradCam' },
  { type: 'explainDatasetImage', requestId: 3, relativePath: 'cats/cat.1.jpg', method: 'gradcam' },
  { type: 'openDatasetImage', relativePath: 'dogs/dog.2.jpg' },
  { type: 'changeDatasetMapping' },
  { type: 'chooseDatasetFolder' },
];

/** Every message type, as the compiler requires (a new type left out here does not compile). */
const MESSAGE_TYPES: Record<WebviewToHostMessage['type'], true> = {
  ready: true,
  cancelRun: true,
  requestChannel: true,
  requestChannelStats: true,
  chooseImage: true,
  useImageFile: true,
  useImageBytes: true,
  chooseLayers: true,
  setPreprocess: true,
  setColormap: true,
  exportActivations: true,
  setFilterPreset: true,
  exportFilterGrid: true,
  chooseFilterExampleFolder: true,
  explain: true,
  exportGradCam: true,
  explainDatasetImage: true,
  openDatasetImage: true,
  changeDatasetMapping: true,
  chooseDatasetFolder: true,
};

describe('parseWebviewMessage', function () {
  it('is tested with one example of every message type', function () {
    assert.deepEqual(EVERY_MESSAGE.map((message) => message.type).sort(), Object.keys(MESSAGE_TYPES).sort());
  });

  it('accepts every message of the protocol as it is', function () {
    for (const message of EVERY_MESSAGE) assert.deepEqual(parseWebviewMessage(message), message, message.type);
  });

  it('keeps only the fields the protocol names', function () {
    assert.deepEqual(parseWebviewMessage({ type: 'setColormap', colormap: 'gray', extra: '<b>' }), { type: 'setColormap', colormap: 'gray' });
    assert.deepEqual(parseWebviewMessage({ type: 'ready', runId: 4 }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'explain', targetClass: 'tabby cat' }), { type: 'explain', targetClass: 'tabby cat' });
    assert.deepEqual(parseWebviewMessage({ type: 'explain' }), { type: 'explain' });
  });

  it('reads an image’s bytes however the webview’s message was serialized', function () {
    const expected = { type: 'useImageBytes', name: 'a.png', image: { bytes: new Uint8Array([1, 2, 255]), mimeType: 'image/png' } };
    // VS Code passes a Uint8Array; JSON turns one into an object of indices; a plain array is taken too.
    for (const bytes of [new Uint8Array([1, 2, 255]), new Uint8Array([1, 2, 255]).buffer, { 0: 1, 1: 2, 2: 255 }, [1, 2, 255]]) {
      assert.deepEqual(parseWebviewMessage({ type: 'useImageBytes', name: 'a.png', image: { bytes, mimeType: 'image/png' } }), expected);
    }
  });

  it('refuses what does not fit, as a whole', function () {
    const refused: unknown[] = [
      undefined,
      null,
      'ready',
      42,
      {},
      { type: 'frobnicate' },
      { type: 'setColormap', colormap: 'rainbow' },
      { type: 'setColormap' },
      { type: 'setPreprocess', preprocess: 'RESCALE' },
      { type: 'setFilterPreset', preset: 'pretty' },
      { type: 'cancelRun', runId: '3' },
      { type: 'cancelRun', runId: -1 },
      { type: 'requestChannel', requestId: 1, runId: 3, layerIndex: 2, channel: 1.5 },
      { type: 'requestChannel', requestId: 1, runId: 3, layerIndex: 2 },
      { type: 'explain', intensity: 1.5 },
      { type: 'explain', intensity: Number.NaN },
      { type: 'explain', targetClass: -2 },
      { type: 'explain', targetClass: '   ' },
      { type: 'explain', layer: '' },
      { type: 'explain', score: 'loss', targetClass: 3 },
      { type: 'explain', colormap: 'viridis', layer: 7 },
      { type: 'requestChannelStats', requestId: 1, runId: 3, layerIndex: -1, channel: 0 },
      { type: 'useImageFile', uri: '' },
      { type: 'useImageFile', uri: 42 },
      { type: 'useImageFile', uri: `file:///${'a'.repeat(9000)}.png` },
      { type: 'useImageBytes', name: 'a.png', image: { bytes: [1, 2, 256], mimeType: 'image/png' } },
      { type: 'useImageBytes', name: 'a.png', image: { bytes: [1, 2.5], mimeType: 'image/png' } },
      { type: 'useImageBytes', name: 'a.txt', image: { bytes: [1, 2], mimeType: 'text/plain' } },
      { type: 'useImageBytes', name: 'a.png', image: { bytes: 'iVBORw0KGgo=', mimeType: 'image/png' } },
      { type: 'useImageBytes', image: { bytes: [1], mimeType: 'image/png' } },
      { type: 'useImageBytes', name: 'a.png' },
    ];
    for (const data of refused) assert.equal(parseWebviewMessage(data), undefined, JSON.stringify(data));
  });
});

describe('routeRunPanelMessage', function () {
  it('replays the snapshot on ready and cancels only the current run', function () {
    assert.deepEqual(routeRunPanelMessage({ type: 'ready' }, 5), { route: 'replaySnapshot' });
    assert.deepEqual(routeRunPanelMessage({ type: 'cancelRun', runId: 5 }, 5), { route: 'cancelRun' });
    const stale = routeRunPanelMessage({ type: 'cancelRun', runId: 4 }, 5);
    assert.equal(stale.route, 'ignore');
  });

  it('hands the rest to the panel kind, and ignores what is not a message', function () {
    assert.deepEqual(routeRunPanelMessage({ type: 'setColormap', colormap: 'jet' }, 1), { route: 'toView', message: { type: 'setColormap', colormap: 'jet' } });
    const ignored = routeRunPanelMessage({ type: 'setColormap', colormap: 'rainbow' }, 1);
    assert.deepEqual(ignored, { route: 'ignore', reason: 'not a Convscope message: "setColormap"' });
    assert.deepEqual(routeRunPanelMessage('hello', 1), { route: 'ignore', reason: 'not a Convscope message: string' });
  });
});

describe('panel actions', function () {
  it('maps the activations panel’s messages to its actions', function () {
    assert.deepEqual(activationsActionFor({ type: 'requestChannel', requestId: 1, runId: 3, layerIndex: 2, channel: 19 }), {
      action: 'sendChannel',
      requestId: 1,
      runId: 3,
      layerIndex: 2,
      channel: 19,
    });
    assert.deepEqual(activationsActionFor({ type: 'requestChannelStats', requestId: 2, runId: 3, layerIndex: 2, channel: 5 }), {
      action: 'sendChannelStats',
      requestId: 2,
      runId: 3,
      layerIndex: 2,
      channel: 5,
    });
    assert.deepEqual(activationsActionFor({ type: 'chooseLayers' }), { action: 'chooseLayers' });
    assert.deepEqual(activationsActionFor({ type: 'setPreprocess', preprocess: 'none' }), { action: 'rerunRemembering', change: { preprocess: 'none' } });
    assert.deepEqual(activationsActionFor({ type: 'setColormap', colormap: 'inferno' }), { action: 'rerunRemembering', change: { colormap: 'inferno' } });
    assert.deepEqual(activationsActionFor({ type: 'exportActivations' }), { action: 'export' });
  });

  it('maps the filter-pattern and Grad-CAM panels’ messages to theirs', function () {
    assert.deepEqual(filterPatternActionFor({ type: 'setFilterPreset', preset: 'clear' }), { action: 'rerun', change: { preset: 'clear' } });
    assert.deepEqual(filterPatternActionFor({ type: 'exportFilterGrid' }), { action: 'export' });
    assert.deepEqual(filterPatternActionFor({ type: 'chooseFilterExampleFolder' }), { action: 'chooseExampleFolder' });
    assert.deepEqual(gradCamActionFor({ type: 'explain', targetClass: 3, intensity: 0.2 }), { action: 'rerun', change: { targetClass: 3, intensity: 0.2 } });
    assert.deepEqual(gradCamActionFor({ type: 'exportGradCam' }), { action: 'export' });
  });

  it('maps the image messages of the panels that run on an image to one image action', function () {
    assert.deepEqual(imageActionFor({ type: 'chooseImage' }), { action: 'pick' });
    assert.deepEqual(imageActionFor({ type: 'useImageFile', uri: 'file:///i/cat.png' }), { action: 'file', uri: 'file:///i/cat.png' });
    const image = { bytes: new Uint8Array([1]), mimeType: 'image/png' };
    assert.deepEqual(imageActionFor({ type: 'useImageBytes', name: 'x.png', image }), { action: 'bytes', name: 'x.png', image });
  });

  it('gives each panel kind only its own messages', function () {
    const handledBy = (decide: (message: WebviewToHostMessage) => unknown) => EVERY_MESSAGE.filter((message) => decide(message) !== undefined).map((message) => message.type);
    assert.deepEqual(handledBy(imageActionFor), ['chooseImage', 'useImageFile', 'useImageBytes']);
    assert.deepEqual(handledBy(activationsActionFor), ['requestChannel', 'requestChannelStats', 'chooseLayers', 'setPreprocess', 'setColormap', 'exportActivations']);
    assert.deepEqual(handledBy(filterPatternActionFor), ['setFilterPreset', 'exportFilterGrid', 'chooseFilterExampleFolder']);
    assert.deepEqual(handledBy(gradCamActionFor), ['explain', 'exportGradCam']);
    assert.deepEqual(handledBy(datasetActionFor), ['explainDatasetImage', 'openDatasetImage', 'changeDatasetMapping', 'chooseDatasetFolder']);
    // Every message but ready and cancelRun (which every panel handles) has exactly one handler.
    for (const message of EVERY_MESSAGE.filter((candidate) => candidate.type !== 'ready' && candidate.type !== 'cancelRun')) {
      const owners = [imageActionFor, activationsActionFor, filterPatternActionFor, gradCamActionFor, datasetActionFor].filter((decide) => decide(message) !== undefined);
      assert.equal(owners.length, 1, message.type);
    }
  });
});
