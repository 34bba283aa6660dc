// The hostile-file suite through the command line (dist/cli.js, as users run it): a hostile file
// ends in exit code 3 and one line on stderr naming it, within its deadline (--timeout ends a run
// that never would, naming the file it was reading); names, labels and paths from files reach the
// terminal without control characters or bidirectional overrides; and the output folder never
// replaces a file the user owns, says in one line why it cannot be written, and takes one run at a time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { saveLayersModelToDirectory } from '../../src/engine/models/layers/layersModelWriter';
import { CLI_PATH, ensureBuilt } from '../support/builtBundles';
import { makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { HOSTILE_CASES, buildHostileFixtures, type HostileFixtures, type HostileRun } from '../support/hostileCases';
import { tinyConvnetGraph, writeGraphModel } from '../support/graphModelFixtures';

/** Raw control characters, ANSI/OSC escapes, C1 controls and bidirectional controls: none may reach the terminal. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const canMakeFifos = process.platform !== 'win32';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(args: string[], cwd: string, timeoutMs = 60_000): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function argsFor(run: HostileRun, out: string): string[] {
  if (run.job === 'summarize') return ['summary', run.modelPath];
  if (run.job === 'activations') return ['activations', run.modelPath, run.imagePath!, '--out', out];
  return ['gradcam', run.modelPath, run.imagePath!, ...(run.labelsPath ? ['--labels', run.labelsPath] : []), '--out', out];
}

/** Exit 3, and stderr is one line naming `file`. */
function assertRefusedInOneLine(result: CliRun, file: string, problem?: RegExp): void {
  assert.equal(result.code, 3, `exit code 3, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.split('\n').filter((line) => line.length > 0);
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.ok(lines[0].startsWith(`convscope: ${file}: `), `names ${file}: ${lines[0]}`);
  if (problem) assert.match(lines[0], problem);
  assert.doesNotMatch(result.stderr + result.stdout, UNSAFE);
}

describe('hostile files through the command line', function () {
  this.timeout(180_000);
  let root: string;
  let fixtures: HostileFixtures;
  let caseNumber = 0;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    root = await makeTempDir('convscope-hostile-cli-');
    fixtures = await buildHostileFixtures(root);
  });
  after(() => removeDir(root));

  async function caseFolders() {
    const base = path.join(root, `case-${caseNumber++}`);
    const folder = path.join(base, 'model');
    const outside = path.join(base, 'outside');
    await mkdir(folder, { recursive: true });
    await mkdir(outside, { recursive: true });
    return { base, folder, outside };
  }

  // One of each kind through the CLI; the engine-level suite (hostileFiles) runs them all.
  const CLI_CASES = [
    ".h5: a weight dataset's data is external storage (a FIFO)",
    'graph: a Tile whose 16-byte multiples ask for 8·10⁸ values',
    '.keras of any input size: UpSampling2D ×64, free dimensions no longer counted as 1',
    'a device (/dev/zero) given as the labels file',
    '.keras: config.json is a 1 GiB zip bomb (6.5 MB of deflate)',
  ];
  for (const name of CLI_CASES) {
    it(`exit 3, one line naming the file: ${name}`, async function () {
      const hostile = HOSTILE_CASES.find((candidate) => candidate.name === name);
      assert.ok(hostile, name);
      if (hostile.needsFifo && !canMakeFifos) this.skip();
      const { base, folder, outside } = await caseFolders();
      const run = await hostile.make({ folder, outside, fixtures });
      const out = path.join(base, 'out');
      const result = await runCli(argsFor(run, out), base);
      const file = run.expect !== 'works' && run.expect !== 'either' ? (run.expect.file ?? run.modelPath) : run.modelPath;
      assertRefusedInOneLine(result, file, run.expect !== 'works' && run.expect !== 'either' ? run.expect.refused : undefined);
      assert.deepEqual(await readdir(base).then((names) => names.sort()), ['model', 'outside'], 'no output folder for a refused run');
    });
  }

  it('refuses an SVG (sharp would render it, for minutes) from its first bytes, before decoding', async function () {
    const { base, folder } = await caseFolders();
    await saveLayersModelToDirectory(fixtures.tiny, folder);
    const svg = path.join(folder, 'slow.png');
    await writeFile(
      svg,
      '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><filter id="f"><feGaussianBlur stdDeviation="300"/><feMorphology operator="dilate" radius="200"/></filter><rect width="4000" height="4000" fill="red" filter="url(#f)"/></svg>',
    );
    const result = await runCli(['activations', path.join(folder, 'model.json'), svg, '--out', path.join(base, 'out')], base);
    assertRefusedInOneLine(result, svg, /is not an image in a format Convscope reads \(JPEG, PNG, WebP, GIF, TIFF or AVIF\)$/);
  });

  it('ends a run past --timeout with exit 3 and one line naming the file it was reading', async function () {
    const { base, folder } = await caseFolders();
    await saveLayersModelToDirectory(fixtures.tiny, folder);
    const modelPath = path.join(folder, 'model.json');
    const result = await runCli(['filters', modelPath, '--layer', fixtures.tiny.layers[0].name, '--preset', 'chollet', '--steps', '2000', '--size', '96', '--out', path.join(base, 'out'), '--timeout', '4'], base);
    assertRefusedInOneLine(result, modelPath, /did not finish within 4\.0 s, so the run was stopped \(--timeout\)$/);
    assert.ok(result.ms < 10_000, `ended ${(result.ms / 1000).toFixed(1)} s after it started`);
  });

  it('refuses a --timeout that is not a positive number as bad usage', async function () {
    const result = await runCli(['summary', 'model.json', '--timeout', 'soon'], root);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--timeout must be a number of seconds above 0/);
  });

  describe('group 6: what files say reaches the terminal without control characters', function () {
    const HOSTILE_NAME = 'x\u001b]0;owned\u0007\u001b[31m\u009b2J\u202egnp.exe';

    it('graph node names and a model name with ANSI/OSC escapes and a bidirectional override, in the summary', async function () {
      const { base, folder } = await caseFolders();
      const graph = tinyConvnetGraph(fixtures.tiny.getWeights());
      for (const node of graph.nodes) if (node.op === 'Relu') node.name += HOSTILE_NAME;
      for (const node of graph.nodes) node.input = node.input?.map((input) => (input.endsWith('conv2d/Relu') ? input + HOSTILE_NAME : input));
      const { modelPath } = await writeGraphModel(folder, graph);
      const graphRun = await runCli(['summary', modelPath], base);
      assert.equal(graphRun.code, 0, graphRun.stderr);
      assert.match(graphRun.stdout, /Relux\ufffd\]0;owned\ufffd/);
      assert.doesNotMatch(graphRun.stdout + graphRun.stderr, UNSAFE);
      const json = await runCli(['summary', modelPath, '--json'], base);
      assert.doesNotMatch(json.stdout, UNSAFE);
      const names = (JSON.parse(json.stdout) as { layers: { name: string }[] }).layers.map((layer) => layer.name);
      assert.ok(names.some((name) => name.endsWith(`Relu${HOSTILE_NAME}`)), 'the JSON keeps the names exactly, escaped');

      const layersFolder = path.join(base, 'layers');
      await saveLayersModelToDirectory(fixtures.tiny, layersFolder);
      const layersPath = path.join(layersFolder, 'model.json');
      const modelJson = JSON.parse(await readFile(layersPath, 'utf8'));
      modelJson.modelTopology.config.name = HOSTILE_NAME;
      await writeFile(layersPath, JSON.stringify(modelJson));
      const layersRun = await runCli(['summary', layersPath], base);
      assert.equal(layersRun.code, 0, layersRun.stderr);
      assert.match(layersRun.stdout, /Model: "x\ufffd\]0;owned/);
      assert.doesNotMatch(layersRun.stdout + layersRun.stderr, UNSAFE);
    });

    it('labels from labels.txt in the Grad-CAM predictions, and a path with escapes in an error', async function () {
      const { base, folder } = await caseFolders();
      await saveLayersModelToDirectory(fixtures.tiny, folder);
      await writeFile(path.join(folder, 'image.png'), fixtures.png);
      await writeFile(path.join(folder, 'labels.txt'), [`cat${HOSTILE_NAME}`, '\u001b[2Jdog', 'bird\u202e'].join('\n'));
      const result = await runCli(['gradcam', path.join(folder, 'model.json'), path.join(folder, 'image.png'), '--out', path.join(base, 'out')], base);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\ufffd\[2Jdog/);
      assert.doesNotMatch(result.stdout + result.stderr, UNSAFE);

      const odd = path.join(base, `folder${HOSTILE_NAME}`, 'model.json');
      const missing = await runCli(['summary', odd], base);
      assert.equal(missing.code, 3);
      assert.doesNotMatch(missing.stderr, UNSAFE);
      assert.match(missing.stderr, /folderx\ufffd\]0;owned.*: does not exist/);
    });
  });

  describe('group 8: the output folder', function () {
    async function validRun(base: string): Promise<string[]> {
      const folder = path.join(base, 'model');
      await saveLayersModelToDirectory(fixtures.tiny, folder);
      await writeFile(path.join(folder, 'image.png'), fixtures.png);
      return ['gradcam', path.join(folder, 'model.json'), path.join(folder, 'image.png'), '--out', path.join(base, 'out')];
    }

    it('a planted result.json lets no file of the user be replaced; the run says which, in one line', async function () {
      const { base } = await caseFolders();
      const args = await validRun(base);
      const out = path.join(base, 'out');
      await mkdir(out);
      await writeFile(path.join(out, 'result.json'), JSON.stringify({ tool: 'convscope', written: { 'heatmap.png': 'f'.repeat(64) } }));
      await writeFile(path.join(out, 'heatmap.png'), 'the user’s own file');
      const result = await runCli(args, base);
      assertRefusedInOneLine(result, path.join(out, 'heatmap.png'), /already exists and was not written by convscope/);
      assert.equal(await readFile(path.join(out, 'heatmap.png'), 'utf8'), 'the user’s own file');
      // Its own earlier output it replaces: a second run into a folder of its own.
      const fresh = [...args.slice(0, -1), path.join(base, 'fresh')];
      assert.equal((await runCli(fresh, base)).code, 0);
      const again = await runCli(fresh, base);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual((await readdir(path.join(base, 'fresh'))).sort(), ['heatmap.png', 'overlay.png', 'result.json']);
    });

    it('a folder it may not write, or one another run is writing, ends in one line naming the folder', async function () {
      const { base } = await caseFolders();
      const args = await validRun(base);
      if (process.platform === 'linux') {
        const forbidden = path.join('/sys', 'convscope-out');
        const result = await runCli([...args.slice(0, -1), forbidden], base);
        assertRefusedInOneLine(result, forbidden, /cannot be created as the output folder/);
      }
      const out = path.join(base, 'out');
      await mkdir(out);
      // A lock held by a live process: this test's own.
      await writeFile(path.join(out, '.convscope-run.lock'), JSON.stringify({ pid: process.pid, host: hostname() }));
      const locked = await runCli(args, base);
      assertRefusedInOneLine(locked, out, new RegExp(`is being written by another convscope run \\(process ${process.pid}\\)`));
      assert.deepEqual(await readdir(out), ['.convscope-run.lock']);
    });
  });
});
