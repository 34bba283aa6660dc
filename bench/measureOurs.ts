// Times every workload through the engine worker and watches the host while it runs: event-loop
// delay and resident memory during the timed jobs, and the worker's live tensors before and after.
import type { EngineClient } from '../src/host/engineClient';
import { runWorkloadJob, type JobInputs, type JobTiming } from './engineJobs';
import { observeHost, type HostObservation } from './hostMonitor';
import type { MeasurementPlan, TimedGroup } from './measurementPlan';
import type { Workload } from './workloads';

export interface OurMeasurement {
  timed: TimedGroup[];
  /** The last job's report (backend, preprocessing, batch size, layer). */
  job: JobTiming;
  host: HostObservation;
  /** Live tensors in the worker after the warm-up (the cached model's weights) and after the timed jobs. */
  tensorsBefore: number;
  tensorsAfter: number;
  /** Highest resident set of the process so far, as the worker reports it. */
  processPeakRssBytes: number;
}

export async function measureOurs(engine: EngineClient, workload: Workload, plan: MeasurementPlan, inputs: Omit<JobInputs, 'steps'>): Promise<OurMeasurement> {
  const firstSteps = plan.groups[0].steps ?? undefined;
  let job: JobTiming | undefined;
  for (let i = 0; i < plan.warmups; i++) job = await runWorkloadJob(engine, workload, { ...inputs, steps: firstSteps });
  // Filter grids and dataset runs run on their own worker (src/host/engineJobs.ts): its tensors are the ones counted.
  const lane = (workload.kind === 'filterSteps' && workload.filterCount > 1) || workload.kind === 'dataset' ? 'long' : 'short';
  const before = await engine.measureMemory(lane);
  const timed: TimedGroup[] = plan.groups.map((group) => ({ steps: group.steps, ms: [] }));
  const { observation } = await observeHost(async () => {
    // Interleaved, so that drift in the machine's speed touches every group alike.
    const rounds = Math.max(...plan.groups.map((group) => group.runs));
    for (let round = 0; round < rounds; round++) {
      for (const [g, group] of plan.groups.entries()) {
        if (round >= group.runs) continue;
        job = await runWorkloadJob(engine, workload, { ...inputs, steps: group.steps ?? undefined });
        timed[g].ms.push(job.engineMs);
      }
    }
  });
  const after = await engine.measureMemory(lane);
  if (!job) throw new Error(`${workload.id}: no job ran`);
  return { timed, job, host: observation, tensorsBefore: before.tensors, tensorsAfter: after.tensors, processPeakRssBytes: after.peakRssBytes };
}
