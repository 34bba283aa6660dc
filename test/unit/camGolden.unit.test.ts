// Every CAM method against golden maps computed by PyTorch on the same weights, each method from its
// paper's formula (scripts/reference/make_cam_golden.py, test/fixtures/golden-cam/): the example
// model, the study notes' cats-vs-dogs convnet (one sigmoid unit), the MNIST CNN as a .keras file
// and as a TF.js graph model, and the FER mini-Xception (residual joins, a softmax Activation
// layer). Run through the Grad-CAM job on the WASM and cpu backends, on PNGs at exactly each
// model's input size. Criterion: Pearson correlation ≥ 0.999 for every map.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { CAM_METHODS, CAM_METHOD_IDS, type CamMethod } from '../../src/shared/camMethods';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { PreprocessMode } from '../../src/shared/types';
import { correlation, maxAbsDifference, switchBackend, type ComparedBackend } from '../support/differentialModels';
import { REPO_ROOT, makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';
import { GOLDEN_DIR, MNIST_GRAPH_NODES, buildSeededCatsVsDogsConvnet } from '../support/goldenFiles';

const MIN_CORRELATION = 0.999;
const PREDICTION_TOLERANCE = 1e-4;
const CAM_GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'golden-cam');
const REAL_MODELS = path.resolve(REPO_ROOT, '..', 'shared', 'realmodels');
const BACKENDS: ComparedBackend[] = ['wasm', 'cpu'];
const printMeasures = process.env.CONVSCOPE_PRINT_MEASURES === '1';
const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

interface GoldenCamMap {
  method: CamMethod;
  layer: string;
  classIndex: number;
  score: number;
  size: [number, number];
  heatmap: number[];
}

interface GoldenCams {
  id: string;
  implementation: string;
  model: { kind: 'tfjs' | 'seeded' | 'file'; source: string | number };
  image: string;
  imageDir: 'golden' | 'golden-cam';
  preprocess: PreprocessMode;
  binary: boolean;
  predictions: number[];
  defaultLayer: string;
  maps: GoldenCamMap[];
}

const readCams = (id: string): GoldenCams => JSON.parse(readFileSync(path.join(CAM_GOLDEN_DIR, `${id}.json`), 'utf8')) as GoldenCams;

interface CamCase {
  name: string;
  golden: GoldenCams;
  modelPath(dir: string): Promise<string>;
  layerName(kerasName: string): string;
  usesRealModels: boolean;
}

const sameName = (name: string) => name;
const shapes = readCams('shapes');
const catsVsDogs = readCams('cats_vs_dogs');
const mnist = readCams('mnist_cnn');
const fer = readCams('fer_mini_xception');

let catsVsDogsModel: Promise<string> | undefined;

/**
 * The cpu backend runs convolutions in plain JavaScript, about twenty times slower than WASM: there
 * it checks the default layer's top class only, and the methods that re-run the model once per
 * channel only on the small MNIST and FER inputs (the WASM run checks them all).
 */
function checkedOn(backend: ComparedBackend, golden: GoldenCams): GoldenCamMap[] {
  if (backend === 'wasm') return golden.maps;
  const [first] = golden.maps;
  const rescores = new Set(CAM_METHODS.filter((method) => method.rescores).map((method) => method.id));
  const skipRescoring = golden.id === 'shapes' || golden.id === 'cats_vs_dogs';
  return golden.maps.filter((map) => map.layer === first.layer && map.classIndex === first.classIndex && !(skipRescoring && rescores.has(map.method)));
}

const CASES: CamCase[] = [
  { name: 'the example model (examples/shapes)', golden: shapes, modelPath: async () => path.join(REPO_ROOT, 'examples', 'shapes', 'model.json'), layerName: sameName, usesRealModels: false },
  {
    name: 'the study notes’ cats-vs-dogs convnet (one sigmoid unit, seeded weights)',
    golden: catsVsDogs,
    modelPath: (dir) => {
      catsVsDogsModel ??= (async () => {
        const model = buildSeededCatsVsDogsConvnet(catsVsDogs.model.source as number);
        try {
          return await writeModel(model, dir, 'cats_vs_dogs');
        } finally {
          model.dispose();
        }
      })();
      return catsVsDogsModel;
    },
    layerName: sameName,
    usesRealModels: false,
  },
  {
    name: 'the MNIST CNN (Keras 3 .keras)',
    golden: mnist,
    modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'Subhadip_Hensh_MNIST_CNN.keras'),
    layerName: sameName,
    usesRealModels: true,
  },
  {
    name: 'the MNIST CNN (its TF.js graph model)',
    golden: mnist,
    modelPath: async () => path.join(REAL_MODELS, 'mnist-cnn-keras3-and-graph', 'model.json'),
    layerName: (name) => MNIST_GRAPH_NODES[name] ?? name,
    usesRealModels: true,
  },
  {
    name: 'the FER mini-Xception (Keras 2 HDF5, residual joins)',
    golden: fer,
    modelPath: async () => path.join(REAL_MODELS, 'fer-minixception-h5', 'fer2013_mini_XCEPTION.102-0.66.hdf5'),
    layerName: sameName,
    usesRealModels: true,
  },
];

describe('CAM methods against PyTorch golden maps (each method from its paper)', function () {
  this.timeout(600_000);
  let dir: string;

  before(async () => {
    dir = await makeTempDir();
  });
  after(async () => {
    releaseCachedModel();
    await useWasmBackend();
    if (dir) await removeDir(dir);
  });

  it('the golden files hold every method at the default and an earlier layer', function () {
    for (const golden of [shapes, catsVsDogs, mnist, fer]) {
      const methods = new Set(golden.maps.map((map) => map.method));
      assert.deepEqual([...methods].sort(), [...CAM_METHOD_IDS].sort(), `${golden.id}: every method`);
      assert.equal(golden.maps[0].layer, golden.defaultLayer, `${golden.id}: the default layer first`);
      assert.ok(golden.maps.every((map) => map.heatmap.length === map.size[0] * map.size[1] && Math.max(...map.heatmap) <= 1), `${golden.id}: 0..1 maps of their size`);
    }
  });

  for (const camCase of CASES) {
    for (const backend of BACKENDS) {
      it(`${camCase.name}, on ${backend}: every method’s map correlates ≥ ${MIN_CORRELATION} with PyTorch’s`, async function () {
        if (camCase.usesRealModels && !existsSync(REAL_MODELS)) {
          console.log(`      (skipped: ${REAL_MODELS} is absent; it holds the real model files this test reads)`);
          this.skip();
        }
        const { golden } = camCase;
        await switchBackend(backend);
        try {
          const modelPath = await camCase.modelPath(dir);
          const imagePath = path.join(golden.imageDir === 'golden' ? GOLDEN_DIR : CAM_GOLDEN_DIR, golden.image);
          const failures: string[] = [];
          let worst = 1;
          const checked = checkedOn(backend, golden);
          const targets = [...new Map(checked.map((map) => [`${map.layer}/${map.classIndex}`, map])).values()];
          for (const target of targets) {
            const isDefault = target.layer === golden.defaultLayer;
            const result = await runGradCamJob(
              {
                modelPath,
                imagePath,
                preprocess: golden.preprocess,
                layer: isDefault ? undefined : camCase.layerName(target.layer),
                targetClass: target.classIndex,
                score: 'output',
                intensity: 0.4,
                colormap: 'jet',
                limits,
                methods: [...new Set(checked.map((map) => map.method))],
                rescoringBatch: 16,
              },
              { checkCancelled: async () => {} },
            );
            const predictions = golden.predictions.map((_, index) => result.info.predictions.find((p) => p.index === index)?.score ?? NaN);
            const shown = result.info.predictions.map((p) => p.index);
            const predictionDiff = maxAbsDifference(shown.map((index) => predictions[index]), shown.map((index) => golden.predictions[index]));
            assert.ok(predictionDiff <= PREDICTION_TOLERANCE, `predictions differ by ${predictionDiff}`);
            for (const expected of checked.filter((map) => map.layer === target.layer && map.classIndex === target.classIndex)) {
              const map = result.maps.find((candidate) => candidate.info.method === expected.method)!;
              assert.equal(map.info.layer.name, camCase.layerName(expected.layer), `${expected.method}: the layer`);
              assert.equal(map.info.targetClass.index, expected.classIndex);
              assert.deepEqual(map.info.heatmapSize, expected.size, `${expected.method} at ${expected.layer}: size`);
              const r = correlation(map.heatmap, expected.heatmap);
              worst = Math.min(worst, r);
              if (!(r >= MIN_CORRELATION)) failures.push(`${expected.method} at ${expected.layer}, class ${expected.classIndex}: correlation ${r.toFixed(5)}`);
            }
          }
          if (printMeasures) console.log(`      [${golden.id} ${backend}] worst correlation ${worst.toFixed(6)}`);
          assert.deepEqual(failures, [], `CAM maps on ${backend} differ from ${golden.implementation}`);
        } finally {
          releaseCachedModel();
        }
      });
    }
  }
});
