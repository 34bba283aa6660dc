// The engine's two lanes with the real worker: a filter grid runs on its own worker, so that
// activations asked for meanwhile answer before it ends; a second grid waits behind the first and
// is told which; a crash in one lane leaves the other's worker (and what it holds) alone; idle
// workers give their memory back. Order, not timing, is asserted.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { EngineClient, EngineError, type JobWait } from '../../src/host/engineClient';
import { deadlineOf, describeJob, laneOf, modelLabel } from '../../src/host/engineJobs';
import type { ActivationJobRequest, FilterPatternJobRequest, GradCamJobRequest } from '../../src/shared/engineProtocol';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS, JOB_DEADLINES_MS } from '../../src/shared/defaults';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { buildCatsVsDogsConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

type Lanes = { lanes: Record<'short' | 'long', { worker?: Worker }> };
const workerOf = (engine: EngineClient, lane: 'short' | 'long') => (engine as unknown as Lanes).lanes[lane].worker;

/** The most steps the engine takes: with 16 filters, a grid that runs until it is cancelled. */
const LONG = 2000;
const SIXTEEN = Array.from({ length: 16 }, (_, index) => index);

const isCancelled = (error: unknown) => error instanceof EngineError && error.kind === 'cancelled';

/** Polls `condition` every 20 ms until it holds (the test's own timeout ends a wait that never does). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('which lane a job runs on, and how a waiting job names it', () => {
  const grid: FilterPatternJobRequest = { modelPath: '/models/shapes/model.json', layerName: 'conv2d_3', parameters: DEFAULT_FILTER_PATTERN_PARAMETERS, limits: { model: DEFAULT_MODEL_LIMITS } };

  it('sends filter grids and batches to the long lane, one filter and everything else to the short one', () => {
    assert.equal(laneOf('filterPatterns', grid), 'long');
    assert.equal(laneOf('filterPatterns', { ...grid, filters: [0, 1, 2, 3] }), 'long');
    assert.equal(laneOf('filterPatterns', { ...grid, filters: [7] }), 'short');
    assert.equal(laneOf('summarize', { modelPath: grid.modelPath, limits }), 'short');
    assert.equal(laneOf('channel', { jobId: 1, layerIndex: 0, channel: 0, colormap: 'viridis' }), 'short');
    assert.equal(laneOf('memory', {}), 'short');
  });

  it('sends explanations that run the model many times to the long lane, with a grid’s deadline', () => {
    const explain: GradCamJobRequest = { modelPath: grid.modelPath, imagePath: '/images/cat.jpg', score: 'output', intensity: 0.4, colormap: 'jet', limits };
    for (const methods of [undefined, ['gradcam', 'gradcampp', 'layercam', 'hirescam', 'eigencam', 'saliency', 'guided-grad-cam']] as const) {
      assert.equal(laneOf('gradCam', { ...explain, methods: methods && [...methods] }), 'short', String(methods));
      assert.equal(deadlineOf('gradCam', { ...explain, methods: methods && [...methods] }), JOB_DEADLINES_MS.gradCam);
    }
    for (const method of ['scorecam', 'ablationcam', 'smoothgrad', 'integrated-gradients', 'occlusion'] as const) {
      assert.equal(laneOf('gradCam', { ...explain, methods: ['gradcam', method] }), 'long', method);
      assert.equal(deadlineOf('gradCam', { ...explain, methods: [method] }), JOB_DEADLINES_MS.filterPatterns, method);
    }
    assert.equal(laneOf('gradCam', { ...explain, faithfulness: true }), 'long', 'faithfulness scores rerun the model per step');
    assert.equal(deadlineOf('summarize', { modelPath: grid.modelPath, limits }), JOB_DEADLINES_MS.summarize);
  });

  it('names the job by what it does, its layer and its model’s folder', () => {
    assert.equal(modelLabel('/models/shapes/model.json'), 'shapes/model.json');
    assert.equal(describeJob('filterPatterns', grid), 'the filter grid of conv2d_3 (shapes/model.json)');
    assert.equal(describeJob('filterPatterns', { ...grid, filters: [5] }), 'filter 5 of conv2d_3 (shapes/model.json)');
    assert.equal(
      describeJob('activations', { modelPath: '/m/vgg16/model.json', imagePath: '/images/cat.jpg', layers: { first: 8 }, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 }),
      'the activations of vgg16/model.json on cat.jpg',
    );
    assert.equal(describeJob('summarize', { modelPath: '/m/vgg16/model.json', limits }), 'reading vgg16/model.json');
  });
});

describe('the engine’s lanes, with the real worker', function () {
  this.timeout(120_000);
  let dir: string;
  let modelPath: string;
  let imagePath: string;
  let convLayer: string;

  const activations = (changes: Partial<ActivationJobRequest> = {}): ActivationJobRequest => ({
    modelPath,
    imagePath,
    layers: { first: 2 },
    colormap: 'viridis',
    imagesPerRow: 16,
    limits,
    thumbnailSize: 0,
    ...changes,
  });
  /** A grid of `filters` filters; with many steps it runs until cancelled. */
  const grid = (steps: number, filters = steps === LONG ? SIXTEEN : [0, 1, 2, 3]): FilterPatternJobRequest => ({
    modelPath,
    layerName: convLayer,
    filters,
    parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size: 32, steps },
    limits: { model: DEFAULT_MODEL_LIMITS },
  });
  const newEngine = (options: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) =>
    new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false, ...options });

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildCatsVsDogsConvnet();
    modelPath = await writeModel(model, dir, 'cats');
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'image.png'), 180, 150);
    const engine = newEngine();
    try {
      const summary = await engine.summarize(modelPath, limits);
      convLayer = summary.layers.find((layer) => layer.className === 'Conv2D')?.name ?? assert.fail('no convolution');
    } finally {
      await engine.dispose();
    }
  });
  after(() => removeDir(dir));

  it('answers activations asked for while a filter grid runs, before the grid ends', async function () {
    const lines: string[] = [];
    const engine = newEngine({ log: (line) => lines.push(line) });
    try {
      const events: string[] = [];
      const stopGrid = new AbortController();
      let gridRunning = false;
      const gridRun = engine
        .runFilterPatterns(grid(LONG), { onProgress: () => (gridRunning = true) }, stopGrid.signal)
        .then(() => events.push('grid finished'), (error: unknown) => events.push(isCancelled(error) ? 'grid cancelled' : `grid failed: ${String(error)}`));
      await until(() => gridRunning);
      const waits: Array<JobWait | undefined> = [];
      const signal = new AbortController().signal;
      engine.onJobWaiting(signal, (wait) => waits.push(wait));
      const result = await engine.runActivations(activations(), {}, signal);
      events.push('activations finished');
      assert.deepEqual(result.info.layerIndices, [0, 1]);
      assert.deepEqual(waits, [], 'the activations never waited');
      stopGrid.abort();
      await gridRun;
      assert.deepEqual(events, ['activations finished', 'grid cancelled']);
      assert.ok(workerOf(engine, 'long') && workerOf(engine, 'short') && workerOf(engine, 'long') !== workerOf(engine, 'short'), 'two workers');
      assert.ok(lines.some((line) => /^Engine ready on the wasm backend with \d+ threads? \(the engine worker for filter grids\)\.$/.test(line)), lines.join('\n'));
    } finally {
      await engine.dispose();
    }
  });

  it('tells a second grid what it waits behind; cancelled while it waits, it never starts', async function () {
    const engine = newEngine();
    try {
      const stopFirst = new AbortController();
      let firstRunning = false;
      const first = engine.runFilterPatterns(grid(LONG), { onProgress: () => (firstRunning = true) }, stopFirst.signal);
      await until(() => firstRunning);
      const waits: Array<JobWait | undefined> = [];
      const stopSecond = new AbortController();
      engine.onJobWaiting(stopSecond.signal, (wait) => waits.push(wait));
      let secondStarted = false;
      const second = engine.runFilterPatterns(grid(10, [4, 5]), { onStarted: () => (secondStarted = true) }, stopSecond.signal);
      assert.deepEqual(waits, [{ behind: `the filter grid of ${convLayer} (cats/model.json)` }]);
      stopSecond.abort();
      await assert.rejects(second, isCancelled);
      assert.equal(secondStarted, false);
      // The first grid was not disturbed: it runs until cancelled.
      stopFirst.abort();
      await assert.rejects(first, isCancelled);
    } finally {
      await engine.dispose();
    }
  });

  it('starts a waiting grid once the one before it ends, telling it the wait is over', async function () {
    const engine = newEngine();
    try {
      const order: string[] = [];
      const stopFirst = new AbortController();
      let firstRunning = false;
      const first = engine.runFilterPatterns(grid(LONG), { onProgress: () => (firstRunning = true) }, stopFirst.signal).catch((error: unknown) => {
        order.push(isCancelled(error) ? 'first cancelled' : String(error));
      });
      await until(() => firstRunning);
      const signal = new AbortController().signal;
      engine.onJobWaiting(signal, (wait) => order.push(wait ? `waiting behind ${wait.behind}` : 'wait over'));
      const second = engine.runFilterPatterns(grid(3, [4, 5]), { onStarted: () => order.push('second started') }, signal);
      stopFirst.abort();
      const result = await second;
      await first;
      assert.equal(result.info.filters.length, 2);
      assert.deepEqual(order, [`waiting behind the filter grid of ${convLayer} (cats/model.json)`, 'first cancelled', 'wait over', 'second started']);
    } finally {
      await engine.dispose();
    }
  });

  it('a crash of the grid’s worker leaves the short lane’s worker and what it keeps', async function () {
    const engine = newEngine();
    try {
      let jobId = -1;
      await engine.runActivations(activations(), { onStarted: (start) => (jobId = start.jobId) });
      const shortWorker = workerOf(engine, 'short');
      let gridRunning = false;
      const gridRun = engine.runFilterPatterns(grid(LONG), { onProgress: () => (gridRunning = true) });
      await until(() => gridRunning);
      await workerOf(engine, 'long')?.terminate();
      await assert.rejects(gridRun, (error: unknown) => error instanceof EngineError && error.kind === 'internal' && /stopped unexpectedly/.test(error.message));
      assert.equal(workerOf(engine, 'short'), shortWorker, 'the short lane kept its worker');
      // Only that worker holds the activations the channel is enlarged from.
      const channel = await engine.renderChannel({ jobId, layerIndex: 0, channel: 3, colormap: 'viridis' });
      assert.equal(channel.channel, 3);
      const again = await engine.runFilterPatterns(grid(2, [0, 1]), {});
      assert.equal(again.info.filters.length, 2, 'a fresh worker serves the next grid');
    } finally {
      await engine.dispose();
    }
  });

  it('stops the grid’s worker once idle, and starts it again for the next grid', async function () {
    const lines: string[] = [];
    const engine = newEngine({ longLaneIdleMs: 100, log: (line) => lines.push(line) });
    try {
      await engine.runFilterPatterns(grid(2, [0, 1]), {});
      assert.ok(engine.hasWorker('long'));
      await until(() => !engine.hasWorker('long'));
      assert.ok(lines.some((line) => /^Stopping the engine worker for filter grids: idle for 0 s/.test(line)), lines.join('\n'));
      const again = await engine.runFilterPatterns(grid(2, [2, 3]), {});
      assert.deepEqual(again.info.filters, [2, 3]);
    } finally {
      await engine.dispose();
    }
  });

  it('stops an idle worker holding more WASM memory than the bound, and keeps one below it', async function () {
    const lines: string[] = [];
    const over = newEngine({ idleCheckMs: 100, idleWasmHeapBytes: 1, log: (line) => lines.push(line) });
    const under = newEngine({ idleCheckMs: 100, idleWasmHeapBytes: 2 ** 40 });
    try {
      await over.runActivations(activations(), {});
      await under.runActivations(activations(), {});
      const underWorker = workerOf(under, 'short');
      await until(() => !over.hasWorker('short'));
      assert.ok(lines.some((line) => /^Stopping the engine worker: idle for 0 s with \d+ MiB of WASM memory, over 0 MiB; the next job starts a fresh one\.$/.test(line)), lines.join('\n'));
      // The check on the other engine has run by now too (same delay, started earlier): its worker stays.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(workerOf(under, 'short'), underWorker);
      const again = await over.runActivations(activations({ layers: { first: 1 } }), {});
      assert.deepEqual(again.info.layerIndices, [0], 'a fresh worker answers the next job');
    } finally {
      await Promise.all([over.dispose(), under.dispose()]);
    }
  });
});
