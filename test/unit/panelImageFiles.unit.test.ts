// Where a panel's image comes from besides the picker (a dropped URI, pasted bytes kept in the
// extension's storage), the header's thumbnail, and the order of the image picker.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAX_RECENT_IMAGES, orderImageChoices, withRecentImage } from '../../src/host/imageChoices';
import { MAX_THUMBNAIL_FILE_BYTES, droppedImagePath, readImageThumbnail, storePastedImage } from '../../src/host/panel/imageFiles';

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('panel images: dropped, pasted and shown', function () {
  let folder: string;

  beforeEach(async function () {
    folder = await mkdtemp(path.join(os.tmpdir(), 'convscope-images-'));
  });

  afterEach(async function () {
    await rm(folder, { recursive: true, force: true });
  });

  it('takes a dropped file: or vscode-remote: URI of an image as its path, and says why it refuses others', function () {
    const file = path.join(folder, 'a cat.png');
    assert.deepEqual(droppedImagePath(pathToFileURL(file).href), { path: file });
    assert.deepEqual(droppedImagePath('vscode-remote://localhost:8080/work/dog%20one.JPG'), { path: '/work/dog one.JPG' });
    assert.match((droppedImagePath('https://example.com/cat.png') as { refused: string }).refused, /^https URIs cannot be read/);
    assert.match((droppedImagePath(pathToFileURL(path.join(folder, 'notes.txt')).href) as { refused: string }).refused, /is not an image Convscope reads/);
    assert.match((droppedImagePath('not a uri') as { refused: string }).refused, /is not a file URI/);
  });

  it('keeps pasted bytes in the storage folder under their name and hash, once, and never elsewhere', async function () {
    const storage = path.join(folder, 'global-storage', 'pasted-images');
    const first = await storePastedImage(storage, 'my cat (1).png', { bytes: PNG_BYTES, mimeType: 'image/png' });
    assert.equal(path.dirname(first), storage);
    assert.match(path.basename(first), /^my_cat_1_-[0-9a-f]{12}\.png$/);
    assert.deepEqual(new Uint8Array(await readFile(first)), PNG_BYTES);
    const again = await storePastedImage(storage, 'my cat (1).png', { bytes: PNG_BYTES, mimeType: 'image/png' });
    assert.equal(again, first, 'the same image pasted twice is one file');
    const jpeg = await storePastedImage(storage, '../../etc/passwd', { bytes: new Uint8Array([0xff, 0xd8, 0xff]), mimeType: 'image/jpeg' });
    assert.equal(path.dirname(jpeg), storage, 'a name cannot lead out of the storage folder');
    assert.match(path.basename(jpeg), /^passwd-[0-9a-f]{12}\.jpg$/);
    assert.match(path.basename(await storePastedImage(storage, '', { bytes: new Uint8Array([1]), mimeType: 'image/gif' })), /^pasted-[0-9a-f]{12}\.gif$/, 'a clipboard image without a name');
    assert.equal((await readdir(storage)).length, 3, 'no temporary file is left');
    assert.deepEqual(await readdir(folder), ['global-storage']);
  });

  it('refuses a pasted item that is not an image Convscope reads, or is empty', async function () {
    await assert.rejects(storePastedImage(folder, 'a.svg', { bytes: PNG_BYTES, mimeType: 'image/svg+xml' }), /image\/svg\+xml is not an image Convscope reads/);
    await assert.rejects(storePastedImage(folder, 'a.png', { bytes: new Uint8Array(0), mimeType: 'image/png' }), /empty/);
    assert.deepEqual(await readdir(folder), []);
  });

  it('shows the image file itself as the thumbnail when a browser can and it is small', async function () {
    const png = path.join(folder, 'cat.png');
    await writeFile(png, PNG_BYTES);
    const thumbnail = await readImageThumbnail(png);
    assert.deepEqual(thumbnail, { bytes: PNG_BYTES, mimeType: 'image/png' });
    assert.equal(thumbnail?.bytes.constructor, Uint8Array, 'a plain Uint8Array, which VS Code passes to the webview as bytes (a Buffer it would send as JSON)');
    const tiff = path.join(folder, 'scan.tiff');
    await writeFile(tiff, PNG_BYTES);
    assert.equal(await readImageThumbnail(tiff), undefined, 'a browser shows no TIFF');
    const large = path.join(folder, 'large.jpg');
    await writeFile(large, new Uint8Array(MAX_THUMBNAIL_FILE_BYTES + 1));
    assert.equal(await readImageThumbnail(large), undefined);
    assert.equal(await readImageThumbnail(path.join(folder, 'missing.png')), undefined);
  });
});

describe('image picker order', function () {
  it('lists the images beside the model first, then recent ones, then the workspace, each once', function () {
    const choices = orderImageChoices({
      beside: ['/m/zebra.png', '/m/cat.png'],
      recent: ['/other/dog.png', '/m/cat.png', '/w/bird.png'],
      workspace: ['/w/bird.png', '/w/ant.png', '/m/zebra.png', '/other/dog.png'],
    });
    assert.deepEqual(
      choices.map((choice) => `${choice.group} ${choice.filePath}`),
      ['beside /m/cat.png', 'beside /m/zebra.png', 'recent /other/dog.png', 'recent /w/bird.png', 'workspace /w/ant.png'],
    );
    assert.ok(choices.every((choice) => !choice.lastUsed));
  });

  it('puts the image used last first in its group, and lists it even when it is nowhere else', function () {
    const beside = orderImageChoices({ beside: ['/m/a.png', '/m/b.png'], recent: [], workspace: [], lastUsed: '/m/b.png' });
    assert.deepEqual(beside.map((choice) => [choice.filePath, choice.lastUsed]), [['/m/b.png', true], ['/m/a.png', false]]);
    const pasted = orderImageChoices({ beside: ['/m/a.png'], recent: ['/w/c.png'], workspace: [], lastUsed: '/storage/pasted-1.png' });
    assert.deepEqual(pasted.map((choice) => `${choice.group} ${choice.filePath}`), ['beside /m/a.png', 'recent /storage/pasted-1.png', 'recent /w/c.png']);
  });

  it('keeps a short most-recently-used list of images', function () {
    assert.deepEqual(withRecentImage(['/a', '/b'], '/b'), ['/b', '/a']);
    const long = Array.from({ length: MAX_RECENT_IMAGES }, (_, i) => `/${i}`);
    assert.deepEqual(withRecentImage(long, '/new'), ['/new', ...long.slice(0, MAX_RECENT_IMAGES - 1)]);
  });
});
