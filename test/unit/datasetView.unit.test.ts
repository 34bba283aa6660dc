// The Explain Folder panel's webview in jsdom: the real bundle, a fake acquireVsCodeApi, host
// messages as the panel sends them.
import assert from 'node:assert/strict';
import type { DatasetPanelSession } from '../../src/shared/protocol';
import type { DatasetImageResult, DatasetRunSummary } from '../../src/shared/types';
import { HOSTILE_NAME, buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;
before(async () => {
  bundle = await buildWebviewBundle();
});

const CLASSES = ['cat', 'dog', 'bird'];
const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
const nextFrame = (page: WebviewPage) => new Promise((resolve) => page.window.requestAnimationFrame(() => setTimeout(resolve, 0)));

function session(overrides: Partial<DatasetPanelSession> = {}): DatasetPanelSession {
  return {
    runId: 1,
    modelPath: '/models/pets/model.json',
    modelName: 'pets',
    folder: '/data/validation',
    classNames: CLASSES,
    classFolders: ['bird', 'cat', 'dog'],
    mapping: { folderToClass: { bird: 2, cat: 0, dog: 1 }, how: { bird: 'name', cat: 'name', dog: 'name' }, unmapped: [], needsConfirmation: false },
    imageCount: 0,
    imageBase: 'https://file+.vscode-resource.test/cache/run',
    ...overrides,
  };
}

/** `count` images cycling through the classes; every `wrongEvery`-th is taken for the next class. */
function images(count: number, wrongEvery = 4): DatasetImageResult[] {
  return Array.from({ length: count }, (_, i) => {
    const trueClass = i % 3;
    const wrong = i % wrongEvery === wrongEvery - 1;
    const predictedClass = wrong ? (trueClass + 1) % 3 : trueClass;
    return {
      relativePath: `${CLASSES[trueClass]}/${String(i).padStart(5, '0')}.jpg`,
      folderLabel: CLASSES[trueClass],
      trueClass,
      predictedClass,
      confidence: 0.5 + ((i * 37) % 50) / 100,
      correct: !wrong,
      thumbnail: `${i}.thumb.png`,
      ...(wrong ? { offCentre: ((i * 13) % 100) / 100, onBorder: 0.1, heatmapOverlay: `${i}.cam.png` } : {}),
      cached: false,
    };
  });
}

function start(page: WebviewPage, all: DatasetImageResult[], batch = 32): void {
  page.send({ type: 'status', runId: 1, status: { state: 'running', done: 0, total: all.length, unit: 'images', message: '' } });
  page.send({ type: 'datasetSession', session: session({ imageCount: all.length }) });
  for (let first = 0; first < all.length; first += batch) {
    page.send({ type: 'datasetImages', runId: 1, images: all.slice(first, first + batch), skipped: [] });
  }
}

function confusionOf(all: DatasetImageResult[]): number[][] {
  const counts = CLASSES.map(() => CLASSES.map(() => 0));
  for (const image of all) counts[image.trueClass!][image.predictedClass]++;
  return counts;
}

describe('Explain Folder view', () => {
  it('streams results into accuracy and a confusion matrix whose cells filter the gallery', async () => {
    const page = loadWebview(bundle, { view: 'dataset' });
    const all = images(90);
    start(page, all);
    await nextFrame(page);
    const expected = confusionOf(all);
    const correct = all.filter((image) => image.correct).length;
    assert.equal(text(page.$('.dataset-accuracy b')), `${((100 * correct) / all.length).toFixed(1)}%`);
    for (const [t, row] of expected.entries()) {
      for (const [p, count] of row.entries()) assert.equal(text(page.$(`.dataset-cell[data-true="${t}"][data-predicted="${p}"]`)), String(count));
    }
    page.$<HTMLButtonElement>('.dataset-cell[data-true="0"][data-predicted="1"]').click();
    await nextFrame(page);
    const tiles = page.$$('.dataset-tile');
    assert.equal(tiles.length, expected[0][1]);
    for (const tile of tiles) assert.match(tile.dataset.path!, /^cat\//);
    assert.match(text(page.$('.dataset-cell-chip')), /True cat, predicted dog/);
    page.$<HTMLButtonElement>('[data-action="clearCell"]').click();
    assert.equal(text(page.$('.dataset-count')), `${all.length} of ${all.length} images shown`);
    // What a reload needs to bring the panel back.
    assert.deepEqual(page.states.at(-1), { view: 'dataset', modelPath: '/models/pets/model.json', folder: '/data/validation' });
    assert.deepEqual(page.errors, []);
  });

  it('says what it restores after a reload, until the run starts again', () => {
    const page = loadWebview(bundle, { view: 'dataset', initialState: { view: 'dataset', modelPath: '/models/pets/model.json', folder: '/data/validation' } });
    assert.match(text(page.$('.session-header')), /Restoring \/models\/pets\/model\.json with the folder \/data\/validation/);
  });

  it('keeps only the rows in view in the page, for 10,000 images', async () => {
    const page = loadWebview(bundle, { view: 'dataset' });
    start(page, images(10_000), 500);
    await nextFrame(page);
    const first = page.$$('.dataset-tile');
    assert.ok(first.length > 0 && first.length <= 40, `${first.length} tiles in the page`);
    const gallery = page.$('.dataset-gallery');
    gallery.scrollTop = 100_000;
    gallery.dispatchEvent(new page.window.Event('scroll'));
    await nextFrame(page);
    const scrolled = page.$$('.dataset-tile');
    assert.ok(scrolled.length <= 40);
    assert.notEqual(scrolled[0].dataset.path, first[0].dataset.path);
    assert.match(page.$('.dataset-gallery-spacer').style.height, /^\d+px$/);
  });

  it('sorts errors with evidence furthest from the centre first, and filters by verdict, class, confidence and name', async () => {
    const page = loadWebview(bundle, { view: 'dataset' });
    const all = images(60);
    start(page, all);
    await nextFrame(page);
    const errors = all.filter((image) => !image.correct).sort((a, b) => b.offCentre! - a.offCentre!);
    assert.equal(page.$$('.dataset-tile')[0].dataset.path, errors[0].relativePath);
    const choose = (action: string, value: string) => {
      const select = page.$<HTMLSelectElement>(`select[data-action="${action}"]`);
      select.value = value;
      select.dispatchEvent(new page.window.Event('change'));
    };
    choose('filterVerdict', 'wrong');
    assert.deepEqual(page.$$('.dataset-tile').map((tile) => tile.dataset.path).sort(), errors.map((image) => image.relativePath).sort());
    for (const tile of page.$$('.dataset-tile')) assert.ok(tile.classList.contains('wrong'));
    choose('filterVerdict', 'all');
    choose('filterClass', '2');
    const shown = () => Number(/^(\d+) of/.exec(text(page.$('.dataset-count')))![1]);
    assert.equal(shown(), all.filter((image) => image.trueClass === 2 || image.predictedClass === 2).length);
    for (const tile of page.$$('.dataset-tile')) assert.match(text(tile), /bird/);
    choose('filterClass', '-1');
    choose('filterConfidence', 'high');
    assert.equal(shown(), all.filter((image) => image.confidence >= 0.9).length);
    choose('filterConfidence', 'all');
    choose('sort', 'confidenceAscending');
    const confidences = page.$$('.dataset-tile').map((tile) => all.find((image) => image.relativePath === tile.dataset.path)!.confidence);
    assert.deepEqual(confidences, [...confidences].sort((a, b) => a - b));
    const name = page.$<HTMLInputElement>('input[data-action="filterName"]');
    name.value = '00007';
    name.dispatchEvent(new page.window.Event('input'));
    assert.deepEqual(page.$$('.dataset-tile').map((tile) => tile.dataset.path), ['cat/00007.jpg'.replace('cat', CLASSES[7 % 3])]);
  });

  it('shows a clicked image beside the gallery with the map of the method chosen', async () => {
    const page = loadWebview(bundle, { view: 'dataset' });
    const all = images(12);
    start(page, all);
    await nextFrame(page);
    const wrong = all.find((image) => !image.correct)!;
    page.$<HTMLButtonElement>(`.dataset-tile[data-path="${wrong.relativePath}"]`).click();
    const request = page.posted.at(-1)!;
    assert.deepEqual(request, { type: 'explainDatasetImage', requestId: 1, relativePath: wrong.relativePath, method: 'gradcam' });
    assert.match(text(page.$('.dataset-detail-verdict')), /True cat · predicted dog .* wrong/);
    assert.ok(page.$('.dataset-tile.selected'));
    page.send({ type: 'datasetExplanation', explanation: { requestId: 1, relativePath: wrong.relativePath, method: 'gradcam', overlayPng: fakePng(), caption: 'Grad-CAM of “dog” (71.0%) at conv2d_4' } });
    const map = page.$<HTMLImageElement>('.dataset-map-image');
    assert.match(map.src, /^blob:/);
    assert.equal(text(page.$('.dataset-map figcaption')), 'Grad-CAM of “dog” (71.0%) at conv2d_4');

    const method = page.$<HTMLSelectElement>('select[data-action="method"]');
    method.value = 'scorecam';
    method.dispatchEvent(new page.window.Event('change'));
    assert.deepEqual(page.posted.at(-1), { type: 'explainDatasetImage', requestId: 2, relativePath: wrong.relativePath, method: 'scorecam' });
    // An answer to the older request is not shown over the newer one.
    page.send({ type: 'datasetExplanation', explanation: { requestId: 1, relativePath: wrong.relativePath, method: 'gradcam', overlayPng: fakePng() } });
    assert.equal(page.$$('.dataset-map-image').length, 0);
    page.send({ type: 'datasetExplanation', explanation: { requestId: 2, relativePath: wrong.relativePath, method: 'scorecam', message: 'model.json: cannot be explained' } });
    assert.equal(text(page.$('.dataset-map .error-text')), 'model.json: cannot be explained');
    page.$<HTMLButtonElement>('[data-action="openImage"]').click();
    assert.deepEqual(page.posted.at(-1), { type: 'openDatasetImage', relativePath: wrong.relativePath });
  });

  it('shows the mean error heatmaps, the skipped files, and a mapping to confirm; cancels the run', async () => {
    const page = loadWebview(bundle, { view: 'dataset' });
    page.send({ type: 'status', runId: 1, status: { state: 'running', done: 0, total: 2, unit: 'images', message: '' } });
    page.send({
      type: 'datasetSession',
      session: session({
        classFolders: ['a', HOSTILE_NAME],
        mapping: { folderToClass: { a: 0 }, how: { a: 'sortedOrder' }, unmapped: [HOSTILE_NAME], needsConfirmation: true },
      }),
    });
    page.send({ type: 'datasetImages', runId: 1, images: [], skipped: [{ relativePath: `${HOSTILE_NAME}/x.png`, reason: 'is not an image' }] });
    await nextFrame(page);
    assert.match(text(page.$('.dataset-mapping')), /a\/ → cat \(sorted order, as flow_from_directory\)/);
    assert.match(text(page.$('.dataset-mapping-note')), /guess/);
    assert.equal(page.document.querySelectorAll('img[src="x"]').length, 0);
    page.$<HTMLButtonElement>('[data-action="changeMapping"]').click();
    assert.deepEqual(page.posted.at(-1), { type: 'changeDatasetMapping' });
    page.$<HTMLButtonElement>('[data-action="chooseFolder"]').click();
    assert.deepEqual(page.posted.at(-1), { type: 'chooseDatasetFolder' });
    assert.match(text(page.$('.dataset-skipped')), /1 unreadable image, skipped/);

    const cancel = page.$<HTMLButtonElement>('[data-action="cancelRun"]');
    assert.equal(cancel.hidden, false);
    cancel.click();
    assert.deepEqual(page.posted.at(-1), { type: 'cancelRun', runId: 1 });

    const summary = { meanErrorHeatmaps: [{ classIndex: 1, errorCount: 3, png: 'mean-errors-class-1.png' }], heatmapLayer: 'conv2d_4' } as Partial<DatasetRunSummary>;
    page.send({ type: 'datasetSummary', runId: 1, summary: summary as DatasetRunSummary });
    const mean = page.$<HTMLImageElement>('.dataset-mean img');
    assert.equal(mean.getAttribute('src'), 'https://file+.vscode-resource.test/cache/run/mean-errors-class-1.png');
    assert.equal(text(page.$('.dataset-mean figcaption')), 'dog: 3 errors');
    page.send({ type: 'status', runId: 1, status: { state: 'failed', message: '/data/empty: holds no images' } });
    assert.equal(cancel.hidden, true);
    assert.match(text(page.$('.error-box')), /holds no images/);
  });
});
