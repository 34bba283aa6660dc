import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classNameOf, loadClassNames, resolveClass } from '../../src/engine/analyses/classNames';
import { InputError } from '../../src/shared/errors';
import { IMAGENET_CLASS_NAMES } from '../../src/engine/analyses/imagenetClasses';
import { makeTempDir, removeDir } from '../support/engineFixtures';

describe('class names', function () {
  let dir: string;
  let count = 0;

  /** A fresh model folder holding `files`; returns its model.json path (the model file itself is not read). */
  async function modelWith(files: Record<string, string>): Promise<string> {
    const folder = path.join(dir, `model-${count++}`);
    await mkdir(folder);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(folder, name), text);
    return path.join(folder, 'model.json');
  }

  before(async () => {
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  it('reads labels.txt, dropping Teachable Machine’s "0 " prefixes', async function () {
    const plain = await loadClassNames(await modelWith({ 'labels.txt': 'cat\r\ndog\n\n' }), 2);
    assert.deepEqual(plain.names, ['cat', 'dog']);
    assert.equal(plain.source, 'file');
    const numbered = await loadClassNames(await modelWith({ 'labels.txt': '0 Class 1\n1 Class 2\n' }), 2);
    assert.deepEqual(numbered.names, ['Class 1', 'Class 2']);
  });

  it('reads metadata.json labels, class_names.json and labels.json in that order, skipping files that do not fit', async function () {
    const modelPath = await modelWith({
      'labels.txt': 'only\none\nextra\nline\n',
      'metadata.json': JSON.stringify({ tfjsVersion: '1.3.1', labels: ['a', 'b', 'c'] }),
      'class_names.json': '["x", "y", "z"]',
    });
    const names = await loadClassNames(modelPath, 3);
    assert.deepEqual(names.names, ['a', 'b', 'c']);
    assert.equal(names.file, path.join(path.dirname(modelPath), 'metadata.json'));
    assert.equal(names.notes.length, 1);
    assert.match(names.notes[0], /labels\.txt has 4 labels but the model has 3 classes; not used/);
    const indexed = await loadClassNames(await modelWith({ 'labels.json': '{"0": ["n01", "tench"], "1": "goldfish"}' }), 2);
    assert.deepEqual(indexed.names, ['tench', 'goldfish']);
    const broken = await loadClassNames(await modelWith({ 'class_names.json': '{not json', 'labels.json': '["p", "q"]' }), 2);
    assert.deepEqual(broken.names, ['p', 'q']);
    assert.match(broken.notes[0], /class_names\.json: is not valid JSON/);
  });

  it('falls back to the ImageNet names for 1000 classes, else to indices', async function () {
    const imagenet = await loadClassNames(await modelWith({}), 1000);
    assert.equal(imagenet.source, 'imagenet');
    assert.equal(IMAGENET_CLASS_NAMES.length, 1000);
    assert.deepEqual([0, 1, 386, 999].map((index) => classNameOf(imagenet, index)), ['tench', 'goldfish', 'African_elephant', 'toilet_tissue']);
    const none = await loadClassNames(await modelWith({}), 5);
    assert.equal(none.source, 'index');
    assert.equal(classNameOf(none, 3), '3');
  });

  it('does not follow a labels file that links out of the model’s folder', async function () {
    const outside = path.join(dir, 'secret.txt');
    await writeFile(outside, 'a\nb\n');
    const modelPath = await modelWith({});
    await symlink(outside, path.join(path.dirname(modelPath), 'labels.txt'));
    const names = await loadClassNames(modelPath, 2);
    assert.equal(names.source, 'index');
    assert.match(names.notes[0], /names a file that links outside the model's folder \(labels\.txt\); not used/);
  });

  it('holds an explicit labels file to the class count', async function () {
    const file = path.join(dir, 'mine.txt');
    await writeFile(file, 'one\ntwo\n');
    assert.deepEqual((await loadClassNames(await modelWith({ 'labels.txt': 'x\ny\n' }), 2, file)).names, ['one', 'two']);
    await assert.rejects(loadClassNames(await modelWith({}), 3, file), (error: InputError) => error.file === file && /has 2 labels but the model has 3 classes/.test(error.problem));
  });

  it('resolves a class by index or by name, refusing unknown and ambiguous names', async function () {
    const imagenet = await loadClassNames(await modelWith({}), 1000);
    assert.equal(resolveClass('386', imagenet, 1000, 'm.json'), 386);
    assert.equal(resolveClass('african elephant', imagenet, 1000, 'm.json'), 386);
    assert.throws(() => resolveClass('crane', imagenet, 1000, 'm.json'), /several classes named "crane" \(134, 517\)/);
    assert.throws(() => resolveClass('unicorn', imagenet, 1000, 'm.json'), (error: InputError) => error.file === 'm.json' && /no class named "unicorn"/.test(error.problem));
    assert.throws(() => resolveClass('1000', imagenet, 1000, 'm.json'), /there is no class 1000/);
    const none = await loadClassNames(await modelWith({}), 4);
    assert.throws(() => resolveClass('cat', none, 4, 'm.json'), /must be given as an index 0–3/);
  });
});
