// The filter-pattern panel's words and example crops, in jsdom on the real webview bundle: every
// tile shows its mean activation before → after; a tile the ascent did not raise, or whose filter
// fires on no real image, says so in words (never "dead", the activation view's word for a constant
// channel); each pattern's row shows the crops of the example images that excite its filter most.
import assert from 'node:assert/strict';
import type { FilterExampleCrop, FilterPatternImage } from '../../src/shared/types';
import type { FilterPanelSession } from '../../src/shared/protocol';
import { filterGridLayout } from '../../src/shared/filterGridLayout';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../src/shared/defaults';
import { buildWebviewBundle, fakePng, loadWebview, type WebviewPage } from '../support/webviewHarness';

let bundle: string;

before(async () => {
  bundle = await buildWebviewBundle();
});

const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();

function session(overrides: Partial<FilterPanelSession> = {}): FilterPanelSession {
  const filters = overrides.filters ?? [0, 1, 2, 3];
  return {
    runId: 3,
    modelPath: '/work/models/fer/fer.hdf5',
    modelName: 'fer',
    layerIndex: 4,
    layerName: 'conv2d_2',
    filterCount: 8,
    filters,
    grid: filterGridLayout(filters.length, 64),
    parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS },
    preprocess: 'rescale',
    exampleSource: { description: "the workspace's images", imageCount: 5 },
    ...overrides,
  };
}

function crop(image: string, activation: number, byte: number): FilterExampleCrop {
  return { image, activation, crop: { x: 3, y: 4, width: 7, height: 7 }, png: fakePng(byte) };
}

function tile(index: number, overrides: Partial<FilterPatternImage> = {}): FilterPatternImage {
  return {
    layerIndex: 4,
    layerName: 'conv2d_2',
    filter: index,
    tile: index,
    size: 64,
    lossStart: 0.02,
    lossEnd: 3.5,
    steps: 40,
    dead: false,
    verdict: 'raised',
    verdictText: 'Raised its mean activation 0.02 → 3.5; 4.2× the best of 5 real images (face.png: 0.83).',
    realImages: { count: 5, bestActivation: 0.83, bestImage: '/work/images/face.png', gain: 4.2 },
    png: fakePng(40 + index),
    ...overrides,
  };
}

const button = (panel: WebviewPage, index: number) => panel.$<HTMLButtonElement>(`.filter-tile[data-tile="${index}"]`);

describe('filter-pattern panel: verdicts in words and example crops', () => {
  let panel: WebviewPage;

  afterEach(() => {
    assert.deepEqual(panel.errors, [], 'the page logged no errors');
    panel.window.close();
  });

  it('shows every tile’s mean activation before → after, and the verdicts other than raised in words', () => {
    panel = loadWebview(bundle, { view: 'filters' });
    panel.send({ type: 'filterSession', session: session() });
    panel.send({ type: 'filterTile', runId: 3, tile: tile(0) });
    panel.send({
      type: 'filterTile',
      runId: 3,
      tile: tile(1, { lossStart: 0.5, lossEnd: 0.51, verdict: 'not raised', verdictText: 'The ascent did not raise its mean activation meaningfully (0.5 → 0.51), so the pattern says little about this filter.' }),
    });
    panel.send({
      type: 'filterTile',
      runId: 3,
      tile: tile(2, { lossStart: -1, lossEnd: 2, verdict: 'silent on real images', verdictText: 'Its mean activation is 0 or less on every one of the 5 real images compared.', realImages: { count: 5, bestActivation: -0.2, bestImage: '/work/images/a.png' } }),
    });

    assert.equal(text(button(panel, 0).querySelector('.filter-tile-objective')), '0.02 → 3.5');
    assert.equal(button(panel, 0).querySelector('.filter-tile-badge'), null, 'a raised tile needs no words');
    assert.equal(text(button(panel, 1).querySelector('.filter-tile-objective')), '0.5 → 0.51');
    assert.equal(text(button(panel, 1).querySelector('.filter-tile-badge')), 'not raised');
    assert.equal(button(panel, 1).getAttribute('aria-label'), 'filter 1 · mean activation 0.5 → 0.51 · not raised');
    assert.equal(text(button(panel, 2).querySelector('.filter-tile-badge')), 'silent on real images');
    assert.ok(button(panel, 2).classList.contains('silent-on-real-images'));
    assert.equal(button(panel, 2).classList.contains('flat'), false, 'only a filter nothing moved is drawn flat');
    assert.equal(
      text(panel.$('.filter-summary')),
      "3 of 4 filters done · 1 not raised (the ascent did not raise the filter's mean activation meaningfully) · 1 silent on real images (the filter's mean activation is 0 or less on every image compared)",
    );
    assert.doesNotMatch(text(panel.$('.filter-panel')), /\bdead\b/i, 'the filter panel never says "dead"');

    button(panel, 1).click();
    assert.match(text(panel.$('.filter-dialog .filter-verdict-note')), /^The ascent did not raise its mean activation meaningfully \(0\.5 → 0\.51\)/);
    assert.ok(panel.$('.filter-dialog .filter-verdict-note').classList.contains('warning'));
    assert.equal(text(panel.$('.filter-dialog .filter-best-real')), '0.83 (face.png, best of 5)');
  });

  it('streams each pattern’s row of example crops with their activation, and shows them in the enlarged view', () => {
    panel = loadWebview(bundle, { view: 'filters' });
    panel.send({ type: 'filterSession', session: session() });
    assert.equal(text(panel.$('.filter-example-source')), "the workspace's images (5)");
    const rows = panel.$$('.filter-example-row');
    assert.equal(rows.length, 4);
    assert.ok(rows.every((row) => row.classList.contains('waiting')));
    assert.match(text(panel.$('.filter-examples-source')), /crops of the workspace's images \(5 images\)/);

    panel.send({ type: 'filterTile', runId: 3, tile: tile(2, { examples: [crop('/work/images/face.png', 2.25, 90), crop('/work/images/cat.jpg', 1.5, 91)] }) });
    const row = panel.$('.filter-example-row[data-filter="2"]');
    assert.ok(row.classList.contains('shown'));
    const pattern = row.querySelector<HTMLImageElement>('img.filter-example-pattern');
    assert.equal(pattern?.src, button(panel, 2).querySelector('img')?.src, 'the pattern beside its crops is the tile’s image');
    const figures = [...row.querySelectorAll('figure.filter-example')];
    assert.deepEqual(
      figures.map((figure) => text(figure.querySelector('figcaption'))),
      ['2.25 face.png', '1.5 cat.jpg'],
    );
    const cropImage = figures[0].querySelector<HTMLImageElement>('img')!;
    assert.equal(cropImage.width, 49, 'a 7-pixel crop is enlarged by a whole factor to at least 48 px');
    assert.equal(panel.blobs.get(cropImage.src)?.type, 'image/png');
    assert.ok(panel.$('.filter-example-row[data-filter="0"]').classList.contains('waiting'), 'other rows wait for their tiles');

    panel.send({ type: 'filterTile', runId: 3, tile: tile(3, { examples: [] }) });
    assert.match(text(panel.$('.filter-example-row[data-filter="3"]')), /fires on none of the 5 images/);

    button(panel, 2).click();
    assert.deepEqual(
      panel.$$('.filter-dialog .filter-example figcaption').map((caption) => text(caption)),
      ['2.25 face.png', '1.5 cat.jpg'],
    );
    const dialogCrop = panel.$<HTMLImageElement>('.filter-dialog .filter-example img');
    panel.$<HTMLButtonElement>('.filter-dialog-close').click();
    assert.ok(panel.revoked.includes(dialogCrop.src), 'the dialog frees its crops when it closes');
  });

  it('asks the host for another folder of example images', () => {
    panel = loadWebview(bundle, { view: 'filters' });
    const choose = panel.$<HTMLButtonElement>('[data-action="chooseFilterExampleFolder"]');
    assert.equal(choose.disabled, true, 'nothing to rerun before a session');
    panel.send({ type: 'filterSession', session: session({ exampleSource: undefined }) });
    assert.equal(panel.$$('.filter-examples').length, 0, 'no rows without example images');
    assert.match(text(panel.$('.filter-example-source')), /no images found: choose a folder/);
    panel.posted.length = 0;
    choose.click();
    assert.deepEqual(panel.posted, [{ type: 'chooseFilterExampleFolder' }]);
  });
});
