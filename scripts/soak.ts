// `npm run soak`: a long session on the example model through the engine worker (see
// soak/soakSession.ts), printing the worker's live tensors and memory from start to end.
// CONVSCOPE_SOAK_RUNS sets the number of visualizations (200 by default).
import path from 'node:path';
import { EngineClient } from '../src/host/engineClient';
import type { EngineMemory } from '../src/shared/engineProtocol';
import { countByKind, runSoak, SOAK_KINDS } from './soak/soakSession';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.CONVSCOPE_SOAK_RUNS ?? 200);
const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

function describeMemory(label: string, memory: EngineMemory): string {
  return `${label.padEnd(8)} ${String(memory.tensors).padStart(5)} tensors (${mib(memory.tensorBytes)}) · RSS ${mib(memory.rssBytes)} · worker heap ${mib(memory.heapUsedBytes)} · WASM memory ${mib(memory.wasmHeapBytes)}`;
}

async function main(): Promise<void> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`CONVSCOPE_SOAK_RUNS must be a whole number of at least 1, not ${process.env.CONVSCOPE_SOAK_RUNS}`);
  const engine = new EngineClient({
    workerPath: path.join(root, 'dist', 'worker.js'),
    wasmDirectory: path.join(root, 'dist', 'wasm'),
    backend: 'wasm',
    allowNative: false,
    log: (line) => console.log(`  engine: ${line}`),
  });
  const started = performance.now();
  try {
    const backend = await engine.start();
    console.log(`Soak: ${runs} visualizations on examples/shapes, ${backend.backend} backend`);
    const report = await runSoak(engine, {
      runs,
      exampleFolder: path.join(root, 'examples', 'shapes'),
      onJob: (job) => {
        if ((job.index + 1) % 20 === 0) console.log(`  ${String(job.index + 1).padStart(4)} jobs · ${job.memory.tensors} tensors · RSS ${mib(job.memory.rssBytes)}`);
      },
    });
    const counts = countByKind(report.jobs);
    const aboveBaseline = report.jobs.filter((job) => job.memory.tensors !== report.start.tensors);
    console.log(`\n${report.jobs.length} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const kind of SOAK_KINDS) {
      const { jobs, cancelled, finishedDespiteCancel } = counts[kind];
      console.log(`  ${kind.padEnd(15)} ${String(jobs).padStart(4)} jobs, ${cancelled} cancelled while running${finishedDespiteCancel ? `, ${finishedDespiteCancel} finished before the cancel arrived` : ''}`);
    }
    console.log(describeMemory('start', report.start));
    console.log(describeMemory('warm', report.warm));
    console.log(describeMemory('end', report.end));
    console.log(`peak RSS ${mib(report.end.peakRssBytes)}; RSS from warm to end ${mib(report.end.rssBytes - report.warm.rssBytes)}`);
    console.log(`live tensors: ${report.start.tensors} before, ${report.end.tensors} after; off the baseline after ${aboveBaseline.length} of ${report.jobs.length} jobs`);
    if (aboveBaseline.length > 0) process.exitCode = 1;
  } finally {
    await engine.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
