// The `lucid` preset (Fourier-space image in the model's input range, Adam, transformation
// robustness, redirected ReLU gradients), the verdicts every tile gets, the parameter ranges, the
// clear preset's stable smoothing and "what excites this filter in your images".
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/shared/errors';
import { filterBatches, optimizeFilterPatterns, planFilterPatterns, type FilterPattern } from '../../src/engine/analyses/filterPatterns';
import { FourierImageParameterization, keptFrequencies, realFourierBasis, spectrumScale } from '../../src/engine/analyses/patternParameterization';
import { withRedirectedReluGradients } from '../../src/engine/analyses/filterPatternRedirectedRelu';
import { PerImageRates } from '../../src/engine/analyses/filterPatternRates';
import { judgePattern } from '../../src/engine/analyses/filterPatternVerdict';
import { filterPatternParameterProblems } from '../../src/engine/analyses/filterPatternParameters';
import { findFilterExamples, FilterExampleSearch } from '../../src/engine/analyses/filterPatternExamples';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { mulberry32 } from '../../src/engine/seededRandom';
import { readImageForModel } from '../../src/engine/input/imageInput';
import { loadModelCached, releaseCachedModel } from '../../src/jobs/modelCache';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { FilterPatternParameters, PreprocessMode } from '../../src/shared/types';
import { REPO_ROOT, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeModel, writeTestImage } from '../support/engineFixtures';

const EXAMPLE_FOLDER = path.join(REPO_ROOT, 'examples', 'shapes');
const REAL_MODELS = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels');

function lucid(overrides: Partial<FilterPatternParameters> = {}): FilterPatternParameters {
  return { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'lucid', size: 32, realImages: [], ...overrides };
}

async function patternsOf(model: tf.LayersModel, modelPath: string, layerName: string, preprocess: PreprocessMode, parameters: FilterPatternParameters, filters?: number[]): Promise<FilterPattern[]> {
  const summary = summarizeModel(model, modelPath);
  const plan = planFilterPatterns(model, summary, { layerName, parameters, filters });
  const patterns: FilterPattern[] = [];
  for (const batch of filterBatches(plan.filters, plan.batchSize)) patterns.push(...(await optimizeFilterPatterns(model, plan, batch, preprocess, parameters)));
  return patterns;
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Two conv layers; the second's filter 1 sums its inputs' centre taps less 1: silent on the near-gray start, alive on other images. */
function modelWithSilentFilter(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  tf.tidy(() => {
    const [kernel] = model.layers[1].getWeights();
    const centre = tf.buffer(kernel.shape, 'float32', Float32Array.from(kernel.dataSync()));
    for (let c = 0; c < 4; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) centre.set(y === 1 && x === 1 ? 1 : 0, y, x, c, 1);
    model.layers[1].setWeights([centre.toTensor(), tf.tensor1d([0.1, -1])]);
  });
  return model;
}

describe('lucid preset: the image parameterisation', function () {
  before(useWasmBackend);

  it('uses an orthonormal real Fourier basis and keeps frequencies up to a quarter cycle per pixel', function () {
    for (const size of [8, 9, 64]) {
      const basis = realFourierBasis(size);
      for (let a = 0; a < size; a++) {
        for (let b = 0; b < size; b++) {
          let dot = 0;
          for (let n = 0; n < size; n++) dot += basis[n * size + a] * basis[n * size + b];
          assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `size ${size}: columns ${a}·${b} = ${dot}`);
        }
      }
    }
    assert.deepEqual([keptFrequencies(64), keptFrequencies(9), keptFrequencies(1)], [32, 5, 1]);
  });

  it('draws each pixel as its weighted Fourier sum clipped to 0–255, colours mixed by Lucid’s correlation, with the projected gradient', function () {
    // Lucid's color_correlation_svd_sqrt, normalised by its largest column norm.
    const root = [
      [0.26, 0.09, 0.02],
      [0.27, 0.0, -0.05],
      [0.27, -0.09, 0.03],
    ];
    const largestNorm = Math.max(...[0, 1, 2].map((column) => Math.hypot(...root.map((row) => row[column]))));
    const size = 6;
    const kept = keptFrequencies(size);
    const basis = realFourierBasis(size);
    const scale = spectrumScale(size);
    for (const channels of [1, 3]) {
      const batch = 2;
      const parameterization = new FourierImageParameterization(size, channels);
      // Channel-major [channels, batch, x frequency, y frequency].
      const spectrum = Float32Array.from({ length: channels * batch * kept * kept }, (_, i) => Math.sin(i * 1.7) * 25);
      const coefficient = (channel: number, image: number, kx: number, ky: number) => spectrum[((channel * batch + image) * kept + kx) * kept + ky];
      // The pixel before clipping: 127.5 + 255/4 × (the weighted sum, divided by 4 as Lucid does).
      const unclipped = (image: number, y: number, x: number, channel: number, values = coefficient, offset = 127.5) => {
        let sum = 0;
        for (let from = 0; from < channels; from++) {
          const mix = channels === 1 ? 1 : root[channel][from] / largestNorm;
          for (let kx = 0; kx < kept; kx++) {
            for (let ky = 0; ky < kept; ky++) sum += (mix * values(from, image, kx, ky) * scale[kx * kept + ky] * basis[x * size + kx] * basis[y * size + ky]) / 4;
          }
        }
        return offset + (255 / 4) * sum;
      };
      try {
        // What the ascent shows the model: the spectrum weighted in JavaScript, then the basis products and the clip.
        const input = tf.tensor4d(parameterization.weightSpectrum(spectrum), [channels, batch, kept, kept]);
        const pixels = tf.tidy(() => parameterization.pixelsOfWeighted(input));
        const values = pixels.dataSync();
        let worst = 0;
        for (let image = 0; image < batch; image++) {
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++) {
              for (let channel = 0; channel < channels; channel++) {
                const expected = Math.min(255, Math.max(0, unclipped(image, y, x, channel)));
                worst = Math.max(worst, Math.abs(values[((image * size + y) * size + x) * channels + channel] - expected));
              }
            }
          }
        }
        assert.ok(worst < 1e-3, `${channels} channel(s): off by ${worst}`);
        // The gradient of one pixel's value raised (+1) or lowered (−1), taken back to the spectrum
        // by spectrumGradient, against the chain rule through the direct sum: it passes inside
        // 0–255 and, outside, only back towards it.
        const cases = new Set<string>();
        const image = 1;
        const channel = channels - 1;
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const before = unclipped(image, y, x, channel);
            const side = before > 255 ? 'above' : before < 0 ? 'below' : 'inside';
            for (const direction of [1, -1]) {
              const gradient = tf.tidy(() => tf.grad((w: tf.Tensor) => parameterization.pixelsOfWeighted(w as tf.Tensor4D).slice([image, y, x, channel], [1, 1, 1, 1]).sum().mul(direction))(input));
              const gradientValues = parameterization.spectrumGradient(Float32Array.from(gradient.dataSync()));
              gradient.dispose();
              const passes = side === 'inside' || (side === 'above' ? direction < 0 : direction > 0);
              cases.add(`${side} ${passes ? 'passes' : 'stops'}`);
              let worstGradient = 0;
              for (let from = 0; from < channels; from++) {
                for (let i = 0; i < batch; i++) {
                  for (let kx = 0; kx < kept; kx++) {
                    for (let ky = 0; ky < kept; ky++) {
                      const unit = unclipped(image, y, x, channel, (c, j, a, b) => (c === from && j === i && a === kx && b === ky ? 1 : 0), 0);
                      const expected = passes ? direction * unit : 0;
                      worstGradient = Math.max(worstGradient, Math.abs(gradientValues[((from * batch + i) * kept + kx) * kept + ky] - expected));
                    }
                  }
                }
              }
              assert.ok(worstGradient < 1e-3, `${channels} channel(s), pixel (${y}, ${x}) ${side}, direction ${direction}: gradient off by ${worstGradient}`);
            }
          }
        }
        assert.deepEqual([...cases].sort(), ['above passes', 'above stops', 'below passes', 'below stops', 'inside passes'], `${channels} channel(s): every case is checked`);
        tf.dispose([input, pixels]);
      } finally {
        parameterization.dispose();
      }
    }
  });

  it('draws a near-gray start in 0–255, and images that never leave 0–255 however large the spectrum', function () {
    for (const channels of [1, 3]) {
      const parameterization = new FourierImageParameterization(24, channels);
      try {
        const start = parameterization.initialSpectrumValues([mulberry32(1), mulberry32(2)]);
        const pixelsOf = (spectrum: Float32Array) => tf.tidy(() => parameterization.pixelsOfWeighted(tf.tensor4d(parameterization.weightSpectrum(spectrum), parameterization.spectrumShape(2))));
        const pixels = pixelsOf(start);
        assert.deepEqual(pixels.shape, [2, 24, 24, channels]);
        assert.ok(pixels.dataSync().every((value) => Math.abs(value - 127.5) < 5), 'Lucid’s start: sd 0.01 per coefficient');
        const huge = pixelsOf(start.map((value) => value * 1e6));
        assert.ok(huge.dataSync().every((value) => Number.isFinite(value) && value >= 0 && value <= 255));
        tf.dispose([pixels, huge]);
      } finally {
        parameterization.dispose();
      }
    }
  });
});

describe('lucid preset: each image’s rate in the settling steps', function () {
  it('lengthens an image’s steps while its score rises and shortens them when it does not, within ¼–4× the shared rate', function () {
    const rates = new PerImageRates(3);
    rates.observe([1, 1, 1]);
    assert.deepEqual(rates.ratesFor(2), [2, 2, 2], 'a first score alone changes nothing');
    rates.observe([2, 0.5, 1]);
    assert.deepEqual(rates.ratesFor(2).map((rate) => +rate.toFixed(6)), [2.4, 1, 1], 'rose: ×1.2; fell: ×½; unchanged: ×½');
    for (let step = 3; step <= 20; step++) rates.observe([step, 1 / step, 1]);
    assert.deepEqual(rates.ratesFor(2), [8, 0.5, 0.5], 'the factors stop at 4 and ¼');
    rates.observe([0, 1, 2]);
    assert.deepEqual(rates.ratesFor(1).map((rate) => +rate.toFixed(6)), [2, 0.3, 0.3], 'each image follows its own scores');
  });
});

describe('lucid preset: the ascent', function () {
  let tiny: tf.Sequential;
  let tinyConv2: string;

  before(async function () {
    await useWasmBackend();
    tiny = buildTinyConvnet();
    tinyConv2 = tiny.layers[2].name;
  });
  after(() => tiny.dispose());

  it('raises every filter, keeps each image in 0–255 and finite, and leaves no tensor behind', async function () {
    const before = tf.memory().numTensors;
    const patterns = await patternsOf(tiny, '/models/test/model.json', tinyConv2, 'rescale', lucid({ steps: 20 }));
    assert.equal(tf.memory().numTensors, before);
    for (const pattern of patterns) {
      assert.ok(pattern.lossEnd > pattern.lossStart, `filter ${pattern.filter}: ${pattern.lossStart} → ${pattern.lossEnd}`);
      assert.equal(pattern.verdict, 'raised', pattern.verdictText);
      assert.ok(pattern.pixels.every((value) => value >= 0 && value <= 255));
      assert.equal(pattern.realImages, undefined, 'realImages: [] compares with nothing');
    }
  });

  it('gives each image of a batch the path it follows alone, the same image for the same seed and another for another', async function () {
    const settings = lucid({ steps: 6 });
    const batched = await patternsOf(tiny, '/m/model.json', tinyConv2, 'tf', settings, [0, 1, 2, 3]);
    for (const filter of [0, 3]) {
      const [alone] = await patternsOf(tiny, '/m/model.json', tinyConv2, 'tf', settings, [filter]);
      assert.ok(largestDifference(batched[filter].pixels, alone.pixels) < 0.05, `filter ${filter}: ${largestDifference(batched[filter].pixels, alone.pixels)}`);
    }
    const again = await patternsOf(tiny, '/m/model.json', tinyConv2, 'tf', settings, [0, 1, 2, 3]);
    const reseeded = await patternsOf(tiny, '/m/model.json', tinyConv2, 'tf', { ...settings, seed: 9 }, [0, 1, 2, 3]);
    batched.forEach((pattern, i) => {
      assert.deepEqual(pattern.pixels, again[i].pixels);
      assert.notDeepEqual(pattern.pixels, reseeded[i].pixels);
    });
  });

  it('starts a filter that is silent on the start with redirected ReLU gradients, where the plain gradient never moves it', async function () {
    const model = modelWithSilentFilter();
    try {
      const layer = model.layers[1].name;
      const [plain] = await patternsOf(model, '/m/model.json', layer, 'rescale', lucid({ size: 16, steps: 30, lucid: { ...lucid().lucid!, redirectedReluSteps: 0 } }), [1]);
      const [redirected] = await patternsOf(model, '/m/model.json', layer, 'rescale', lucid({ size: 16, steps: 30 }), [1]);
      assert.equal(plain.lossStart, 0);
      assert.equal(plain.lossEnd, 0, 'the true ReLU gradient is zero everywhere');
      assert.equal(plain.verdict, 'not raised');
      assert.ok(redirected.lossEnd > 0, `redirected: ${redirected.lossStart} → ${redirected.lossEnd}`);
      assert.equal(redirected.verdict, 'raised', redirected.verdictText);
    } finally {
      model.dispose();
    }
  });

  it('shows a convolution with a single filter, in every preset and beside its crops (tf.oneHot refuses a depth of 1)', async function () {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
        tf.layers.conv2d({ filters: 1, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
      ],
    });
    const dir = await makeTempDir();
    try {
      const layer = model.layers[1].name;
      for (const preset of ['lucid', 'chollet', 'clear'] as const) {
        const [pattern] = await patternsOf(model, '/m/model.json', layer, 'rescale', lucid({ preset, size: 16, steps: 5 }));
        assert.equal(pattern.filter, 0);
        assert.ok(pattern.pixels.every(Number.isFinite) && Number.isFinite(pattern.lossEnd), `${preset}: ${pattern.lossStart} → ${pattern.lossEnd}`);
        // Silent on gray noise, so only lucid's redirected ReLU gradients move it.
        if (preset === 'lucid') assert.ok(pattern.lossEnd > pattern.lossStart, `lucid: ${pattern.lossStart} → ${pattern.lossEnd}`);
      }
      const image = await writeTestImage(path.join(dir, 'a.png'), 16, 16);
      const { results } = await findFilterExamples(model, summarizeModel(model, path.join(dir, 'model.json')), { layerName: layer, top: 1 }, [image], {});
      assert.deepEqual(results.map(({ filter }) => filter), [0]);
    } finally {
      model.dispose();
      await removeDir(dir);
    }
  });

  it('redirects a linear filter whose every input a ReLU silences (its mean activation is its bias, not 0)', async function () {
    const model = modelWithSilentFilter();
    // A 1×1 linear convolution reading the silent filter: 0.5 + that filter's output, constant on the start.
    model.add(tf.layers.conv2d({ filters: 1, kernelSize: 1 }));
    model.layers[2].setWeights([tf.tensor4d([0, 1], [1, 1, 2, 1]), tf.tensor1d([0.5])]);
    try {
      const layer = model.layers[2].name;
      const [plain] = await patternsOf(model, '/m/model.json', layer, 'rescale', lucid({ size: 16, steps: 30, lucid: { ...lucid().lucid!, redirectedReluSteps: 0 } }), [0]);
      const [redirected] = await patternsOf(model, '/m/model.json', layer, 'rescale', lucid({ size: 16, steps: 30 }), [0]);
      assert.ok(Math.abs(plain.lossStart - 0.5) < 1e-6 && plain.lossEnd === plain.lossStart, `plain: ${plain.lossStart} → ${plain.lossEnd}`);
      assert.ok(redirected.lossEnd > 0.5, `redirected: ${redirected.lossStart} → ${redirected.lossEnd}`);
    } finally {
      model.dispose();
    }
  });

  it('puts TF.js’s own ReLU gradients back after redirecting them, also when the gradient throws', function () {
    const own = tf.getGradient(tf.Relu);
    assert.throws(
      () =>
        withRedirectedReluGradients(() => {
          assert.notEqual(tf.getGradient(tf.Relu), own);
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.equal(tf.getGradient(tf.Relu), own);
    const x = tf.tensor2d([[-1, 2]]);
    const redirected = withRedirectedReluGradients(() => tf.grad((v) => tf.relu(v).mul(tf.tensor2d([[1, -1]])).sum())(x));
    // Image 0's true gradient gets through (x = 2 is open), so the ReLU's own gradient is kept.
    assert.deepEqual([...redirected.dataSync()], [0, -1]);
    tf.dispose([x, redirected]);
  });

  it('redirects only the images it is told to, in one pass; the others keep the true gradient even where a ReLU blocks all of it', function () {
    // Both images closed everywhere (x < 0), the objective asking for a larger input.
    const x = tf.tensor2d([
      [-1, -2],
      [-1, -2],
    ]);
    const gradient = withRedirectedReluGradients(() => tf.grad((v) => tf.relu(v).sum())(x), [true, false]);
    assert.deepEqual([...gradient.dataSync()], [1, 1, 0, 0]);
    tf.dispose([x, gradient]);
  });

  it('redirects a blocked ReLU6 only towards its open range, and leaves open and plain images their true gradient', function () {
    // Image 0 above 6 everywhere (blocked), image 1 open, image 2 below 0 (blocked, but plain); image 3 below 0, redirected.
    const x = tf.tensor2d([
      [7, 8],
      [1, 2],
      [-1, -2],
      [-1, -2],
    ]);
    const weights = tf.tensor2d([
      [-1, 1],
      [1, 1],
      [1, 1],
      [1, -1],
    ]);
    const gradient = withRedirectedReluGradients(() => tf.grad((v) => tf.relu6(v).mul(weights).sum())(x), [true, true, false, true]);
    assert.deepEqual(Array.from(gradient.dataSync(), (value) => value + 0), [-1, 0, 1, 1, 0, 0, 1, 0], '-0 read as 0');
    tf.dispose([x, weights, gradient]);
  });
});

describe('filter-pattern verdicts and real images', function () {
  let dir: string;
  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  it('says in words whether the ascent raised the filter and how it compares with real images', function () {
    const real = { count: 3, bestActivation: 0.5, bestImage: '/x/cat.png', gain: 4 };
    assert.match(judgePattern(0.1, 2, false, real).verdictText, /^Raised its mean activation 0\.1 → 2; 4× the best of 3 real images \(cat\.png: 0\.5\)\.$/);
    assert.equal(judgePattern(0.1, 0.3, false, { ...real, gain: 0.6 }).verdict, 'raised');
    assert.match(judgePattern(0.1, 0.3, false, { ...real, gain: 0.6 }).verdictText, /the best of 3 real images excites it more \(cat\.png: 0\.5\)/);
    assert.equal(judgePattern(1, 1.02, false, undefined).verdict, 'not raised');
    assert.equal(judgePattern(1, 0.5, false, undefined).verdict, 'not raised', 'lowered');
    assert.match(judgePattern(0, 0, true, undefined).verdictText, /stayed at 0: nothing the ascent reached makes this filter respond/);
    const silent = judgePattern(0, 1, false, { count: 2, bestActivation: 0, bestImage: '/x/a.png' });
    assert.equal(silent.verdict, 'silent on real images');
    assert.match(silent.verdictText, /0 or less on every one of the 2 real images/);
    assert.doesNotMatch(Object.values(judgePattern(0, 0, true, undefined)).join(' '), /\bdead\b/);
  });

  it('compares each pattern with the images beside the model by default, or those named, or none', async function () {
    const model = buildTinyConvnet();
    const modelPath = await writeModel(model, dir, 'beside');
    await writeTestImage(path.join(dir, 'beside', 'photo.png'), 40, 40);
    try {
      const layer = model.layers[0].name;
      const besides = await patternsOf(model, modelPath, layer, 'rescale', lucid({ steps: 3, realImages: undefined }), [0, 1]);
      for (const pattern of besides) {
        assert.equal(pattern.realImages?.count, 1);
        assert.equal(pattern.realImages?.bestImage, path.join(dir, 'beside', 'photo.png'));
      }
      const named = await patternsOf(model, modelPath, layer, 'rescale', lucid({ steps: 3, realImages: [path.join(dir, 'beside', 'photo.png'), path.join(dir, 'missing.png')] }), [0]);
      assert.equal(named[0].realImages?.count, 1, 'an image that cannot be read is skipped');
      const none = await patternsOf(model, modelPath, layer, 'rescale', lucid({ steps: 3, realImages: [] }), [0]);
      assert.equal(none[0].realImages, undefined);
    } finally {
      model.dispose();
    }
  });
});

describe('filter-pattern parameter ranges and the clear preset’s smoothing', function () {
  let tiny: tf.Sequential;
  before(async function () {
    await useWasmBackend();
    tiny = buildTinyConvnet();
  });
  after(() => tiny.dispose());

  it('refuses settings out of their range, saying the range in words', function () {
    const problems = (overrides: Partial<FilterPatternParameters>) => filterPatternParameterProblems({ ...DEFAULT_FILTER_PATTERN_PARAMETERS, ...overrides }).map(({ problem }) => problem);
    assert.deepEqual(problems({}), []);
    assert.deepEqual(problems({ preset: 'lucid', stepSize: 50 }), ['stepSize must be a number above 0 and at most 10 (got 50)']);
    assert.deepEqual(problems({ preset: 'chollet', stepSize: 50 }), []);
    assert.deepEqual(problems({ preset: 'clear', clear: { ...DEFAULT_FILTER_PATTERN_PARAMETERS.clear, octaves: 2.5 } }), ['clear.octaves must be a whole number from 1 to 8 (got 2.5)']);
    assert.deepEqual(problems({ steps: 0, size: NaN }), ['size must be a whole number from 1 to 1024 (got NaN)', 'steps must be a whole number from 1 to 2000 (got 0)']);
    const summary = summarizeModel(tiny, '/models/tiny/model.json');
    assert.throws(
      () => planFilterPatterns(tiny, summary, { layerName: tiny.layers[0].name, parameters: lucid({ stepSize: 11 }) }),
      (error: unknown) => error instanceof InputError && /stepSize must be a number above 0 and at most 10 \(got 11\)/.test(error.problem),
    );
  });

  it('keeps clear’s images finite and bounded at every step size in its range (its smoothing step was explicit and diverged above about 5)', async function () {
    for (const [stepSize, tvWeight] of [[6, 0.05], [100, 10], [100, 0.05]]) {
      const parameters: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'clear', size: 24, steps: 10, stepSize, clear: { ...DEFAULT_FILTER_PATTERN_PARAMETERS.clear, octaves: 2, tvWeight }, realImages: [] };
      const patterns = await patternsOf(tiny, '/m/model.json', tiny.layers[2].name, 'tf', parameters, [0, 1]);
      for (const pattern of patterns) {
        // Each step moves a pixel by at most `stepSize` RMS; the smoothing only shrinks differences.
        const largest = pattern.pixels.reduce((worst, value) => Math.max(worst, Math.abs(value - 138)), 0);
        assert.ok(Number.isFinite(largest) && largest <= 20 * stepSize * 4, `step ${stepSize}, tv ${tvWeight}: |x − 138| up to ${largest}`);
        assert.ok(Number.isFinite(pattern.lossEnd));
      }
    }
  });
});

describe('what excites a filter in real images', function () {
  let dir: string;
  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(() => removeDir(dir));

  it('measures receptive fields, keeps the top crops per filter image by image, and skips what it cannot read', async function () {
    // Two 3×3 valid convolutions: output row r sees input rows r … r + 4.
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [20, 20, 3], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.constant({ value: 0.5 }) }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }), biasInitializer: tf.initializers.constant({ value: 0.5 }) }),
      ],
    });
    try {
      const images = [await writeTestImage(path.join(dir, 'a.png'), 30, 24), await writeTestImage(path.join(dir, 'b.png'), 20, 20, 1), path.join(dir, 'not-there.png')];
      const summary = summarizeModel(model, path.join(dir, 'model.json'));
      const seen: number[] = [];
      const before = tf.memory().numTensors;
      const { results, receptiveFields, skipped } = await findFilterExamples(model, summary, { layerName: model.layers[1].name, top: 2 }, images, {
        onImage: (done) => void seen.push(done),
      });
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(seen, [1, 2, 3]);
      assert.deepEqual(skipped.map(({ image }) => image), [images[2]]);
      assert.deepEqual(receptiveFields.rows.slice(0, 3), [[0, 4], [1, 5], [2, 6]]);
      assert.deepEqual(receptiveFields.columns.at(-1), [15, 19]);
      assert.deepEqual(results.map(({ filter }) => filter), [0, 1]);
      // With these weights filter 0 fires on no image at all: it gets no crops, rather than its least negative ones.
      assert.deepEqual(results[0].examples, []);
      assert.deepEqual(results[1].examples.map(({ image }) => image).sort(), images.slice(0, 2));
      for (const { examples } of results) {
        assert.ok(examples.every((example, i) => i === 0 || example.activation <= examples[i - 1].activation), 'best first');
        for (const example of examples) {
          const { crop, position } = example;
          assert.deepEqual(crop, { x: position.column, y: position.row, width: 5, height: 5 });
          // The crop is the receptive field of the maximum, cut from the image as the model read it.
          const read = await readImageForModel(example.image, { height: 20, width: 20, channels: 3 });
          for (let y = 0; y < 5; y++) {
            const from = ((crop.y + y) * 20 + crop.x) * 3;
            assert.deepEqual(example.pixels.subarray(y * 15, (y + 1) * 15), read.pixels.subarray(from, from + 15));
          }
        }
      }
      const search = FilterExampleSearch.open(model, summary, { layerName: model.layers[1].name, filters: [1], top: 1 });
      try {
        assert.deepEqual(await search.addImage(images[0]), search.results()[0].examples.length ? [1] : []);
      } finally {
        search.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

describe('lucid preset on the example model and the real models', function () {
  this.timeout(120_000);
  before(useWasmBackend);

  /** Patterns of `filters` at the grid's size, compared with `images`; the fraction that beat the best real image and their median gain. */
  async function goal(modelPath: string, layerName: string, filters: number[], images: string[]): Promise<{ beats: number; firing: number; medianGain: number }> {
    const { patternModel, summary } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const parameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, realImages: images };
    const plan = planFilterPatterns(patternModel, summary, { layerName, parameters, filters });
    const patterns: FilterPattern[] = [];
    for (const batch of filterBatches(plan.filters, plan.batchSize)) patterns.push(...(await optimizeFilterPatterns(patternModel, plan, batch, summary.defaultPreprocess, parameters)));
    releaseCachedModel();
    const firing = patterns.filter((pattern) => (pattern.realImages?.bestActivation ?? 0) > 0);
    const gains = firing.map((pattern) => pattern.realImages!.gain!).sort((a, b) => a - b);
    const result = { beats: firing.filter((pattern) => pattern.realImages!.gain! > 1).length, firing: firing.length, medianGain: gains[Math.floor((gains.length - 1) / 2)] };
    console.log(`      ${path.basename(modelPath)} ${layerName}: ${result.beats}/${result.firing} firing filters beat the best real image; median gain ${result.medianGain.toFixed(2)}×`);
    return result;
  }

  it('beats the best of the example images on the example model’s last convolution, several times over', async function () {
    const images = ['circle-1', 'square-2', 'triangle-3'].map((name) => path.join(EXAMPLE_FOLDER, `${name}.png`));
    const { beats, firing, medianGain } = await goal(path.join(EXAMPLE_FOLDER, 'model.json'), 'conv2d_4', [0, 1, 2, 3, 4, 5, 6, 7], images);
    assert.ok(firing >= 6 && beats >= 0.9 * firing, `${beats}/${firing}`);
    assert.ok(medianGain >= 3, `median gain ${medianGain}`);
  });

  it('beats the best real image on the MNIST graph model’s second convolution, and runs on the FER model', async function () {
    if (!existsSync(REAL_MODELS)) {
      console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files these tests read)`);
      this.skip();
    }
    const images = [path.join(EXAMPLE_FOLDER, 'circle-1.png'), path.join(EXAMPLE_FOLDER, 'square-2.png'), path.join(EXAMPLE_FOLDER, 'triangle-3.png')];
    const mnist = path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'model.json');
    const { beats, firing } = await goal(mnist, 'StatefulPartitionedCall/sequential_1/conv2d_1_2/Relu', [0, 1, 2, 3, 4, 5, 6, 7], images);
    assert.ok(firing >= 4 && beats >= 0.9 * firing, `${beats}/${firing}`);
    // FER: its gradient is slow on WASM (its linear convolutions' weight gradients are taken too), so a short check.
    const fer = path.join(REAL_MODELS, 'fer-minixception-h5', 'fer2013_mini_XCEPTION.102-0.66.hdf5');
    const { patternModel, summary } = await loadModelCached(fer, DEFAULT_MODEL_LIMITS);
    const parameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 32, steps: 4 };
    const plan = planFilterPatterns(patternModel, summary, { layerName: 'conv2d_2', parameters, filters: [0, 1] });
    const patterns = await optimizeFilterPatterns(patternModel, plan, plan.filters, summary.defaultPreprocess, parameters);
    releaseCachedModel();
    for (const pattern of patterns) {
      assert.ok(pattern.pixels.every((value) => value >= 0 && value <= 255));
      assert.equal(pattern.realImages?.count, 2, 'the two photos beside the model');
      assert.ok(pattern.verdictText.length > 0);
    }
  });
});

