import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { CLI_PATH, ensureBuilt } from '../support/builtBundles';
import { buildCatsVsDogsConvnet, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { snapshotFolder } from '../support/folderSnapshot';

function runCli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Parses a .npy v1.0 file written by the CLI: returns its header dict text and float32 data. */
function parseNpy(bytes: Buffer): { header: string; data: Float32Array } {
  assert.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const body = bytes.subarray(10 + headerLength);
  return { header, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) };
}

describe('convscope CLI', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildCatsVsDogsConvnet();
    modelPath = await writeModel(model, dir, 'cats-dogs');
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'input.png'), 200, 160);
  });
  after(() => removeDir(dir));

  it('prints a Keras-style summary, and JSON with --json', function () {
    const text = runCli(['summary', modelPath], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Model: "cats_and_dogs_small"/);
    assert.match(text.stdout, /conv2d_\w+ \(Conv2D\)\s+\(None, 148, 148, 32\)\s+896/);
    assert.match(text.stdout, /Total params: 3,453,121/);
    const json = runCli(['summary', modelPath, '--json'], dir);
    const summary = JSON.parse(json.stdout);
    assert.equal(summary.layers.length, 12);
    assert.equal(summary.totalParams, 3453121);
    assert.deepEqual(summary.inputShape, [150, 150, 3]);
  });

  it('writes one PNG per layer, result.json and raw .npy activations', async function () {
    const out = path.join(dir, 'out-raw');
    const run = runCli(['activations', modelPath, imagePath, '--out', out, '--raw', '--backend', 'wasm'], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.tool, 'convscope');
    assert.equal(result.backend, 'wasm');
    assert.equal(result.preprocess, 'rescale');
    assert.equal(result.layers.length, 8);
    assert.deepEqual(result.layers[7].shape, [1, 7, 7, 128]);
    for (const layer of result.layers) {
      const meta = await sharp(path.join(out, layer.png)).metadata();
      const [, h, w, c] = layer.shape;
      const columns = Math.min(16, c);
      const rows = Math.ceil(c / 16);
      assert.deepEqual([meta.width, meta.height], [columns * w, rows * h], layer.png);
      const npy = parseNpy(await readFile(path.join(out, layer.npy)));
      assert.match(npy.header, new RegExp(`'descr': '<f4', 'fortran_order': False, 'shape': \\(${layer.shape.join(', ')}\\)`));
      assert.equal(npy.data.length, layer.shape.reduce((a: number, b: number) => a * b, 1));
      assert.ok(Math.abs(npy.data.reduce((a, b) => Math.min(a, b), Infinity) - layer.stats.min) < 1e-6);
    }
  });

  it('shows the named layers only, with --layers', async function () {
    const out = path.join(dir, 'out-named');
    const names = JSON.parse(runCli(['summary', modelPath, '--json'], dir).stdout).layers.map((layer: { name: string }) => layer.name);
    const run = runCli(['activations', modelPath, imagePath, '--out', out, '--layers', `${names[6]},${names[0]}`], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.deepEqual(result.layers.map((layer: { layerName: string }) => layer.layerName), [names[0], names[6]]);
  });

  it('exits 2 on bad usage', function () {
    for (const args of [[], ['activations', modelPath], ['summary', modelPath, '--preprocess'], ['activations', modelPath, imagePath, '--preprocess', 'bogus'], ['frobnicate']]) {
      const run = runCli(args, dir);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr + run.stdout, /Usage:/);
    }
  });

  it('exits 3 with one line naming the file for bad input, and writes nothing', async function () {
    const brokenFolder = path.join(dir, 'broken');
    const brokenModel = buildTinyConvnet();
    const brokenPath = await writeModel(brokenModel, dir, 'broken');
    brokenModel.dispose();
    await writeFile(path.join(brokenFolder, 'group1-shard1of1.bin'), new Uint8Array(10));
    const notImage = path.join(dir, 'not-image.jpg');
    await writeFile(notImage, 'plain text');
    const denseOnly = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    const densePath = await writeModel(denseOnly, dir, 'dense-only');
    denseOnly.dispose();

    const before = await snapshotFolder(dir);
    const cases: [string[], string, RegExp][] = [
      [['activations', brokenPath, imagePath, '--out', path.join(dir, 'x1')], brokenPath, /hold 10 bytes but the manifest declares/],
      [['activations', modelPath, notImage, '--out', path.join(dir, 'x2')], notImage, /is not an image in a format Convscope reads/],
      [['activations', densePath, imagePath, '--out', path.join(dir, 'x3')], densePath, /no layer with a 4-D/],
      [['summary', path.join(dir, 'nope.json')], path.join(dir, 'nope.json'), /does not exist/],
    ];
    for (const [args, file, problem] of cases) {
      const run = runCli(args, dir);
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0].startsWith(`convscope: ${file}: `), lines[0]);
      assert.match(lines[0], problem);
    }
    assert.deepEqual(await snapshotFolder(dir), before, 'no file written or changed');
    assert.deepEqual((await readdir(dir)).filter((name) => /^x\d$/.test(name)), [], 'no output folder created');
  });

  it('never overwrites a file it did not write', async function () {
    const out = path.join(dir, 'user-folder');
    const first = runCli(['activations', modelPath, imagePath, '--out', out, '--first', '1'], dir);
    assert.equal(first.code, 0, first.stderr);
    // Its own earlier output may be replaced…
    assert.equal(runCli(['activations', modelPath, imagePath, '--out', out, '--first', '1'], dir).code, 0);
    // …but not a folder of someone else's files.
    const foreign = path.join(dir, 'foreign');
    const firstPng = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')).layers[0].png;
    await mkdir(foreign);
    await writeFile(path.join(foreign, firstPng), 'precious');
    const run = runCli(['activations', modelPath, imagePath, '--out', foreign, '--first', '1'], dir);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /already exists and was not written by convscope/);
    assert.equal(await readFile(path.join(foreign, firstPng), 'utf8'), 'precious');
  });
});
