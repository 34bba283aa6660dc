// The activations panel's Export: file names, the folder the dialog starts in, and no overwriting.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activationExportFileName, defaultExportFolder, safeFileNamePart } from '../../src/host/panel/activationExport';
import { writeNewFile } from '../../src/host/panel/exportFiles';

describe('activation export', function () {
  it('names each grid after the image, the layer index and the layer name', function () {
    assert.equal(activationExportFileName('/w/images/cat.1700.jpg', { layerIndex: 3, layerName: 'conv2d_2' }), 'cat.1700-03-conv2d_2.png');
    assert.equal(activationExportFileName('/w/a b.png', { layerIndex: 12, layerName: 'base/block1 conv' }), 'a_b-12-base_block1_conv.png');
    assert.equal(safeFileNamePart('../../etc'), '__.._etc', 'no path can be formed from a layer name');
    assert.equal(safeFileNamePart('<img src=x>'), '_img_src_x_');
    assert.equal(safeFileNamePart(''), '_');
  });

  it('starts the folder dialog in the image’s folder, except for images that ship with the extension', function () {
    const extension = path.join(path.sep, 'ext', 'convscope-0.1.0');
    const workspace = path.join(path.sep, 'w');
    assert.equal(defaultExportFolder(path.join(workspace, 'img', 'cat.png'), extension, workspace), path.join(workspace, 'img'));
    assert.equal(defaultExportFolder(path.join(extension, 'examples', 'shapes', 'circle-1.png'), extension, workspace), workspace);
    assert.equal(defaultExportFolder(path.join(extension, 'examples', 'shapes', 'circle-1.png'), extension, undefined), path.join(extension, 'examples', 'shapes'));
    assert.equal(defaultExportFolder(path.join(`${extension}-other`, 'x.png'), extension, workspace), `${extension}-other`, 'a sibling folder is not inside');
  });

  it('writes every grid under a new name, never over an existing file', async function () {
    const folder = mkdtempSync(path.join(tmpdir(), 'convscope-export-'));
    try {
      const existing = path.join(folder, 'cat-00-conv2d_1.png');
      writeFileSync(existing, 'mine');
      const layers = [
        { layerIndex: 0, layerName: 'conv2d_1', png: new Uint8Array([1]) },
        { layerIndex: 1, layerName: 'max_pooling2d_1', png: new Uint8Array([2]) },
      ];
      const written = [];
      for (const layer of layers) written.push(await writeNewFile(folder, activationExportFileName('/i/cat.png', layer), layer.png));
      assert.deepEqual(written.map((file) => path.basename(file)), ['cat-00-conv2d_1-1.png', 'cat-01-max_pooling2d_1.png']);
      assert.equal(readFileSync(existing, 'utf8'), 'mine');
      assert.deepEqual(readdirSync(folder).sort(), ['cat-00-conv2d_1-1.png', 'cat-00-conv2d_1.png', 'cat-01-max_pooling2d_1.png']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
