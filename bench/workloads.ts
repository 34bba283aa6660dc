// What the benchmark measures: each workload names a model, a job of the engine and its
// parameters. The PyTorch reference receives the same description and does the same computation.
import type { BenchModelName } from './benchModels';
import { CAM_METHODS, type CamMethod } from '../src/shared/camMethods';

/** The bundled example model is read as shipped; the others are built (see benchModels.ts). */
export type WorkloadModel = BenchModelName | 'shapes';

interface WorkloadBase {
  id: string;
  title: string;
  model: WorkloadModel;
}

/** One forward pass of a 1-image batch, every layer with a 4-D output read back. */
export interface ActivationsWorkload extends WorkloadBase {
  kind: 'activations';
}

/**
 * Gradient ascent (the `chollet` preset) on `filterCount` filters of one layer, batched as the
 * engine plans it. Timed as whole jobs of a few steps; the difference between two step counts
 * gives one step, from which 40 steps are extrapolated (or timed, with --full-grids).
 */
export interface FilterStepsWorkload extends WorkloadBase {
  kind: 'filterSteps';
  layer: string;
  filterCount: number;
  size: number;
  /** What the table reports: the time of one step, or of the whole `steps`-step grid. */
  report: 'oneStep' | 'grid';
  steps: number;
}

/** A CAM map of the top class at the model's default layer (the last convolution), score = the model's output. */
export interface GradCamWorkload extends WorkloadBase {
  kind: 'gradCam';
  /** Omitted: Grad-CAM. Score-CAM and Ablation-CAM re-score 32 channels per run on both sides. */
  method?: CamMethod;
}

/**
 * Explain Folder's batched predictions: `images` generated images of a folder (no class subfolders,
 * so no error is explained) in batches of `batchSize`; the time is the job's forward passes.
 */
export interface DatasetWorkload extends WorkloadBase {
  kind: 'dataset';
  images: number;
  batchSize: number;
}

export type Workload = ActivationsWorkload | FilterStepsWorkload | GradCamWorkload | DatasetWorkload;

/** Explain Folder's workloads: a folder of this many images, the job's default batch. */
const DATASET_IMAGES = 128;
const datasetWorkload = (id: string, model: BenchModelName, name: string, size: number): DatasetWorkload => ({
  id,
  title: `${name} Explain Folder, ${DATASET_IMAGES} images predicted in batches of 32 at ${size}`,
  kind: 'dataset',
  model,
  images: DATASET_IMAGES,
  batchSize: 32,
});

/** The study notes' filter grid: the first 64 filters, 40 steps, 64 pixels. */
const GRID = { filterCount: 64, size: 64, steps: 40, report: 'grid' } as const;

export const WORKLOADS: readonly Workload[] = [
  { id: 'vgg16-activations-224', title: 'VGG16 conv base forward 1×224×224, all activations', kind: 'activations', model: 'vgg16Base' },
  {
    id: 'vgg16-gradient-step-224',
    title: 'gradient step, block3_conv1 filter 0 mean, 224×224 input',
    kind: 'filterSteps',
    model: 'vgg16Base',
    layer: 'block3_conv1',
    filterCount: 1,
    size: 224,
    steps: 1,
    report: 'oneStep',
  },
  ...['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1'].map(
    (layer): FilterStepsWorkload => ({ id: `vgg16-grid-${layer}`, title: `VGG16 filter grid ${layer}, 64 filters × 40 steps at 64 px`, kind: 'filterSteps', model: 'vgg16Base', layer, ...GRID }),
  ),
  { id: 'vgg16-gradcam-224', title: 'VGG16 + classifier Grad-CAM at 224, score → block5_conv3', kind: 'gradCam', model: 'vgg16' },
  { id: 'shapes-activations', title: 'example model (shapes, 64×64) activations', kind: 'activations', model: 'shapes' },
  { id: 'shapes-grid-conv2d_4', title: 'example model filter grid conv2d_4, 64 × 40 steps at 64 px', kind: 'filterSteps', model: 'shapes', layer: 'conv2d_4', ...GRID },
  { id: 'shapes-gradcam', title: 'example model Grad-CAM (→ conv2d_4)', kind: 'gradCam', model: 'shapes' },
  { id: 'chollet-activations-150', title: 'Chollet 5.2 convnet forward 1×150×150, all activations', kind: 'activations', model: 'cholletConvnet' },
  { id: 'chollet-grid-conv2d_4', title: 'Chollet 5.2 convnet filter grid conv2d_4, 64 × 40 steps at 64 px', kind: 'filterSteps', model: 'cholletConvnet', layer: 'conv2d_4', ...GRID },
  { id: 'chollet-gradcam-150', title: 'Chollet 5.2 convnet Grad-CAM at 150 (→ conv2d_4)', kind: 'gradCam', model: 'cholletConvnet' },
  ...camWorkloads('chollet', 'cholletConvnet', 'Chollet 5.2 convnet', 150),
  ...camWorkloads('vgg16', 'vgg16', 'VGG16 + classifier', 224),
  ...mobileNetV2Workloads('035', 'mobilenetV2Alpha035', 'α 0.35'),
  ...mobileNetV2Workloads('100', 'mobilenetV2Alpha100', 'α 1.0'),
  datasetWorkload('chollet-dataset-150', 'cholletConvnet', 'Chollet 5.2 convnet', 150),
  datasetWorkload('mobilenetv2-035-dataset-224', 'mobilenetV2Alpha035', 'MobileNetV2 α 0.35', 224),
  datasetWorkload('mobilenetv2-100-dataset-224', 'mobilenetV2Alpha100', 'MobileNetV2 α 1.0', 224),
];

/**
 * MobileNetV2 at 224 (Teachable Machine's is α 0.35): forward, one step of 16 filters of
 * block_3_expand at 224 (the first slow case measured), the grid of block_6_expand (block_3_expand has
 * only 48 filters at α 0.35), Grad-CAM.
 */
function mobileNetV2Workloads(idWidth: string, model: BenchModelName, width: string): Workload[] {
  const name = `MobileNetV2 ${width}`;
  return [
    { id: `mobilenetv2-${idWidth}-activations-224`, title: `${name} forward 1×224×224, all activations`, kind: 'activations', model },
    {
      id: `mobilenetv2-${idWidth}-gradient-step-224`,
      title: `${name} gradient step, block_3_expand, 16 filters at 224`,
      kind: 'filterSteps',
      model,
      layer: 'block_3_expand',
      filterCount: 16,
      size: 224,
      steps: 1,
      report: 'oneStep',
    },
    { id: `mobilenetv2-${idWidth}-grid-block_6_expand`, title: `${name} filter grid block_6_expand, 64 filters × 40 steps at 64 px`, kind: 'filterSteps', model, layer: 'block_6_expand', ...GRID },
    { id: `mobilenetv2-${idWidth}-gradcam-224`, title: `${name} Grad-CAM at 224, score → out_relu`, kind: 'gradCam', model },
  ];
}

/** Every CAM method but Grad-CAM (timed above), at the last convolution. */
function camWorkloads(idPrefix: string, model: BenchModelName, name: string, size: number): GradCamWorkload[] {
  return CAM_METHODS.filter((method) => method.id !== 'gradcam').map((method) => ({
    id: `${idPrefix}-${method.id}-${size}`,
    title: `${name} ${method.label} at ${size} (→ last convolution)`,
    kind: 'gradCam',
    model,
    method: method.id,
  }));
}

export function benchModelsUsed(workloads: readonly Workload[]): BenchModelName[] {
  return [...new Set(workloads.map((workload) => workload.model))].filter((model): model is BenchModelName => model !== 'shapes');
}
