// The status bar item's content: the model in front (else the one used last), its name and the
// backend, icons escaped, long names cut.
import assert from 'node:assert/strict';
import type { ModelSummary } from '../../src/shared/types';
import { MAX_STATUS_NAME_LENGTH, currentModelOf, escapeIcons, markUsed, modelStatusContent, truncateName } from '../../src/host/statusBar/modelStatus';
import type { OpenModel } from '../../src/host/tree/modelTreeModel';

function summary(modelPath: string, modelName: string): ModelSummary {
  return {
    modelPath,
    modelName,
    inputShape: [64, 64, 3],
    outputShape: [null, 3],
    layers: [],
    totalParams: 0,
    trainableParams: 0,
    nonTrainableParams: 0,
    defaultPreprocess: 'rescale',
  };
}

const loaded = (modelPath: string, modelName: string): OpenModel => ({ state: 'loaded', modelPath, summary: summary(modelPath, modelName) });

describe('model status bar content', function () {
  it('keeps a most-recently-used list', function () {
    assert.deepEqual(markUsed([], '/a'), ['/a']);
    assert.deepEqual(markUsed(['/a', '/b', '/c'], '/c'), ['/c', '/a', '/b']);
  });

  it('names the loaded model used last, else the last loaded, else none', function () {
    const models: OpenModel[] = [loaded('/a', 'a'), { state: 'loading', modelPath: '/b' }, loaded('/c', 'c'), { state: 'failed', modelPath: '/d', message: 'broken' }];
    assert.equal(currentModelOf(models, ['/a', '/c'])?.modelPath, '/a');
    assert.equal(currentModelOf(models, ['/b', '/d', '/c'])?.modelPath, '/c', 'loading and failed models are skipped');
    assert.equal(currentModelOf(models, [])?.modelPath, '/c');
    assert.equal(currentModelOf([{ state: 'loading', modelPath: '/b' }], ['/b']), undefined);
    assert.equal(currentModelOf([], []), undefined);
  });

  it('says $(layers) <model> · <backend>, and opens that model’s summary', function () {
    const content = modelStatusContent({ modelPath: '/w/shapes/model.json', summary: summary('/w/shapes/model.json', 'shapes') }, 'wasm', 1);
    assert.equal(content.text, '$(layers) shapes · wasm');
    assert.equal(content.modelPath, '/w/shapes/model.json');
    assert.match(content.tooltip, /^Convscope: shapes\n\/w\/shapes\/model\.json\nBackend: wasm\nClick for the model summary\.$/);
    const starting = modelStatusContent({ modelPath: '/m', summary: summary('/m', 'm') }, undefined, 3);
    assert.equal(starting.text, '$(layers) m · …');
    assert.match(starting.tooltip, /Backend: starting…\n3 models are open; this is the one in front/);
  });

  it('cuts a long model name with an ellipsis, keeping it whole in the tooltip', function () {
    const long = 'mobilenetv2_1.00_224_finetuned_on_cats_and_dogs';
    assert.equal(truncateName('short'), 'short');
    const cut = truncateName(long);
    assert.equal([...cut].length, MAX_STATUS_NAME_LENGTH);
    assert.ok(cut.endsWith('…') && long.startsWith(cut.slice(0, -1)));
    const content = modelStatusContent({ modelPath: '/m', summary: summary('/m', long) }, 'wasm', 1);
    assert.equal(content.text, `$(layers) ${cut} · wasm`);
    assert.match(content.tooltip, new RegExp(`^Convscope: ${long}\n`));
  });

  it('does not let a model name draw icons', function () {
    assert.equal(escapeIcons('$(zap) fast'), '\\$(zap) fast');
    const content = modelStatusContent({ modelPath: '/m', summary: summary('/m', '$(alert)x') }, 'cpu', 1);
    assert.equal(content.text, '$(layers) \\$(alert)x · cpu');
  });
});
