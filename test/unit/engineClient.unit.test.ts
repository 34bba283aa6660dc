import assert from 'node:assert/strict';
import path from 'node:path';
import { copyFile, writeFile } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import type { LayerActivationImage } from '../../src/shared/types';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import type { ActivationJobRequest } from '../../src/shared/engineProtocol';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { buildCatsVsDogsConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

/** The worker of the lane that runs summaries and activations. */
const shortWorker = (engine: EngineClient) => (engine as unknown as { lanes: { short: { worker?: Worker } } }).lanes.short.worker;

describe('EngineClient and the engine worker', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;
  let engine: EngineClient;

  const request = (changes: Partial<ActivationJobRequest> = {}): ActivationJobRequest => ({
    modelPath,
    imagePath,
    layers: { first: 8 },
    colormap: 'viridis',
    imagesPerRow: 16,
    limits,
    thumbnailSize: 64,
    ...changes,
  });

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildCatsVsDogsConvnet();
    modelPath = await writeModel(model, dir);
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'image.png'), 180, 150);
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'auto', allowNative: true });
  });
  after(async () => {
    await engine.dispose();
    await removeDir(dir);
  });

  it('starts on a backend and falls back past a missing tfjs-node', async function () {
    const report = await engine.start();
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(report.backend));
    let nativeInstalled = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      nativeInstalled = false;
    }
    if (!nativeInstalled) {
      assert.equal(report.backend, 'wasm');
      assert.match(report.notes.join('\n'), /tensorflow backend unavailable/);
    }
  });

  it('says on its ready line how many threads the WASM backend runs', async function () {
    const lines: string[] = [];
    const logged = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, log: (line) => lines.push(line) });
    try {
      const report = await logged.start();
      assert.equal(report.backend, 'wasm');
      assert.ok(report.wasmThreads !== undefined && report.wasmThreads >= 1, `wasmThreads ${report.wasmThreads}`);
      const threads = report.wasmThreads === 1 ? '1 thread' : `${report.wasmThreads} threads`;
      assert.ok(lines.includes(`Engine ready on the wasm backend with ${threads} (the engine worker).`), lines.join('\n'));
    } finally {
      await logged.dispose();
    }
  });

  it('falls back to the cpu backend when the WASM files are missing', async function () {
    const logged: string[] = [];
    const cpuEngine = new EngineClient({
      workerPath: WORKER_PATH,
      wasmDirectory: path.join(dir, 'no-wasm-here'),
      backend: 'wasm',
      allowNative: false,
      log: (line) => logged.push(line),
    });
    try {
      const report = await cpuEngine.start();
      assert.equal(report.backend, 'cpu');
      assert.match(report.notes.join('\n'), /wasm backend unavailable/);
      // Named before Emscripten is asked to load it (it would abort with traces on stderr).
      assert.match(report.notes.join('\n'), /no-wasm-here[/\\]tfjs-backend-wasm-simd\.wasm is missing/);
      assert.ok(!logged.some((line) => /Aborted/.test(line)), logged.join('\n'));
      const result = await cpuEngine.runActivations(request({ layers: { first: 1 } }), {});
      assert.equal(result.info.backend, 'cpu');
    } finally {
      await cpuEngine.dispose();
    }
  });

  it('streams the layers in order, then reports the backend and timings', async function () {
    const layers: LayerActivationImage[] = [];
    let started: number[] = [];
    const result = await engine.runActivations(request(), {
      onStarted: (start) => {
        started = start.layerIndices;
        assert.ok(start.thumbnail && start.thumbnail.length > 0);
      },
      onLayer: (layer) => layers.push(layer),
    });
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(layers.map((layer) => layer.layerIndex), started);
    assert.deepEqual(layers.map((layer) => layer.shape[3]), [32, 32, 64, 64, 128, 128, 128, 128]);
    assert.deepEqual([layers[0].grid.columns, layers[0].grid.rows, layers[0].grid.width, layers[0].grid.height], [16, 2, 16 * 148, 2 * 148]);
    assert.equal(result.info.backend, (await engine.start()).backend);
    assert.equal(result.info.preprocess, 'rescale');
    assert.ok(result.info.timings.forwardMs > 0);
    // PNG signature
    assert.deepEqual([...layers[0].png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('enlarges one channel of the latest run', async function () {
    let jobId = -1;
    await engine.runActivations(request({ layers: { first: 2 } }), { onStarted: (start) => (jobId = start.jobId) });
    const detail = await engine.renderChannel({ jobId, layerIndex: 0, channel: 19, colormap: 'viridis' });
    assert.equal(detail.channel, 19);
    assert.ok(detail.width >= 148 && detail.width % 148 === 0);
    assert.ok(detail.min <= detail.mean && detail.mean <= detail.max);
    await assert.rejects(engine.renderChannel({ jobId, layerIndex: 0, channel: 32, colormap: 'viridis' }), /does not exist/);
    await assert.rejects(engine.renderChannel({ jobId: jobId - 1, layerIndex: 0, channel: 0, colormap: 'viridis' }), /no longer available/);
  });

  it('cancels a job between layers and keeps the layers already sent', async function () {
    const abort = new AbortController();
    const layers: LayerActivationImage[] = [];
    const run = engine.runActivations(request(), { onLayer: (layer) => {
      layers.push(layer);
      if (layers.length === 2) abort.abort();
    } }, abort.signal);
    await assert.rejects(run, (error: unknown) => error instanceof EngineError && error.kind === 'cancelled');
    assert.ok(layers.length >= 2 && layers.length < 8, `${layers.length} layers arrived`);
    // The worker is still there for the next job.
    const next = await engine.runActivations(request({ layers: { first: 1 } }), {});
    assert.deepEqual(next.info.layerIndices, [0]);
  });

  it('sends one job at a time: a job cancelled while it waits never starts, the others answer in order', async function () {
    const order: string[] = [];
    const first = engine.summarize(modelPath, limits).then(() => order.push('first'));
    const abort = new AbortController();
    const waiting = engine.runActivations(request(), { onStarted: () => order.push('cancelled one started') }, abort.signal);
    abort.abort();
    const third = engine.summarize(modelPath, limits).then(() => order.push('third'));
    await assert.rejects(waiting, (error: unknown) => error instanceof EngineError && error.kind === 'cancelled');
    await Promise.all([first, third]);
    assert.deepEqual(order, ['first', 'third']);
  });

  it('names the file a job was reading when it passed its deadline, in a message safe for a terminal', async function () {
    const lines: string[] = [];
    const hurried = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, jobDeadlinesMs: { activations: 1 }, log: (line) => lines.push(line) });
    try {
      await hurried.start();
      // A real model under an odd name (beside its weights), so the job is still loading it when the
      // deadline passes: a missing file could be reported first on a loaded machine.
      const odd = path.join(path.dirname(modelPath), 'odd\u001b[2J\u202emodel.json');
      await copyFile(modelPath, odd);
      await assert.rejects(hurried.runActivations(request({ modelPath: odd }), {}), (error: unknown) => {
        assert.ok(error instanceof EngineError, String(error));
        assert.equal(error.kind, 'input');
        assert.equal(error.file, odd);
        assert.match(error.message, /odd\ufffd\[2J\ufffdmodel\.json: did not finish within 0\.0 s \(the activations job\), so it was stopped/);
        return true;
      });
      assert.ok(lines.every((line) => !/[\u001b\u202e]/.test(line)), 'the log carries no control characters');
      const summary = await hurried.summarize(modelPath, limits);
      assert.equal(summary.layers.length, 12, 'a fresh worker serves the next job');
    } finally {
      await hurried.dispose();
    }
  });

  it('reports bad input as an input error and keeps serving', async function () {
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, 'not an image');
    await assert.rejects(engine.runActivations(request({ imagePath: broken }), {}), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.kind, 'input');
      assert.equal(error.file, broken);
      return true;
    });
    const summary = await engine.summarize(modelPath, limits);
    assert.equal(summary.layers.length, 12);
  });

  it('fails a running job when the worker dies, and restarts it for the next', async function () {
    const run = engine.runActivations(request(), {
      onStarted: () => void shortWorker(engine)?.terminate(),
    });
    await assert.rejects(run, (error: unknown) => error instanceof EngineError && error.kind === 'internal' && /stopped unexpectedly/.test(error.message));
    const summary = await engine.summarize(modelPath, limits);
    assert.equal(summary.layers.length, 12);
  });

  it('restarts the worker after it dies between jobs', async function () {
    await engine.start();
    await shortWorker(engine)?.terminate();
    const summary = await engine.summarize(modelPath, limits);
    assert.equal(summary.modelName, 'cats_and_dogs_small');
  });
});
