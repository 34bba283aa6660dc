import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openLoadedModel } from '../../src/engine/loadedModel';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { CLI_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { writeShapesDataset, type WrittenDatasetImage } from '../support/datasetFixtures';

const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');
const CLASSES = ['circle', 'square', 'triangle'];

function runCli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** RFC 4180 rows (the writer quotes fields with commas, quotes or line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && char === '"') quoted = false;
    else if (quoted) field += char;
    else if (char === '"') quoted = true;
    else if (char === ',') endField();
    else if (char === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else field += char;
  }
  return rows;
}

describe('convscope dataset', function () {
  this.timeout(300_000);
  let dir: string;
  let dataFolder: string;
  let written: WrittenDatasetImage[];
  const predicted = new Map<string, number>();

  before(async () => {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir('convscope-dataset-cli-');
    dataFolder = path.join(dir, 'validation');
    written = await writeShapesDataset(dataFolder, { count: 24, seed: 11, mislabelEvery: 4, broken: ['corrupt.png'] });
    const loaded = await openLoadedModel(EXAMPLE_MODEL, DEFAULT_MODEL_LIMITS);
    try {
      for (const image of written) {
        const pixels = await readImageForModel(path.join(dataFolder, image.relativePath), { height: 64, width: 64, channels: 3 });
        const input = preprocessPixels(pixels.pixels, 3, loaded.summary.defaultPreprocess);
        const scores = tf.tidy(() => ((loaded.patternModel as tf.LayersModel).predict(tf.tensor4d(input, [1, 64, 64, 3])) as tf.Tensor).dataSync());
        predicted.set(image.relativePath, scores.indexOf(Math.max(...scores)));
      }
    } finally {
      loaded.dispose();
    }
  });
  after(() => removeDir(dir));

  it('writes predictions.csv, confusion.json and a self-contained report.html that agree with predictions made one by one', async () => {
    const out = path.join(dir, 'out');
    const run = runCli(['dataset', EXAMPLE_MODEL, dataFolder, '--out', out, '--cache', path.join(dir, 'cache'), '--batch', '5'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipped circle\/corrupt\.png: /);

    const [header, ...rows] = parseCsv(await readFile(path.join(out, 'predictions.csv'), 'utf8'));
    assert.deepEqual(header.slice(0, 8), ['path', 'folder', 'true_class', 'true_name', 'predicted_class', 'predicted_name', 'confidence', 'correct']);
    assert.equal(rows.length, written.length);
    const confusion = CLASSES.map(() => CLASSES.map(() => 0));
    let correct = 0;
    for (const image of written) {
      const row = rows.find((candidate) => candidate[0] === image.relativePath);
      assert.ok(row, image.relativePath);
      const expected = predicted.get(image.relativePath)!;
      const trueClass = CLASSES.indexOf(image.folderLabel);
      assert.equal(Number(row[4]), expected, image.relativePath);
      assert.equal(row[5], CLASSES[expected]);
      assert.equal(row[7], String(expected === trueClass));
      confusion[trueClass][expected]++;
      if (expected === trueClass) correct++;
    }

    const json = JSON.parse(await readFile(path.join(out, 'confusion.json'), 'utf8'));
    assert.deepEqual(json.confusion, confusion);
    assert.deepEqual(json.classNames, CLASSES);
    assert.equal(json.accuracy, correct / written.length);
    assert.deepEqual(json.skipped.map((skip: { relativePath: string }) => skip.relativePath), ['circle/corrupt.png']);

    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script/i);
    // Nothing is fetched: every URL is a data URI or an in-page link.
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"|url\("([^"]*)"\)/g)) if (url !== undefined) assert.match(url, /^(#|data:)/, url);
    for (const [, url] of html.matchAll(/url\("([^"]*)"\)/g)) assert.match(url, /^data:image\/png;base64,/);
    assert.match(html, new RegExp(`id="accuracy">${((100 * correct) / written.length).toFixed(1)}%`));
    // Every count in the matrix, and each links to a section of its images.
    for (const [t, row] of confusion.entries()) {
      for (const [p, count] of row.entries()) {
        if (count === 0) continue;
        assert.match(html, new RegExp(`<a href="#cell-${t}-${p}">${count}</a>`));
        assert.match(html, new RegExp(`<section id="cell-${t}-${p}"`));
      }
    }
    const errors = rows.filter((row) => row[7] === 'false');
    assert.ok(errors.length >= written.length / 4 - 1);
    for (const row of errors) {
      assert.notEqual(row[8], '', `${row[0]} has an off-centre score`);
      assert.ok(html.includes(`aria-label="Grad-CAM of ${row[5]}"`));
    }
    assert.match(html, /mean of \d+ error/);
    assert.match(html, /corrupt\.png<\/code>: /);

    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.deepEqual(Object.keys(result.written).sort(), ['confusion.json', 'predictions.csv', 'report.html']);
  });

  it('reads the second run from the cache, and maps folders as told by --map', async () => {
    const cache = path.join(dir, 'cache');
    const out = path.join(dir, 'out-mapped');
    const run = runCli(['dataset', EXAMPLE_MODEL, dataFolder, '--out', out, '--cache', cache, '--map', 'circle=square,square=0'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`${written.length} of ${written.length + 1} images predicted \\(${written.length} from the cache\\)`));
    const json = JSON.parse(await readFile(path.join(out, 'confusion.json'), 'utf8'));
    assert.deepEqual(json.mapping.folderToClass, { circle: 1, square: 0, triangle: 2 });
    assert.equal(json.mapping.how.circle, 'given');
  });

  it('says so for a folder with no images, and writes nothing', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(path.join(empty, 'cats'), { recursive: true });
    await writeFile(path.join(empty, 'cats', 'notes.txt'), 'no images');
    const out = path.join(dir, 'out-empty');
    const run = runCli(['dataset', EXAMPLE_MODEL, empty, '--out', out, '--cache', path.join(dir, 'cache')], dir);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /empty: holds no images/);
    assert.equal(await readFile(path.join(out, 'report.html')).catch(() => undefined), undefined);
  });
});
