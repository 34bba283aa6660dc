// Numeric stability of every filter-pattern preset over its documented parameter ranges: each
// parameter at its lowest, a middle and its highest value (the others at their defaults) gives
// finite images that stay within what the preset's step bounds allow; values outside the ranges are
// refused with the range in words. `size` and `steps` scale the work, not the step, so they are
// swept at small values (their upper ends are checked by the refusal instead).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { filterBatches, optimizeFilterPatterns, planFilterPatterns, type FilterPattern } from '../../src/engine/analyses/filterPatterns';
import { describeRange, filterPatternParameterProblems } from '../../src/engine/analyses/filterPatternParameters';
import { summarizeModel } from '../../src/engine/models/modelSummary';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, FILTER_PATTERN_RANGES, type ParameterRange } from '../../src/shared/defaults';
import { InputError } from '../../src/shared/errors';
import type { ClearPresetParameters, FilterPatternParameters, FilterPatternPreset, LucidPresetParameters } from '../../src/shared/types';
import { buildTinyConvnet, useWasmBackend } from '../support/engineFixtures';

/** Small enough that a sweep of every parameter runs in seconds. */
const SWEEP_SIZE = 20;
const SWEEP_STEPS = 6;

/** The lowest allowed value (just above `min` when `min` itself is excluded), the middle and the highest. */
function sweepValues(range: ParameterRange): number[] {
  const lowest = range.aboveMin ? (range.integer ? range.min + 1 : range.min + 1e-3) : range.min;
  const middle = range.integer ? Math.round((lowest + range.max) / 2) : (lowest + range.max) / 2;
  return [...new Set([lowest, middle, range.max])];
}

interface Case {
  label: string;
  parameters: FilterPatternParameters;
}

/** Every preset × every one of its parameters at sweepValues, at the sweep's size and steps. */
function sweepCases(): Case[] {
  const cases: Case[] = [];
  for (const preset of ['lucid', 'chollet', 'clear'] as FilterPatternPreset[]) {
    const base: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset, size: SWEEP_SIZE, steps: SWEEP_STEPS, realImages: [] };
    const stepRange = preset === 'lucid' ? FILTER_PATTERN_RANGES.lucidStepSize : FILTER_PATTERN_RANGES.stepSize;
    for (const stepSize of sweepValues(stepRange)) cases.push({ label: `${preset} stepSize ${stepSize}`, parameters: { ...base, stepSize } });
    for (const seed of sweepValues(FILTER_PATTERN_RANGES.seed)) cases.push({ label: `${preset} seed ${seed}`, parameters: { ...base, seed } });
    if (preset === 'clear') {
      for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.clear)) {
        for (const value of sweepValues(range)) {
          // Octaves at the largest scale would shrink the first octave below the layer's input; the
          // plan refuses that with its own message, checked below.
          const clear: ClearPresetParameters = { ...base.clear, [key]: value };
          if (key === 'octaves' || key === 'octaveScale') clear.octaveScale = Math.min(clear.octaveScale, key === 'octaveScale' ? value : 1.2);
          for (const stepSize of [1, stepRange.max]) cases.push({ label: `clear ${key} ${value} at step ${stepSize}`, parameters: { ...base, stepSize, clear } });
        }
      }
    }
    if (preset === 'lucid') {
      for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.lucid)) {
        for (const value of sweepValues(range)) {
          const lucid: LucidPresetParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS.lucid!, [key]: value };
          for (const stepSize of [1, stepRange.max]) cases.push({ label: `lucid ${key} ${value} at step ${stepSize}`, parameters: { ...base, stepSize, lucid } });
        }
      }
    }
  }
  return cases;
}

describe('filter-pattern presets are stable over their documented ranges', function () {
  this.timeout(600_000);
  let tiny: tf.Sequential;
  before(async function () {
    await useWasmBackend();
    tiny = buildTinyConvnet();
  });
  after(() => tiny.dispose());

  it('gives finite, bounded images for every preset with each parameter at its lowest, middle and highest value', async function () {
    const summary = summarizeModel(tiny, '/models/tiny/model.json');
    const layerName = tiny.layers[2].name;
    const failures: string[] = [];
    let checked = 0;
    for (const { label, parameters } of sweepCases()) {
      let patterns: FilterPattern[];
      try {
        const plan = planFilterPatterns(tiny, summary, { layerName, parameters, filters: [0, 1] });
        patterns = [];
        for (const batch of filterBatches(plan.filters, plan.batchSize)) patterns.push(...(await optimizeFilterPatterns(tiny, plan, batch, 'tf', parameters)));
      } catch (error) {
        // A refusal is fine only when it names a size the layer cannot take (many octaves of a large scale).
        if (error instanceof InputError && /use a larger size or fewer octaves/.test(error.problem)) continue;
        throw error;
      }
      checked++;
      const stepsTaken = patterns[0].steps;
      for (const pattern of patterns) {
        let largest = 0;
        let finite = true;
        for (const value of pattern.pixels) {
          if (!Number.isFinite(value)) finite = false;
          largest = Math.max(largest, Math.abs(value - 138));
        }
        // lucid: a sigmoid's image, 0–255. chollet, clear: each step moves the image by `stepSize` RMS
        // (a pixel by at most √(pixels) times that), and clear's smoothing only shrinks differences.
        const bound = parameters.preset === 'lucid' ? 138 : 10 + stepsTaken * parameters.stepSize * Math.sqrt(pattern.pixels.length);
        if (!finite || largest > bound || !Number.isFinite(pattern.lossEnd)) failures.push(`${label}: filter ${pattern.filter} ${finite ? `|x − 138| up to ${largest.toPrecision(3)} > ${bound.toPrecision(3)}` : 'non-finite pixels'}, objective ${pattern.lossEnd}`);
        if (parameters.preset === 'lucid' && !pattern.pixels.every((value) => value >= 0 && value <= 255)) failures.push(`${label}: lucid pixels outside 0–255`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked > 60, `${checked} cases checked`);
  });

  it('keeps clear’s images within a few hundred of gray at its largest step and smoothing, over many steps', async function () {
    // The explicit smoothing step it once had gave ±2e11 at step 6; the implicit one cannot grow.
    const summary = summarizeModel(tiny, '/models/tiny/model.json');
    for (const tvWeight of [FILTER_PATTERN_RANGES.clear.tvWeight.max, 0.05]) {
      const parameters: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'clear', size: SWEEP_SIZE, steps: 40, stepSize: 16, clear: { ...DEFAULT_FILTER_PATTERN_PARAMETERS.clear, tvWeight }, realImages: [] };
      const plan = planFilterPatterns(tiny, summary, { layerName: tiny.layers[2].name, parameters, filters: [0] });
      const [pattern] = await optimizeFilterPatterns(tiny, plan, plan.filters, 'tf', parameters);
      const largest = pattern.pixels.reduce((worst, value) => Math.max(worst, Math.abs(value - 138)), 0);
      assert.ok(Number.isFinite(largest) && largest < 16 * 40 * 3 * Math.sqrt(pattern.pixels.length), `tv ${tvWeight}: |x − 138| up to ${largest}`);
      assert.ok(Number.isFinite(pattern.lossEnd));
    }
  });

  it('refuses each parameter just outside its range, saying the range in words', function () {
    const outside = (range: ParameterRange) => [range.aboveMin ? range.min : range.min - 1, range.max + 1, NaN, ...(range.integer ? [range.min + 0.5] : [])];
    const check = (parameters: FilterPatternParameters, name: string, range: ParameterRange) => {
      const problems = filterPatternParameterProblems(parameters).map(({ problem }) => problem);
      assert.equal(problems.length, 1, `${name}: ${problems.join('; ')}`);
      assert.ok(problems[0].startsWith(`${name} must be ${describeRange(range)} (got `), problems[0]);
    };
    for (const preset of ['lucid', 'chollet', 'clear'] as FilterPatternPreset[]) {
      const base: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset };
      const stepRange = preset === 'lucid' ? FILTER_PATTERN_RANGES.lucidStepSize : FILTER_PATTERN_RANGES.stepSize;
      for (const [name, range] of [['size', FILTER_PATTERN_RANGES.size], ['steps', FILTER_PATTERN_RANGES.steps], ['seed', FILTER_PATTERN_RANGES.seed], ['stepSize', stepRange]] as const) {
        for (const value of outside(range)) check({ ...base, [name]: value }, name, range);
      }
      if (preset === 'clear') {
        for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.clear)) for (const value of outside(range)) check({ ...base, clear: { ...base.clear, [key]: value } }, `clear.${key}`, range);
      }
      if (preset === 'lucid') {
        for (const [key, range] of Object.entries(FILTER_PATTERN_RANGES.lucid)) for (const value of outside(range)) check({ ...base, lucid: { ...base.lucid!, [key]: value } }, `lucid.${key}`, range);
      }
    }
    assert.equal(describeRange(FILTER_PATTERN_RANGES.stepSize), 'a number above 0 and at most 100');
  });
});
