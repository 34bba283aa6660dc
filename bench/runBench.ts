// `npm run bench [-- --quick] [-- --full-grids] [-- --only ID] [-- --backend B] [-- --results FILE]`:
// times the workloads of bench/workloads.ts through the engine worker, then the same computations
// in PyTorch, and prints `workload | backend | ours | PyTorch | ratio` with the host's event-loop
// delay, the process's peak memory and the worker's live tensors; writes bench/results.json (or
// FILE, so that a partial run leaves the full one in place).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendPreference } from '../src/shared/types';
import { defaultWasmThreadCount } from '../src/engine/tfjs/wasmThreads';
import { EngineClient } from '../src/host/engineClient';
import { benchModelPath } from './benchModels';
import { measureOurs } from './measureOurs';
import { planMeasurement, reportedMs, type BenchOptions } from './measurementPlan';
import { describeMachine, formatTable, writeReport, type BenchReport, type WorkloadResult } from './report';
import { TORCH_INSTALL_HINT, runTorchReference, torchVersion } from './torchReference';
import { WORKLOADS, benchModelsUsed, type Workload, type WorkloadModel } from './workloads';
import { datasetFolderFor } from './datasetImages';

const REPO_ROOT = path.resolve(__dirname, '..');
const MODELS_DIRECTORY = path.join(__dirname, 'tmp', 'models');
const DATASET_DIRECTORY = path.join(__dirname, 'tmp');
const IMAGE_PATH = path.join(REPO_ROOT, 'examples', 'shapes', 'circle-1.png');
const RESULTS_PATH = path.join(__dirname, 'results.json');

function modelPathOf(model: WorkloadModel): string {
  return model === 'shapes' ? path.join(REPO_ROOT, 'examples', 'shapes', 'model.json') : benchModelPath(MODELS_DIRECTORY, model);
}

/** The worker bundle is what users run, so it is rebuilt from the current sources first. */
function buildBundles(): void {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The images of the dataset workloads, also written by a child process. */
function writeDatasetFolders(workloads: readonly Workload[]): void {
  for (const count of new Set(workloads.flatMap((workload) => (workload.kind === 'dataset' ? [workload.images] : [])))) {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'datasetImagesMain.ts'), datasetFolderFor(DATASET_DIRECTORY, count), String(count)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

/** In a child process, so that this process's memory (measured during the jobs) never held them. */
function writeModels(names: string[]): void {
  if (names.length === 0) return;
  execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'writeModelsMain.ts'), MODELS_DIRECTORY, ...names], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'full-grids': { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      backend: { type: 'string', default: 'auto' },
      results: { type: 'string', default: RESULTS_PATH },
    },
  });
  const options: BenchOptions = { quick: values.quick ?? false, fullGrids: values['full-grids'] ?? false };
  const only = values.only ?? [];
  const workloads = WORKLOADS.filter((workload) => only.length === 0 || only.some((part) => workload.id.includes(part)));

  buildBundles();
  writeModels(benchModelsUsed(workloads));
  writeDatasetFolders(workloads);
  const loadAverage: BenchReport['loadAverage'] = { start: os.loadavg() };
  const engine = new EngineClient({
    workerPath: path.join(REPO_ROOT, 'dist', 'worker.js'),
    wasmDirectory: path.join(REPO_ROOT, 'dist', 'wasm'),
    backend: values.backend as BackendPreference,
    allowNative: true,
    log: (line) => console.error(line),
  });
  const version = torchVersion();
  const torchMissing = version === undefined ? `python3 -c "import torch" failed; install PyTorch for the reference column: ${TORCH_INSTALL_HINT}` : undefined;
  if (torchMissing) console.error(torchMissing);
  const results: WorkloadResult[] = [];
  let torch: BenchReport['torch'];
  try {
    await engine.start();
    // Each workload's PyTorch reference runs right after ours, so that both meet the same load on a shared machine.
    for (const workload of workloads) {
      const plan = planMeasurement(workload, options);
      const datasetFolder = workload.kind === 'dataset' ? datasetFolderFor(DATASET_DIRECTORY, workload.images) : undefined;
      const ours = await measureOurs(engine, workload, plan, { modelPath: modelPathOf(workload.model), imagePath: IMAGE_PATH, datasetFolder });
      const result: WorkloadResult = { workload, plan, ours, oursMs: reportedMs(workload, ours.timed) };
      console.error(`ours ${workload.id}: ${result.oursMs.toFixed(0)} ms (${plan.method}; runs ${JSON.stringify(ours.timed)})`);
      if (!torchMissing) {
        const reference = runTorchReference([{ workload, plan, preprocess: ours.job.preprocess, batchSize: ours.job.batchSize, gradCamLayer: ours.job.layer }]);
        torch = { version: reference.torch, threads: reference.threads };
        result.torchMs = reportedMs(workload, reference.results[workload.id]);
      }
      results.push(result);
    }
  } finally {
    await engine.dispose();
  }

  loadAverage.end = os.loadavg();
  const report: BenchReport = { date: new Date().toISOString(), machine: describeMachine(), wasmThreads: defaultWasmThreadCount(), loadAverage, options, torch, torchMissing, results };
  console.log(formatTable(results, report.wasmThreads));
  const resultsPath = path.resolve(values.results ?? RESULTS_PATH);
  writeReport(resultsPath, report);
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  console.log(`\n${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}${report.torch ? `, PyTorch ${report.torch.version} (${report.torch.threads} threads)` : ''}`);
  console.log(`load average ${load(loadAverage.start)} at the start, ${load(loadAverage.end)} at the end; written to ${path.relative(REPO_ROOT, resultsPath)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
