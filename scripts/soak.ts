// `npm run soak`: a long session on the example model through the engine worker (see
// soak/soakSession.ts), every tenth job a hostile file, printing the worker's live tensors, memory
// and answer times from start to end. CONVSCOPE_SOAK_RUNS sets the number of jobs (200 by default),
// CONVSCOPE_SOAK_HOSTILE_EVERY how often a hostile file comes (10; 0 for none).
// CONVSCOPE_SOAK_DATASET=N runs Explain Folder on N generated images instead (soak/datasetSoak.ts).
import path from 'node:path';
import { EngineClient } from '../src/host/engineClient';
import type { EngineMemory } from '../src/shared/engineProtocol';
import { answerTimes, countByKind, expectedTensors, runSoak, SOAK_KINDS } from './soak/soakSession';
import { makeTempDir, removeDir, useWasmBackend } from '../test/support/engineFixtures';
import { buildHostileFixtures, soakHostileJob } from '../test/support/hostileCases';
import { runDatasetSoak } from './soak/datasetSoak';

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.CONVSCOPE_SOAK_RUNS ?? 200);
const hostileEvery = Number(process.env.CONVSCOPE_SOAK_HOSTILE_EVERY ?? 10);
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
  // The hostile files are made in this process (TF.js builds their models), in a folder of their own.
  await useWasmBackend();
  const scratch = await makeTempDir('convscope-soak-');
  try {
    const fixtures = await buildHostileFixtures(scratch);
    const backend = await engine.start();
    console.log(`Soak: ${runs} jobs on examples/shapes${hostileEvery > 0 ? `, every ${hostileEvery}th a hostile file` : ''}, ${backend.backend} backend`);
    const report = await runSoak(engine, {
      runs,
      exampleFolder: path.join(root, 'examples', 'shapes'),
      hostile: hostileEvery > 0 ? { every: hostileEvery, next: (n) => soakHostileJob(scratch, fixtures, n) } : undefined,
      onJob: (job) => {
        if ((job.index + 1) % 20 === 0) console.log(`  ${String(job.index + 1).padStart(4)} jobs · ${job.memory.tensors} tensors · RSS ${mib(job.memory.rssBytes)} · worker heap ${mib(job.memory.heapUsedBytes)} · WASM ${mib(job.memory.wasmHeapBytes)}`);
      },
    });
    const counts = countByKind(report.jobs);
    // A hostile file takes the cached model's place (a model refused only for its input stays cached); the next job loads the example again.
    const aboveBaseline = report.jobs.filter((job) => job.memory.tensors !== expectedTensors(report, job.index));
    console.log(`\n${report.jobs.length} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const kind of SOAK_KINDS) {
      const { jobs, cancelled, finishedDespiteCancel } = counts[kind];
      console.log(`  ${kind.padEnd(15)} ${String(jobs).padStart(4)} jobs, ${cancelled} cancelled while running${finishedDespiteCancel ? `, ${finishedDespiteCancel} finished before the cancel arrived` : ''}`);
    }
    const times = answerTimes(report.jobs);
    console.log('answer times (ms): median / p95 / max');
    for (const kind of SOAK_KINDS) console.log(`  ${kind.padEnd(15)} ${times[kind].median.toFixed(0).padStart(6)} ${times[kind].p95.toFixed(0).padStart(6)} ${times[kind].max.toFixed(0).padStart(6)}`);
    const hostileCases = new Map<string, number>();
    for (const job of report.jobs) if (job.hostileCase) hostileCases.set(job.hostileCase, (hostileCases.get(job.hostileCase) ?? 0) + 1);
    for (const [name, count] of hostileCases) console.log(`  hostile ×${count}: ${name}`);
    console.log(describeMemory('start', report.start));
    console.log(describeMemory('warm', report.warm));
    console.log(describeMemory('end', report.end));
    console.log(`peak RSS ${mib(report.end.peakRssBytes)}; RSS from warm to end ${mib(report.end.rssBytes - report.warm.rssBytes)}`);
    console.log(`live tensors: ${report.start.tensors} before, ${report.end.tensors} after; off the baseline after ${aboveBaseline.length} of ${report.jobs.length} jobs`);
    if (aboveBaseline.length > 0) process.exitCode = 1;
  } finally {
    await engine.dispose();
    await removeDir(scratch);
  }
}

const datasetImages = process.env.CONVSCOPE_SOAK_DATASET;
const soak =
  datasetImages === undefined
    ? main()
    : runDatasetSoak(root, Number(datasetImages)).then((flat) => {
        if (!flat) process.exitCode = 1;
      });
soak.catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
