// The CAM methods beyond the golden maps (camGolden.unit.test.ts): a nested model gives the maps its
// flat twin gives; re-scoring in batches equals re-scoring one channel at a time, also where a branch
// around the target is concatenated (the image is then repeated); Score-CAM reports its channels,
// stops when cancelled and leaves no tensor; the CLI maps several methods side by side.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { computeCamHeatmap } from '../../src/engine/analyses/cam/camMap';
import { openLayersCamSource } from '../../src/engine/analyses/gradCam';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { CAM_METHOD_IDS, type CamMethod } from '../../src/shared/camMethods';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { JobCancelledError } from '../../src/shared/errors';
import { BUILT_WASM_DIRECTORY, CLI_PATH, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';

const MODEL = 'test/model.json';
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
const noCancel = { checkCancelled: async () => {} };
const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');
const EXAMPLE_IMAGE = path.join(REPO_ROOT, 'examples', 'shapes', 'circle-2.png');
const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

function pseudoImage(height: number, width: number, channels = 3): Float32Array {
  return new Float32Array(height * width * channels).map((_, i) => ((i * 7919) % 256) / 255);
}

async function camMap(model: tf.LayersModel, layer: string, method: CamMethod, batchSize: number, input: Float32Array, shape: [number, number, number]): Promise<Float32Array> {
  const source = openLayersCamSource(model, MODEL, input, shape, { layer, score: 'output', classIndex: 1 });
  try {
    return (await computeCamHeatmap(source, method, { score: 'output', batchSize }, noCancel, MODEL)).heatmap;
  } finally {
    source.dispose();
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: size`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `${what}: largest difference ${worst}`);
  assert.ok(Math.max(...actual) > 0, `${what}: not all zero`);
}

describe('CAM methods on every kind of layers model', function () {
  this.timeout(120_000);
  before(useWasmBackend);

  it('a nested model gives, for every method, the maps its flat twin gives', async function () {
    const convolutions = () => [
      tf.layers.conv2d({ name: 'conv_a', inputShape: [16, 16, 3], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(1) }),
      tf.layers.conv2d({ name: 'conv_b', filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(2) }),
    ];
    const head = () => [tf.layers.globalAveragePooling2d({ name: 'pool' }), tf.layers.dense({ name: 'scores', units: 3, activation: 'softmax', kernelInitializer: glorot(3) })];
    const flat = tf.sequential({ layers: [...convolutions(), ...head()] });
    const nested = tf.sequential({ layers: [tf.sequential({ name: 'features', layers: convolutions() }), ...head()] });
    try {
      nested.setWeights(flat.getWeights());
      const input = pseudoImage(16, 16);
      const before = tf.memory().numTensors;
      for (const method of CAM_METHOD_IDS) {
        const expected = await camMap(flat, 'conv_b', method, 4, input, [16, 16, 3]);
        assertClose(await camMap(nested, 'features/conv_b', method, 4, input, [16, 16, 3]), expected, method);
      }
      assert.equal(tf.memory().numTensors, before, 'no tensor outlives a map');
    } finally {
      flat.dispose();
      nested.dispose();
    }
  });

  it('re-scores channels in batches as it does one at a time: a branch around the target joined by addition or by concatenation', async function () {
    for (const join of ['add', 'concatenate'] as const) {
      const input = tf.input({ shape: [12, 12, 3] });
      const target = tf.layers.conv2d({ name: 'target', filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(4) }).apply(input) as tf.SymbolicTensor;
      const around = tf.layers.conv2d({ name: 'around', filters: 5, kernelSize: 1, kernelInitializer: glorot(5) }).apply(input) as tf.SymbolicTensor;
      const joined = (join === 'add' ? tf.layers.add({ name: 'join' }) : tf.layers.concatenate({ name: 'join' })).apply([target, around]) as tf.SymbolicTensor;
      const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(joined) as tf.SymbolicTensor;
      const scores = tf.layers.dense({ name: 'scores', units: 1, activation: 'sigmoid', kernelInitializer: glorot(6) }).apply(pooled) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: scores });
      try {
        const image = pseudoImage(12, 12);
        for (const method of ['scorecam', 'ablationcam'] as const) {
          const oneByOne = await camMap(model, 'target', method, 1, image, [12, 12, 3]);
          assertClose(await camMap(model, 'target', method, 4, image, [12, 12, 3]), oneByOne, `${method}, ${join}`, 1e-5);
        }
      } finally {
        model.dispose();
      }
    }
  });
});

describe('the methods that need no gradient run the model forward only', function () {
  this.timeout(120_000);
  before(useWasmBackend);
  after(releaseCachedModel);

  const mnistGraph = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels', 'mnist-cnn-keras3-and-graph', 'model.json');
  const mnistImage = path.join(REPO_ROOT, 'test', 'fixtures', 'golden', 'mnist_seven_28x28.png');
  const cases = [
    { name: 'a layers model (the example)', modelPath: EXAMPLE_MODEL, imagePath: EXAMPLE_IMAGE },
    { name: 'a graph model (the MNIST CNN)', modelPath: mnistGraph, imagePath: mnistImage },
  ];
  for (const { name, modelPath, imagePath } of cases) {
    it(`gives the maps a differentiated run gives: ${name}`, async function () {
      if (!existsSync(modelPath)) {
        console.log(`      (skipped: ${modelPath} is absent)`);
        this.skip();
      }
      const run = (methods: CamMethod[]) =>
        runGradCamJob({ modelPath, imagePath, preprocess: 'rescale', score: 'output', intensity: 0.4, colormap: 'jet', limits, methods, rescoringBatch: 16 }, noCancel);
      const forwardOnly = await run(['eigencam', 'scorecam', 'ablationcam']);
      const differentiated = await run(['gradcam', 'eigencam', 'scorecam', 'ablationcam']);
      // The same run but for fused kernels a gradient tape avoids: equal to float32 rounding.
      forwardOnly.info.predictions.forEach((prediction, rank) => {
        assert.equal(prediction.index, differentiated.info.predictions[rank].index);
        assert.ok(Math.abs(prediction.score - differentiated.info.predictions[rank].score) <= 1e-6);
      });
      for (const [index, map] of forwardOnly.maps.entries()) assertClose(map.heatmap, differentiated.maps[index + 1].heatmap, map.info.method, 1e-5);
    });
  }
});

describe('Score-CAM in the job: progress and cancellation', function () {
  this.timeout(120_000);
  before(useWasmBackend);
  after(releaseCachedModel);

  it('reports its channels batch by batch, stops when cancelled, and leaves no tensor behind', async function () {
    const request = { modelPath: EXAMPLE_MODEL, imagePath: EXAMPLE_IMAGE, score: 'output' as const, intensity: 0.4, colormap: 'jet' as const, limits, methods: ['scorecam' as const], rescoringBatch: 16 };
    const messages: string[] = [];
    const full = await runGradCamJob(request, { ...noCancel, onProgress: (_done, _total, message) => messages.push(message) });
    assert.equal(full.info.method, 'scorecam');
    assert.deepEqual(
      messages.filter((message) => /channels$/.test(message)),
      ['Score-CAM at conv2d_4: 16 of 64 channels', 'Score-CAM at conv2d_4: 32 of 64 channels', 'Score-CAM at conv2d_4: 48 of 64 channels', 'Score-CAM at conv2d_4: 64 of 64 channels'],
    );

    const before = tf.memory().numTensors;
    let batches = 0;
    await assert.rejects(
      runGradCamJob(request, {
        onProgress: (_done, _total, message) => {
          if (/channels$/.test(message)) batches++;
        },
        checkCancelled: async () => {
          if (batches >= 2) throw new JobCancelledError();
        },
      }),
      JobCancelledError,
    );
    assert.equal(batches, 2, 'stopped at the first check after the second batch');
    assert.equal(tf.memory().numTensors, before, 'the cancelled run freed its tensors');
  });
});

describe('attribution methods and faithfulness in the job', function () {
  this.timeout(120_000);
  before(useWasmBackend);
  after(releaseCachedModel);

  it('maps an attribution method at the input’s size beside a CAM method, each with its faithfulness', async function () {
    const arrived: [string, number, number][] = [];
    const result = await runGradCamJob(
      { modelPath: EXAMPLE_MODEL, imagePath: EXAMPLE_IMAGE, score: 'output', intensity: 0.4, colormap: 'jet', limits, methods: ['gradcam', 'guided-grad-cam'], faithfulness: true },
      { ...noCancel, onMap: (map, index, total) => arrived.push([map.info.method, index, total]) },
    );
    assert.deepEqual(arrived, [
      ['gradcam', 0, 2],
      ['guided-grad-cam', 1, 2],
    ], 'each map as soon as it is rendered');
    const [gradCam, guided] = result.maps;
    assert.deepEqual(gradCam.info.heatmapSize, [8, 8], 'Grad-CAM at conv2d_4');
    assert.deepEqual(guided.info.heatmapSize, [64, 64], 'Guided Grad-CAM at the input');
    assert.equal(guided.info.method, 'guided-grad-cam');
    assert.equal(Math.max(...guided.heatmap), 1);
    for (const map of result.maps) {
      const f = map.info.faithfulness!;
      assert.ok(f, `${map.info.method}: measured`);
      assert.equal(f.map.deletion.scores.length, f.map.deletion.fractions.length);
      assert.equal(f.map.deletion.scores[0], f.map.insertion.scores.at(-1), `${map.info.method}: both curves meet at the whole image's score`);
      assert.equal(f.beatsRandom.deletion, f.map.deletion.auc < f.random.deletion.auc);
      assert.equal(f.beatsEdges.insertion, f.map.insertion.auc > f.edges.insertion.auc);
    }
    // Both maps are measured against the same baselines.
    assert.deepEqual(gradCam.info.faithfulness!.random, guided.info.faithfulness!.random);
  });
});

describe('CAM methods through the engine worker', function () {
  this.timeout(120_000);
  let engine: EngineClient;
  before(() => {
    ensureBuilt();
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
  });
  after(() => engine.dispose());

  const request = (methods: ('layercam' | 'eigencam' | 'scorecam')[]) => ({ modelPath: EXAMPLE_MODEL, imagePath: EXAMPLE_IMAGE, score: 'output' as const, intensity: 0.4, colormap: 'jet' as const, limits, methods, rescoringBatch: 8 });

  it('streams each map before the result, then stops Score-CAM between batches when cancelled', async function () {
    const streamed: [string, number, number][] = [];
    const result = await engine.runGradCam(request(['layercam', 'eigencam']), { onMap: (map, index, total) => streamed.push([map.info.method, index, total]) });
    assert.deepEqual(streamed, [
      ['layercam', 0, 2],
      ['eigencam', 1, 2],
    ]);
    assert.deepEqual(
      result.maps.map((map) => map.info.method),
      ['layercam', 'eigencam'],
    );

    const abort = new AbortController();
    const channelMessages: string[] = [];
    const run = engine.runGradCam(
      request(['scorecam']),
      {
        onProgress: (_done, _total, message) => {
          if (/channels$/.test(message)) {
            channelMessages.push(message);
            abort.abort();
          }
        },
      },
      abort.signal,
    );
    await assert.rejects(run, (error: unknown) => error instanceof EngineError && error.kind === 'cancelled');
    assert.ok(channelMessages.length >= 1 && channelMessages.length < 8, `stopped before the 8 batches: ${channelMessages.join('; ')}`);
  });
});

describe('convscope gradcam --method', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    ensureBuilt();
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  const runCli = (args: string[]) => spawnSync(process.execPath, [CLI_PATH, 'gradcam', EXAMPLE_MODEL, EXAMPLE_IMAGE, '--backend', 'wasm', ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

  it('maps several methods side by side and records each in result.json', async function () {
    const out = path.join(dir, 'out');
    const run = runCli(['--method', 'layercam,eigencam', '--out', out]);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.method, 'layercam');
    assert.deepEqual(
      result.maps.map((map: { method: string; files: { overlay: string } }) => [map.method, map.files.overlay]),
      [
        ['layercam', 'map-01-layercam-conv2d_4-class0-overlay.png'],
        ['eigencam', 'map-02-eigencam-conv2d_4-class0-overlay.png'],
      ],
    );
    assert.match(run.stdout, /^LayerCAM for "circle" \(class 0, score output\) at conv2d_4 \(8×8\), \d+ ms$/m);
    assert.match(run.stdout, /^Eigen-CAM for "circle"/m);
    // heatmap.png is the first map's.
    assert.deepEqual(await readFile(path.join(out, 'heatmap.png')), await readFile(path.join(out, 'map-01-layercam-conv2d_4-class0-heatmap.png')));
  });

  it('refuses an unknown method, naming the methods', function () {
    const run = runCli(['--method', 'gradcam,smartcam', '--out', path.join(dir, 'bad')]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /--method must be one or more of gradcam, gradcampp, xgradcam, layercam, hirescam, eigencam, scorecam, ablationcam, saliency, smoothgrad, integrated-gradients, guided-backprop, guided-grad-cam, occlusion, comma-separated \(got "smartcam"\)/);
  });
});
