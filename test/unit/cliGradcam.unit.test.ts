import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { overlayHeatmap } from '../../src/render/heatmapOverlay';
import { CLI_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { snapshotFolder } from '../support/folderSnapshot';

function runCli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The float32 data and shape of a .npy v1.0 file. */
function parseNpy(bytes: Buffer): { shape: number[]; data: Float32Array } {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  assert.match(header, /'descr': '<f4', 'fortran_order': False/);
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').filter((part) => part.trim() !== '').map(Number);
  const body = bytes.subarray(10 + headerLength);
  return { shape, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) };
}

async function rawRgb(file: string): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data), width: info.width, height: info.height };
}

describe('convscope gradcam', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;
  let layerNames: string[];

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildTinyConvnet();
    layerNames = model.layers.map((layer) => layer.name);
    modelPath = await writeModel(model, dir, 'tiny');
    model.dispose();
    await writeFile(path.join(dir, 'tiny', 'labels.txt'), 'cat\ndog\nbird\n');
    imagePath = await writeTestImage(path.join(dir, 'photo.png'), 200, 160);
  });
  after(() => removeDir(dir));

  it('writes the heatmap, the overlay at the image’s own size, the raw heatmap and result.json', async function () {
    const out = path.join(dir, 'out');
    const run = runCli(['gradcam', modelPath, imagePath, '--out', out, '--raw', '--backend', 'wasm'], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.tool, 'convscope');
    assert.equal(result.backend, 'wasm');
    assert.equal(result.layer.name, layerNames[2], 'the last convolution');
    assert.deepEqual(result.heatmapSize, [13, 13]);
    assert.deepEqual(result.imageSize, [160, 200]);
    assert.equal(result.score, 'output');
    assert.equal(result.outputActivation, 'softmax');
    assert.deepEqual(result.classNames, { source: 'file', file: path.join(dir, 'tiny', 'labels.txt'), notes: [] });
    assert.deepEqual(result.predictions.map((p: { name: string }) => p.name).sort(), ['bird', 'cat', 'dog']);
    const scores = result.predictions.map((p: { score: number }) => p.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.deepEqual(result.targetClass, result.predictions[0]);
    assert.equal(result.scoreValue, result.targetClass.score);
    for (const key of ['loadModelMs', 'readImageMs', 'gradCamMs', 'renderMs']) assert.equal(typeof result.timings[key], 'number');
    assert.deepEqual(result.files, { heatmap: 'heatmap.png', overlay: 'overlay.png', npy: 'heatmap.npy' });
    assert.match(run.stdout, /Heatmap for "\w+" \(class \d\, score output\)/);

    const heatmapPng = await sharp(path.join(out, 'heatmap.png')).metadata();
    assert.deepEqual([heatmapPng.width, heatmapPng.height], [13 * 20, 13 * 20]);
    const npy = parseNpy(await readFile(path.join(out, 'heatmap.npy')));
    assert.deepEqual(npy.shape, [13, 13]);
    assert.ok(npy.data.every((value) => value >= 0 && value <= 1));
    // The overlay file is exactly the study notes' arithmetic on the raw heatmap and the original pixels.
    const overlay = await rawRgb(path.join(out, 'overlay.png'));
    const original = await rawRgb(imagePath);
    assert.deepEqual([overlay.width, overlay.height], [200, 160]);
    assert.deepEqual(overlay.pixels, overlayHeatmap(npy.data, 13, 13, original, { intensity: 0.4, colormap: 'jet' }));
  });

  it('explains a class given by name, with the logit score, another intensity and colormap', async function () {
    const out = path.join(dir, 'out-dog');
    const run = runCli(['gradcam', modelPath, imagePath, '--out', out, '--class', 'Dog', '--score', 'logit', '--alpha', '0.7', '--colormap', 'viridis', '--layer', layerNames[0]], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.deepEqual([result.targetClass.index, result.targetClass.name], [1, 'dog']);
    assert.equal(result.score, 'logit');
    assert.ok(Number.isFinite(result.scoreValue));
    assert.equal(result.intensity, 0.7);
    assert.equal(result.colormap, 'viridis');
    assert.equal(result.layer.name, layerNames[0]);
    assert.deepEqual(result.heatmapSize, [30, 30]);
    assert.equal(result.files.npy, undefined);
  });

  it('exits 3 with one line naming the file for an unknown class or layer, and writes nothing', async function () {
    const labels = path.join(dir, 'tiny', 'labels.txt');
    const before = await snapshotFolder(dir);
    const cases: [string[], string, RegExp][] = [
      [['--class', 'zebra'], labels, /has no class named "zebra"/],
      [['--class', '7'], modelPath, /has 3 classes \(0–2\); there is no class 7/],
      [['--layer', 'nope'], modelPath, /has no layer named "nope"/],
      [['--layer', layerNames[3]], modelPath, new RegExp(`layer "${layerNames[3]}" has output shape \\[null,676\\]; Grad-CAM needs a layer with one 4-D`)],
    ];
    for (const [options, file, problem] of cases) {
      const run = runCli(['gradcam', modelPath, imagePath, '--out', path.join(dir, 'x'), ...options], dir);
      assert.equal(run.code, 3, `${options.join(' ')}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0].startsWith(`convscope: ${file}: `), lines[0]);
      assert.match(lines[0], problem);
    }
    assert.deepEqual(await snapshotFolder(dir), before, 'no file written or changed');
    assert.ok(!(await readdir(dir)).includes('x'), 'no output folder created');
  });

  it('exits 2 on bad options', function () {
    for (const options of [['--alpha', '-1'], ['--alpha', 'strong'], ['--score', 'probability'], ['--colormap', 'rainbow']]) {
      const run = runCli(['gradcam', modelPath, imagePath, ...options], dir);
      assert.equal(run.code, 2, `${options.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /Usage:/);
    }
  });

  it('explains the example model’s sample with its class names', async function () {
    const examples = path.join(REPO_ROOT, 'examples', 'shapes');
    const samples = JSON.parse(await readFile(path.join(examples, 'samples.json'), 'utf8')) as { file: string; label: string }[];
    const sample = samples[0];
    const out = path.join(dir, 'out-example');
    const run = runCli(['gradcam', path.join(examples, 'model.json'), path.join(examples, sample.file), '--out', out, '--class', sample.label], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.targetClass.name, sample.label);
    assert.deepEqual(result.predictions.map((p: { name: string }) => p.name).sort(), ['circle', 'square', 'triangle']);
  });
});
