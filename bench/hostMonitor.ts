// What the extension host feels while the engine worker runs a job: the delay of this (the host's)
// event loop, and the process's resident memory, which includes the worker thread's.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HostObservation {
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  peakRssBytes: number;
}

/** How often the resident set is sampled. */
const RSS_SAMPLE_MS = 20;

export async function observeHost<T>(run: () => Promise<T>): Promise<{ result: T; observation: HostObservation }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let peakRssBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())), RSS_SAMPLE_MS);
  delay.enable();
  try {
    const result = await run();
    return {
      result,
      observation: { eventLoopP99Ms: delay.percentile(99) / 1e6, eventLoopMaxMs: delay.max / 1e6, peakRssBytes: Math.max(peakRssBytes, process.memoryUsage.rss()) },
    };
  } finally {
    delay.disable();
    clearInterval(sampler);
  }
}
