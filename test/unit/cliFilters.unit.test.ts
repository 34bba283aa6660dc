import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { CLI_PATH, ensureBuilt } from '../support/builtBundles';
import { buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { snapshotFolder } from '../support/folderSnapshot';

function runCli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The header dict text and float32 data of a .npy v1.0 file. */
function parseNpy(bytes: Buffer): { header: string; data: Float32Array } {
  const headerLength = bytes.readUInt16LE(8);
  const body = bytes.subarray(10 + headerLength);
  return { header: bytes.subarray(10, 10 + headerLength).toString('latin1'), data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) };
}

describe('convscope filters', function () {
  let dir: string;
  let modelPath: string;
  let conv1: string;
  let pool: string;
  let conv2: string;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildTinyConvnet();
    [conv1, pool, conv2] = model.layers.map((layer) => layer.name);
    modelPath = await writeModel(model, dir, 'tiny');
    model.dispose();
  });
  after(() => removeDir(dir));

  it('writes the grid, one PNG per filter, result.json and the raw images', async function () {
    const out = path.join(dir, 'out');
    const run = runCli(['filters', modelPath, '--layer', conv1, '--filters', '0-2,6', '--size', '24', '--steps', '10', '--preset', 'chollet', '--preprocess', 'tf', '--raw', '--backend', 'wasm', '--out', out], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.tool, 'convscope');
    assert.equal(result.backend, 'wasm');
    assert.equal(result.preprocess, 'tf');
    assert.deepEqual([result.parameters.preset, result.parameters.size, result.parameters.steps, result.parameters.stepSize], ['chollet', 24, 10, 1]);
    assert.deepEqual(result.filters.map((filter: { filter: number }) => filter.filter), [0, 1, 2, 6]);
    assert.ok(result.timings.optimizeMs > 0);
    for (const filter of result.filters) {
      assert.equal(filter.steps, 10);
      assert.equal(typeof filter.dead, 'boolean');
      if (!filter.dead) assert.ok(filter.lossEnd > filter.lossStart, JSON.stringify(filter));
      const meta = await sharp(path.join(out, filter.png)).metadata();
      assert.deepEqual([meta.width, meta.height], [24, 24]);
    }
    // Four tiles, 8 to a column.
    const grid = await sharp(path.join(out, result.grid.png)).metadata();
    assert.deepEqual([grid.width, grid.height], [24, 4 * 24 + 3 * 5]);
    const npy = parseNpy(await readFile(path.join(out, result.raw)));
    assert.match(npy.header, /'descr': '<f4', 'fortran_order': False, 'shape': \(4, 24, 24, 3\)/);
    // Pixel space: the notes' start is 128–148, and 10 unit steps move each pixel by about 10.
    const mean = npy.data.reduce((sum, value) => sum + value, 0) / npy.data.length;
    assert.ok(mean > 80 && mean < 200, `mean ${mean}`);
    assert.match(run.stdout, /filter {4}6 {2}(raised|not raised): /);
    for (const filter of result.filters) assert.ok(['raised', 'not raised'].includes(filter.verdict) && filter.verdictText.length > 0, JSON.stringify(filter));
  });

  it('runs the lucid preset by default, compares with the images beside the model and, with --examples, writes the crops that excite each filter', async function () {
    const images = path.join(dir, 'photos');
    await mkdir(path.join(images, 'more'), { recursive: true });
    await writeTestImage(path.join(images, 'a.png'), 40, 36);
    await writeTestImage(path.join(images, 'more', 'b.png'), 32, 32, 1);
    await writeTestImage(path.join(path.dirname(modelPath), 'beside.png'), 32, 32);
    const out = path.join(dir, 'lucid-out');
    const run = runCli(['filters', modelPath, '--layer', conv2, '--size', '24', '--steps', '8', '--examples', images, '--top', '2', '--out', out], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.parameters.preset, 'lucid');
    assert.equal(result.parameters.realImages, undefined, 'the image list is not repeated in the parameters');
    assert.equal(result.realImages.length, 2, 'the --examples images are the comparison too');
    for (const filter of result.filters) {
      assert.ok(['raised', 'not raised', 'silent on real images'].includes(filter.verdict), filter.verdict);
      assert.equal(filter.realImages.count, 2);
      assert.ok(filter.examples.length <= 2);
      for (const example of filter.examples) {
        assert.ok(example.activation > 0 && example.crop.width > 0);
        const meta = await sharp(path.join(out, example.png)).metadata();
        assert.ok(meta.width! >= 64 || meta.height! >= 64, 'crops are enlarged to be seen');
      }
    }
    assert.ok(result.filters.some((filter: { examples: unknown[] }) => filter.examples.length > 0));
    const beside = runCli(['filters', modelPath, '--layer', conv2, '--size', '24', '--steps', '2', '--out', path.join(dir, 'beside-out')], dir);
    assert.equal(beside.code, 0, beside.stderr);
    const besideResult = JSON.parse(await readFile(path.join(dir, 'beside-out', 'result.json'), 'utf8'));
    assert.equal(besideResult.filters[0].realImages.bestImage, path.join(path.dirname(modelPath), 'beside.png'));
  });

  it('gives the same images for the same seed, in another process', async function () {
    const args = (out: string) => ['filters', modelPath, '--layer', conv2, '--size', '20', '--steps', '4', '--preset', 'clear', '--octaves', '2', '--seed', '11', '--real-images', 'none', '--out', path.join(dir, out)];
    for (const out of ['seed-a', 'seed-b']) assert.equal(runCli(args(out), dir).code, 0);
    const files = (await readdir(path.join(dir, 'seed-a'))).filter((name) => name.endsWith('.png'));
    assert.equal(files.length, 4 + 1);
    for (const file of files) assert.deepEqual(await readFile(path.join(dir, 'seed-a', file)), await readFile(path.join(dir, 'seed-b', file)), file);
    const result = JSON.parse(await readFile(path.join(dir, 'seed-a', 'result.json'), 'utf8'));
    assert.deepEqual([result.parameters.preset, result.parameters.seed, result.parameters.clear.octaves, result.filters[0].steps], ['clear', 11, 2, 8]);
  });

  it('exits 2 on bad usage', function () {
    const cases = [
      ['filters', modelPath],
      ['filters', modelPath, '--layer', conv1, '--filters', '3-1'],
      ['filters', modelPath, '--layer', conv1, '--filters', '1,1'],
      ['filters', modelPath, '--layer', conv1, '--filters', 'all'],
      ['filters', modelPath, '--layer', conv1, '--preset', 'pretty'],
      ['filters', modelPath, '--layer', conv1, '--octaves', '2'],
      ['filters', modelPath, '--layer', conv1, '--preset', 'clear', '--octave-scale', '0.5'],
      ['filters', modelPath, '--layer', conv1, '--step', '0'],
      ['filters', modelPath, '--layer', conv1, '--size', '2.5'],
      ['filters', modelPath, '--layer', conv1, '--seed', '-1'],
      ['filters', modelPath, '--layer', conv1, '--redirect-steps', '3', '--preset', 'chollet'],
      ['filters', modelPath, '--layer', conv1, '--top', '3'],
    ];
    for (const args of cases) {
      const run = runCli(args, dir);
      assert.equal(run.code, 2, `${args.slice(2).join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /Usage:/);
    }
  });

  it('refuses settings out of their range, saying the range in words', function () {
    const cases: [string[], RegExp][] = [
      [['--step', '11'], /--step must be a number above 0 and at most 10 \(got "11"\)/],
      [['--preset', 'chollet', '--step', '101'], /--step must be a number above 0 and at most 100/],
      [['--preset', 'clear', '--tv', '20'], /--tv must be a number from 0 to 10 \(got "20"\)/],
      [['--rotate', '200'], /--rotate must be a number from 0 to 180/],
      [['--steps', '5000'], /--steps must be a whole number from 1 to 2000 \(got 5000\)/],
    ];
    for (const [options, problem] of cases) {
      const run = runCli(['filters', modelPath, '--layer', conv1, ...options], dir);
      assert.equal(run.code, 2, `${options.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, problem);
    }
  });

  it('exits 3 with one line naming the model file when the layer or filters do not fit it, and writes nothing', async function () {
    const before = await snapshotFolder(dir);
    const cases: [string[], RegExp][] = [
      [['--layer', 'nope'], /has no layer named "nope"/],
      [['--layer', pool], /is a MaxPooling2D; filter patterns need a convolution layer/],
      [['--layer', conv2, '--filters', '2-9'], /has 4 filters \(0–3\); there is no filter 4/],
      [['--layer', conv2, '--size', '5'], /has no output for a 5×5 input/],
    ];
    for (const [options, problem] of cases) {
      const run = runCli(['filters', modelPath, ...options, '--out', path.join(dir, 'x')], dir);
      assert.equal(run.code, 3, `${options.join(' ')}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0].startsWith(`convscope: ${modelPath}: `), lines[0]);
      assert.match(lines[0], problem);
    }
    assert.deepEqual(await snapshotFolder(dir), before, 'no file written or changed');
  });

  it('never overwrites a file it did not write', async function () {
    const foreign = path.join(dir, 'foreign');
    await mkdir(foreign);
    const grid = path.join(foreign, `02-${conv2}-filters.png`);
    await writeFile(grid, 'precious');
    const run = runCli(['filters', modelPath, '--layer', conv2, '--size', '20', '--steps', '2', '--out', foreign], dir);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /already exists and was not written by convscope/);
    assert.equal(await readFile(grid, 'utf8'), 'precious');
  });
});
