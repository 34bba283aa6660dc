// Finding the example model the extension ships, and the sample image it opens with.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXAMPLE_MODEL_FOLDER, findExampleModel } from '../../src/host/exampleModel';

describe('example model', function () {
  let extension: string;
  let folder: string;

  beforeEach(function () {
    extension = mkdtempSync(path.join(tmpdir(), 'convscope-extension-'));
    folder = path.join(extension, EXAMPLE_MODEL_FOLDER);
  });

  afterEach(function () {
    rmSync(extension, { recursive: true, force: true });
  });

  it('is absent when the extension folder does not hold it', function () {
    assert.equal(findExampleModel(extension), undefined);
  });

  it('opens with the first sample samples.json lists that exists', function () {
    mkdirSync(folder, { recursive: true });
    for (const file of ['model.json', 'circle-1.png', 'square-1.png']) writeFileSync(path.join(folder, file), '');
    writeFileSync(
      path.join(folder, 'samples.json'),
      JSON.stringify([{ file: '../outside.png' }, { file: 'missing.png' }, { file: 'square-1.png' }, { file: 'circle-1.png' }]),
    );
    assert.deepEqual(findExampleModel(extension), { modelPath: path.join(folder, 'model.json'), imagePath: path.join(folder, 'square-1.png') });
  });

  it('falls back to the first image in the folder, or to none', function () {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'model.json'), '');
    writeFileSync(path.join(folder, 'samples.json'), '{ not json');
    assert.deepEqual(findExampleModel(extension), { modelPath: path.join(folder, 'model.json') });
    for (const file of ['triangle-1.png', 'circle-2.jpg', 'notes.txt']) writeFileSync(path.join(folder, file), '');
    assert.deepEqual(findExampleModel(extension), { modelPath: path.join(folder, 'model.json'), imagePath: path.join(folder, 'circle-2.jpg') });
  });

  it('finds the example this repository ships, when it is there', function () {
    const repoRoot = path.resolve(__dirname, '..', '..');
    const example = findExampleModel(repoRoot);
    if (!example) this.skip();
    assert.equal(example.modelPath, path.join(repoRoot, 'examples', 'shapes', 'model.json'));
    assert.ok(example.imagePath?.endsWith('.png'));
  });
});
