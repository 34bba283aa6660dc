// TF.js graph models (`format: "graph-model"`): written here as the converter writes them (float32,
// float16 and uint8-quantized weights) from the tiny convnet, and checked against the layers model
// with the same weights; plus the real MNIST graph model beside its Keras 3 `.keras` original.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { computeActivations } from '../../src/engine/analyses/activations';
import { InputError } from '../../src/shared/errors';
import { planFilterPatterns } from '../../src/engine/analyses/filterPatterns';
import { computeGraphActivations } from '../../src/engine/models/graph/graphActivations';
import { computeGraphGradCam } from '../../src/engine/models/graph/graphGradCam';
import { graphPatternPath } from '../../src/engine/models/graph/graphPatternPath';
import { FilterObjective } from '../../src/engine/analyses/filterPatternObjective';
import type { GraphNetwork } from '../../src/engine/models/graph/graphNetwork';
import { openModelFile } from '../../src/engine/models/modelLoader';
import type { FilterPatternParameters } from '../../src/shared/types';
import { runActivationJob } from '../../src/jobs/activationJob';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { loadModelCached, releaseCachedModel } from '../../src/jobs/modelCache';
import type { LoadedModel } from '../../src/engine/loadedModel';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import { BUILT_WASM_DIRECTORY, CLI_PATH, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, buildTinyConvnet, makeTempDir, removeDir, useWasmBackend, writeTestImage } from '../support/engineFixtures';
import { SCOPE, constNode, tinyConvnetGraph, writeGraphModel, type GraphNodeJson, type GraphWeight } from '../support/graphModelFixtures';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };
const noCancel = async () => {};
const at = (name: string) => `${SCOPE}/${name}`;

/** A deterministic pseudo-image, preprocessed (0..1). */
function pseudoImage(height: number, width: number, channels = 3): Float32Array {
  return new Float32Array(height * width * channels).map((_, i) => ((i * 7919) % 256) / 255);
}

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

function graphOf(loaded: LoadedModel): GraphNetwork {
  if (loaded.patternModel instanceof tf.LayersModel) throw new Error('expected a graph model, got a layers model');
  return loaded.patternModel;
}

/** The tiny convnet with its weights replaced by `values` (in getWeights order). */
function tinyConvnetWith(values: (Float32Array | Int32Array)[]): tf.Sequential {
  const model = buildTinyConvnet();
  const weights = model.getWeights().map((weight, i) => tf.tensor(values[i], weight.shape));
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

/** Each weight of the layers model as the graph stores it (the flatten shape constant left out), in getWeights order. */
function layersWeightsOf(dequantized: Map<string, Float32Array | Int32Array>): (Float32Array | Int32Array)[] {
  return [...dequantized.entries()].filter(([name]) => !name.endsWith('Reshape/shape')).map(([, values]) => values);
}

async function expectInputError(promise: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.file, file);
    assert.match(error.problem, problem);
    return true;
  });
}

describe('TF.js graph models', function () {
  let dir: string;
  let layers: tf.Sequential;
  let graph: { nodes: GraphNodeJson[]; weights: GraphWeight[] };
  let modelPath: string;
  let imagePath: string;

  before(async function () {
    await useWasmBackend();
    dir = await makeTempDir();
    // Non-zero biases, so that a bias the graph dropped would show.
    const seeded = buildTinyConvnet();
    const values = seeded.getWeights().map((weight, i) => (weight.shape.length === 1 ? tf.randomUniform(weight.shape, -0.2, 0.2, 'float32', i) : weight.clone()));
    seeded.setWeights(values);
    graph = tinyConvnetGraph(seeded.getWeights());
    layers = tinyConvnetWith(values.map((value) => value.dataSync() as Float32Array));
    tf.dispose(values);
    seeded.dispose();
    modelPath = (await writeGraphModel(path.join(dir, 'float32'), graph)).modelPath;
    imagePath = await writeTestImage(path.join(dir, 'input.png'), 64, 48);
  });
  after(async () => {
    releaseCachedModel();
    layers?.dispose();
    if (dir) await removeDir(dir);
  });

  it('lists the op nodes as layers, grouped by name scope, with shapes and weights', async function () {
    releaseCachedModel();
    const baseline = tf.memory().numTensors;
    const loaded = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const { summary } = loaded;
    assert.ok(!(loaded.patternModel instanceof tf.LayersModel), 'opened as a graph model');
    assert.equal(summary.modelName, 'tiny_convnet');
    assert.deepEqual(summary.inputShape, [32, 32, 3]);
    assert.deepEqual(summary.outputShape, [null, 3]);
    assert.equal(summary.defaultPreprocess, 'rescale');
    assert.deepEqual(
      summary.layers.map((layer) => [layer.name.replace(`${SCOPE}/`, ''), layer.className, layer.group, layer.outputShape, layer.hasSpatialOutput]),
      [
        ['conv2d/Conv2D', 'Conv2D', 'conv2d', [null, 30, 30, 8], true],
        ['conv2d/BiasAdd', 'BiasAdd', 'conv2d', [null, 30, 30, 8], true],
        ['conv2d/Relu', 'Relu', 'conv2d', [null, 30, 30, 8], true],
        ['max_pooling2d/MaxPool', 'MaxPool', 'max_pooling2d', [null, 15, 15, 8], true],
        ['conv2d_1/Relu', '_FusedConv2D', 'conv2d_1', [null, 13, 13, 4], true],
        ['flatten/Reshape', 'Reshape', 'flatten', [null, 676], false],
        ['dense/MatMul', 'MatMul', 'dense', [null, 3], false],
        ['dense/BiasAdd', 'BiasAdd', 'dense', [null, 3], false],
        ['dense/Softmax', 'Softmax', 'dense', [null, 3], false],
        ['Identity', 'Identity', '', [null, 3], false],
      ],
    );
    assert.equal(summary.totalParams, layers.countParams());
    assert.deepEqual(summary.layers[0].config, { kernel_size: [3, 3], filters: 8, strides: [1, 1], padding: 'valid' });
    assert.deepEqual(summary.layers[4].config, { kernel_size: [3, 3], filters: 4, strides: [1, 1], padding: 'valid', activation: 'relu' });
    assert.deepEqual(summary.layers[6].config, { units: 3 });
    releaseCachedModel();
    assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
  });

  it('shows the activations of 4-D nodes, equal to the layers model’s, through the activation job', async function () {
    const opened = await openModelFile(modelPath);
    assert.equal(opened.kind, 'graph');
    const network = opened.model as GraphNetwork;
    try {
      const input = pseudoImage(32, 32);
      const summary = (await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS)).summary;
      const nodes = ['conv2d/Relu', 'max_pooling2d/MaxPool', 'conv2d_1/Relu'].map((name) => summary.layers.findIndex((layer) => layer.name === at(name)));
      const fromGraph = await computeGraphActivations(network, summary, input, [32, 32, 3], nodes);
      const fromLayers = await computeActivations(layers, modelPath, input, [32, 32, 3], [0, 1, 2]);
      for (const [i, activation] of fromGraph.entries()) {
        assert.deepEqual(activation.shape, fromLayers[i].shape);
        assert.ok(maxDifference(activation.data, fromLayers[i].data) < 1e-5, `${summary.layers[nodes[i]].name} differs from the layers model`);
      }
    } finally {
      network.model.dispose();
    }

    const baseline = tf.memory().numTensors;
    const shown: [string, number[]][] = [];
    const result = await runActivationJob(
      { modelPath, imagePath, layers: {}, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
      { onLayer: (image) => void shown.push([image.layerName.replace(`${SCOPE}/`, ''), image.shape]), checkCancelled: noCancel },
    );
    assert.deepEqual(result.info.inputSize, [32, 32, 3]);
    assert.deepEqual(shown, [
      ['conv2d/Conv2D', [1, 30, 30, 8]],
      ['conv2d/BiasAdd', [1, 30, 30, 8]],
      ['conv2d/Relu', [1, 30, 30, 8]],
      ['max_pooling2d/MaxPool', [1, 15, 15, 8]],
      ['conv2d_1/Relu', [1, 13, 13, 4]],
    ]);
    assert.equal(tf.memory().numTensors, baseline, 'only the cached model’s weights stay');
  });

  for (const storage of ['float16', 'uint8'] as const) {
    it(`dequantizes ${storage} weights on load: it computes what the layers model with the dequantized weights computes`, async function () {
      const written = await writeGraphModel(path.join(dir, storage), graph, storage);
      const loaded = await loadModelCached(written.modelPath, DEFAULT_MODEL_LIMITS);
      // Six float weights; the flatten shape (int32) is stored as it is.
      assert.deepEqual(loaded.summary.loadNotes, [`6 weights are stored as ${storage} (quantized) and computed with as float32`]);
      const expected = tinyConvnetWith(layersWeightsOf(written.dequantized));
      try {
        const input = pseudoImage(32, 32);
        const nodes = loaded.summary.layers.filter((layer) => layer.hasSpatialOutput).map((layer) => layer.index);
        const fromGraph = await computeGraphActivations(graphOf(loaded), loaded.summary, input, [32, 32, 3], [nodes[2], nodes[4]]);
        const fromLayers = await computeActivations(expected, written.modelPath, input, [32, 32, 3], [0, 2]);
        const fromFloat32 = await computeActivations(layers, modelPath, input, [32, 32, 3], [0, 2]);
        for (const [i, activation] of fromGraph.entries()) {
          assert.ok(maxDifference(activation.data, fromLayers[i].data) < 1e-4, `node ${i} differs from the dequantized layers model`);
          assert.ok(maxDifference(activation.data, fromFloat32[i].data) > 1e-5, `node ${i} shows no effect of ${storage} storage`);
        }
      } finally {
        expected.dispose();
        releaseCachedModel();
      }
    });
  }

  it('computes Grad-CAM at a chosen node as tf.grad of the class score through the layers model does', async function () {
    const loaded = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const network = graphOf(loaded);
    const input = pseudoImage(32, 32);
    const baseline = tf.memory().numTensors;
    const map = computeGraphGradCam(network, input, [32, 32, 3], { layer: at('conv2d/Relu'), classIndex: 1, score: 'output' });
    assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
    assert.deepEqual(map.layer, { name: at('conv2d/Relu'), className: 'Relu', outputShape: [null, 30, 30, 8] });
    assert.deepEqual([map.width, map.height, map.classIndex, map.activation], [30, 30, 1, 'softmax']);

    const [expectedHeatmap, expectedScores] = tf.tidy(() => {
      const x = tf.tensor4d(input, [1, 32, 32, 3]);
      const featureMap = layers.layers[0].apply(x) as tf.Tensor4D;
      const tail = (a: tf.Tensor) => layers.layers.slice(1).reduce((y, layer) => layer.apply(y) as tf.Tensor, a);
      const gradient = tf.grad((a) => tf.slice(tail(a), [0, 1], [1, 1]).sum())(featureMap);
      const heatmap = tf.relu(tf.mean(tf.mul(featureMap, tf.mean(gradient, [0, 1, 2])), -1));
      return [tf.div(heatmap, tf.max(heatmap)).dataSync(), (layers.predict(x) as tf.Tensor).dataSync()];
    });
    assert.ok(maxDifference(map.heatmap, expectedHeatmap) < 1e-4, 'heatmap');
    assert.ok(maxDifference(map.classScores, expectedScores) < 1e-5, 'class scores');
    assert.ok(Math.abs(map.scoreValue - expectedScores[1]) < 1e-5);

    const logit = computeGraphGradCam(network, input, [32, 32, 3], { classIndex: 2, score: 'logit' });
    assert.equal(logit.layer.name, at('conv2d_1/Relu'), 'the default target: the last convolution, after its activation');
    const expectedLogits = tf.tidy(() => {
      const flat = layers.layers.slice(0, 4).reduce((y, layer) => layer.apply(y) as tf.Tensor, tf.tensor4d(input, [1, 32, 32, 3]) as tf.Tensor);
      const [kernel, bias] = layers.layers[4].getWeights();
      return tf.add(tf.matMul(flat as tf.Tensor2D, kernel as tf.Tensor2D), bias).dataSync();
    });
    assert.ok(Math.abs(logit.scoreValue - expectedLogits[2]) < 1e-5, 'the logit: the dense layer’s value before its softmax');
    assert.ok(maxDifference(logit.classScores, expectedScores) < 1e-5, 'the class scores are still the outputs');
    assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
  });

  it('runs the Grad-CAM job on a graph model, listing its 4-D nodes as targets', async function () {
    await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const baseline = tf.memory().numTensors;
    const result = await runGradCamJob({ modelPath, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
    assert.equal(result.info.layer.name, at('conv2d_1/Relu'));
    assert.deepEqual(result.info.heatmapSize, [13, 13]);
    assert.equal(result.info.outputActivation, 'softmax');
    assert.equal(result.info.predictions.length, 3);
    assert.deepEqual(
      result.layerChoices.map((choice) => choice.className),
      ['Conv2D', 'BiasAdd', 'Relu', 'MaxPool', '_FusedConv2D'],
    );
    await expectInputError(
      runGradCamJob({ modelPath, imagePath, layer: at('dense/MatMul'), score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel }),
      modelPath,
      /node ".*dense\/MatMul" has output shape \[null,3\]; Grad-CAM needs a node with a 4-D/,
    );
    assert.equal(tf.memory().numTensors, baseline, 'only the cached model’s weights stay');
  });

  it('explains the class scores of a model with several outputs', async function () {
    const nodes = [...graph.nodes, { name: 'features', op: 'Identity', input: [at('conv2d_1/Relu')], attr: { T: { type: 'DT_FLOAT' } } }];
    const { modelPath: twoOutputs } = await writeGraphModel(path.join(dir, 'two-outputs'), { nodes, weights: graph.weights }, 'float32', ['features', 'Identity']);
    const result = await runGradCamJob({ modelPath: twoOutputs, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
    assert.deepEqual(result.summary.outputShape, [
      [null, 13, 13, 4],
      [null, 3],
    ]);
    assert.equal(result.info.predictions.length, 3);
    assert.equal(result.info.layer.name, at('conv2d_1/Relu'));
    releaseCachedModel();
  });

  it('raises filter activations by gradient ascent at convolution nodes, fused or not, at any image size', async function () {
    const parameters: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 40, steps: 8 };
    const { patternModel: model, summary } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const baseline = tf.memory().numTensors;
    for (const node of [at('conv2d/Relu'), at('conv2d_1/Relu'), at('conv2d/BiasAdd')]) {
      const patterns: { lossStart: number; lossEnd: number; dead: boolean }[] = [];
      const result = await runFilterPatternJob(
        { modelPath, layerName: node, filters: [0, 1, 2, 3], preprocess: 'tf', parameters, limits },
        { onFilter: (image) => void patterns.push(image), checkCancelled: noCancel },
      );
      assert.equal(result.info.layerName, node);
      const live = patterns.filter((pattern) => !pattern.dead);
      assert.ok(live.length > 0, `${node}: every filter is dead`);
      for (const pattern of live) assert.ok(pattern.lossEnd > pattern.lossStart, `${node}: ${pattern.lossStart} → ${pattern.lossEnd}`);
    }
    assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
    assert.throws(
      () => planFilterPatterns(model, summary, { layerName: at('max_pooling2d/MaxPool'), parameters }),
      (error: unknown) => error instanceof InputError && /node ".*MaxPool" is a MaxPool; filter patterns need a convolution node/.test(error.problem),
    );
  });

  it('names a node asked for without its scope, at a size only the layers after it cannot take, and the node it may mean', async function () {
    // The dense layer after the flatten takes the model's own size only: a run of the whole graph at
    // 40 pixels would fail on it, not on the name.
    const parameters: FilterPatternParameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 40, steps: 2 };
    const jobFor = (layerName: string) => runFilterPatternJob({ modelPath, layerName, filters: [0], parameters, limits }, { onFilter: () => undefined, checkCancelled: noCancel });
    await expectInputError(jobFor('conv2d_1/Relu'), modelPath, new RegExp(`has no layer named "conv2d_1/Relu"; did you mean "${SCOPE}/conv2d_1/Relu"\\?$`));
    await expectInputError(jobFor('nope'), modelPath, /has no layer named "nope"$/);
  });

  it('scores each image by its own filter alone at a convolution node, plain or fused, as the whole node does: value and gradient', async function () {
    const { patternModel } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
    const network = patternModel as GraphNetwork;
    const baseline = tf.memory().numTensors;
    for (const [node, filters, filterCount] of [
      [at('conv2d/Conv2D'), [7, 2, 5], 8],
      [at('conv2d_1/Relu'), [3, 0, 3], 4],
    ] as const) {
      const nodePath = graphPatternPath(network, node);
      assert.ok(nodePath.ownFilters, `${node}: offered`);
      const own = new FilterObjective(nodePath, [...filters], filterCount, 'tf');
      const whole = new FilterObjective({ apply: nodePath.apply }, [...filters], filterCount, 'tf');
      tf.tidy(() => {
        const pixels = tf.randomUniform([3, 40, 40, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
        const scores = [own, whole].map((objective) => Array.from(objective.scoresWithFastGradient(pixels).dataSync()));
        scores[1].forEach((score, i) => assert.ok(Math.abs(score - scores[0][i]) <= 1e-5 * Math.max(1, Math.abs(score)), `${node} image ${i}: ${scores[0][i]} against ${score}`));
        const [fromOwn, fromWhole] = [own, whole].map((objective) => tf.grad((x) => objective.scoresWithFastGradient(x as tf.Tensor4D).sum())(pixels));
        const largest = fromWhole.abs().max().dataSync()[0];
        assert.ok(largest > 0);
        assert.ok(fromOwn.sub(fromWhole).abs().max().dataSync()[0] <= 1e-4 * largest, `${node}: gradients differ`);
      });
      own.dispose();
      whole.dispose();
    }
    assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
    assert.equal(graphPatternPath(network, at('conv2d/Relu')).ownFilters, undefined, 'a Relu node after a BiasAdd is computed whole');
    releaseCachedModel();
  });

  describe('what TF.js cannot do, said in one line naming the op, the node and the file', function () {
    /** input → conv (Conv2D, BiasAdd, Relu) → DepthToSpace → conv (Conv2D, Relu) → spatial mean → softmax. */
    function depthToSpaceGraph(): { nodes: GraphNodeJson[]; weights: GraphWeight[] } {
      const [kernel, bias] = graph.weights;
      const second: GraphWeight = { name: at('conv2d_1/Conv2D/ReadVariableOp'), shape: [3, 3, 2, 4], values: new Float32Array(72).map((_, i) => Math.sin(i) / 4) };
      const axes: GraphWeight = { name: at('mean/reduction_indices'), shape: [2], values: Int32Array.from([1, 2]) };
      const original = graph.nodes;
      const keep = (name: string) => original.find((node) => node.name === name)!;
      const conv2dAttrs = keep(at('conv2d/Conv2D')).attr;
      const nodes: GraphNodeJson[] = [
        ...[kernel, bias, second, axes].map(constNode),
        keep('input_1'),
        keep(at('conv2d/Conv2D')),
        keep(at('conv2d/BiasAdd')),
        keep(at('conv2d/Relu')),
        { name: at('depth_to_space/DepthToSpace'), op: 'DepthToSpace', input: [at('conv2d/Relu')], attr: { T: { type: 'DT_FLOAT' }, block_size: { i: '2' }, data_format: { s: Buffer.from('NHWC').toString('base64') } } },
        { name: at('conv2d_1/Conv2D'), op: 'Conv2D', input: [at('depth_to_space/DepthToSpace'), second.name], attr: conv2dAttrs },
        { name: at('conv2d_1/Relu'), op: 'Relu', input: [at('conv2d_1/Conv2D')], attr: { T: { type: 'DT_FLOAT' } } },
        { name: at('mean/Mean'), op: 'Mean', input: [at('conv2d_1/Relu'), axes.name], attr: { T: { type: 'DT_FLOAT' }, keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } } },
        { name: at('softmax/Softmax'), op: 'Softmax', input: [at('mean/Mean')], attr: { T: { type: 'DT_FLOAT' } } },
        { name: 'Identity', op: 'Identity', input: [at('softmax/Softmax')], attr: { T: { type: 'DT_FLOAT' } } },
      ];
      return { nodes, weights: [kernel, bias, second, axes] };
    }

    it('an op without a gradient: filter patterns and Grad-CAM behind it are refused, those after it work', async function () {
      const { modelPath: noGradient } = await writeGraphModel(path.join(dir, 'depth-to-space'), depthToSpaceGraph());
      const loaded = await loadModelCached(noGradient, DEFAULT_MODEL_LIMITS);
      const baseline = tf.memory().numTensors;
      const parameters = { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 32, steps: 2 };
      const noGradientProblem = (what: string) => new RegExp(`uses the op DepthToSpace \\(node ".*depth_to_space/DepthToSpace"\\), which has no gradient in TF\\.js, so ${what} cannot pass back through it`);
      assert.throws(
        () => planFilterPatterns(loaded.patternModel, loaded.summary, { layerName: at('conv2d_1/Relu'), parameters }),
        (error: unknown) => error instanceof InputError && error.file === noGradient && noGradientProblem('filter patterns').test(error.problem),
      );
      assert.throws(
        () => computeGraphGradCam(graphOf(loaded), pseudoImage(32, 32), [32, 32, 3], { layer: at('conv2d/Relu'), score: 'output' }),
        (error: unknown) => error instanceof InputError && error.file === noGradient && noGradientProblem('Grad-CAM').test(error.problem),
      );
      assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind by the failed gradients');
      const map = computeGraphGradCam(graphOf(loaded), pseudoImage(32, 32), [32, 32, 3], { score: 'output' });
      assert.equal(map.layer.name, at('conv2d_1/Relu'));
      assert.deepEqual([map.width, map.height], [58, 58]);
      const plan = planFilterPatterns(loaded.patternModel, loaded.summary, { layerName: at('conv2d/Relu'), parameters });
      assert.equal(plan.filterCount, 8);
      assert.equal(tf.memory().numTensors, baseline);
      releaseCachedModel();
    });

    it('an op TF.js does not know: the model is refused when opened', async function () {
      const nodes = graph.nodes.map((node) => (node.name === at('conv2d/Relu') ? { ...node, op: 'HSVToRGB' } : node));
      const { modelPath: unknownOp } = await writeGraphModel(path.join(dir, 'unknown-op'), { nodes, weights: graph.weights });
      const baseline = tf.memory().numTensors;
      await expectInputError(loadModelCached(unknownOp, DEFAULT_MODEL_LIMITS), unknownOp, /^uses the op HSVToRGB \(node ".*conv2d\/Relu"\), which TF\.js [\d.]+ cannot run$/);
      assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
    });

    it('an op the WASM backend has no kernel for: the model is refused when opened', async function () {
      const equation = { s: Buffer.from('ij,jk->ik').toString('base64') };
      const nodes = graph.nodes.map((node) => (node.name === at('dense/MatMul') ? { ...node, op: 'Einsum', attr: { T: { type: 'DT_FLOAT' }, N: { i: '2' }, equation } } : node));
      const { modelPath: einsum } = await writeGraphModel(path.join(dir, 'einsum'), { nodes, weights: graph.weights });
      const baseline = tf.memory().numTensors;
      await expectInputError(openModelFile(einsum), einsum, /^uses the op Einsum \(node ".*dense\/MatMul"\), which has no kernel on TF\.js' wasm backend$/);
      assert.equal(tf.memory().numTensors, baseline, 'no tensor left behind');
    });

    it('a window TF.js’ WASM kernels would take without failing: a zero stride, an unknown padding', async function () {
      const zeroStride = graph.nodes.map((node) => (node.op === 'MaxPool' ? { ...node, attr: { ...node.attr, strides: { list: { i: ['1', '0', '0', '1'] } } } } : node));
      const { modelPath: strided } = await writeGraphModel(path.join(dir, 'zero-stride'), { nodes: zeroStride, weights: graph.weights });
      await expectInputError(openModelFile(strided), strided, /graph node ".*MaxPool" has strides .*; each value must be a whole number from 1 to 65536/);
      const padding = graph.nodes.map((node) => (node.op === 'Conv2D' ? { ...node, attr: { ...node.attr, padding: { s: Buffer.from('FULL').toString('base64') } } } : node));
      const { modelPath: padded } = await writeGraphModel(path.join(dir, 'padding'), { nodes: padding, weights: graph.weights });
      await expectInputError(openModelFile(padded), padded, /graph node ".*conv2d\/Conv2D" has padding "FULL"; expected one of SAME, VALID, EXPLICIT/);
    });

    it('a graph that reads a node it does not have, loops, has two inputs or no nodes', async function () {
      const dangling = graph.nodes.map((node) => (node.name === at('conv2d/Relu') ? { ...node, input: ['missing_node'] } : node));
      const { modelPath: broken } = await writeGraphModel(path.join(dir, 'dangling'), { nodes: dangling, weights: graph.weights });
      await expectInputError(openModelFile(broken), broken, /graph node ".*conv2d\/Relu" reads "missing_node", which the graph does not have/);
      const twoInputs = [...graph.nodes, { ...graph.nodes.find((node) => node.op === 'Placeholder')!, name: 'input_2' }].map((node) =>
        node.name === at('conv2d/BiasAdd') ? { ...node, op: 'AddV2', input: [at('conv2d/Conv2D'), 'input_2'] } : node,
      );
      const { modelPath: twoInputPath } = await writeGraphModel(path.join(dir, 'two-inputs'), { nodes: twoInputs, weights: graph.weights });
      await expectInputError(openModelFile(twoInputPath), twoInputPath, /with 2 inputs \(input_1, input_2\); Convscope feeds one image input/);
      const looping = graph.nodes.map((node) => (node.name === at('conv2d/BiasAdd') ? { ...node, op: 'AddV2', input: [at('conv2d/Conv2D'), at('conv2d/Relu')] } : node));
      const { modelPath: loopPath } = await writeGraphModel(path.join(dir, 'loop'), { nodes: looping, weights: graph.weights });
      await expectInputError(openModelFile(loopPath), loopPath, /its graph loops back to node ".*conv2d\/(BiasAdd|Relu)" \(op \w+\); Convscope runs graph models in one pass, without loops/);
      const { modelPath: noNodes } = await writeGraphModel(path.join(dir, 'no-nodes'), { nodes: [], weights: [] });
      await expectInputError(openModelFile(noNodes), noNodes, /is a TF\.js graph model whose outputs depend on no input|signature names the output "Identity:0", which the graph does not have/);
    });
  });
});

const MNIST_FOLDER = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels', 'mnist-cnn-keras3-and-graph');
const MNIST_GRAPH = path.join(MNIST_FOLDER, 'model.json');
const MNIST_KERAS = path.join(MNIST_FOLDER, 'Subhadip_Hensh_MNIST_CNN.keras');
const MNIST_SCOPE = 'StatefulPartitionedCall/sequential_1';

describe('the real MNIST graph model beside its Keras 3 original', function () {
  let dir: string;

  before(async function () {
    if (!existsSync(MNIST_GRAPH)) {
      console.log(`      (skipped: ${MNIST_FOLDER} is absent; it holds the real model files these tests read)`);
      this.skip();
    }
    await useWasmBackend();
    dir = await makeTempDir();
  });
  after(async () => {
    releaseCachedModel();
    if (dir) await removeDir(dir);
  });

  /** A 28×28 white-on-black "7", MNIST style. */
  async function writeSeven(file: string): Promise<string> {
    const pixels = new Uint8Array(28 * 28);
    for (let x = 7; x <= 21; x++) for (let y = 5; y <= 7; y++) pixels[y * 28 + x] = 255;
    for (let t = 0; t <= 1; t += 0.02) for (let d = -1; d <= 1; d++) pixels[Math.round(7 + 16 * t) * 28 + Math.round(20 - 8 * t) + d] = 255;
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
    return file;
  }

  it('opens as op nodes and computes what the .keras model computes: predictions and activations at matching convolutions', async function () {
    const keras = await openModelFile(MNIST_KERAS);
    const graphModel = await openModelFile(MNIST_GRAPH);
    assert.equal(keras.kind, 'layers');
    assert.equal(graphModel.kind, 'graph');
    const network = graphModel.model as GraphNetwork;
    const kerasModel = keras.model as tf.LayersModel;
    try {
      assert.equal(network.name, 'sequential_1');
      assert.deepEqual(
        network.nodes.filter((node) => node.op === '_FusedConv2D').map((node) => [node.name, node.group, node.outputShape]),
        [
          [`${MNIST_SCOPE}/conv2d_1/Relu`, 'conv2d_1', [null, 24, 24, 8]],
          [`${MNIST_SCOPE}/conv2d_1_2/Relu`, 'conv2d_1_2', [null, 8, 8, 16]],
        ],
      );
      const input = new Float32Array(28 * 28).map((_, i) => ((i * 7919) % 256) / 255);
      const graphSummary = (await loadModelCached(MNIST_GRAPH, DEFAULT_MODEL_LIMITS)).summary;
      const convolutionNodes = graphSummary.layers.filter((layer) => layer.className === '_FusedConv2D').map((layer) => layer.index);
      const fromGraph = await computeGraphActivations(network, graphSummary, input, [28, 28, 1], convolutionNodes);
      const kerasConvolutions = kerasModel.layers.flatMap((layer, index) => (layer.getClassName() === 'Conv2D' ? [index] : []));
      const fromKeras = await computeActivations(kerasModel, MNIST_GRAPH, input, [28, 28, 1], kerasConvolutions);
      for (const [i, activation] of fromGraph.entries()) {
        assert.deepEqual(activation.shape, fromKeras[i].shape);
        assert.ok(maxDifference(activation.data, fromKeras[i].data) < 1e-4, `convolution ${i}`);
      }
      const [graphScores, kerasScores] = tf.tidy(() => {
        const batch = tf.tensor4d(input, [1, 28, 28, 1]);
        return [(network.model.execute(batch) as tf.Tensor).dataSync(), (kerasModel.predict(batch) as tf.Tensor).dataSync()];
      });
      assert.ok(maxDifference(graphScores, kerasScores) < 1e-5, 'predictions');
    } finally {
      kerasModel.dispose();
      network.model.dispose();
    }
  });

  it('shows activations, Grad-CAM and filter patterns through the jobs, Grad-CAM as on the .keras model', async function () {
    const imagePath = await writeSeven(path.join(dir, 'seven.png'));
    const shapes: number[][] = [];
    await runActivationJob(
      { modelPath: MNIST_GRAPH, imagePath, layers: {}, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
      { onLayer: (image) => void shapes.push(image.shape), checkCancelled: noCancel },
    );
    assert.deepEqual(shapes, [
      [1, 24, 24, 8],
      [1, 12, 12, 8],
      [1, 8, 8, 16],
      [1, 4, 4, 16],
    ]);

    const fromGraph = await runGradCamJob({ modelPath: MNIST_GRAPH, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
    const fromKeras = await runGradCamJob({ modelPath: MNIST_KERAS, imagePath, score: 'output', intensity: 0.4, colormap: 'jet', limits }, { checkCancelled: noCancel });
    assert.equal(fromGraph.info.layer.name, `${MNIST_SCOPE}/conv2d_1_2/Relu`);
    assert.deepEqual(fromGraph.info.heatmapSize, fromKeras.info.heatmapSize);
    assert.deepEqual(fromGraph.info.targetClass.index, fromKeras.info.targetClass.index);
    assert.ok(maxDifference(fromGraph.heatmap, fromKeras.heatmap) < 1e-3, 'the same heatmap');

    const patterns: { lossStart: number; lossEnd: number; dead: boolean }[] = [];
    await runFilterPatternJob(
      { modelPath: MNIST_GRAPH, layerName: `${MNIST_SCOPE}/conv2d_1/Relu`, parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 28, steps: 5 }, limits },
      { onFilter: (image) => void patterns.push(image), checkCancelled: noCancel },
    );
    assert.equal(patterns.length, 8);
    const live = patterns.filter((candidate) => !candidate.dead);
    assert.ok(live.length > 0, 'every filter is dead');
    for (const pattern of live) assert.ok(pattern.lossEnd > pattern.lossStart);
  });
});

describe('convscope CLI on a graph model.json', function () {
  let dir: string;
  let modelPath: string;
  let imagePath: string;

  const runCli = (args: string[]) => {
    const result = spawnSync(process.execPath, [CLI_PATH, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildTinyConvnet();
    modelPath = (await writeGraphModel(path.join(dir, 'graph'), tinyConvnetGraph(model.getWeights()), 'float16')).modelPath;
    model.dispose();
    imagePath = await writeTestImage(path.join(dir, 'input.png'), 64, 48);
  });
  after(() => removeDir(dir));

  it('runs summary, activations, filters and gradcam through the same engine as for a layers model', async function () {
    const summary = runCli(['summary', modelPath]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /Model: "tiny_convnet"/);
    assert.match(summary.stdout, new RegExp(`${at('conv2d_1/Relu')} \\(_FusedConv2D\\)\\s+\\(None, 13, 13, 4\\)\\s+292`));

    const activations = runCli(['activations', modelPath, imagePath, '--out', 'activations', '--backend', 'wasm']);
    assert.equal(activations.code, 0, activations.stderr);
    const shown = JSON.parse(await readFile(path.join(dir, 'activations', 'result.json'), 'utf8'));
    assert.deepEqual(shown.layers.map((layer: { className: string }) => layer.className), ['Conv2D', 'BiasAdd', 'Relu', 'MaxPool', '_FusedConv2D']);

    const filters = runCli(['filters', modelPath, '--layer', at('conv2d_1/Relu'), '--filters', '0-1', '--steps', '3', '--size', '32', '--out', 'filters', '--backend', 'wasm']);
    assert.equal(filters.code, 0, filters.stderr);
    assert.equal(JSON.parse(await readFile(path.join(dir, 'filters', 'result.json'), 'utf8')).filters.length, 2);

    const gradcam = runCli(['gradcam', modelPath, imagePath, '--out', 'gradcam', '--backend', 'wasm']);
    assert.equal(gradcam.code, 0, gradcam.stderr);
    const explained = JSON.parse(await readFile(path.join(dir, 'gradcam', 'result.json'), 'utf8'));
    assert.equal(explained.layer.name, at('conv2d_1/Relu'));
    assert.deepEqual(explained.heatmapSize, [13, 13]);
  });

  it('exits 3 with one line naming the file for a node Grad-CAM cannot use', function () {
    const run = runCli(['gradcam', modelPath, imagePath, '--layer', at('flatten/Reshape'), '--out', 'refused']);
    assert.equal(run.code, 3, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), [`convscope: ${modelPath}: node "${at('flatten/Reshape')}" has output shape [null,676]; Grad-CAM needs a node with a 4-D (height × width × channels) output`]);
  });
});

describe('graph models through the engine worker the extension runs', function () {
  let dir: string;
  let engine: EngineClient;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
    await engine.start();
  });
  after(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  it('summarises, shows activations, filter patterns and Grad-CAM, and reports an op it cannot run as the file’s problem', async function () {
    const model = buildTinyConvnet();
    const graph = tinyConvnetGraph(model.getWeights());
    const { modelPath } = await writeGraphModel(path.join(dir, 'graph'), graph);
    model.dispose();
    const imagePath = await writeTestImage(path.join(dir, 'input.png'), 64, 48);

    const summary = await engine.summarize(modelPath, limits);
    assert.deepEqual([...new Set(summary.layers.map((layer) => layer.group))], ['conv2d', 'max_pooling2d', 'conv2d_1', 'flatten', 'dense', '']);
    const shown: string[] = [];
    await engine.runActivations(
      { modelPath, imagePath, layers: { names: [at('conv2d_1/Relu')] }, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
      { onLayer: (layer) => void shown.push(layer.layerName) },
    );
    assert.deepEqual(shown, [at('conv2d_1/Relu')]);
    const tiles: number[] = [];
    await engine.runFilterPatterns(
      { modelPath, layerName: at('conv2d/Relu'), filters: [0, 1], parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: 32, steps: 2 }, limits },
      { onTile: (tile) => void tiles.push(tile.filter) },
    );
    assert.deepEqual(tiles, [0, 1]);
    const explained = await engine.runGradCam({ modelPath, imagePath, layer: at('max_pooling2d/MaxPool'), score: 'logit', intensity: 0.4, colormap: 'jet', limits }, {});
    assert.deepEqual(explained.info.heatmapSize, [15, 15]);

    const nodes = graph.nodes.map((node) => (node.name === at('dense/Softmax') ? { ...node, op: 'HSVToRGB' } : node));
    const { modelPath: unknownOp } = await writeGraphModel(path.join(dir, 'unknown-op'), { nodes, weights: graph.weights });
    await assert.rejects(engine.summarize(unknownOp, limits), (error: unknown) => {
      assert.ok(error instanceof EngineError && error.kind === 'input' && error.file === unknownOp, String(error));
      assert.match(error.message, /uses the op HSVToRGB \(node ".*dense\/Softmax"\), which TF\.js [\d.]+ cannot run/);
      return true;
    });
  });
});
