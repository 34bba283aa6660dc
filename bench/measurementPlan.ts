// How often each workload is run and how its reported time follows from the runs. The same plan
// goes to the PyTorch reference, and the same derivation turns both sides' runs into one number.
import type { Workload } from './workloads';

export interface BenchOptions {
  quick: boolean;
  /** Time the whole 40-step filter grids instead of extrapolating them. */
  fullGrids: boolean;
}

/** Jobs of one kind: `steps` gradient-ascent steps each (null for jobs without steps). */
export interface RunGroup {
  steps: number | null;
  runs: number;
}

export interface MeasurementPlan {
  warmups: number;
  groups: RunGroup[];
  /** For the table: how the reported time was obtained. */
  method: string;
}

export interface TimedGroup {
  steps: number | null;
  ms: number[];
}

export function planMeasurement(workload: Workload, options: BenchOptions): MeasurementPlan {
  if (workload.kind !== 'filterSteps') {
    const runs = options.quick ? 2 : 5;
    return { warmups: 1, groups: [{ steps: null, runs }], method: `median of ${runs}` };
  }
  if (workload.report === 'grid' && options.fullGrids) {
    return { warmups: 1, groups: [{ steps: workload.steps, runs: 1 }], method: `${workload.steps} steps timed` };
  }
  const [fewer, more] = options.quick ? [1, 2] : [1, 3];
  const runs = options.quick ? 1 : 2;
  const method =
    workload.report === 'grid'
      ? `extrapolated to ${workload.steps} steps from jobs of ${fewer} and ${more} steps`
      : `jobs of ${more} minus ${fewer} steps, ÷ ${more - fewer}`;
  return { warmups: 1, groups: [{ steps: fewer, runs }, { steps: more, runs }], method };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The reported time: the median job; for step-difference plans, one step is the difference of the
 * two medians divided by the step difference, and a grid is the shorter job plus its missing steps.
 * NaN where the longer jobs were not slower: load from elsewhere swamped the measurement.
 */
export function reportedMs(workload: Workload, timed: TimedGroup[]): number {
  if (timed.length === 1) return median(timed[0].ms);
  const [fewer, more] = timed;
  const stepMs = (median(more.ms) - median(fewer.ms)) / ((more.steps ?? 0) - (fewer.steps ?? 0));
  if (!(stepMs > 0)) return NaN;
  if (workload.kind === 'filterSteps' && workload.report === 'grid') return median(fewer.ms) + (workload.steps - (fewer.steps ?? 0)) * stepMs;
  return stepMs;
}
