// The hostile-file suite: model files, images, labels and requests built to read outside
// the model's folder, allocate without bound, hang, or smuggle escape sequences, each run through
// the real engine worker. Every case must end within its time limit, refused with one line naming
// a file of the case (or work, where it is harmless), having read nothing outside the model's
// folder and written nothing into the case's folders; and the next job in the same worker must
// still give the same answer as before. Also: jobs past their deadline and a worker holding too
// much WASM memory are replaced, and what only an in-process test can provoke (a full disk).
//
// CONVSCOPE_HOSTILE_SEED=<n> changes the seed of the random HDF5 and zip structures,
// CONVSCOPE_HOSTILE_CASES=<n> their number (each), CONVSCOPE_HOSTILE_VERBOSE=1 prints every outcome.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import { loadModelFromFile } from '../../src/engine/models/modelLoader';
import { OutputFolder } from '../../src/cli/outputFolder';
import { checkOutputSizesForInput } from '../../src/engine/models/outputSizes';
import { saveLayersModelToDirectory } from '../../src/engine/models/layers/layersModelWriter';
import { InputError, safeForTerminal } from '../../src/shared/errors';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { HOSTILE_CASES, buildHostileFixtures, snapshotCaseFolder, judgeOutcome, randomHdf5Cases, randomZipCases, runHostileJob, type HostileCase, type HostileFixtures } from '../support/hostileCases';
import { writeKerasWeightsWith } from '../support/hostileHdf5';
import { writeZip } from '../support/hostileZip';
import { keras3Config } from '../support/kerasFixtures';

const SEED = Number(process.env.CONVSCOPE_HOSTILE_SEED ?? 0x4057113);
const RANDOM_CASES = Number(process.env.CONVSCOPE_HOSTILE_CASES ?? 10);
const VERBOSE = process.env.CONVSCOPE_HOSTILE_VERBOSE === '1';
/** A case that takes longer than this has hung (the 1 GiB bomb and the 5000-layer model are the slowest, at a few seconds). */
const CASE_TIME_LIMIT_MS = 30_000;
const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };
const canMakeFifos = process.platform !== 'win32';

interface Reference {
  modelPath: string;
  imagePath: string;
  /** The top predictions of the valid model: the answer every later job must still give. */
  predictions: string;
}

async function referenceAnswer(engine: EngineClient, reference: Omit<Reference, 'predictions'>): Promise<string> {
  const result = await engine.runGradCam({ ...reference, score: 'output', intensity: 0.4, colormap: 'jet', limits }, {});
  return JSON.stringify(result.info.predictions);
}

describe('hostile files through the engine worker', function () {
  this.timeout(600_000);
  let root: string;
  let fixtures: HostileFixtures;
  let engine: EngineClient;
  let reference: Reference;
  const log: string[] = [];

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    root = await makeTempDir('convscope-hostile-');
    fixtures = await buildHostileFixtures(root);
    // Deadlines inside the cases' time limit: a case that hangs costs one worker, not the cases after it.
    const deadlines = { summarize: 25_000, activations: 25_000, gradCam: 25_000, filterPatterns: 25_000 };
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, jobDeadlinesMs: deadlines, log: (line) => log.push(line) });
    const folder = path.join(root, 'reference');
    await saveLayersModelToDirectory(fixtures.tiny, folder);
    await writeFile(path.join(folder, 'image.png'), fixtures.png);
    const files = { modelPath: path.join(folder, 'model.json'), imagePath: path.join(folder, 'image.png') };
    reference = { ...files, predictions: await referenceAnswer(engine, files) };
  });

  after(async function () {
    await engine?.dispose();
    if (root) await removeDir(root);
  });

  let caseNumber = 0;
  /** Runs one case: in time, as expected, nothing written, and the worker still answers as before. */
  async function runCase(hostile: HostileCase): Promise<void> {
    const folder = path.join(root, `case-${caseNumber}`, 'model');
    const outside = path.join(root, `case-${caseNumber++}`, 'outside');
    await mkdir(folder, { recursive: true });
    await mkdir(outside, { recursive: true });
    const run = await hostile.make({ folder, outside, fixtures });
    const before = [await snapshotCaseFolder(folder), await snapshotCaseFolder(outside)];
    const started = performance.now();
    let outcome: unknown;
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), CASE_TIME_LIMIT_MS)));
    const ended = await Promise.race([runHostileJob(engine, run).then(() => undefined, (error: unknown) => (outcome = error)), hang]);
    clearTimeout(timer);
    const ms = performance.now() - started;
    assert.notEqual(ended, 'hang', `${hostile.name}: no answer within ${CASE_TIME_LIMIT_MS / 1000} s`);
    if (VERBOSE) console.log(`      ${ms.toFixed(0).padStart(6)} ms ${run.label ?? ''} → ${outcome instanceof Error ? outcome.message : 'works'}`);
    assert.deepEqual(judgeOutcome(run, folder, outcome), [], `${hostile.name}${run.label ? ` (${run.label})` : ''}`);
    assert.deepEqual([await snapshotCaseFolder(folder), await snapshotCaseFolder(outside)], before, 'nothing written into the case folder or beside it');
    assert.equal(await referenceAnswer(engine, reference), reference.predictions, 'the next job in the same worker gives the same answer');
  }

  for (const group of [1, 2, 3, 4, 5, 9]) {
    describe(`group ${group}`, function () {
      for (const hostile of HOSTILE_CASES.filter((candidate) => candidate.group === group)) {
        it(hostile.name, async function () {
          if (hostile.needsFifo && !canMakeFifos) this.skip();
          await runCase(hostile);
        });
      }
    });
  }

  describe(`seeded random structures (seed ${SEED})`, function () {
    it(`${RANDOM_CASES} HDF5 structures planted in a Keras .h5 (links in and out, cycles, deep and wide trees, odd names and types)`, async function () {
      for (const hostile of randomHdf5Cases(SEED, RANDOM_CASES)) await runCase(hostile);
    });
    it(`${RANDOM_CASES} zip structures around a .keras archive's members (duplicates, renames, lying sizes, bombs, cut ends)`, async function () {
      for (const hostile of randomZipCases(SEED, RANDOM_CASES)) await runCase(hostile);
    });
  });

  describe('group 3: deadlines and the worker’s memory', function () {
    it('ends a job past its deadline, names its file, and answers the next job in a fresh worker', async function () {
      const lines: string[] = [];
      const hurried = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, jobDeadlinesMs: { filterPatterns: 1500 }, log: (line) => lines.push(line) });
      try {
        const answer = await referenceAnswer(hurried, reference);
        const started = performance.now();
        const endless = hurried.runFilterPatterns(
          { modelPath: reference.modelPath, layerName: fixtures.tiny.layers[0].name, filters: [0, 1, 2, 3], parameters: { preset: 'chollet', size: 64, steps: 2000, stepSize: 1, seed: 0, clear: { octaves: 1, octaveScale: 1.4, jitter: 0, scaleJitter: 0, rotationDegrees: 0, tvWeight: 0 } }, limits: { model: DEFAULT_MODEL_LIMITS } },
          {},
        );
        await assert.rejects(endless, (error: unknown) => {
          assert.ok(error instanceof EngineError, String(error));
          assert.equal(error.kind, 'input');
          assert.equal(error.file, reference.modelPath);
          assert.match(error.message, /^.*model\.json: did not finish within 1\.5 s \(the filterPatterns job\), so it was stopped; the engine restarts for the next job$/);
          return true;
        });
        assert.ok(performance.now() - started < 6000, 'stopped soon after its deadline');
        assert.equal(await referenceAnswer(hurried, reference), answer, 'a fresh worker answers as before');
        assert.ok(lines.some((line) => /did not finish within 1\.5 s/.test(line)), 'the log says so');
      } finally {
        await hurried.dispose();
      }
    });

    it('replaces a worker whose WASM memory grew past the bound after a job, and the next job still answers', async function () {
      const lines: string[] = [];
      const bounded = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, maxWasmHeapBytes: 1, log: (line) => lines.push(line) });
      try {
        const first = await referenceAnswer(bounded, reference);
        assert.equal(first, reference.predictions);
        assert.equal(await referenceAnswer(bounded, reference), reference.predictions);
        assert.ok(lines.some((line) => /WASM memory grew to \d+ MiB, over 0 MiB; restarting it/.test(line)), lines.join('\n'));
      } finally {
        await bounded.dispose();
      }
    });
  });
});

describe('hostile files: what only an in-process test can provoke', function () {
  this.timeout(120_000);
  let root: string;
  let fixtures: HostileFixtures;

  before(async function () {
    await useWasmBackend();
    root = await makeTempDir('convscope-hostile-');
    fixtures = await buildHostileFixtures(root);
  });
  after(() => removeDir(root));

  it('group 4: a full temporary disk while a .keras archive is unpacked is said as such, naming the folder', async function () {
    const weights = await writeKerasWeightsWith(path.join(root, 'weights.h5'), fixtures.tiny);
    const modelPath = path.join(root, 'model.keras');
    await writeFile(modelPath, writeZip([{ name: 'config.json', data: new TextEncoder().encode(JSON.stringify(keras3Config(fixtures.tiny))) }, { name: 'model.weights.h5', data: weights }]));
    const writeSync = fs.writeSync;
    fs.writeSync = (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync;
    try {
      await assert.rejects(loadModelFromFile(modelPath), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.equal(error.file, modelPath);
        assert.match(error.problem, /^cannot be unpacked into the temporary folder .*convscope-keras-\w+: no space is left there \(set TMPDIR to another folder\)$/);
        return true;
      });
    } finally {
      fs.writeSync = writeSync;
    }
    const { model } = await loadModelFromFile(modelPath);
    model.dispose();
  });

  for (const code of ['EROFS', 'ENOSPC', 'EACCES'] as const) {
    it(`group 8: the output folder failing with ${code} ends as one line naming the folder`, async function () {
      const folder = path.join(root, `out-${code}`);
      const out = await OutputFolder.open(folder);
      const writeFileOriginal = fsPromises.writeFile;
      fsPromises.writeFile = (async () => {
        throw Object.assign(new Error(`${code}: failed, open`), { code });
      }) as typeof fsPromises.writeFile;
      try {
        await assert.rejects(out.write('00-layer.png', new Uint8Array([1, 2, 3])), (error: unknown) => {
          assert.ok(error instanceof InputError, String(error));
          assert.equal(error.file, folder);
          assert.match(error.problem, new RegExp(`^cannot be written as the output folder: .* \\(${code}\\)$`));
          return true;
        });
      } finally {
        fsPromises.writeFile = writeFileOriginal;
        await out.close();
      }
      assert.deepEqual(await readdir(folder), []);
    });
  }

  it('group 6: control characters, ANSI/OSC escapes and bidirectional overrides never reach a terminal', function () {
    const hostile = 'conv\u001b]0;owned\u0007\u001b[31m\u009b2J\u202eexe.png\u2066x\u200f';
    assert.equal(safeForTerminal(hostile), 'conv\ufffd]0;owned\ufffd\ufffd[31m\ufffd2J\ufffdexe.png\ufffdx\ufffd');
    const error = new InputError(`/models/\u202egpj.h5`, `layer "${hostile}" is odd\nsecond line`);
    assert.equal(error.message, `/models/\ufffdgpj.h5: layer "${safeForTerminal(hostile)}" is odd; second line`);
    assert.equal(error.file, `/models/\u202egpj.h5`, 'the file itself is kept as it is, to be opened');
  });

  it('group 7: settings a cloned repository could raise are machine-scoped or restricted in untrusted workspaces', async function () {
    const manifest = JSON.parse(await fsPromises.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
    const sensitive = [...Object.keys(properties).filter((name) => name.startsWith('convscope.limits.')), 'convscope.gradCam.labelsFile', 'convscope.backend'];
    assert.ok(sensitive.length >= 5);
    for (const name of sensitive) {
      assert.ok(restricted.has(name), `${name} is a restricted setting`);
      if (name.startsWith('convscope.limits.') || name === 'convscope.backend') assert.equal(properties[name].scope, 'machine', `${name} cannot be set by a workspace`);
    }
  });

  it('group 2: the load-time check counts free dimensions as unknown, the run-time check with the real size', async function () {
    const folder = path.join(root, 'free');
    await saveLayersModelToDirectory(fixtures.freeSize, folder);
    const { model } = await loadModelFromFile(path.join(folder, 'model.json'));
    const tensors = tf.memory().numTensors;
    assert.doesNotThrow(() => checkOutputSizesForInput(model, folder, [24, 24, 3]));
    assert.throws(() => checkOutputSizesForInput(model, folder, [224, 224, 3]), /layer "free_upsampling" would output 8\.22e\+8 values per image/);
    assert.equal(tf.memory().numTensors, tensors, 'the check allocates nothing');
    model.dispose();
  });
});
