import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { InputError, JobCancelledError } from '../../src/shared/errors';
import { filterBatches, optimizeFilterPatterns, planFilterPatterns, type FilterPattern } from '../../src/engine/analyses/filterPatterns';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { preprocessPixels } from '../../src/engine/input/preprocess';
import { preprocessTensor } from '../../src/engine/input/preprocessTensor';
import { PREPROCESS_MODES, type FilterPatternParameters, type PreprocessMode } from '../../src/shared/types';
import { loadModelCached } from '../../src/jobs/modelCache';
import type { LoadedModel } from '../../src/engine/loadedModel';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { REPO_ROOT, buildCatsVsDogsConvnet, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');

/** The study notes' preset (the tests below are about it; filterPatternLucid.unit.test.ts has the default `lucid`'s), compared with no real images. */
function parameters(overrides: Partial<FilterPatternParameters> = {}): FilterPatternParameters {
  return { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size: 32, realImages: [], ...overrides };
}

/** Every filter of `layerName` (or `filters`), optimised batch by batch as the job does. */
async function patternsOf(
  model: tf.LayersModel,
  layerName: string,
  preprocess: PreprocessMode,
  settings: FilterPatternParameters,
  options: { filters?: number[]; maxBatchSize?: number } = {},
): Promise<FilterPattern[]> {
  const summary = summarizeModel(model, '/models/test/model.json');
  const plan = planFilterPatterns(model, summary, { layerName, parameters: settings, ...options });
  const patterns: FilterPattern[] = [];
  for (const batch of filterBatches(plan.filters, plan.batchSize)) patterns.push(...(await optimizeFilterPatterns(model, plan, batch, preprocess, settings)));
  return patterns;
}

function layersModelOf(loaded: LoadedModel): tf.LayersModel {
  if (!(loaded.patternModel instanceof tf.LayersModel)) throw new Error('expected a layers model, got a graph model');
  return loaded.patternModel;
}

/** The activation ratios of the live filters, sorted, after printing their distribution. */
function activationRatios(label: string, patterns: FilterPattern[]): number[] {
  const live = patterns.filter((pattern) => !pattern.dead);
  const ratios = live.map((pattern) => pattern.lossEnd / pattern.lossStart).sort((a, b) => a - b);
  const at = (quantile: number) => ratios[Math.round(quantile * (ratios.length - 1))].toFixed(1);
  console.log(
    `      ${label}: ${live.length} live, ${patterns.length - live.length} dead; mean activation on the pattern ÷ on the starting noise: ` +
      `min ${at(0)}×, quartiles ${at(0.25)}× / ${at(0.5)}× / ${at(0.75)}×, max ${at(1)}×`,
  );
  return ratios;
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Counts the gradient-ascent steps that reach `layer`: its forward passes made while a gradient is being taped. */
function countGradientPasses(layer: tf.layers.Layer): { count: () => number; restore: () => void } {
  const original = layer.call;
  let passes = 0;
  layer.call = function (this: tf.layers.Layer, ...args: Parameters<typeof original>) {
    if (tf.engine().state.gradientDepth > 0) passes++;
    return original.apply(this, args);
  };
  return { count: () => passes, restore: () => void (layer.call = original) };
}

describe('preprocessTensor', function () {
  before(useWasmBackend);

  for (const channels of [3, 1]) {
    it(`gives what preprocessPixels gives, for every mode (${channels} channel${channels === 1 ? '' : 's'})`, async function () {
      const shape: [number, number, number, number] = [2, 5, 4, channels];
      const pixels = new Uint8Array(shape.reduce((a, b) => a * b)).map((_, i) => (i * 97 + 13) % 256);
      for (const mode of PREPROCESS_MODES) {
        const expected = preprocessPixels(pixels, channels, mode);
        const actual = tf.tidy(() => preprocessTensor(tf.tensor4d(pixels, shape, 'float32'), mode));
        const values = await actual.data<'float32'>();
        actual.dispose();
        assert.ok(largestDifference(values, expected) < 1e-4, `${mode}: largest difference ${largestDifference(values, expected)}`);
      }
    });
  }
});

describe('filter patterns (engine)', function () {
  let tiny: tf.Sequential;
  let tinyConv2: string;

  before(async function () {
    await useWasmBackend();
    tiny = buildTinyConvnet();
    tinyConv2 = tiny.layers[2].name;
  });
  after(() => tiny.dispose());

  it('raises every live filter’s mean activation at least 5× above the starting noise, on seeded random convnets', async function () {
    // Zero-centred preprocessing: after ÷255 the starting gray (0.5) already drives an untrained
    // ReLU filter hard, so 40 unit steps cannot multiply its activation (reported below, not asserted).
    const tinyRatios = activationRatios(`tiny convnet ${tinyConv2}, tf`, await patternsOf(tiny, tinyConv2, 'tf', parameters()));
    const catsModel = buildCatsVsDogsConvnet();
    try {
      const conv3 = catsModel.layers[4].name;
      const catsRatios = activationRatios(`cats-vs-dogs ${conv3} at 32 px, caffe`, await patternsOf(catsModel, conv3, 'caffe', parameters(), { filters: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }));
      for (const ratios of [tinyRatios, catsRatios]) {
        assert.ok(ratios.length >= 3, 'enough live filters to judge');
        assert.ok(ratios[0] >= 5, `smallest ratio ${ratios[0]}`);
      }
      const rescaled = activationRatios(`tiny convnet ${tinyConv2}, rescale (not asserted)`, await patternsOf(tiny, tinyConv2, 'rescale', parameters()));
      assert.ok(rescaled[0] > 1, 'still higher than at the start');
    } finally {
      catsModel.dispose();
    }
  });

  it('gives each image of a batch the path it follows alone', async function () {
    for (const preset of ['chollet', 'clear'] as const) {
      const settings = parameters({ preset, steps: preset === 'clear' ? 10 : 40 });
      const batched = await patternsOf(tiny, tinyConv2, 'tf', settings, { filters: [0, 1, 2, 3] });
      for (const [i, filter] of [0, 1, 2, 3].entries()) {
        const [alone] = await patternsOf(tiny, tinyConv2, 'tf', settings, { filters: [filter] });
        const difference = largestDifference(batched[i].pixels, alone.pixels);
        assert.ok(difference < 1e-2, `${preset}, filter ${filter}: images differ by up to ${difference} (pixel units)`);
        assert.ok(Math.abs(batched[i].lossEnd - alone.lossEnd) <= 1e-4 * Math.abs(alone.lossEnd) + 1e-6, `${preset}, filter ${filter}: ${batched[i].lossEnd} vs ${alone.lossEnd}`);
        assert.equal(batched[i].filter, filter);
      }
    }
  });

  it('gives the same image for the same seed, and another for another seed, in both presets', async function () {
    for (const preset of ['chollet', 'clear'] as const) {
      const settings = parameters({ preset, steps: 8, seed: 5 });
      const [first, second, reseeded] = [
        await patternsOf(tiny, tinyConv2, 'tf', settings),
        await patternsOf(tiny, tinyConv2, 'tf', settings),
        await patternsOf(tiny, tinyConv2, 'tf', { ...settings, seed: 6 }),
      ];
      first.forEach((pattern, i) => {
        assert.deepEqual(pattern.pixels, second[i].pixels, `${preset}, filter ${pattern.filter}`);
        assert.notDeepEqual(pattern.pixels, reseeded[i].pixels);
      });
    }
  });

  it('gives the clear preset’s result on the cpu backend too', async function () {
    const settings = parameters({ preset: 'clear', steps: 4 });
    const onWasm = await patternsOf(tiny, tinyConv2, 'tf', settings);
    await tf.setBackend('cpu');
    try {
      // The cpu backend's one-time advice to install tfjs-node is noise here.
      (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
      const onCpu = await patternsOf(tiny, tinyConv2, 'tf', settings);
      onCpu.forEach((pattern, i) => {
        assert.equal(pattern.dead, onWasm[i].dead, `filter ${pattern.filter}`);
        const difference = largestDifference(pattern.pixels, onWasm[i].pixels);
        assert.ok(difference < 0.1, `filter ${pattern.filter}: the backends differ by up to ${difference} (pixel units)`);
      });
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('starts from the study notes’ gray noise, runs the clear preset’s octaves up to the requested size, and takes gray models', async function () {
    const start = await patternsOf(tiny, tinyConv2, 'none', parameters({ steps: 1, stepSize: 1e-9 }));
    for (const pattern of start) {
      assert.ok(pattern.pixels.every((value) => value >= 128 && value < 148), 'random(0..1) × 20 + 128');
      assert.equal(pattern.pixels.length, 32 * 32 * 3);
    }
    const clear = await patternsOf(tiny, tinyConv2, 'tf', parameters({ preset: 'clear', steps: 3, size: 36, clear: { ...DEFAULT_FILTER_PATTERN_PARAMETERS.clear, octaves: 3, octaveScale: 1.5 } }));
    assert.deepEqual([clear[0].size, clear[0].steps, clear[0].pixels.length], [36, 9, 36 * 36 * 3]);
    const gray = buildTinyConvnet({ inputChannels: 1 });
    try {
      const [pattern] = await patternsOf(gray, gray.layers[2].name, 'caffe', parameters({ steps: 3 }), { filters: [1] });
      assert.deepEqual([pattern.channels, pattern.pixels.length], [1, 32 * 32]);
    } finally {
      gray.dispose();
    }
  });

  it('marks a filter whose gradient is zero from the start as dead and leaves its image alone', async function () {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })],
    });
    try {
      const conv = model.layers[0];
      tf.tidy(() => {
        const [kernel] = conv.getWeights();
        // Filter 1: no weights and a negative bias, so ReLU outputs zero for every input.
        const deadMask = tf.tensor1d([1, 0, 1]);
        conv.setWeights([kernel.mul(deadMask), tf.tensor1d([0.1, -1, 0.1])]);
      });
      const patterns = await patternsOf(model, conv.name, 'rescale', parameters({ size: 16 }));
      assert.deepEqual(patterns.map((pattern) => pattern.dead), [false, true, false]);
      assert.ok(patterns[1].pixels.every((value) => value >= 128 && value < 148), 'the dead filter’s image is still the starting noise');
      assert.deepEqual([patterns[1].lossStart, patterns[1].lossEnd], [0, 0]);
      assert.ok(patterns[0].lossEnd > patterns[0].lossStart);
    } finally {
      model.dispose();
    }
  });

  it('works on a convolution without its own activation (the fused kernel’s gradient)', async function () {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      ],
    });
    try {
      const patterns = await patternsOf(model, model.layers[2].name, 'tf', parameters({ size: 16, steps: 10 }));
      for (const pattern of patterns) assert.ok(pattern.lossEnd > pattern.lossStart, `${pattern.lossStart} → ${pattern.lossEnd}`);
    } finally {
      model.dispose();
    }
  });

  it('refuses unknown and non-convolution layers, missing filters and sizes the layer cannot take, naming the model file', function () {
    const summary = summarizeModel(tiny, '/models/tiny/model.json');
    const plan = (layerName: string, extra: Partial<Parameters<typeof planFilterPatterns>[2]> = {}) =>
      planFilterPatterns(tiny, summary, { layerName, parameters: parameters(), ...extra });
    const refused = (action: () => unknown, problem: RegExp) =>
      assert.throws(action, (error: unknown) => error instanceof InputError && error.file === '/models/tiny/model.json' && problem.test(error.problem));
    refused(() => plan('nope'), /no layer named "nope"/);
    refused(() => plan(tiny.layers[1].name), /is a MaxPooling2D; filter patterns need a convolution layer/);
    refused(() => plan(tinyConv2, { filters: [0, 4] }), /has 4 filters \(0–3\); there is no filter 4/);
    refused(() => plan(tinyConv2, { parameters: parameters({ size: 5 }) }), /has no output for a 5×5 input/);
    assert.deepEqual(plan(tinyConv2).filters, [0, 1, 2, 3]);
  });
});

describe('filter-pattern job', function () {
  let dir: string;
  let modelPath: string;
  let model: tf.LayersModel;
  let conv2: tf.layers.Layer;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    const original = buildTinyConvnet();
    modelPath = await writeModel(original, dir, 'tiny');
    original.dispose();
    // The job loads through the same cache, so it runs this instance.
    model = layersModelOf(await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS));
    conv2 = model.layers[2];
  });
  after(() => removeDir(dir));

  const request = (steps: number) => ({
    modelPath,
    layerName: conv2.name,
    preprocess: 'tf' as const,
    parameters: parameters({ steps }),
    maxBatchSize: 2,
    limits: { model: DEFAULT_MODEL_LIMITS },
  });

  it('streams each filter’s tile, ends with the grid and leaves no tensor behind', async function () {
    const baseline = tf.memory().numTensors;
    const tiles: number[] = [];
    const progress: string[] = [];
    const result = await runFilterPatternJob(request(5), {
      checkCancelled: async () => {},
      onFilter: async (image) => {
        tiles.push(image.tile);
        const meta = await sharp(image.png).metadata();
        assert.deepEqual([meta.width, meta.height], [32, 32]);
      },
      onProgress: (done, total, message) => progress.push(`${done}/${total} ${message}`),
    });
    assert.equal(tf.memory().numTensors, baseline);
    assert.deepEqual(tiles, [0, 1, 2, 3]);
    assert.equal(result.info.batchSize, 2);
    assert.ok(progress.includes('0/10 step 1/5 · 0/4 filters done'), progress.join('\n'));
    assert.ok(progress.includes('9/10 step 5/5 · 2/4 filters done'), progress.join('\n'));
    assert.equal(progress.at(-1), '10/10 4/4 filters done');
    // Four tiles, 8 to a column: one column of four, 32 px each with 5 px margins.
    assert.deepEqual([result.grid.layout.width, result.grid.layout.height], [32, 4 * 32 + 3 * 5]);
  });

  it('reads each real image once for every grid, and again when the image changes', async function () {
    // Uncompressed PNGs of one size have one byte length: only the content and the modification time tell them apart.
    const writeUncompressed = (file: string, value: number) =>
      sharp(Buffer.alloc(32 * 32 * 3, value), { raw: { width: 32, height: 32, channels: 3 } })
        .png({ compressionLevel: 0 })
        .toFile(file);
    const image = path.join(dir, 'real.png');
    // Whole seconds: utimes would round a finer time the file system keeps.
    const time = new Date(1_700_000_000_000);
    await writeUncompressed(image, 200);
    await utimes(image, time, time);
    const bestActivations = async () => {
      const best: number[] = [];
      await runFilterPatternJob(
        { ...request(1), parameters: parameters({ steps: 1, realImages: [image] }) },
        { checkCancelled: async () => {}, onFilter: (tile) => void best.push(tile.realImages!.bestActivation) },
      );
      return best;
    };
    const first = await bestActivations();
    // Another content under the same size and time: the pixels kept are the first one's.
    await writeUncompressed(image, 20);
    await utimes(image, time, time);
    assert.deepEqual(await bestActivations(), first);
    // A new time: read again.
    const later = new Date(time.getTime() + 5000);
    await utimes(image, later, later);
    const changed = await bestActivations();
    assert.notDeepEqual(changed, first);
    // Another layer, from the pixels kept.
    const other = await runFilterPatternJob({ ...request(1), layerName: model.layers[0].name, parameters: parameters({ steps: 1, realImages: [image] }) }, { checkCancelled: async () => {}, onFilter: () => {} });
    assert.equal(other.info.layerName, model.layers[0].name);
  });

  it('stops within one step when cancelled, keeps the finished filters and leaves no tensor behind', async function () {
    const baseline = tf.memory().numTensors;
    const gradientPasses = countGradientPasses(conv2);
    const finished: number[] = [];
    let checks = 0;
    // 6 steps per batch of 2: the first batch finishes, the second is cancelled before its step 3.
    const allowedChecks = 8;
    try {
      await assert.rejects(
        runFilterPatternJob(request(6), {
          checkCancelled: async () => {
            if (++checks > allowedChecks) throw new JobCancelledError();
          },
          onFilter: (image) => void finished.push(image.filter),
        }),
        JobCancelledError,
      );
    } finally {
      gradientPasses.restore();
    }
    assert.deepEqual(finished, [0, 1]);
    assert.ok(gradientPasses.count() <= allowedChecks + 1, `${gradientPasses.count()} steps ran after ${allowedChecks} checks`);
    assert.equal(gradientPasses.count(), allowedChecks, 'no step runs once checkCancelled throws');
    assert.equal(tf.memory().numTensors, baseline);
  });
});

describe('filter patterns of the example model', function () {
  before(async function () {
    if (!existsSync(EXAMPLE_MODEL)) {
      console.log(`      skipped: ${path.relative(REPO_ROOT, EXAMPLE_MODEL)} does not exist yet`);
      this.skip();
    }
    await useWasmBackend();
  });

  it('raises every live filter’s mean activation in every convolution, at least 5× in the last one', async function () {
    const loaded = await loadModelCached(EXAMPLE_MODEL, DEFAULT_MODEL_LIMITS);
    const { summary } = loaded;
    const model = layersModelOf(loaded);
    const convolutions = summary.layers.filter((candidate) => candidate.className === 'Conv2D');
    for (const [position, layer] of convolutions.entries()) {
      const ratios = activationRatios(`${layer.name}, ${summary.defaultPreprocess}`, await patternsOf(model, layer.name, summary.defaultPreprocess, parameters(), { filters: [0, 1, 2, 3, 4, 5, 6, 7] }));
      assert.ok(ratios.length > 0, `${layer.name}: every filter is dead`);
      // Earlier filters respond to the starting gray itself (a first convolution's mean activation is
      // affine in the image's mean colour, which 40 unit steps move by 40 of 128 levels): they must
      // grow, but cannot grow 5×.
      const least = position === convolutions.length - 1 ? 5 : 1;
      assert.ok(ratios[0] >= least && ratios[0] > 1, `${layer.name}: smallest ratio ${ratios[0]}`);
    }
  });
});
