// `CONVSCOPE_SOAK_DATASET=2000 npm run soak`: Explain Folder on that many generated images (the
// example model's own generator, one subfolder per class, a fifth filed under the wrong class)
// through the engine worker, twice: a cold run, then one read back from the cache. The process's
// memory (the worker is a thread of it) is sampled while the runs stream their results; it must
// stay flat once the run is under way, since images, thumbnails and heatmaps are on disk, not held.
import path from 'node:path';
import { EngineClient } from '../../src/host/engineClient';
import { DATASET_DEFAULTS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { DatasetRunSummary } from '../../src/shared/types';
import { writeShapesDataset } from '../../test/support/datasetFixtures';
import { makeTempDir, removeDir } from '../../test/support/engineFixtures';

/** Images written per part, so the generator never holds the whole dataset. */
const WRITE_PART = 200;
/** Memory growth from a quarter of the run to its end above this is a leak. */
const FLAT_LIMIT_BYTES = 96 * 2 ** 20;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface Sample {
  done: number;
  rss: number;
  heap: number;
}

async function runOnce(engine: EngineClient, label: string, folder: string, cacheRoot: string, root: string, total: number): Promise<{ summary: DatasetRunSummary; samples: Sample[] }> {
  const samples: Sample[] = [];
  let done = 0;
  let received = 0;
  const sample = () => {
    const memory = process.memoryUsage();
    samples.push({ done, rss: memory.rss, heap: memory.heapUsed });
  };
  const timer = setInterval(sample, 250);
  try {
    const summary = await engine.runDataset(
      {
        modelPath: path.join(root, 'examples', 'shapes', 'model.json'),
        folder,
        cacheRoot,
        batchSize: DATASET_DEFAULTS.batchSize,
        maxImages: DATASET_DEFAULTS.maxImages,
        thumbnailSize: DATASET_DEFAULTS.thumbnailSize,
        colormap: 'jet',
        intensity: 0.4,
        limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS },
      },
      {
        // Like the panel's view, the results are counted, not kept here.
        onImages: (images) => (received += images.length),
        onProgress: (count) => {
          done = count;
          if (count % 500 < DATASET_DEFAULTS.batchSize) console.log(`  ${label}: ${count} of ${total} images · RSS ${mib(process.memoryUsage().rss)}`);
        },
      },
    );
    sample();
    if (received !== summary.predictedCount) throw new Error(`${received} results streamed, ${summary.predictedCount} predicted`);
    return { summary, samples };
  } finally {
    clearInterval(timer);
  }
}

/** RSS at a quarter of the run (once the model, the pools and the caches have warmed) and at its end, and the peak. */
function memoryCourse(samples: Sample[], total: number): { quarter: number; end: number; peak: number } {
  const quarter = samples.find((sample) => sample.done >= total / 4) ?? samples[0];
  return { quarter: quarter.rss, end: samples.at(-1)!.rss, peak: Math.max(...samples.map((sample) => sample.rss)) };
}

export async function runDatasetSoak(root: string, count: number): Promise<boolean> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`CONVSCOPE_SOAK_DATASET must be a whole number of images, at least 1, not ${count}`);
  const scratch = await makeTempDir('convscope-soak-dataset-');
  const engine = new EngineClient({ workerPath: path.join(root, 'dist', 'worker.js'), wasmDirectory: path.join(root, 'dist', 'wasm'), backend: 'wasm', allowNative: false });
  try {
    const folder = path.join(scratch, 'validation');
    for (let first = 0; first < count; first += WRITE_PART) {
      await writeShapesDataset(folder, { count: Math.min(WRITE_PART, count - first), seed: 1000 + first, mislabelEvery: 5, scale: 2, firstIndex: first });
    }
    const backend = await engine.start();
    console.log(`Dataset soak: ${count} generated 128×128 images in ${folder}, ${backend.backend} backend${backend.wasmThreads ? ` (${backend.wasmThreads} threads)` : ''}`);
    let flat = true;
    for (const label of ['cold', 'cached']) {
      const { summary, samples } = await runOnce(engine, label, folder, path.join(scratch, 'cache'), root, count);
      const course = memoryCourse(samples, count);
      const growth = course.end - course.quarter;
      console.log(
        `${label}: ${summary.predictedCount} images (${summary.cachedCount} from the cache) in ${(summary.elapsedMs / 1000).toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s; ` +
          `accuracy ${((summary.accuracy ?? 0) * 100).toFixed(1)}%, ${summary.labelledCount - summary.correctCount} errors explained`,
      );
      console.log(`  RSS at a quarter ${mib(course.quarter)}, at the end ${mib(course.end)} (${growth >= 0 ? '+' : ''}${mib(growth)}), peak ${mib(course.peak)}; ${samples.length} samples`);
      if (growth > FLAT_LIMIT_BYTES) flat = false;
    }
    const memory = await engine.measureMemory('long');
    console.log(`the worker holds ${memory.tensors} tensors after the runs (the model's weights)`);
    console.log(flat ? 'memory flat: yes' : `memory flat: NO (grew more than ${mib(FLAT_LIMIT_BYTES)} after a quarter of a run)`);
    return flat;
  } finally {
    await engine.dispose();
    await removeDir(scratch);
  }
}
