// The attribution methods against golden maps computed by PyTorch from the papers' formulas on the
// same weights (scripts/reference/make_attribution_golden.py, test/fixtures/golden-attributions/),
// on the example model, the shared real models (a Keras 3 .keras, its TF.js graph model, a Keras 2
// HDF5 mini-Xception), a seeded sigmoid convnet and the same convnet nested in an outer model, on
// the WASM and cpu backends.
//
// On the cpu backend (pure JavaScript, many times slower) the 64×64 models run the single-pass
// methods only (saliency, guided backprop, guided Grad-CAM); the many-pass methods run there on the
// small models, and everywhere on WASM: they repeat the same forward and backward passes.
//
// Criteria (float32 in two frameworks): the model's class outputs within 1e-4; every map's Pearson
// correlation with the golden map >= 0.999, and its size (root mean square) within 1 % of the
// golden map's, so a map of the right shape but the wrong scale fails too.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  classOutputsOfImage,
  guidedBackprop,
  guidedGradCam,
  integratedGradients,
  layersModelScorer,
  modelScorerOf,
  occlusion,
  saliency,
  smoothGrad,
  windowStarts,
  type AttributionMap,
  type ModelScorer,
} from '../../src/engine/analyses/attributions';
import { withGuidedReluGradients } from '../../src/engine/analyses/attributions/guidedRelu';
import { openLoadedModel, type LoadedModel } from '../../src/engine/loadedModel';
import { DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { attributionCases, decodeMap, openCaseModel, readGoldenInput, realModelsPresent, usesRealModels, REAL_MODELS, type GoldenMapName } from '../support/attributionGolden';
import { correlation, maxAbsDifference, switchBackend, type ComparedBackend } from '../support/differentialModels';
import { buildTinyConvnet, makeTempDir, removeDir, useWasmBackend } from '../support/engineFixtures';
import { tinyConvnetGraph, writeGraphModel } from '../support/graphModelFixtures';

const OUTPUT_TOLERANCE = 1e-4;
const MAP_MIN_CORRELATION = 0.999;
const MAP_SIZE_TOLERANCE = 0.01;
const BACKENDS: ComparedBackend[] = ['wasm', 'cpu'];
const printMeasures = process.env.CONVSCOPE_PRINT_MEASURES === '1';

const SINGLE_PASS: GoldenMapName[] = ['saliency', 'guided-backprop', 'guided-grad-cam'];
const ALL_METHODS: GoldenMapName[] = ['saliency', 'smoothgrad', 'integrated-gradients', 'guided-backprop', 'guided-grad-cam', 'occlusion'];
const SMALL_INPUT_PIXELS = 32 * 32;

const rootMeanSquare = (values: ArrayLike<number>) => Math.sqrt(Array.from(values).reduce((sum, value) => sum + value * value, 0) / values.length);

describe('attributions against PyTorch on the same weights', function () {
  let dir: string;

  before(async () => {
    dir = await makeTempDir();
  });
  after(async () => {
    await useWasmBackend();
    if (dir) await removeDir(dir);
  });

  for (const attributionCase of attributionCases()) {
    for (const backend of BACKENDS) {
      describe(`${attributionCase.name}, on ${backend}`, function () {
        const { golden } = attributionCase;
        const [height, width] = golden.inputShape;
        const target = { classIndex: golden.classIndex, score: golden.score };
        let loaded: LoadedModel;
        let model: ModelScorer;
        let input: Float32Array;
        const maps = new Map<GoldenMapName, AttributionMap>();
        const methods = backend === 'cpu' && height * width > SMALL_INPUT_PIXELS ? SINGLE_PASS : ALL_METHODS;

        before(async function () {
          if (usesRealModels(golden) && !realModelsPresent()) {
            console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files these tests read)`);
            this.skip();
          }
          await switchBackend(backend);
          const opened = await openCaseModel(attributionCase, dir);
          loaded = opened.loaded;
          model = modelScorerOf(loaded.patternModel, opened.modelPath);
          input = await readGoldenInput(golden);
        });
        after(() => loaded?.dispose());

        it('reads the model’s class outputs as PyTorch does', function () {
          const outputs = classOutputsOfImage(model, input, golden.inputShape);
          assert.equal(model.classCount, golden.classOutputs.length);
          const difference = maxAbsDifference(outputs, golden.classOutputs);
          assert.ok(difference <= OUTPUT_TOLERANCE, `class outputs differ by ${difference}: ${Array.from(outputs).join(', ')}`);
        });

        it(`computes ${methods.length === ALL_METHODS.length ? 'every method' : 'the single-pass methods'} without leaving a tensor behind`, async function () {
          this.timeout(120_000);
          const before = tf.memory().numTensors;
          const { smoothGrad: smoothGradSettings, integratedGradients: igSettings, occlusion: occlusionSettings } = golden.settings;
          maps.set('saliency', await saliency(model, target, input, golden.inputShape));
          const guided = await guidedBackprop(model, target, input, golden.inputShape);
          maps.set('guided-backprop', guided);
          const gradCam = loaded.gradCam(input, golden.inputShape, { classIndex: golden.classIndex, score: golden.score });
          assert.equal(gradCam.layer.name, attributionCase.gradCamLayer, 'Grad-CAM at the golden layer');
          maps.set('guided-grad-cam', guidedGradCam(guided, gradCam));
          if (methods === ALL_METHODS) {
            maps.set('smoothgrad', await smoothGrad(model, target, input, golden.inputShape, smoothGradSettings));
            const ig = await integratedGradients(model, target, input, golden.inputShape, igSettings);
            maps.set('integrated-gradients', ig);
            maps.set('occlusion', await occlusion(model, target, input, golden.inputShape, { ...occlusionSettings, batchSize: 32 }));
            // Integrated Gradients' completeness gap, as PyTorch's sum leaves it with the same steps.
            const scale = Math.abs(ig.scoreValue) + 1e-3;
            assert.ok(Math.abs(ig.convergenceDelta - golden.integratedGradientsDelta) <= 0.01 * scale, `convergence delta ${ig.convergenceDelta}, PyTorch's ${golden.integratedGradientsDelta}`);
          }
          assert.equal(tf.memory().numTensors, before, 'tensors left behind');
        });

        for (const name of methods) {
          it(`gives PyTorch’s ${name} map`, function () {
            const map = maps.get(name);
            assert.ok(map, `${name} was not computed`);
            assert.equal(map.width, width);
            assert.equal(map.height, height);
            const expected = decodeMap(golden.maps[name]);
            const r = correlation(map.map, expected);
            const sizeRatio = rootMeanSquare(map.map) / rootMeanSquare(expected);
            if (printMeasures) console.log(`      [${golden.id} ${backend} ${name}] correlation ${r.toFixed(6)}, size ratio ${sizeRatio.toFixed(5)}`);
            assert.ok(r >= MAP_MIN_CORRELATION, `${name}: correlation ${r}`);
            assert.ok(Math.abs(sizeRatio - 1) <= MAP_SIZE_TOLERANCE, `${name}: root mean square ${sizeRatio} × PyTorch's`);
          });
        }
      });
    }
  }
});

describe('attribution mechanics', function () {
  before(async () => {
    await useWasmBackend();
  });

  it('slides occlusion windows to cover every pixel, the last one flush with the edge', function () {
    assert.deepEqual(windowStarts(28, 6, 3), [0, 3, 6, 9, 12, 15, 18, 21, 22]);
    assert.deepEqual(windowStarts(64, 8, 4), Array.from({ length: 15 }, (_, i) => 4 * i));
    assert.deepEqual(windowStarts(5, 5, 2), [0]);
  });

  it('puts TF.js’s own ReLU gradients back after a guided pass, even when it throws', function () {
    const relu = tf.getGradient(tf.Relu);
    const relu6 = tf.getGradient(tf.Relu6);
    assert.throws(() => withGuidedReluGradients(() => { throw new Error('inside'); }), /inside/);
    assert.equal(tf.getGradient(tf.Relu), relu);
    assert.equal(tf.getGradient(tf.Relu6), relu6);
  });

  it('gates a guided ReLU by its input and by the incoming gradient', function () {
    const x = tf.tensor1d([-1, 2, 3, 0.5]);
    const weights = tf.tensor1d([1, -1, 2, 1]);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), weights));
    const plain = tf.grad(f)(x);
    const guided = withGuidedReluGradients(() => tf.grad(f)(x));
    assert.deepEqual(Array.from(plain.dataSync(), (value) => value + 0), [0, -1, 2, 1]);
    assert.deepEqual(Array.from(guided.dataSync(), (value) => value + 0), [0, 0, 2, 1]);
    tf.dispose([x, weights, plain, guided]);
  });

  it('reports progress batch by batch and stops, freeing every tensor, when cancelled', async function () {
    const attributionCase = attributionCases().find((candidate) => candidate.golden.id === 'shapes')!;
    const dir = await makeTempDir();
    const { loaded, modelPath } = await openCaseModel(attributionCase, dir);
    try {
      const model = modelScorerOf(loaded.patternModel, modelPath);
      const input = await readGoldenInput(attributionCase.golden);
      const target = { classIndex: 0, score: 'logit' as const };
      const progress: number[] = [];
      await integratedGradients(model, target, input, attributionCase.golden.inputShape, { steps: 9, batchSize: 4 }, { onProgress: (done, total) => progress.push(done / total) });
      assert.deepEqual(progress, [0.4, 0.8, 1]);
      const before = tf.memory().numTensors;
      let batches = 0;
      const cancelled = occlusion(model, target, input, attributionCase.golden.inputShape, { window: 8, stride: 4, batchSize: 8 }, {
        checkCancelled: async () => {
          if (++batches === 3) throw new Error('cancelled');
        },
      });
      await assert.rejects(cancelled, /cancelled/);
      assert.equal(batches, 3, 'stopped at the third batch');
      assert.equal(tf.memory().numTensors, before);
    } finally {
      loaded.dispose();
      await removeDir(dir);
    }
  });

  it('runs a graph model whose input has a fixed batch of 1 in pieces, as the same network’s layers model runs whole batches', async function () {
    const dir = await makeTempDir();
    const layers = buildTinyConvnet();
    const graph = tinyConvnetGraph(layers.getWeights());
    const placeholder = graph.nodes.find((node) => node.op === 'Placeholder')!;
    placeholder.attr = { ...placeholder.attr, shape: { shape: { dim: [1, 32, 32, 3].map((size) => ({ size: String(size) })) } } };
    const { modelPath } = await writeGraphModel(path.join(dir, 'batch-1'), graph);
    const loaded = await openLoadedModel(modelPath, DEFAULT_MODEL_LIMITS);
    try {
      const input = Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => ((i * 37) % 101) / 101);
      const shape: [number, number, number] = [32, 32, 3];
      const target = { classIndex: 1, score: 'logit' as const };
      const options = { samples: 4, noiseLevel: 0.1, seed: 2, batchSize: 4 };
      const fromGraph = await smoothGrad(modelScorerOf(loaded.patternModel, modelPath), target, input, shape, options);
      const fromLayers = await smoothGrad(layersModelScorer(layers, 'tiny'), target, input, shape, options);
      assert.ok(correlation(fromGraph.map, fromLayers.map) > 0.99999, 'the same SmoothGrad map');
      assert.ok(maxAbsDifference(fromGraph.map, fromLayers.map) <= 1e-4 * Math.max(...fromLayers.map));
    } finally {
      loaded.dispose();
      layers.dispose();
      await removeDir(dir);
    }
  });
});
