// The Explain Prediction panel's CAM methods in jsdom, on the real webview bundle: the method picker
// with each method's one-line formula, the layer and class to compare, and several maps in one row at
// one size and on one colour scale.
import assert from 'node:assert/strict';
import { EXPLAIN_METHODS, camMethodInfo, type ExplainMethod } from '../../src/shared/camMethods';
import type { GradCamPanelSession, GradCamResultView } from '../../src/shared/protocol';
import type { CamMapInfo, GradCamRunInfo } from '../../src/shared/types';
import { buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();

const LAYERS = [
  { name: 'block4_conv3', className: 'Conv2D', outputShape: [null, 28, 28, 512] },
  { name: 'block5_conv3', className: 'Conv2D', outputShape: [null, 14, 14, 512] },
];

function session(overrides: Partial<GradCamPanelSession> = {}): GradCamPanelSession {
  return {
    runId: 3,
    modelPath: '/m/vgg16/model.json',
    modelName: 'vgg16',
    imagePath: '/i/elephant.png',
    preprocess: 'caffe',
    preprocessReason: 'VGG',
    layerChoices: LAYERS,
    intensity: 0.4,
    colormap: 'jet',
    score: 'output',
    ...overrides,
  };
}

const ELEPHANT = { index: 386, name: 'African elephant', score: 0.87 };
const TUSKER = { index: 101, name: 'tusker', score: 0.09 };

function mapInfo(method: ExplainMethod, overrides: Partial<CamMapInfo> = {}): CamMapInfo {
  return { method, layer: LAYERS[1], targetClass: ELEPHANT, scoreValue: 0.87, heatmapSize: [14, 14], noPositiveEvidence: false, ms: 12, ...overrides };
}

function result(maps: CamMapInfo[]): GradCamResultView {
  const info: GradCamRunInfo = {
    backend: 'wasm',
    modelPath: '/m/vgg16/model.json',
    imagePath: '/i/elephant.png',
    preprocess: 'caffe',
    inputSize: [224, 224, 3],
    imageSize: [100, 150],
    layer: maps[0].layer,
    score: 'output',
    outputActivation: 'softmax',
    targetClass: maps[0].targetClass,
    scoreValue: maps[0].scoreValue,
    predictions: [ELEPHANT, TUSKER],
    heatmapSize: maps[0].heatmapSize,
    noPositiveEvidence: maps[0].noPositiveEvidence,
    colormap: 'jet',
    intensity: 0.4,
    classNames: { source: 'imagenet', notes: [] },
    timings: { loadModelMs: 1, readImageMs: 1, gradCamMs: 30, renderMs: 2 },
    method: maps[0].method,
    maps,
  };
  return { info, heatmapPng: fakePng(30), overlayPng: fakePng(40), maps: maps.map((map, index) => ({ info: map, heatmapPng: fakePng(50 + index), overlayPng: fakePng(60 + index) })) };
}

describe('webview Explain Prediction panel: CAM methods side by side', () => {
  let panel: WebviewPage;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('offers every method with its one-line formula, and posts the methods checked, in the table’s order', () => {
    panel = loadWebview(bundle, { view: 'gradcam' });
    panel.send({ type: 'gradCamSession', session: session({ methods: ['scorecam', 'gradcam'] }) });
    const boxes = panel.$$<HTMLInputElement>('input[data-action="method"]');
    assert.deepEqual(
      boxes.map((box) => box.value),
      EXPLAIN_METHODS.map((method) => method.id),
    );
    assert.deepEqual(
      boxes.filter((box) => box.checked).map((box) => box.value),
      ['gradcam', 'scorecam'],
    );
    for (const box of boxes) assert.equal(box.labels?.[0]?.title.startsWith(camMethodInfo(box.value as ExplainMethod).summary), true, `${box.value}: the formula on hover`);
    const doc = panel.$$('.method-doc li');
    assert.deepEqual(
      doc.map((line) => line.dataset.method),
      ['scorecam', 'gradcam'],
    );
    assert.equal(text(doc[0]), `Score-CAM — ${camMethodInfo('scorecam').summary}`);

    panel.posted.length = 0;
    const xgradcam = boxes.find((box) => box.value === 'xgradcam')!;
    xgradcam.checked = true;
    xgradcam.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    assert.deepEqual(panel.posted, [{ type: 'explain', methods: ['gradcam', 'xgradcam', 'scorecam'] }]);
    assert.equal(panel.$$('.method-doc li').length, 3, 'the new method’s formula is listed');

    // The last checked method cannot be unchecked: a map needs one.
    for (const box of boxes.filter((candidate) => candidate.checked && candidate.value !== 'gradcam')) {
      box.checked = false;
      box.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    }
    panel.posted.length = 0;
    const gradcam = boxes.find((box) => box.value === 'gradcam')!;
    gradcam.checked = false;
    gradcam.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    assert.equal(gradcam.checked, true);
    assert.deepEqual(panel.posted, []);
  });

  it('posts a layer and a class to compare beside the main ones', () => {
    panel = loadWebview(bundle, { view: 'gradcam' });
    panel.send({ type: 'gradCamSession', session: session() });
    const compareLayer = panel.$<HTMLSelectElement>('#gradcam-compare-layer');
    assert.deepEqual(
      [...compareLayer.options].map((option) => option.value),
      ['', 'block4_conv3', 'block5_conv3'],
    );
    panel.posted.length = 0;
    compareLayer.value = 'block4_conv3';
    compareLayer.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    panel.$<HTMLInputElement>('#gradcam-class').value = '386';
    panel.$<HTMLInputElement>('#gradcam-compare-class').value = 'tusker';
    panel.$<HTMLButtonElement>('button[data-action="explain"]').click();
    assert.deepEqual(panel.posted, [
      { type: 'explain', compareLayers: ['block4_conv3'] },
      { type: 'explain', targetClass: 386, compareClasses: ['tusker'] },
    ]);

    // A session that compares shows it; explaining another class keeps the comparison unless it is changed.
    panel.send({ type: 'gradCamSession', session: session({ runId: 4, compareLayers: ['block4_conv3'], compareClasses: [101] }) });
    assert.equal(compareLayer.value, 'block4_conv3');
    assert.equal(panel.$<HTMLInputElement>('#gradcam-compare-class').value, '101');
    panel.posted.length = 0;
    panel.$<HTMLInputElement>('#gradcam-class').value = '7';
    panel.$<HTMLButtonElement>('button[data-action="explain"]').click();
    panel.$<HTMLInputElement>('#gradcam-compare-class').value = '';
    panel.$<HTMLButtonElement>('button[data-action="explain"]').click();
    assert.deepEqual(panel.posted, [
      { type: 'explain', targetClass: 7 },
      { type: 'explain', targetClass: 7, compareClasses: [] },
    ]);
  });

  it('shows several maps in one row, at one size, on one colour scale, each named by what differs', () => {
    panel = loadWebview(bundle, { view: 'gradcam' });
    panel.send({ type: 'gradCamSession', session: session({ methods: ['gradcam', 'scorecam'], compareClasses: [101] }) });
    const maps = [mapInfo('gradcam'), mapInfo('gradcam', { targetClass: TUSKER }), mapInfo('scorecam', { ms: 900 }), mapInfo('scorecam', { targetClass: TUSKER, noPositiveEvidence: true })];
    panel.send({ type: 'gradCamResult', runId: 3, result: result(maps) });

    const figures = panel.$$('.cam-row figure.cam-row-figure');
    assert.equal(figures.length, 4);
    assert.deepEqual(
      figures.map((figure) => figure.dataset.method),
      ['gradcam', 'gradcam', 'scorecam', 'scorecam'],
    );
    const images = panel.$$<HTMLImageElement>('.cam-row img.cam-row-map');
    assert.deepEqual(
      images.map((image) => panel.blobs.get(image.src)?.size),
      [60, 61, 62, 63],
      'each map’s own overlay',
    );
    assert.equal(new Set(images.map((image) => image.style.width)).size, 1, 'one size for all');
    assert.equal(panel.$$('.cam-row-block .colorbar').length, 1, 'one colour scale');
    const caption = (figure: HTMLElement) => [...figure.querySelectorAll('figcaption > *')].map(text);
    assert.deepEqual(caption(figures[1]), ['Grad-CAM', 'tusker (class 101)', '12 ms'], 'the class differs, the layer does not');
    assert.deepEqual(caption(figures[2]), ['Score-CAM', 'African elephant (class 386)', '900 ms']);
    assert.deepEqual(caption(figures[3]), ['Score-CAM', 'tusker (class 101)', '12 ms', 'no positive evidence: all zero']);
    assert.ok(figures[3].classList.contains('no-evidence'));
    assert.equal(panel.$$('.gradcam-figures').length, 0, 'no single-map figures');

    assert.equal(panel.$$('.faithfulness').length, 0, 'no faithfulness unless measured');

    // The next single-map result goes back to the overlay and the heatmap, and frees the row's images.
    const rowUrls = images.map((image) => image.src);
    panel.send({ type: 'gradCamResult', runId: 3, result: result([mapInfo('gradcam')]) });
    assert.equal(panel.$$('.cam-row').length, 0);
    assert.equal(panel.$$('.gradcam-figures').length, 1);
    for (const url of rowUrls) assert.ok(panel.revoked.includes(url), 'the row’s object URLs are revoked');
  });

  it('measures faithfulness when asked, and shows each map’s curves and numbers beside the baselines', () => {
    panel = loadWebview(bundle, { view: 'gradcam' });
    panel.send({ type: 'gradCamSession', session: session({ methods: ['gradcam', 'saliency'] }) });
    const box = panel.$<HTMLInputElement>('#gradcam-faithfulness');
    assert.equal(box.checked, false);
    panel.posted.length = 0;
    box.checked = true;
    box.dispatchEvent(new panel.window.Event('change', { bubbles: true }));
    assert.deepEqual(panel.posted, [{ type: 'explain', faithfulness: true }]);

    const curve = (auc: number, start: number) => ({ fractions: [0, 0.5, 1], scores: [start, start / 2, 0], auc });
    const measures = (deletion: number, insertion: number, roadGap: number) => ({ deletion: curve(deletion, 0.8), insertion: curve(insertion, 0.6), roadGap });
    const faithfulness = {
      map: measures(0.2, 0.7, 0.4),
      random: measures(0.5, 0.5, 0.1),
      edges: measures(0.3, 0.8, 0.2),
      beatsRandom: { deletion: true, insertion: true, road: true },
      beatsEdges: { deletion: true, insertion: false, road: true },
      ms: 100,
    };
    panel.send({ type: 'gradCamSession', session: session({ runId: 4, methods: ['gradcam', 'saliency'], faithfulness: true }) });
    assert.equal(box.checked, true);
    panel.send({ type: 'gradCamResult', runId: 4, result: result([mapInfo('gradcam', { faithfulness }), mapInfo('saliency', { heatmapSize: [224, 224], faithfulness })]) });
    const blocks = panel.$$('.cam-row-figure .faithfulness');
    assert.equal(blocks.length, 2, 'one per map');
    const plots = blocks[0].querySelectorAll('svg.faith-plot');
    assert.equal(plots.length, 2, 'deletion and insertion');
    assert.deepEqual(
      [...plots[0].querySelectorAll('polyline')].map((line) => line.getAttribute('class')),
      ['faith-curve faith-random', 'faith-curve faith-edges', 'faith-curve faith-map'],
    );
    assert.equal(plots[0].querySelector('.faith-map')!.getAttribute('points'), '1.0,1.0 48.0,24.0 95.0,47.0', 'the map’s deletion curve: its top is the highest score of the three');
    const lines = [...blocks[0].querySelectorAll('.faith-measures li')];
    assert.deepEqual(
      lines.map((line) => line.className),
      ['faith-better', 'faith-worse', 'faith-better'],
    );
    assert.equal(text(lines[1]), 'insertion AUC 0.700 ✗ (higher is better; random 0.500, edges 0.800)');
  });

  it('shows a run’s maps as they arrive, in their places, until the result replaces them', () => {
    panel = loadWebview(bundle, { view: 'gradcam' });
    panel.send({ type: 'gradCamSession', session: session({ methods: ['gradcam', 'scorecam', 'eigencam'] }) });
    const view = (method: ExplainMethod, index: number) => ({ info: mapInfo(method), heatmapPng: fakePng(70 + index), overlayPng: fakePng(80 + index) });
    panel.send({ type: 'gradCamMap', runId: 3, index: 2, total: 3, map: view('eigencam', 2) });
    panel.send({ type: 'gradCamMap', runId: 3, index: 0, total: 3, map: view('gradcam', 0) });
    // A map of an earlier run is ignored.
    panel.send({ type: 'gradCamMap', runId: 2, index: 1, total: 3, map: view('scorecam', 1) });
    assert.match(text(panel.$('.gradcam-result .placeholder')), /^2 of 3 maps computed/);
    assert.deepEqual(
      panel.$$('.cam-row figure').map((figure) => figure.dataset.method),
      ['gradcam', 'eigencam'],
    );
    assert.deepEqual(
      panel.$$<HTMLImageElement>('.cam-row img').map((image) => panel.blobs.get(image.src)?.size),
      [80, 82],
    );
    panel.send({ type: 'gradCamResult', runId: 3, result: result([mapInfo('gradcam'), mapInfo('scorecam'), mapInfo('eigencam')]) });
    assert.equal(panel.$$('.gradcam-result .placeholder').length, 0);
    assert.equal(panel.$$('.cam-row figure').length, 3);
    assert.equal(panel.$$('.predictions button.prediction').length, 2, 'the result has the predictions');
  });
});
