// Runs bench/torch_reference.py on the same plan, or says how to install PyTorch where it is missing.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { MeasurementPlan, TimedGroup } from './measurementPlan';
import type { Workload } from './workloads';

export const PYTHON = process.env.CONVSCOPE_BENCH_PYTHON ?? '/usr/bin/python3';
/** PyTorch's threads; default: the cores available. One thread stays fast on a loaded machine, where two spin against other processes. */
const TORCH_THREADS = process.env.CONVSCOPE_BENCH_TORCH_THREADS ? Number(process.env.CONVSCOPE_BENCH_TORCH_THREADS) : undefined;
export const TORCH_INSTALL_HINT = 'apt-get install python3-torch python3-torchvision';

export interface TorchWorkload {
  workload: Workload;
  plan: MeasurementPlan;
  preprocess: string;
  /** Filter jobs: the engine's batch size, mirrored. */
  batchSize?: number;
  /** Grad-CAM: the layer the engine chose, mirrored. */
  gradCamLayer?: string;
}

export interface TorchResults {
  torch: string;
  threads: number;
  results: Record<string, TimedGroup[]>;
}

/** The PyTorch version, or undefined where `import torch` fails. */
export function torchVersion(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

export function runTorchReference(workloads: TorchWorkload[]): TorchResults {
  const input = JSON.stringify({
    threads: TORCH_THREADS,
    workloads: workloads.map(({ workload, plan, preprocess, batchSize, gradCamLayer }) => ({ ...workload, preprocess, batchSize, gradCamLayer, warmups: plan.warmups, groups: plan.groups })),
  });
  const script = path.join(__dirname, 'torch_reference.py');
  const run = spawnSync(PYTHON, [script], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(run.stdout) as TorchResults;
}
