// The faithfulness measures against golden scores computed by PyTorch from the papers' formulas on
// the same weights (scripts/reference/make_attribution_golden.py): deletion and insertion curves
// with their areas (RISE) and ROAD's most- and least-relevant-first scores, for a saliency map, a
// seeded random map and the Sobel edge map, on the models of attributions.unit.test.ts. The maps are
// the golden file's own, so both sides rank exactly the same values. WASM runs every model; the cpu
// backend (pure JavaScript, many times slower) the small ones.
//
// Criteria: every curve point, area and ROAD score within 2e-5 of PyTorch's (class outputs in
// 0..1; the perturbed images agree to float32 rounding, the imputation's linear solves to 1e-10).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { modelScorerOf, type ClassScorer } from '../../src/engine/analyses/attributions';
import { faithfulnessReport, faithfulnessScores, noisyLinearImputation, randomMap, sobelMap, trapezoidArea, type FaithfulnessScores } from '../../src/engine/analyses/faithfulness';
import type { LoadedModel } from '../../src/engine/loadedModel';
import { attributionCases, decodeMap, openCaseModel, readAttributionGolden, readGoldenInput, realModelsPresent, usesRealModels, REAL_MODELS, type AttributionGolden, type GoldenFaithfulness } from '../support/attributionGolden';
import { maxAbsDifference, switchBackend, type ComparedBackend } from '../support/differentialModels';
import { makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';

const SCORE_TOLERANCE = 2e-5;
const BACKENDS: ComparedBackend[] = ['wasm', 'cpu'];
const SMALL_INPUT_PIXELS = 32 * 32;
const printMeasures = process.env.CONVSCOPE_PRINT_MEASURES === '1';

function optionsOf(golden: AttributionGolden) {
  const settings = golden.settings.faithfulness;
  return {
    curves: { steps: settings.steps, deletionValue: settings.deletionValue },
    road: { fractions: settings.roadFractions, noiseLevel: settings.roadNoiseLevel, seed: settings.roadSeed },
    batchSize: 16,
  };
}

/** Every number of ours beside PyTorch's: the largest difference and where. */
function largestDifference(ours: FaithfulnessScores, expected: GoldenFaithfulness): { difference: number; where: string } {
  const pairs: [string, number[], number[]][] = [
    ['deletion curve', ours.deletion.scores, expected.deletion.scores],
    ['deletion AUC', [ours.deletion.auc], [expected.deletion.auc]],
    ['insertion curve', ours.insertion.scores, expected.insertion.scores],
    ['insertion AUC', [ours.insertion.auc], [expected.insertion.auc]],
    ['ROAD MoRF', ours.road.mostRelevantFirst, expected.road.mostRelevantFirst],
    ['ROAD LeRF', ours.road.leastRelevantFirst, expected.road.leastRelevantFirst],
    ['ROAD gap', [ours.road.gap], [expected.road.gap]],
  ];
  return pairs
    .map(([where, a, b]) => {
      assert.equal(a.length, b.length, `${where}: number of points`);
      return { where, difference: maxAbsDifference(a, b) };
    })
    .reduce((worst, next) => (next.difference > worst.difference ? next : worst));
}

describe('faithfulness measures against PyTorch on the same weights', function () {
  let dir: string;

  before(async () => {
    dir = await makeTempDir();
  });
  after(async () => {
    await useWasmBackend();
    if (dir) await removeDir(dir);
  });

  it('draws the golden baseline maps: Sobel edges of the input, seeded random relevance', async function () {
    for (const id of ['shapes', 'mnist_cnn', 'fer_mini_xception', 'seeded_sigmoid']) {
      const golden = readAttributionGolden(id);
      const [height, width] = golden.inputShape;
      const sobel = sobelMap(await readGoldenInput(golden), golden.inputShape);
      const difference = maxAbsDifference(sobel, decodeMap(golden.baselineMaps.sobel));
      // The golden map keeps 5 digits of its largest value.
      assert.ok(difference <= 1e-5 * golden.baselineMaps.sobel.scale, `${id}: Sobel map differs by ${difference}`);
      const random = randomMap(height, width, golden.settings.faithfulness.randomSeed);
      assert.ok(maxAbsDifference(random.subarray(0, 8), golden.baselineMaps.randomFirst) <= 1e-7, `${id}: random map`);
      const mean = random.reduce((a, b) => a + b, 0) / random.length;
      assert.ok(Math.abs(mean - golden.baselineMaps.randomMean) <= 1e-6, `${id}: random map's mean ${mean}`);
    }
  });

  for (const attributionCase of attributionCases()) {
    for (const backend of BACKENDS) {
      const { golden } = attributionCase;
      const [height, width] = golden.inputShape;
      if (backend === 'cpu' && height * width > SMALL_INPUT_PIXELS) continue;
      describe(`${attributionCase.name}, on ${backend}`, function () {
        let loaded: LoadedModel;
        let scorer: ClassScorer;
        let input: Float32Array;

        before(async function () {
          if (usesRealModels(golden) && !realModelsPresent()) {
            console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files these tests read)`);
            this.skip();
          }
          await switchBackend(backend);
          const opened = await openCaseModel(attributionCase, dir);
          loaded = opened.loaded;
          scorer = modelScorerOf(loaded.patternModel, opened.modelPath).scorer(golden.classIndex, 'output');
          input = await readGoldenInput(golden);
        });
        after(() => loaded?.dispose());

        const maps = {
          saliency: () => decodeMap(golden.maps.saliency),
          random: () => randomMap(height, width, golden.settings.faithfulness.randomSeed),
          sobel: () => decodeMap(golden.baselineMaps.sobel),
        };
        for (const [name, map] of Object.entries(maps) as [keyof typeof maps, () => Float32Array][]) {
          it(`scores the ${name} map’s deletion, insertion and ROAD as PyTorch does`, async function () {
            this.timeout(120_000);
            const before = tf.memory().numTensors;
            const scores = await faithfulnessScores(scorer, input, golden.inputShape, map(), optionsOf(golden));
            assert.equal(tf.memory().numTensors, before, 'tensors left behind');
            const { difference, where } = largestDifference(scores, golden.faithfulness[name]);
            if (printMeasures) console.log(`      [${golden.id} ${backend} ${name}] largest difference ${difference.toExponential(2)} (${where}); deletion AUC ${scores.deletion.auc.toFixed(4)}, insertion AUC ${scores.insertion.auc.toFixed(4)}, ROAD gap ${scores.road.gap.toFixed(4)}`);
            assert.ok(difference <= SCORE_TOLERANCE, `${name}: ${where} differs from PyTorch's by ${difference}`);
          });
        }
      });
    }
  }
});

describe('faithfulness mechanics', function () {
  before(async () => {
    await useWasmBackend();
  });

  it('imputes each removed pixel as the weighted mean of its neighbours inside the image, others untouched', function () {
    const [height, width, channels] = [7, 9, 2];
    const input = Float32Array.from({ length: height * width * channels }, (_, i) => Math.sin(i * 0.7) * 3 + (i % 5));
    const removed = Uint8Array.from({ length: height * width }, (_, pixel) => Number(pixel % 3 !== 1 || pixel < width));
    const image = noisyLinearImputation(input, [height, width, channels], removed);
    const neighbours: [number, number, number][] = [[-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12], [0, -1, 1 / 6], [0, 1, 1 / 6], [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12]];
    for (let pixel = 0; pixel < height * width; pixel++) {
      const [y, x] = [Math.floor(pixel / width), pixel % width];
      for (let c = 0; c < channels; c++) {
        const value = image[pixel * channels + c];
        if (!removed[pixel]) {
          assert.equal(value, input[pixel * channels + c]);
          continue;
        }
        let sum = 0;
        let weights = 0;
        for (const [dy, dx, weight] of neighbours) {
          if (y + dy < 0 || y + dy >= height || x + dx < 0 || x + dx >= width) continue;
          sum += weight * image[((y + dy) * width + x + dx) * channels + c];
          weights += weight;
        }
        assert.ok(Math.abs(value - sum / weights) < 1e-5, `pixel ${pixel}, channel ${c}: ${value} where its neighbours' mean is ${sum / weights}`);
      }
    }
  });

  it('takes the area under a curve by the trapezoid rule', function () {
    assert.equal(trapezoidArea([0, 0.5, 1], [1, 0, 1]), 0.5);
    assert.equal(trapezoidArea([0, 0.25, 0.5, 0.75, 1], [0, 0.25, 0.5, 0.75, 1]), 0.5);
  });

  it('reports a map beside the random and edge maps, with progress over all three, and stops when cancelled', async function () {
    this.timeout(120_000);
    const attributionCase = attributionCases().find((candidate) => candidate.golden.id === 'seeded_sigmoid')!;
    const { golden } = attributionCase;
    const dir = await makeTempDir();
    const { loaded, modelPath } = await openCaseModel(attributionCase, dir);
    try {
      const scorer = modelScorerOf(loaded.patternModel, modelPath).scorer(golden.classIndex, 'output');
      const input = await readGoldenInput(golden);
      const progress: [number, number][] = [];
      const options = { ...optionsOf(golden), randomSeed: golden.settings.faithfulness.randomSeed };
      const report = await faithfulnessReport(scorer, input, golden.inputShape, decodeMap(golden.maps.saliency), options, { onProgress: (done, total) => progress.push([done, total]) });
      for (const [name, scores] of [['saliency', report.explanation], ['random', report.random]] as const) {
        assert.ok(largestDifference(scores, golden.faithfulness[name]).difference <= SCORE_TOLERANCE, `${name} in the report`);
      }
      // The report ranks its own Sobel map (the golden file's keeps 5 digits, which ties some pixels).
      const edges = await faithfulnessScores(scorer, input, golden.inputShape, sobelMap(input, golden.inputShape), options);
      assert.deepEqual(report.edges, edges, 'the edge map in the report');
      assert.deepEqual(report.beatsRandom, {
        deletion: report.explanation.deletion.auc < report.random.deletion.auc,
        insertion: report.explanation.insertion.auc > report.random.insertion.auc,
        road: report.explanation.road.gap > report.random.road.gap,
      });
      const total = progress[0][1];
      assert.ok(progress.every(([done, reported], i) => reported === total && (i === 0 || done > progress[i - 1][0])), 'progress rises to one total');
      assert.equal(progress[progress.length - 1][0], total);

      const before = tf.memory().numTensors;
      let checks = 0;
      const cancelled = faithfulnessReport(scorer, input, golden.inputShape, decodeMap(golden.maps.saliency), options, {
        checkCancelled: async () => {
          if (++checks === 4) throw new Error('cancelled');
        },
      });
      await assert.rejects(cancelled, /cancelled/);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      loaded.dispose();
      await removeDir(dir);
    }
  });
});
