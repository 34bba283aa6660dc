// The engine's results against golden files computed by an independent implementation: Keras 3 on
// TensorFlow 2.21 loading the same model files and running the study notes' Grad-CAM, checked
// against PyTorch rebuilding the networks from the same weights (scripts/reference/make_golden.py,
// test/fixtures/golden/). Run on the default WASM backend and on the cpu backend, through the jobs
// the extension runs, on PNG inputs at exactly each model's input size (no resizing).
//
// Criteria (float32 in different frameworks):
// - predictions: every class's output within 1e-4 (absolute);
// - Grad-CAM heatmaps (0..1), every class at the default and at an earlier layer: Pearson
//   correlation >= 0.999 and max |a − b| <= 0.01;
// - activations of every 4-D layer: per-channel mean, std, min and max and the sampled values
//   within 1e-4 × the layer's largest |value| (relative to the layer's peak, as the golden
//   min/max give it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { correlation, maxAbsDifference, runJobsOn, type ComparedBackend, type JobResults, type LayerOutput } from '../support/differentialModels';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';
import { MNIST_GRAPH_NODES, buildSeededCatsVsDogsConvnet, goldenImagePath, readGolden, type GoldenActivation, type GoldenResults } from '../support/goldenFiles';

const PREDICTION_TOLERANCE = 1e-4;
const HEATMAP_MIN_CORRELATION = 0.999;
const HEATMAP_MAX_DIFFERENCE = 0.01;
const ACTIVATION_RELATIVE_TOLERANCE = 1e-4;

const REAL_MODELS = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels');
const BACKENDS: ComparedBackend[] = ['wasm', 'cpu'];
const printMeasures = process.env.CONVSCOPE_PRINT_MEASURES === '1';

interface GoldenCase {
  name: string;
  /** For printed measures. */
  label: string;
  golden: GoldenResults;
  /** The model file the engine opens (written into `dir` for the seeded model). */
  modelPath(dir: string): Promise<string>;
  /** The engine's name for a layer of the golden file (a graph model names op nodes). */
  layerName(kerasName: string): string;
}

const catsVsDogs = readGolden('cats_vs_dogs');
const mnist = readGolden('mnist_cnn');
const fer = readGolden('fer_mini_xception');
const sameName = (name: string) => name;

let catsVsDogsModel: Promise<string> | undefined;
/** The seeded cats-vs-dogs convnet written once as model.json, then opened like a user's file on each backend. */
function writeCatsVsDogsModel(dir: string): Promise<string> {
  catsVsDogsModel ??= (async () => {
    if (catsVsDogs.model.kind !== 'seeded') throw new Error('cats_vs_dogs.json: expected seeded weights');
    const model = buildSeededCatsVsDogsConvnet(catsVsDogs.model.source);
    try {
      return await writeModel(model, dir, 'cats_vs_dogs');
    } finally {
      model.dispose();
    }
  })();
  return catsVsDogsModel;
}

const CASES: GoldenCase[] = [
  {
    name: 'the study notes’ cats-vs-dogs convnet (seeded weights, written as model.json)',
    label: 'cats-vs-dogs',
    golden: catsVsDogs,
    modelPath: writeCatsVsDogsModel,
    layerName: sameName,
  },
  {
    name: 'the MNIST CNN (Keras 3 .keras)',
    label: 'MNIST .keras',
    golden: mnist,
    modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'Subhadip_Hensh_MNIST_CNN.keras'),
    layerName: sameName,
  },
  {
    name: 'the MNIST CNN (its TF.js graph model, the same weights)',
    label: 'MNIST graph model',
    golden: mnist,
    modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'model.json'),
    layerName: (name) => MNIST_GRAPH_NODES[name] ?? name,
  },
  {
    name: 'the FER mini-Xception (Keras 2 HDF5)',
    label: 'FER .hdf5',
    golden: fer,
    modelPath: async () => path.join(REAL_MODELS, 'fer-minixception-h5', 'fer2013_mini_XCEPTION.102-0.66.hdf5'),
    layerName: sameName,
  },
];

function channelStatistics(output: LayerOutput): { mean: number[]; std: number[]; min: number[]; max: number[] } {
  const channels = output.shape[output.shape.length - 1];
  const count = output.data.length / channels;
  const sum = new Float64Array(channels);
  const min = new Array<number>(channels).fill(Infinity);
  const max = new Array<number>(channels).fill(-Infinity);
  output.data.forEach((value, i) => {
    const c = i % channels;
    sum[c] += value;
    min[c] = Math.min(min[c], value);
    max[c] = Math.max(max[c], value);
  });
  const mean = Array.from(sum, (total) => total / count);
  const squares = new Float64Array(channels);
  output.data.forEach((value, i) => {
    squares[i % channels] += (value - mean[i % channels]) ** 2;
  });
  return { mean, std: Array.from(squares, (total) => Math.sqrt(total / count)), min, max };
}

/** The largest difference from the golden statistics and samples, relative to the layer's peak |value|. */
function activationDifference(output: LayerOutput, golden: GoldenActivation): number {
  const statistics = channelStatistics(output);
  const peak = Math.max(...golden.min.map(Math.abs), ...golden.max.map(Math.abs));
  const differences = (['mean', 'std', 'min', 'max'] as const).map((key) => maxAbsDifference(statistics[key], golden[key]));
  differences.push(maxAbsDifference(golden.samples.map(([index]) => output.data[index]), golden.samples.map(([, value]) => value)));
  const largest = Math.max(...differences);
  return largest === 0 ? 0 : largest / peak;
}

describe('golden reference results from Keras on TensorFlow (checked against PyTorch)', function () {
  let dir: string;

  before(async () => {
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(async () => {
    releaseCachedModel();
    await useWasmBackend();
    if (dir) await removeDir(dir);
  });

  it('the golden files are what the script writes: every class, both layers, every 4-D layer', function () {
    for (const golden of [catsVsDogs, mnist, fer]) {
      const classCount = golden.predictions.length;
      const layers = [...new Set(golden.gradCam.map((map) => map.layer))];
      assert.equal(layers[0], golden.defaultGradCamLayer, `${golden.id}: the default layer comes first`);
      assert.equal(layers.length, 2, `${golden.id}: the default layer and an earlier one`);
      assert.equal(golden.gradCam.length, 2 * classCount, `${golden.id}: every class at both layers`);
      assert.ok(golden.activations.length > 0 && golden.activations.every((layer) => layer.shape.length === 4), `${golden.id}: 4-D activations`);
      assert.ok(existsSync(goldenImagePath(golden)), `${golden.id}: its input image ${golden.image}`);
    }
  });

  for (const goldenCase of CASES) {
    for (const backend of BACKENDS) {
      describe(`${goldenCase.name}, on ${backend}`, function () {
        const { golden } = goldenCase;
        let results: JobResults;

        before(async function () {
          if (golden.model.kind === 'file' && !existsSync(REAL_MODELS)) {
            console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files these tests read)`);
            this.skip();
          }
          const earlierLayer = golden.gradCam.find((map) => map.layer !== golden.defaultGradCamLayer)!.layer;
          results = await runJobsOn(backend, {
            modelPath: await goldenCase.modelPath(dir),
            imagePath: goldenImagePath(golden),
            preprocess: golden.preprocess,
            // The default layer is left to the engine to pick.
            gradCamLayers: [undefined, goldenCase.layerName(earlierLayer)],
            classCount: golden.predictions.length,
          });
          assert.equal(results.backend, backend);
          if (printMeasures) console.log(`      [${goldenCase.label} ${backend}] ${results.milliseconds.toFixed(0)} ms`);
        });

        it('predicts every class as the golden file does', function () {
          const defaultMaps = results.gradCams.filter((map) => map.requestedLayer === undefined);
          const predictions = golden.predictions.map((_, classIndex) => defaultMaps.find((map) => map.classIndex === classIndex)!.classScore);
          const difference = maxAbsDifference(predictions, golden.predictions);
          if (printMeasures) console.log(`      [${goldenCase.label} ${backend}] predictions: max diff ${difference.toExponential(2)}`);
          assert.ok(difference <= PREDICTION_TOLERANCE, `predictions differ by ${difference}: ${predictions.join(', ')} where the golden file has ${golden.predictions.join(', ')}`);
        });

        it(`computes the golden Grad-CAM heatmaps of every class, at the default layer (${golden.defaultGradCamLayer}) and an earlier one`, function () {
          const failures: string[] = [];
          let worstCorrelation = 1;
          let worstDifference = 0;
          for (const expected of golden.gradCam) {
            const isDefault = expected.layer === golden.defaultGradCamLayer;
            const map = results.gradCams.find((candidate) => (candidate.requestedLayer === undefined) === isDefault && candidate.classIndex === expected.classIndex)!;
            assert.equal(map.layer, goldenCase.layerName(expected.layer), isDefault ? 'the engine picks the golden default layer' : 'the earlier layer');
            assert.deepEqual(map.size, expected.size, `${expected.layer}: heatmap size`);
            const r = correlation(map.heatmap, expected.heatmap);
            const difference = maxAbsDifference(map.heatmap, expected.heatmap);
            worstCorrelation = Math.min(worstCorrelation, r);
            worstDifference = Math.max(worstDifference, difference);
            if (!(r >= HEATMAP_MIN_CORRELATION && difference <= HEATMAP_MAX_DIFFERENCE)) {
              failures.push(`${expected.layer}, class ${expected.classIndex}: correlation ${r.toFixed(5)}, max diff ${difference.toPrecision(3)}`);
            }
          }
          if (printMeasures) console.log(`      [${goldenCase.label} ${backend}] Grad-CAM: worst correlation ${worstCorrelation}, max diff ${worstDifference.toExponential(2)}`);
          assert.deepEqual(failures, [], `Grad-CAM on ${backend} differs from ${golden.implementation}`);
        });

        it('computes the golden activations of every 4-D layer', function () {
          const failures: string[] = [];
          let worst = 0;
          assert.deepEqual(
            [...results.activations.keys()],
            golden.activations.map((layer) => goldenCase.layerName(layer.layer)),
            'the same layers',
          );
          for (const expected of golden.activations) {
            const output = results.activations.get(goldenCase.layerName(expected.layer))!;
            assert.deepEqual(output.shape, expected.shape, `${expected.layer}: shape`);
            const relative = activationDifference(output, expected);
            worst = Math.max(worst, relative);
            if (!(relative <= ACTIVATION_RELATIVE_TOLERANCE)) failures.push(`${expected.layer}: relative difference ${relative.toExponential(2)}`);
          }
          if (printMeasures) console.log(`      [${goldenCase.label} ${backend}] activations: worst relative ${worst.toExponential(2)}`);
          assert.deepEqual(failures, [], `activations on ${backend} differ from ${golden.implementation}`);
        });
      });
    }
  }
});
