// The benchmark's table (stdout) and bench/results.json.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { OurMeasurement } from './measureOurs';
import type { MeasurementPlan } from './measurementPlan';
import type { Workload } from './workloads';

export interface WorkloadResult {
  workload: Workload;
  plan: MeasurementPlan;
  ours: OurMeasurement;
  oursMs: number;
  torchMs?: number;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memoryBytes: number; node: string; platform: string };
  /** The WASM backend's thread pool, as the worker sizes it. */
  wasmThreads: number;
  /** 1-, 5- and 15-minute load averages when the run started and ended: the machine is shared. */
  loadAverage: { start: number[]; end?: number[] };
  options: { quick: boolean; fullGrids: boolean };
  torch?: { version: string; threads: number };
  /** Why there is no PyTorch column, where there is none. */
  torchMissing?: string;
  results: WorkloadResult[];
}

export function describeMachine(): BenchReport['machine'] {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryBytes: os.totalmem(), node: process.version, platform: `${os.type()} ${os.release()}` };
}

const seconds = (ms: number) => (Number.isNaN(ms) ? 'unreliable (load)' : ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

function row(result: WorkloadResult, wasmThreads: number): string[] {
  const { ours, oursMs, torchMs } = result;
  return [
    result.workload.title,
    ours.job.backend === 'wasm' ? `wasm, ${wasmThreads} threads` : ours.job.backend,
    seconds(oursMs),
    torchMs === undefined ? '–' : seconds(torchMs),
    torchMs === undefined || Number.isNaN(oursMs / torchMs) ? '–' : `${(oursMs / torchMs).toFixed(1)}×`,
    result.plan.method,
    `${ours.host.eventLoopP99Ms.toFixed(0)} / ${ours.host.eventLoopMaxMs.toFixed(0)} ms`,
    megabytes(ours.host.peakRssBytes),
    `${ours.tensorsBefore} → ${ours.tensorsAfter}`,
  ];
}

const HEADER = ['workload', 'backend', 'ours', 'PyTorch', 'ratio', 'timed as', 'host event loop p99 / max', 'peak RSS', 'worker tensors'];

/** A Markdown table, readable as it is printed. */
export function formatTable(results: WorkloadResult[], wasmThreads: number): string {
  const rows = [HEADER, HEADER.map(() => '---'), ...results.map((result) => row(result, wasmThreads))];
  return rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function writeReport(file: string, report: BenchReport): void {
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
